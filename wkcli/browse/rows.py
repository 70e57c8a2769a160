"""The message list's cells and their layout: classify's columns, fitted by the one table layout engine."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

from wkcli.output.layout import ELLIPSIS, GAP, fit, natural_widths
from wkcli.output.table import COLUMNS, message_cells
from wkcli.read.index import MALFORMED, Index
from wkcli.text import sanitize
from wkcli.webhook.model import Message

Cell = tuple[str, str]  # text, style
_KIND = [column.name for column in COLUMNS].index("kind")
_PAYLOAD = len(COLUMNS) - 1
_ROOMY = 10_000


def cells(index: Index, row: int, utc: bool) -> list[Cell]:
    """The row's cells, one per column of ``COLUMNS`` (a malformed row: where and why, as the payload)."""
    if index.kinds[row] & 15 == MALFORMED:
        where, reason = index.errors.get(row, ("?", "?"))
        return [
            ("", ""),
            ("", ""),
            ("bad", "bold red"),
            ("", ""),
            ("", ""),
            ("", ""),
            ("", ""),
            (f"{where}: {reason}", "red"),
        ]
    item = index.item(row)
    if type(item) is not Message:
        return [("", "")] * len(COLUMNS)
    return message_cells(item, utc)


class Layout:
    """The columns of ``classify``'s table fitted to a width by the one layout engine.

    Columns keep classify's priorities (identifiers whole or not at all, the payload preview takes
    what is left); their widths follow the widest cells drawn so far, so columns move only when a
    wider identifier scrolls into view.
    """

    def __init__(self) -> None:
        self.natural = natural_widths(COLUMNS, [])
        self.natural[_PAYLOAD] = _ROOMY  # the preview takes whatever room the others leave
        self.width = 0
        self.widths: list[int] = [0] * len(COLUMNS)

    def measure(self, row_cells: list[Cell]) -> bool:
        """Note a row's cell widths; True when the layout must be worked out again."""
        if row_cells[_KIND][0] == "bad":
            return False  # a malformed row's reason is laid over the columns: it sizes none
        grew = False
        natural = self.natural
        for number, (text, _) in enumerate(row_cells):
            size = cell_len(sanitize(text))
            if size > natural[number] and number != _PAYLOAD:
                natural[number] = size
                grew = True
        return grew

    def fit(self, width: int) -> None:
        self.width = width
        self.widths = fit(COLUMNS, self.natural, width)

    def line(self, row_cells: list[Cell]) -> list[Cell]:
        """The row laid out: (text, style) pieces, padded, two spaces apart, at most ``width`` cells."""
        out: list[Cell] = []
        used = 0
        wide = row_cells[_KIND][0] == "bad"  # a malformed row's reason takes the columns after kind
        for number, (column, width) in enumerate(zip(COLUMNS, self.widths, strict=True)):
            if not width:
                continue
            spanned = wide and number > _KIND
            text, style = row_cells[_PAYLOAD] if spanned else row_cells[number]
            whole, right = column.whole and not spanned, column.right and not spanned
            if spanned:
                width = max(self.width - used - (GAP if out else 0), 0)
            if out:
                out.append((" " * GAP, ""))
                used += GAP
            text = sanitize(text)
            size = cell_len(text)
            if size > width:
                if whole:
                    text = ELLIPSIS  # an identifier is shown whole or not at all
                else:
                    text = set_cell_size(text, max(width - 1, 0)).rstrip() + ELLIPSIS if width else ""
                size = cell_len(text)
            pad = " " * max(width - size, 0)
            out.append((pad + text, style) if right else (text + pad, style))
            used += width
            if spanned:
                break
        return out

    def header(self) -> list[Cell]:
        return self.line([(column.name, "bold") for column in COLUMNS])
