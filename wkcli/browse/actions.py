"""What the browser does with rows: export the shown ones as JSONL, replay one to a business server."""

from __future__ import annotations

from wkcli.browse.detail import OneRecord
from wkcli.browse.view import View
from wkcli.output.files import replacing
from wkcli.output.messages import encode_message
from wkcli.read.index import Index
from wkcli.webhook.model import Message


def export_rows(index: Index, view: View, name: str) -> str:
    """Write the view's messages to ``name`` exactly as ``classify -o jsonl`` would; returns what happened."""
    written = 0
    try:
        with replacing(name) as out:
            for row in list(view.rows):
                item = index.item(row)
                if type(item) is Message:
                    out.write(encode_message(item) + b"\n")
                    written += 1
    except OSError as exc:
        return f"export failed: {name}: {exc.strerror or exc}"
    return f"exported {written:,} messages to {name}"


def replay_row(index: Index, row: int, url: str, timeout: float) -> str:
    """POST the row's message to ``url`` as ``wkcli replay`` would (only this message); says how it went."""
    from wkcli.live.replay import Planner, Result, replay
    from wkcli.live.sender import SendOptions

    value, items = index.record(row)
    chosen = index.item(row)
    if value is None or chosen is None:
        return "replay: the record could not be read again"
    results: list[Result] = []
    planner = Planner(OneRecord(value, items, chosen))  # type: ignore[arg-type]
    summary = replay(planner, url, results.append, SendOptions(timeout=timeout))
    if not results:
        if summary.unnamed:
            return "replay: the message has no event (capture it with ?event=), not sent"
        return "replay: nothing sent"
    result = results[0]
    ms = f" in {result.ms:.0f} ms" if result.ms is not None else ""
    if result.error is not None:
        return f"replay failed: {result.error}"
    return f"replayed: HTTP {result.status}{ms}" + ("" if result.ok else " (WuKongIM would retry)")
