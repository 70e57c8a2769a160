"""Wrapping text views to the terminal's width at word boundaries, so identifiers stay whole."""

from __future__ import annotations

import re

from rich.cells import cell_len, set_cell_size

_WORD = re.compile(r"( *)([^ ]+)")


def wrap_words(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    """``text`` as lines of at most ``width`` cells, broken between words (see ``wrap_units``).

    The spaces between words are kept as they are ("a  b" stays two spaces apart) except where
    a line breaks.
    """
    units = [(match.group(1), match.group(2)) for match in _WORD.finditer(text)]
    return wrap_units(units, width, indent, first)


def wrap_units(
    units: list[tuple[str, str]], width: int, indent: str = "", first: str | None = None
) -> list[str]:
    """``(separator, unit)`` pairs as lines of at most ``width`` cells, broken only between units.

    The first line starts with ``first`` (``indent`` if not given), the others with ``indent``;
    a separator is dropped where a line breaks. A unit ("message 1877…", a uid) is only broken
    when it is wider than a whole line, which no identifier is at 60 columns and up.
    """
    lead = indent if first is None else first
    lines: list[str] = []
    current, empty = lead, True
    for sep, word in units:
        size = cell_len(word)
        if not empty and cell_len(current) + cell_len(sep) + size > width:
            lines.append(current)
            current, empty = indent, True
        room = width - cell_len(current)
        if empty and size > room > 0:  # a unit wider than a whole line: cut into line-wide pieces
            at = 0
            while True:
                window = _window(word, at, room)
                if cell_len(window) <= room:
                    break
                head = set_cell_size(window, room)
                lines.append(current + head)
                at += len(head.rstrip()) or 1
                current = indent
                room = width - cell_len(current)
                if room <= 0:
                    break
            word = word[at:]
        current = current + word if empty else current + sep + word
        empty = False
    if not empty or not lines:
        lines.append(current)
    return lines


def _window(word: str, at: int, room: int) -> str:
    """Enough of ``word`` from ``at`` to be wider than ``room`` cells (or all the rest of it).

    Each piece of a long unit is measured on a window about a line long, never on the rest of
    the unit, so cutting a unit of n characters takes time in n, not n squared.
    """
    size = room + 1
    while True:
        window = word[at : at + size]
        if at + size >= len(word) or cell_len(window) > room:
            return window
        size *= 2  # zero-width characters (combining marks) take no room


def text_width(terminal: object) -> int:
    """The width text views wrap at: the terminal's (or COLUMNS); in a pipe, the width of the
    terminal a person reads it on (``wkcli check dump | less``), else 100."""
    import os

    from wkcli.output.layout import terminal_width

    sized = getattr(terminal, "width", None) or os.environ.get("COLUMNS")
    if sized or getattr(terminal, "stdout_isatty", False):
        return max(terminal_width(terminal), 20)
    if getattr(terminal, "stderr_isatty", False):
        stderr = getattr(terminal, "stderr", None)
        try:
            return max(os.get_terminal_size(stderr.fileno()).columns, 20)  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            pass
    return 100
