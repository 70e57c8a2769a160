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
        while empty and size > room > 0:  # a unit wider than a whole line
            head = set_cell_size(word, room)
            lines.append(current + head)
            word = word[len(head.rstrip()) or 1 :]
            size = cell_len(word)
            current = indent
            room = width - cell_len(current)
        current = current + word if empty else current + sep + word
        empty = False
    if not empty or not lines:
        lines.append(current)
    return lines


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
