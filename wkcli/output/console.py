"""The one door to rich: a console for a stream, and the text and tables views hand it, all escaped."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Union

from wkcli.output.style import SGR
from wkcli.output.terminal import Terminal
from wkcli.text import sanitize

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text

# A cell is plain text, or (text, style) with a style named in the one style table.
Cell = Union[str, "tuple[str, str]"]


def make_console(terminal: Terminal, stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr) that never parses markup, emoji or highlights."""
    from rich.console import Console

    stream = terminal.stderr if stderr else terminal.stdout
    isatty = terminal.stderr_isatty if stderr else terminal.stdout_isatty
    return Console(
        file=stream,
        force_terminal=terminal.color or None,
        no_color=not terminal.color,
        color_system="auto" if terminal.color else None,
        highlight=False,
        markup=False,
        emoji=False,
        # A pipe has no width: honour COLUMNS if set, else leave room for the whole table.
        width=terminal.width or (None if isatty or os.environ.get("COLUMNS") else 160),
        soft_wrap=False,
    )


def text(value: str, style: str = "") -> Text:
    """Every piece of text rich is given is made here: control characters escaped, never markup."""
    from rich.text import Text

    return Text(sanitize(value), style=_style(style))


def cell(value: Cell) -> Text:
    return text(*value) if isinstance(value, tuple) else text(value)


def _style(style: str) -> str:
    if style and style not in SGR:
        raise KeyError(f"style {style!r} is not in wkcli.output.style.SGR")
    return style


class Table:
    """A rich table whose headers and cells can only be given as text, so all of it goes through ``text``."""

    def __init__(self, **options: Any) -> None:
        from rich.table import Table as RichTable

        self.rich = RichTable(**options)

    def add_column(self, header: str = "", style: str = "", **options: Any) -> None:
        self.rich.add_column(text(header), style=_style(style), **options)

    def add_row(self, *cells: Cell) -> None:
        self.rich.add_row(*(cell(value) for value in cells))


def group(*parts: Table | Cell) -> RenderableType:
    """Tables and lines of text as one renderable (for a live display)."""
    from rich.console import Group

    return Group(*(part.rich if isinstance(part, Table) else cell(part) for part in parts))
