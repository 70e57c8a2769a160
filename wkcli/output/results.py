"""Writers for SQL query results: any columns, as a table, JSONL, JSON, CSV or TSV; 64-bit ids exact."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import io
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from wkcli.output.fields import delimited_writer
from wkcli.output.terminal import Terminal
from wkcli.text import display

FORMATS = ("auto", "table", "jsonl", "json", "csv", "tsv")
# wkcli's tables hold UTC times: say so ("+00:00"); a MAP's keys (histogram()) may be numbers or dates.
_OPTS = orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS
_I64_MIN, _U64_MAX = -(1 << 63), (1 << 64) - 1


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        # DECIMAL(20,0) ids and exact sums stay numbers, digit for digit.
        return orjson.Fragment(str(value)) if value.is_finite() else None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _wide(value: Any) -> Any:
    """Integers beyond 64 bits (HUGEINT sums) as exact JSON numbers, which orjson refuses to write,
    and map keys it cannot write as text."""
    if type(value) is int and not _I64_MIN <= value <= _U64_MAX:
        return orjson.Fragment(str(value))
    if type(value) is list:
        return [_wide(item) for item in value]
    if type(value) is dict:  # keys orjson cannot write (a MAP's DECIMAL keys) as their text
        return {key if type(key) is str else str(key): _wide(item) for key, item in value.items()}
    return value


def encode(record: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(record, default=_default, option=_OPTS)
    except TypeError:
        return orjson.dumps(_wide(record), default=_default, option=_OPTS)


def cell(value: Any) -> str:
    """A value as one line of safe text (CSV, TSV, table): lists and structs as JSON."""
    if isinstance(value, (list, dict)):
        return display(encode(value).decode())  # type: ignore[arg-type]
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return display(value)


def write(terminal: Terminal, fmt: str, names: Sequence[str], batches: Iterable[list[tuple]]) -> int:
    """Write every row of ``batches`` in ``fmt`` (already resolved, not ``auto``); returns the row count."""
    if fmt == "table":
        return _table(terminal, names, batches)
    if fmt in ("csv", "tsv"):
        return _delimited(terminal, names, batches, "," if fmt == "csv" else "\t")
    out = terminal.stdout_bytes
    count = 0
    names = unique_names(names)  # an object holds each key once: a join's two "kind" columns both stay
    for batch in batches:
        chunk = []
        for row in batch:
            line = encode(dict(zip(names, row, strict=True)))
            if fmt == "json":
                line = (b",\n" if count else b"[\n") + line
            else:
                line += b"\n"
            chunk.append(line)
            count += 1
        out.write(b"".join(chunk))
    if fmt == "json":
        out.write(b"\n]\n" if count else b"[]\n")
    out.flush()
    return count


def unique_names(names: Sequence[str]) -> list[str]:
    """``names`` with each repeated one numbered after its first (``kind``, ``kind_1``), as
    DuckDB names the columns of a subquery, skipping numbers another column already has."""
    taken = set(names)
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        if name in seen:
            number = 1
            while f"{name}_{number}" in taken:
                number += 1
            name = f"{name}_{number}"
            taken.add(name)
        seen.add(name)
        out.append(name)
    return out


def _delimited(terminal: Terminal, names: Sequence[str], batches: Iterable[list[tuple]], sep: str) -> int:
    buffer = io.StringIO()
    writer = delimited_writer(buffer, sep)
    writer.writerow([display(name) for name in names])
    count = 0
    for batch in batches:
        for row in batch:
            writer.writerow([cell(value) for value in row])
            count += 1
        terminal.stdout.write(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()
    terminal.stdout.write(buffer.getvalue())
    terminal.stdout.flush()
    return count


def _table(terminal: Terminal, names: Sequence[str], batches: Iterable[list[tuple]]) -> int:
    """Rows fitted to the terminal by the one layout rule; numbers right-aligned, ids whole."""
    from wkcli.output.fields import column_for
    from wkcli.output.layout import Column, Grid, terminal_width

    out = terminal.stdout
    grid: Grid | None = None
    count = 0
    for batch in batches:
        if grid is None:
            numeric = [bool(batch) and all(_is_number(row[i]) for row in batch) for i in range(len(names))]
            columns = []
            for index, name in enumerate(names):
                column = column_for(display(name), index)
                if numeric[index]:
                    column = Column(column.name, index, whole=True, right=True)
                columns.append(column)
            grid = Grid(columns, terminal_width(terminal), terminal.color)
        lines = grid.lines([[(cell(value), "") for value in row] for row in batch], header=not count)
        if lines:
            out.write("\n".join(lines) + "\n")
        count += len(batch)
        if not count:
            grid = None  # no rows yet: the header waits for the first
    if not count:
        out.write("  ".join(display(name) for name in names) + "\n")
    out.flush()
    return count


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool))


class Results:
    """A query's answer: its column names and its rows, in batches as the engine hands them over."""

    def __init__(self, names: Sequence[str], batches: Iterable[list[tuple]]) -> None:
        self.names = names
        self.batches = batches


class _ResultsWriter:
    fmt = "jsonl"

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self.rows = 0

    @classmethod
    def open(cls, terminal: Terminal, options: object) -> _ResultsWriter:
        return cls(terminal)

    def write(self, item: Results) -> None:
        self.rows += write(self.terminal, self.fmt, item.names, item.batches)

    def flush(self) -> None:
        self.terminal.stdout.flush()

    def close(self) -> None:
        self.flush()


class ResultsTable(_ResultsWriter):
    fmt = "table"


class ResultsJsonl(_ResultsWriter):
    fmt = "jsonl"


class ResultsJson(_ResultsWriter):
    fmt = "json"


class ResultsCsv(_ResultsWriter):
    fmt = "csv"


class ResultsTsv(_ResultsWriter):
    fmt = "tsv"
