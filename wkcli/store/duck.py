"""Rows into DuckDB in batches (through a temporary JSONL file each), and out to Parquet or CSV with COPY."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

import duckdb

from wkcli.store.schema import TABLES, Column
from wkcli.webhook.rows import row_line

BATCH_ROWS = 50_000
MEMORY_LIMIT = "160MB"
NO_EXTENSIONS: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
SQLITE_MAGIC = b"SQLite format 3\x00"
# A message's to_uids can be long (v3 chunks hold 512, v1/v2 bodies any number): above DuckDB's
# default 16 MB per JSON object. DuckDB reserves twice this for its read buffer.
_MAX_OBJECT = 1 << 26


def usable_memory(proc: str = "/proc/self/cgroup", mount: str = "/sys/fs/cgroup") -> int:
    """Bytes of memory this process may use: the machine's, or less where its cgroup (a
    container's) sets a lower limit; 0 when neither can be told."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows), or no such name
        total = 0
    for limit in _cgroup_limits(proc, mount):
        total = min(total, limit) if total else limit
    return total


def _cgroup_limits(proc: str, mount: str) -> list[int]:
    """The memory limits of this process's cgroups, v2 (``memory.max``) and v1."""
    try:
        with open(proc, encoding="utf-8", errors="replace") as listing:
            entries = listing.read().splitlines()
    except OSError:
        return []
    limits = []
    for entry in entries:
        parts = entry.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        path = path.rstrip("/")
        if not controllers:
            names = [f"{mount}{path}/memory.max", f"{mount}/memory.max"]
        elif "memory" in controllers.split(","):
            names = [f"{mount}/memory{path}/memory.limit_in_bytes", f"{mount}/memory/memory.limit_in_bytes"]
        else:
            continue
        for name in names:  # the cgroup's own file, else the one its namespace shows at the root
            try:
                with open(name, encoding="ascii", errors="replace") as limit:
                    text = limit.read().strip()
            except OSError:
                continue
            if text.isdigit() and int(text) > 0:  # "max": no limit
                limits.append(int(text))
            break
    return limits


def _share_of_memory(fraction: float, low: int, high: int) -> str:
    """``fraction`` of the memory this process may use, kept within ``low``..``high`` MB."""
    return f"{min(high, max(low, int(usable_memory() * fraction) >> 20))}MB"


# A table loaded whole (``DuckLoader`` ``whole``) is read by every thread at once, with smaller
# buffers, and written out in input order: DuckDB holds each thread's row groups until their
# turn. Squeezed into 256 MB it stalls: 1M rows to Parquet take 3.7 s there, 1.9 s in 1 GB.
# So it gets a sixteenth of the memory wkcli may use (a container's limit, or the machine's),
# between 256 MB and 1 GB (1 GB from 16 GB up).
WHOLE_MEMORY_LIMIT = _share_of_memory(1 / 16, 256, 1024)
LONG_ROWS_MEMORY_LIMIT = _share_of_memory(1 / 8, 512, 2048)
_WHOLE_OBJECT = 1 << 24

Error = duckdb.Error


