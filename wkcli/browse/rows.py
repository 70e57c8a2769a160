"""The message list's cells (classify's columns) fitted to the width: identifiers whole or not at all."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

from wkcli.output.style import KIND_STYLES
from wkcli.output.table import EVENT_LABELS, recipient_count
from wkcli.read.index import MALFORMED, Index
from wkcli.text import display, sanitize
from wkcli.webhook.model import CMD, Message, channel_type_name
from wkcli.webhook.payload import decode_payload, preview
from wkcli.webhook.times import format_time

Cell = tuple[str, str]  # text, style
COLUMNS = ("time", "event", "kind", "channel", "from", "to", "message id", "payload")
# Widths identifiers may grow to; a longer one is shown as "…" rather than cut (a cut id misleads).
_CAPS = {"channel": 32, "from": 24, "to": 6, "message id": 24}
_FIXED = {"time": 19, "event": 7, "kind": 5}
_MIN_PREVIEW = 12
# What gives way as the terminal narrows, in order; "time" first only shortens to HH:MM:SS.
_DROP = ("time", "to", "event", "from", "channel", "message id")


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
    data = item.data
    channel = display(data.get("channel_id"))
    ctype = data.get("channel_type")
    if ctype is not None:
        channel = f"{channel} ({channel_type_name(ctype)})"
    decoded = decode_payload(data)
    event = item.event
    kind = item.kind
    to_text, to_style = recipient_count(data)
    return [
        (format_time(item.time, utc), "dim"),
        (EVENT_LABELS.get(event or "", display(event) if event else "?"), "cyan"),
        (kind + "!", "bold red") if item.anomaly else (kind, KIND_STYLES[kind]),
        (channel, ""),
        (display(data.get("from_uid")), ""),
        (to_text, to_style),
        (item.id_text, "dim" if kind != CMD else ""),
        (display(preview(decoded, 400)), "magenta" if decoded.cmd else ""),
    ]


class Layout:
    """Column widths for a terminal width; identifier columns as wide as the widest value seen."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {name: len(name) for name in _CAPS}
        self.width = 0
        self.columns: list[tuple[int, int]] = []  # (column number, width), the last is the payload
        self.short_time = False

    def measure(self, row_cells: list[Cell]) -> bool:
        """Note a row's identifier widths; True when the layout must be worked out again."""
        grew = False
        for number, name in enumerate(COLUMNS):
            cap = _CAPS.get(name)
            if cap is None:
                continue
            size = min(cell_len(row_cells[number][0]), cap)
            if size > self.seen[name]:
                self.seen[name] = size
                grew = True
        return grew

    def fit(self, width: int) -> None:
        self.width = width
        dropped: set[str] = set()
        self.short_time = False
        for step in (None, *_DROP):
            if step == "time":
                self.short_time = True
            elif step is not None:
                dropped.add(step)
            names = [name for name in COLUMNS[:-1] if name not in dropped]
            used = sum(self._width(name) + 2 for name in names)
            if used + _MIN_PREVIEW <= width or step == _DROP[-1]:
                break
        self.columns = [(COLUMNS.index(name), self._width(name)) for name in names]
        self.columns.append((len(COLUMNS) - 1, max(0, width - used)))

    def _width(self, name: str) -> int:
        if name == "time":
            return 8 if self.short_time else _FIXED["time"]
        return _FIXED.get(name) or self.seen[name]

    def line(self, row_cells: list[Cell]) -> list[Cell]:
        """The row laid out: (text, style) pieces, padded, two spaces apart, ``width`` cells in all."""
        out: list[Cell] = []
        last = len(self.columns) - 1
        wide = row_cells[2][0] == "bad"  # a malformed row's reason takes the identifiers' room too
        for position, (number, width) in enumerate(self.columns):
            text, style = row_cells[number]
            text = sanitize(text)
            if number == 0 and self.short_time and len(text) >= 19:
                text = text[11:19]
            if wide and number > 2:
                if position < last:
                    continue
                width = self.width - sum(w + 2 for n, w in self.columns if n <= 2)
            if position < last and COLUMNS[number] in _CAPS:
                if cell_len(text) > width:
                    text = "…"  # whole or not at all
            elif cell_len(text) > width:
                text = set_cell_size(text, max(width - 1, 0)) + "…" if width else ""
            out.append((set_cell_size(text, width), style))
            if position < last:
                out.append(("  ", ""))
        return out

    def header(self) -> list[Cell]:
        names = [(name, "bold") for name in COLUMNS]
        return self.line(names)
