"""``wkcli browse``: a full-screen browser of webhook dumps (Textual), imported only by that command."""