def connect(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB database file; opened to write, it loads within ``MEMORY_LIMIT`` (see ``unlimit``).

    Left to itself DuckDB keeps what it loads in memory up to 80% of RAM: a large dump would
    take hundreds of MB though every row is on its way to the file anyway.
    """
    with contextlib.suppress(OSError), open(path, "rb") as existing:
        if existing.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
            # DuckDB would fetch its SQLite extension from the network to read it.
            raise duckdb.IOException("a SQLite database, not a DuckDB one (sqlite3 reads it)")
    # No extension is fetched or loaded behind the user's back (a query naming one is an error).
    con = duckdb.connect(path, read_only=read_only, config=NO_EXTENSIONS)
    if not read_only:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    return con


def unlimit(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB's own memory limit again: for the user's query, not the load."""
    con.execute("RESET memory_limit")


def scratch(directory: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB file in ``directory`` (a temporary one): what does not fit in memory spills to disk
    there, so memory stays flat however large the dump (an in-memory database grows with it).
    """
    con = connect(os.path.join(directory, "rows.duckdb"))
    con.execute(f"SET temp_directory = {_quote(directory)}")
    return con


def create_tables(con: duckdb.DuckDBPyConnection, replace: bool = False) -> None:
    for table, columns in TABLES.items():
        body = ", ".join(f'"{c.name}" {c.duck}' for c in columns)
        verb = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE IF NOT EXISTS"
        con.execute(f'{verb} "{table}" ({body})')


def _transport(column: Column) -> tuple[str, str]:
    """How a column travels in the JSONL batch, and the expression that gives its real type."""
    if column.duck == "TIMESTAMP":
        return "BIGINT", f'make_timestamp("{column.name}")'  # integer microseconds: exact and cheap
    return column.duck, f'"{column.name}"'


class DuckLoader:
    """Streams rows into DuckDB's tables ``BATCH_ROWS`` at a time, or (the tables in ``whole``)
    all at once at the end.

    DuckDB's Python API has no appender and ``executemany`` takes milliseconds a row, while
    ``read_json`` on a file of rows is as fast as DuckDB gets; orjson writes that file. One read
    of a whole file, by all of DuckDB's threads, costs a third of the same rows in batches: the
    rows of a ``whole`` table wait on disk (in a temporary directory, never in memory) until
    ``finish`` inserts them, or a caller copies them straight out with ``select``.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        batch_rows: int = BATCH_ROWS,
        whole: tuple[str, ...] = (),
        retry: bool = True,
    ) -> None:
        self.con = con
        self.batch_rows = batch_rows
        self.whole = whole
        self.retry = retry
        self.counts = dict.fromkeys(TABLES, 0)
        self._dir = tempfile.mkdtemp(prefix="wkcli-sql-")
        self._pending = dict.fromkeys(TABLES, 0)
        self._files: dict[str, Any] = {}
        self._paths: dict[str, str] = {}
        for table in TABLES:
            path = os.path.join(self._dir, f"{table}.jsonl")
            self._paths[table] = path
            self._files[table] = open(path, "wb")  # noqa: SIM115 - kept open across batches
        # A whole table's rows never reach the batch size.
        self._limit = {name: (1 << 62) if name in whole else batch_rows for name in TABLES}

    def select(self, table: str, max_object: int = _MAX_OBJECT) -> str:
        """A SELECT of the rows in ``table``'s file, with the table's column types."""
        columns = TABLES[table]
        types = ", ".join(f"'{c.name}': '{_transport(c)[0]}'" for c in columns)
        exprs = ", ".join(f'{_transport(c)[1]} AS "{c.name}"' for c in columns)
        return (
            f"SELECT {exprs} FROM read_json({_quote(self._paths[table])}, "
            f"format='newline_delimited', columns={{{types}}}, maximum_object_size={max_object})"
        )

    def run_whole(self, table: str, statement: Callable[[str], str]) -> None:
        """Run ``statement(select)`` on a whole table's file (``select(table)``), with the memory
        a whole read takes. DuckDB grows its read buffers for very long rows (recipient lists of
        millions): with ``retry`` those are read again with more memory (not inside a
        transaction, which a failed statement ends: there the error stands, as in batches)."""
        self._files[table].flush()
        con = self.con
        reset = f"SET memory_limit = '{MEMORY_LIMIT}'"
        con.execute(f"SET memory_limit = '{WHOLE_MEMORY_LIMIT}'")
        try:
            try:
                con.execute(statement(self.select(table, _WHOLE_OBJECT)))
            except duckdb.OutOfMemoryException:
                if not self.retry:
                    raise
                con.execute(f"SET memory_limit = '{LONG_ROWS_MEMORY_LIMIT}'")
                con.execute(statement(self.select(table)))
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # an aborted transaction takes no SET: the error stands
                con.execute(reset)
            raise
        con.execute(reset)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self._files[table].write(row_line(row))
        pending = self._pending[table] + 1
        self._pending[table] = pending
        if pending >= self._limit[table]:
            self.flush(table)

    def add_lines(self, table: str, data: bytes) -> None:
        """Add rows already serialised as ``row_line`` does, whole or cut anywhere: a batch is
        loaded only after a whole line, the rest of a cut one waits in the next batch's file."""
        if not data:
            return
        out = self._files[table]
        cut = data.rfind(b"\n") + 1
        if not cut:
            out.write(data)
            return
        out.write(data[:cut] if cut < len(data) else data)
        pending = self._pending[table] + data.count(b"\n", 0, cut)
        self._pending[table] = pending
        if pending >= self._limit[table]:
            self.flush(table)
        if cut < len(data):
            out.write(data[cut:])

    def row_writer(self, table: str) -> RowWriter:
        """A file-like ``write`` that takes serialised rows into ``table`` (``add_lines``)."""
        return RowWriter(self, table)

    def flush(self, table: str) -> None:
        if not self._pending[table]:
            return
        out = self._files[table]
        if table in self.whole:
            self.run_whole(table, lambda select: f'INSERT INTO "{table}" {select}')
        else:
            out.flush()
            self.con.execute(f'INSERT INTO "{table}" {self.select(table)}')
        out.seek(0)
        out.truncate()
        self.counts[table] += self._pending[table]
        self._pending[table] = 0

    def finish(self, keep: tuple[str, ...] = ()) -> None:
        """Load what is left and remove the temporary files; the rows of the whole tables in
        ``keep`` are left in their file for the caller (``run_whole``, then ``discard``)."""
        try:
            for table in TABLES:
                if table in keep:
                    self._files[table].flush()
                    self.counts[table] += self._pending[table]
                    self._pending[table] = 0
                else:
                    self.flush(table)
        except BaseException:
            self.discard()
            raise
        if not keep:
            self.discard()

    def discard(self) -> None:
        for out in self._files.values():
            out.close()
        shutil.rmtree(self._dir, ignore_errors=True)


class RowWriter:
    """``write(data)``: rows as JSON lines into one table of a ``DuckLoader``."""

    def __init__(self, loader: DuckLoader, table: str) -> None:
        self._add = loader.add_lines
        self._table = table

    def write(self, data: bytes) -> int:
        self._add(self._table, data)
        return len(data)


def copy_statement(
    table: str, source: str, dest: str, fmt: str, partition: bool = False, append: bool = False
) -> str:
    """The COPY that writes the rows of ``source`` (a table's name, or a SELECT in brackets) with
    ``table``'s columns to ``dest`` as Parquet or CSV; with ``partition``, into
    ``dest/day=YYYY-MM-DD/``."""
    columns = TABLES[table]
    if fmt == "csv":
        # CSV has no lists: JSON text, as in SQLite.
        select = ", ".join(
            f'to_json("{c.name}") AS "{c.name}"' if c.duck.endswith("[]") else f'"{c.name}"' for c in columns
        )
        options = ["FORMAT csv", "HEADER true"]
    else:
        select = "*"
        options = ["FORMAT parquet", "COMPRESSION zstd"]
    if partition:
        select += ", strftime(\"time\", '%Y-%m-%d') AS day"
        options += ["PARTITION_BY (day)", "FILENAME_PATTERN 'part-{uuid}'"]
        if append:
            options.append("OVERWRITE_OR_IGNORE true")
    return f"COPY (SELECT {select} FROM {source}) TO {_quote(dest)} ({', '.join(options)})"


def load_file(con: duckdb.DuckDBPyConnection, table: str, path: str, fmt: str) -> None:
    """Add the rows of a Parquet or CSV file wkcli wrote before (``export --append``)."""
    if fmt == "parquet":
        source = f"read_parquet({_quote(path)})"
    else:
        types = ", ".join(
            f"'{c.name}': '{'VARCHAR' if c.duck.endswith('[]') else c.duck}'" for c in TABLES[table]
        )
        source = f"read_csv({_quote(path)}, header=true, columns={{{types}}})"
    select = ", ".join(
        f'CAST(from_json("{c.name}", \'["VARCHAR"]\') AS VARCHAR[])' if fmt == "csv" and c.duck.endswith("[]")
        else f'"{c.name}"'
        for c in TABLES[table]
    )  # fmt: skip
    con.execute(f'INSERT INTO "{table}" SELECT {select} FROM {source}')


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
