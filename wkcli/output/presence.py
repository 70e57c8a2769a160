"""``presence`` rows: an aligned table on a terminal, one JSON object per entry in a pipe."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, BinaryIO

from wkcli.output.console import Cell, Table, make_console
from wkcli.output.messages import dumps
from wkcli.output.terminal import Terminal
from wkcli.text import display
from wkcli.webhook.presence import PresenceRow
from wkcli.webhook.times import format_time

if TYPE_CHECKING:
    from wkcli.output.base import Options

PRESENCE_COLUMNS = ("received", "uid", "device", "status", "conn id", "device n", "total n", "source")
_WIDTHS = (19, None, 7, 7, None, 8, 7, None)


class PresenceJsonl:
    """One JSON object per presence entry."""

    def __init__(self, out: BinaryIO, utc: bool = False) -> None:
        self.out = out
        self.utc = utc

    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> PresenceJsonl:
        return cls(terminal.stdout_bytes, options.utc)

    def write(self, row: PresenceRow) -> None:
        self.out.write(dumps(row.record(self.utc)) + b"\n")

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class PresenceTable:
    """Presence entries as aligned rows, printed in batches so they appear as input arrives."""

    def __init__(self, terminal: Terminal, utc: bool = False) -> None:
        self.console = make_console(terminal)
        self.utc = utc
        self._rows: list[list[Cell]] = []
        self._header_done = False
        self._last_flush = time.monotonic()

    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> PresenceTable:
        return cls(terminal, options.utc)

    def write(self, row: PresenceRow) -> None:
        parsed = row.parsed
        self._rows.append(
            [
                (format_time(row.entry.received, self.utc), "dim"),
                display(parsed.uid),
                display(parsed.device),
                ("online", "green") if parsed.online else ("offline", "dim"),
                display(parsed.conn_id),
                display(parsed.device_online_count),
                display(parsed.total_online_count),
                (display(str(row.entry.origin)), "dim"),
            ]
        )
        if len(self._rows) >= 100 or time.monotonic() - self._last_flush > 0.25:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self._print()
        self._last_flush = time.monotonic()
        self.console.file.flush()

    def close(self) -> None:
        if self._rows or not self._header_done:
            self._print()
        self.console.file.flush()

    def _print(self) -> None:
        table = Table(box=None, show_header=not self._header_done, header_style="bold", pad_edge=False)
        for name, width in zip(PRESENCE_COLUMNS, _WIDTHS, strict=True):
            table.add_column(name, min_width=width, no_wrap=True, overflow="ellipsis")
        for row in self._rows:
            table.add_row(*row)
        self._rows = []
        self._header_done = True
        self.console.print(table.rich)
