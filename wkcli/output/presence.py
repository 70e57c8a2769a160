"""``presence`` rows: a table fitted to the terminal, or JSONL, JSON, CSV and TSV."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, BinaryIO

from wkcli.output.fields import column_for, delimited_writer, json_text, parse_fields
from wkcli.output.layout import Cell, Column, Grid, terminal_width
from wkcli.output.messages import dumps, zoned_time
from wkcli.output.terminal import Terminal
from wkcli.text import display, sanitize
from wkcli.webhook.presence import PresenceRow
from wkcli.webhook.times import format_time

if TYPE_CHECKING:
    from wkcli.output.base import Options

# The field names of a presence row (JSON keys, CSV header, --fields).
PRESENCE_FIELDS = (
    "received", "uid", "device_flag", "device", "status", "conn_id", "device_online_count",
    "total_online_count", "entry", "source",
)  # fmt: skip
# The table's usual columns: the uid kept longest, then status and device; the source goes first.
COLUMNS = (
    Column("received", 3, whole=True, optional=True),
    Column("uid", 0, whole=True),
    Column("device", 2, whole=True),
    Column("status", 1, whole=True),
    Column("conn id", 4, whole=True),
    Column("device n", 5, whole=True, right=True),
    Column("total n", 6, whole=True, right=True),
    Column("source", 7, min=12, grow=True),
)


def presence_fields(text: str | None) -> list[str] | None:
    """``presence --fields``: names of a presence row only."""
    return parse_fields(text, PRESENCE_FIELDS, paths=False)


def _values(row: PresenceRow, fields: list[str], utc: bool) -> list[str]:
    record = row.record(utc)
    record["received"] = zoned_time(row.entry.received, utc)
    return [json_text(record.get(name)) for name in fields]


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


class PresenceJson(PresenceJsonl):
    """One JSON array, written as it goes."""

    _count = 0

    def write(self, row: PresenceRow) -> None:
        self.out.write((b",\n" if self._count else b"[\n") + dumps(row.record(self.utc)))
        self._count += 1

    def close(self) -> None:
        self.out.write(b"\n]\n" if self._count else b"[]\n")
        self.out.flush()


class PresenceCsv:
    """A header row, then one row per entry (``--fields`` picks the columns)."""

    delimiter = ","

    def __init__(self, terminal: Terminal, options: Options) -> None:
        self.out = terminal.stdout
        self.utc = options.utc
        self.fields = options.fields or list(PRESENCE_FIELDS)
        self._writer = delimited_writer(self.out, self.delimiter)
        self._writer.writerow(self.fields)

    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> PresenceCsv:
        return cls(terminal, options)

    def write(self, row: PresenceRow) -> None:
        # json_text escapes control characters (tabs and newlines too, which TSV needs).
        self._writer.writerow(_values(row, self.fields, self.utc))

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class PresenceTsv(PresenceCsv):
    delimiter = "\t"


class PresenceTable:
    """Presence entries as rows fitted to the terminal, printed in batches as input arrives."""

    def __init__(self, terminal: Terminal, utc: bool = False, fields: list[str] | None = None) -> None:
        self.out = terminal.stdout
        self.utc = utc
        self.fields = fields
        columns = [column_for(name, i) for i, name in enumerate(fields)] if fields else list(COLUMNS)
        self.grid = Grid(columns, terminal_width(terminal), terminal.color)
        self._rows: list[list[Cell]] = []
        self._header_done = False
        self._last_flush = time.monotonic()

    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> PresenceTable:
        return cls(terminal, options.utc, options.fields)

    def write(self, row: PresenceRow) -> None:
        if self.fields:
            self._rows.append([(text, "") for text in _values(row, self.fields, self.utc)])
        else:
            parsed = row.parsed
            self._rows.append(
                [
                    (format_time(row.entry.received, self.utc), "dim"),
                    (display(parsed.uid), ""),
                    (display(parsed.device), ""),
                    ("online", "green") if parsed.online else ("offline", "dim"),
                    (display(parsed.conn_id), ""),
                    (display(parsed.device_online_count), ""),
                    (display(parsed.total_online_count), ""),
                    (sanitize(str(row.entry.origin)), "dim"),
                ]
            )
        if len(self._rows) >= 100 or time.monotonic() - self._last_flush > 0.25:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self._print()
        self._last_flush = time.monotonic()
        self.out.flush()

    def close(self) -> None:
        if self._rows or not self._header_done:
            self._print()
        self.out.flush()

    def _print(self) -> None:
        lines = self.grid.lines(self._rows, header=not self._header_done)
        self._rows = []
        self._header_done = True
        if lines:
            self.out.write("\n".join(lines) + "\n")
