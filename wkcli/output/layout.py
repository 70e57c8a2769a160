"""Fitting tables to the terminal: columns with priorities and limits, identifiers whole or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

from wkcli.output.style import RESET, sgr
from wkcli.text import sanitize

GAP = 2  # spaces between columns
ELLIPSIS = "…"

# A cell as a view hands it over: its text and a style name from the one style table.
Cell = tuple[str, str]


@dataclass(frozen=True)
class Column:
    """One column of a table and how it gives way when the terminal is narrow.

    ``priority`` 0 is kept longest; the highest number shrinks first and is dropped first.
    ``whole`` marks identifiers (message ids, uids, channel ids): a cut one looks like another
    and cannot be pasted back into a filter, so such a column is as wide as its widest cell or
    is not shown. Other columns shrink (down to ``min``) with an ellipsis. ``grow`` columns take
    what room is left once the others have theirs (the payload preview).
    """

    name: str
    priority: int
    min: int = 4
    max: int | None = None
    whole: bool = False
    right: bool = False
    grow: bool = False
    # Left out when the first rows have nothing in it (a receive time a plain dump never has).
    optional: bool = False


def fit(
    columns: Sequence[Column],
    natural: Sequence[int],
    width: int,
    shown: Sequence[bool] | None = None,
    left_out: Sequence[bool] = (),
) -> list[int]:
    """Each column's width (0: dropped) so that the shown columns and their gaps fit ``width``.

    ``natural`` is how wide each column's cells (header included) would like to be. Columns are
    taken in order of priority while their narrowest form still fits; the room left goes first
    to the more important columns, then to the growing ones. ``shown`` fixes which columns are
    shown (a table already under way keeps its header): whole columns that no longer fit then
    keep what they can get, and their cells that are too wide are left out (``…``). Columns
    marked in ``left_out`` are not shown whatever the room.
    """
    need = [n if c.whole else min(c.min, n) for c, n in zip(columns, natural, strict=True)]
    want = [n if c.whole or c.max is None else min(n, c.max) for c, n in zip(columns, natural, strict=True)]
    order = sorted(range(len(columns)), key=lambda i: (columns[i].priority, i))
    widths = [0] * len(columns)
    used = -GAP
    for i in order:
        if shown is not None:
            take = shown[i]
        elif i < len(left_out) and left_out[i]:
            take = False
        else:
            take = used + GAP + need[i] <= width
        if take:
            widths[i] = max(need[i], 1)
            used += GAP + widths[i]
    if used > width:  # only when ``shown`` is fixed: give way, growing columns first
        for i in sorted(order, key=lambda i: (not columns[i].grow, -columns[i].priority)):
            if widths[i]:
                cut = min(used - width, widths[i] - 1)
                widths[i] -= cut
                used -= cut
    for grow in (False, True):
        for i in order:
            if widths[i] and columns[i].grow is grow and width > used:
                more = min(want[i] - widths[i], width - used)
                if more > 0:
                    widths[i] += more
                    used += more
    return widths


def natural_widths(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> list[int]:
    """How wide each column would like to be for ``rows``: its widest cell, or its header."""
    widths = [cell_len(column.name) for column in columns]
    for row in rows:
        for index, (text, _) in enumerate(row):
            size = cell_len(text)
            if size > widths[index]:
                widths[index] = size
    return widths


class Grid:
    """Lays rows out at widths chosen by ``fit``; rows are written as text with SGR codes.

    A rich Table measures every cell again for every batch (it managed ~2,000 rows/s), so rows
    are laid out here. Widths are counted in terminal cells, so CJK text lines up. Widths only
    grow from batch to batch (so columns move rarely), and the columns shown stay those of the
    first batch, under the header printed with it.
    """

    def __init__(self, columns: Sequence[Column], width: int, color: bool) -> None:
        self.columns = list(columns)
        self.width = max(width, 20)
        self.color = color
        self._natural = [0] * len(self.columns)
        self._shown: list[bool] | None = None
        self.widths: list[int] = []

    def lines(self, rows: Sequence[Sequence[Cell]], header: bool = False) -> list[str]:
        """Lay out one batch: every cell escaped, the header first when asked."""
        rows = [[(sanitize(text), style) for text, style in row] for row in rows]
        batch = natural_widths(self.columns, rows)
        self._natural = [max(a, b) for a, b in zip(self._natural, batch, strict=True)]
        empty: Sequence[bool] = ()
        if self._shown is None:
            empty = [c.optional and bool(rows) and not any(row[i][0] for row in rows)
                     for i, c in enumerate(self.columns)]  # fmt: skip
        self.widths = fit(self.columns, self._natural, self.width, self._shown, empty)
        if self._shown is None:
            self._shown = [bool(w) for w in self.widths]
        out = [self._line([(c.name, "bold") for c in self.columns])] if header else []
        out += [self._line(row) for row in rows]
        return out

    def _line(self, cells: Sequence[Cell]) -> str:
        parts = []
        color = self.color
        last = max((i for i, w in enumerate(self.widths) if w), default=-1)
        laid = zip(cells, self.widths, self.columns, strict=True)
        for index, ((text, style), width, column) in enumerate(laid):
            if not width:
                continue
            size = cell_len(text)
            if size > width:
                if column.whole:
                    text = ELLIPSIS  # an identifier is shown whole or not at all
                else:
                    text = set_cell_size(text, width - 1).rstrip() + ELLIPSIS
                size = cell_len(text)
            gap = " " * (width - size)
            if color and style and text:
                text = f"{sgr(style)}{text}{RESET}"
            if column.right:
                parts.append(gap + text)
            else:
                parts.append(text if index == last else text + gap)
        return (" " * GAP).join(parts).rstrip()


def table_lines(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int, color: bool
) -> list[str]:
    """A whole table (header and rows) fitted to ``width``, as lines."""
    return Grid(columns, width, color).lines(rows, header=True)


def terminal_width(terminal: object) -> int:
    """The width to fit: the Terminal's own, else what rich finds (COLUMNS, the tty), else 160 in a pipe."""
    from wkcli.output.console import make_console

    return make_console(terminal).width  # type: ignore[arg-type]
