"""The typer commands, one module each; ``wkcli.cli`` puts them together."""
