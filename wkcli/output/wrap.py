"""Wrapping text views to the terminal's width at word boundaries, so identifiers stay whole."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size


def wrap_words(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    """``text`` as lines of at most ``width`` cells, broken between words.

    The first line starts with ``first`` (``indent`` if not given), the others with ``indent``.
    A word is only broken when it is wider than a whole line, which no identifier is at the
    widths wkcli is used at (60 columns and up).
    """
    lead = indent if first is None else first
    lines: list[str] = []
    current = lead
    empty = True
    for word in text.split(" "):
        if not word:
            continue
        size = cell_len(word)
        if not empty and cell_len(current) + 1 + size > width:
            lines.append(current)
            current, empty = indent, True
        room = width - cell_len(current) - (0 if empty else 1)
        while size > room and empty and room > 0:  # a word wider than a whole line
            lines.append(current + set_cell_size(word, room))
            word = word[len(set_cell_size(word, room)) :]
            size = cell_len(word)
            current = indent
            room = width - cell_len(current)
        current = current + word if empty else f"{current} {word}"
        empty = False
    if not empty or not lines:
        lines.append(current)
    return lines
