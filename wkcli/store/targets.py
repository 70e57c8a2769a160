"""Where ``wkcli export`` writes: a DuckDB or SQLite file, or Parquet/CSV files (optionally by day)."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from wkcli.errors import UsageError
from wkcli.store.schema import TABLES

FORMATS = ("parquet", "sqlite", "duckdb", "csv")
EXTENSIONS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
    ".db": "sqlite",
    ".duckdb": "duckdb",
    ".ddb": "duckdb",
    ".csv": "csv",
}
NEEDS_DUCKDB = ("parquet", "duckdb", "csv")  # SQLite is written by the standard library


def engine_errors() -> tuple[type[BaseException], ...]:
    """The errors SQLite and DuckDB raise (a file that is not a database, a full disk, ...)."""
    import sqlite3

    try:
        import duckdb
    except ImportError:
        return (sqlite3.Error,)
    return (sqlite3.Error, duckdb.Error)


def pick_format(path: str, given: str | None, partition: bool = False) -> str:
    if given is not None:
        lowered = given.lower()
        if lowered not in FORMATS:
            raise UsageError(f"--as must be one of {', '.join(FORMATS)}, not {given!r}")
        return lowered
    found = EXTENSIONS.get(os.path.splitext(path.rstrip("/"))[1].lower())
    if found is None and partition:
        return "parquet"  # a directory of day folders: what data lakes read
    if found is None:
        raise UsageError(
            f"cannot tell the format from {path!r}: name it .parquet, .sqlite (or .db), .duckdb "
            "or .csv, or say --as parquet|sqlite|duckdb|csv"
        )
    return found


def file_names(dest: str, fmt: str, partition: bool) -> dict[str, str]:
    """Where each table goes: ``messages`` in ``dest``, the others beside it (or under it, by day)."""
    if partition:
        return {table: os.path.join(dest, table) for table in TABLES}
    stem, ext = os.path.splitext(dest)
    return {table: dest if table == "messages" else f"{stem}.{table}{ext}" for table in TABLES}


class Target:
    """Opens a loader for the rows (``loader``), and ``finish`` puts them in place."""

    def __init__(self, dest: str, fmt: str, append: bool = False, partition: bool = False) -> None:
        if partition and fmt not in ("parquet", "csv"):
            raise UsageError("--partition day is for Parquet and CSV (a directory of files per day)")
        _check_writable(dest, partition)  # before any input is read
        self.dest = dest
        self.fmt = fmt
        self.append = append
        self.partition = partition
        self.written: list[str] = []
        self._created = not os.path.exists(dest)
        if not append and not self._created and not (partition and _empty_dir(dest)):
            raise UsageError(f"{dest} exists: --append adds to it; or remove it first")
        if append and fmt in ("parquet", "csv") and not partition and os.path.isdir(dest):
            raise UsageError(f"{dest} is a directory: did you mean --partition day?")
        self._work: str | None = None
        self.con: Any = None
        self.loader: Any = None
        try:
            self._open(dest, fmt, append, partition)
        except BaseException:
            self.discard()  # the scratch folder (with what --append loaded) goes too
            raise

    def _open(self, dest: str, fmt: str, append: bool, partition: bool) -> None:
        if fmt == "sqlite":
            from wkcli.store.sqlite import SqliteLoader

            self.loader = SqliteLoader(dest)
            return
        from wkcli.store import duck

        if fmt == "duckdb":
            self.con = duck.connect(dest)
            # One transaction: a failed or interrupted --append leaves the file as it was.
            self.con.execute("BEGIN")
            duck.create_tables(self.con)
        else:
            # Rows wait in a DuckDB file in a temporary directory, not in memory, until COPY writes
            # them out: Parquet is written whole, so every row must be in before it starts.
            self._work = tempfile.mkdtemp(prefix="wkcli-export-")
            self.con = duck.scratch(self._work)
            duck.create_tables(self.con)
            if append and not partition:
                for table, path in file_names(dest, fmt, False).items():
                    if os.path.exists(path):
                        duck.load_file(self.con, table, path, fmt)
        # Parquet and CSV (not added to) are copied straight from the rows' file: no table.
        self._straight = fmt in ("parquet", "csv") and not append
        self.loader = duck.DuckLoader(self.con, whole=tuple(TABLES), retry=fmt != "duckdb")

    @property
    def counts(self) -> dict[str, int]:
        return self.loader.counts

    def finish(self) -> None:
        if self.fmt == "sqlite":
            self.loader.finish()
            self.written.append(self.dest)
            return
        if self.fmt == "duckdb":
            self.loader.finish()
            self.con.execute("COMMIT")
            self.con.close()
            self.written.append(self.dest)
            return
        try:
            self.loader.finish(keep=self.loader.whole if self._straight else ())
            self._write_files()
        finally:
            self.loader.discard()
            self.con.close()
            shutil.rmtree(self._work or "", ignore_errors=True)

    def _write_files(self) -> None:
        from wkcli.store import duck

        for table, path in file_names(self.dest, self.fmt, self.partition).items():
            straight = self._straight and table in self.loader.whole
            if straight:
                rows = self.loader.counts[table]
            else:
                rows = self.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            if not rows and table != "messages":
                continue  # no presence entries or no problems: no file
            if self.partition:
                os.makedirs(path, exist_ok=True)
            # Written beside the target and renamed: a failure leaves the old file whole.
            dest = path if self.partition else path + ".wkcli-tmp"
            if straight:
                self.loader.run_whole(
                    table,
                    lambda select, table=table, dest=dest: duck.copy_statement(
                        table, f"({select})", dest, self.fmt, self.partition, self.append
                    ),
                )
            else:
                self.con.execute(
                    duck.copy_statement(table, f'"{table}"', dest, self.fmt, self.partition, self.append)
                )
            if not self.partition:
                os.replace(dest, path)
            self.written.append(path)

    def discard(self) -> None:
        """After a failure: drop what was not written; remove the target if this run created it."""
        try:
            if self.loader is not None:
                self.loader.discard()
        finally:
            if self.con is not None:
                self.con.close()
            if self._work is not None:
                shutil.rmtree(self._work, ignore_errors=True)
            if self._created and self.fmt in ("duckdb", "sqlite") and os.path.isfile(self.dest):
                os.remove(self.dest)
                if os.path.exists(self.dest + ".wal"):
                    os.remove(self.dest + ".wal")


def _check_writable(dest: str, partition: bool) -> None:
    """Refuse, before reading, a destination that cannot be written: standard output (export
    writes files), a missing or read-only folder, a file where --partition makes a folder."""
    if dest == "-":
        raise UsageError("--to names a file: export writes its tables as files (sql -o csv prints rows)")
    folder = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(folder):
        raise UsageError(f"{dest}: no such directory: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{dest}: cannot write in {folder}: permission denied")
    if partition and os.path.exists(dest) and not os.path.isdir(dest):
        raise UsageError(f"{dest} is a file: --partition day writes a directory of day folders")


def _empty_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.listdir(path)
