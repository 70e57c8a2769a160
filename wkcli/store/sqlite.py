"""Rows into a SQLite file with the standard library, in batches: SQLite's own types, ids kept exact."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from wkcli.store.schema import TABLES

BATCH_ROWS = 10_000
_I64_MAX = (1 << 63) - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _converters(table: str) -> list[Any]:
    """Per column, how a row value becomes what SQLite stores (None: as it is)."""
    found: list[Any] = []
    for column in TABLES[table]:
        if column.duck == "TIMESTAMP":
            found.append(_iso)
        elif column.duck.endswith("[]"):
            found.append(_json)
        elif column.duck == "UBIGINT":
            # SQLite integers are signed 64-bit: larger ids would become floats, so they are left
            # null and message_idstr is the exact key.
            found.append(_signed)
        elif column.duck == "BOOLEAN":
            found.append(_bool)
        else:
            found.append(None)
    return found


class SqliteLoader:
    """Creates (or reuses, to append) the tables and inserts rows ``BATCH_ROWS`` at a time."""

    def __init__(self, path: str) -> None:
        # Transactions by hand: one for the whole export, a savepoint per batch (see flush).
        self.con = sqlite3.connect(path, isolation_level=None)
        self.counts = dict.fromkeys(TABLES, 0)
        self._rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TABLES}
        self._names = {table: [c.name for c in columns] for table, columns in TABLES.items()}
        self._convert = {
            table: list(zip(self._names[table], _converters(table), strict=True)) for table in TABLES
        }
        self._sql = {}
        for table, columns in TABLES.items():
            body = ", ".join(f'"{c.name}" {c.sqlite}' for c in columns)
            self.con.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ({body})')
            marks = ", ".join("?" for _ in columns)
            self._sql[table] = f'INSERT INTO "{table}" VALUES ({marks})'
        self.con.execute("BEGIN")

    def add(self, table: str, row: dict[str, Any]) -> None:
        values = tuple(
            row[name] if convert is None or row[name] is None else convert(row[name])
            for name, convert in self._convert[table]
        )
        pending = self._rows[table]
        pending.append(values)
        if len(pending) >= BATCH_ROWS:
            self.flush(table)

    def flush(self, table: str) -> None:
        pending = self._rows[table]
        if not pending:
            return
        con = self.con
        con.execute("SAVEPOINT batch")
        try:
            con.executemany(self._sql[table], pending)
        except UnicodeEncodeError:
            # A lone surrogate (a valid JSON escape, not UTF-8) in some text: SQLite stores UTF-8,
            # so the batch is written again with those characters replaced.
            con.execute("ROLLBACK TO batch")
            con.executemany(self._sql[table], [tuple(map(_utf8, row)) for row in pending])
        con.execute("RELEASE batch")
        self.counts[table] += len(pending)
        pending.clear()

    def finish(self) -> None:
        try:
            for table in TABLES:
                self.flush(table)
            self.con.execute("COMMIT")
        finally:
            self.con.close()

    def discard(self) -> None:
        try:
            if self.con.in_transaction:
                self.con.execute("ROLLBACK")
        except sqlite3.ProgrammingError:
            pass  # already closed by finish
        self.con.close()


def _iso(micros: int) -> str:
    # datetime arithmetic, not utcfromtimestamp: exact to the microsecond for any year.
    return (_EPOCH + timedelta(microseconds=micros)).strftime("%Y-%m-%d %H:%M:%S.%f")


def _json(value: list[str]) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # a lone surrogate, which orjson refuses: ``flush`` replaces it as in text
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _signed(value: int) -> int | None:
    return value if value <= _I64_MAX else None


def _utf8(value: Any) -> Any:
    return value.encode("utf-8", "replace").decode("utf-8") if type(value) is str else value


def _bool(value: bool) -> int:
    return 1 if value else 0
