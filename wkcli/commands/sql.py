"""``wkcli sql``: run SQL over dumps (messages, presence, problems) on an embedded DuckDB."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Annotated, Any, Optional

import typer

from wkcli.commands import options
from wkcli.commands.export import NoChecks, need_duckdb
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode, UsageError
from wkcli.output.base import RESULTS, pick_format
from wkcli.read.reader import Reader
from wkcli.webhook.filters import Criteria

BATCH = 10_000

Query = Annotated[
    Optional[str],
    typer.Argument(help="The SQL, e.g. \"SELECT kind, count(*) FROM messages GROUP BY kind\".",
                   show_default=False, metavar="QUERY"),
]  # fmt: skip
Db = Annotated[
    Optional[str],
    typer.Option(
        "--db",
        metavar="FILE",
        help="Keep the tables in this DuckDB file: with PATHs they are (re)loaded into it; without, "
        "FILE is queried as it is and no input is read.",
        rich_help_panel=options.INPUT,
        show_default=False,
    ),
]
Schema = Annotated[
    bool,
    typer.Option("--schema", help="Print the tables and their columns, with what each means, and exit.",
                 rich_help_panel=options.OUTPUT),
]  # fmt: skip
Format = Annotated[
    str,
    typer.Option("--format", "-o", metavar="FORMAT",
                 help=RESULTS.help(),
                 rich_help_panel=options.OUTPUT),
]  # fmt: skip


@guarded
@options.filtered()
def sql(
    query: Query = None,
    paths: options.Paths = None,
    db: Db = None,
    schema: Schema = False,
    fmt: Format = "auto",
    dedupe: Annotated[
        bool, typer.Option("--dedupe", help="One messages row per message.", rich_help_panel=options.FILTERS)
    ] = False,
    no_checks: NoChecks = False,
    criteria: Criteria = options.NO_FILTERS,
    input_format: options.InputFormat = "auto",
    max_line: options.MaxLine = options.DEFAULT_MAX_LINE,
    strict: options.Strict = False,
    color: options.Color = "auto",
    quiet: options.Quiet = False,
    jobs: options.Jobs = None,
) -> ExitCode:
    """Run SQL over dumps: tables messages, presence and problems, on an embedded DuckDB.

    Example: `wkcli sql "SELECT kind, count(*) FROM messages GROUP BY kind" dump.jsonl`

    The dumps are read as every wkcli command reads them (filters apply) and streamed into the
    tables; `--schema` lists the columns. message_id is an exact UBIGINT and comes out as an exact
    JSON number. Times are UTC timestamps. `--db FILE` keeps the tables for later queries:
    `wkcli sql --db dump.duckdb "..."` then reads no input. A SQL error is one line, exit 2.
    """
    if schema:
        from wkcli.store.schema import describe

        session = Session(color, quiet)
        session.terminal.stdout.write(describe())
        session.terminal.stdout.flush()
        return ExitCode.OK
    if not query:
        raise UsageError('no query: wkcli sql "SELECT kind, count(*) FROM messages GROUP BY kind" dump.jsonl')
    need_duckdb("wkcli sql")
    from wkcli.output import results
    from wkcli.store import duck

    session = Session(color, quiet)
    out_format = pick_format(RESULTS, fmt, session.terminal)
    with contextlib.ExitStack() as cleanup:  # closes the database, then removes a scratch one
        if db is not None and not paths:
            if not os.path.exists(db):
                raise UsageError(f"{db} does not exist: load it first with wkcli sql --db {db} QUERY PATH...")
            if criteria.selects() or criteria.limit is not None:
                raise UsageError("filters apply to the dumps read: with --db alone, put them in the query")
            con = _connect(db, read_only=True)
            cleanup.callback(con.close)
            code = ExitCode.OK
        else:
            reader = session.reader(
                paths, criteria, input_format, strict, jobs=jobs, progress=True, max_line=max_line
            )
            if db is None:
                import shutil
                import tempfile  # here: tempfile costs every wkcli start 2 ms

                work = tempfile.mkdtemp(prefix="wkcli-sql-")
                cleanup.callback(shutil.rmtree, work, ignore_errors=True)
                con = _guard(lambda: duck.scratch(work))
            else:
                con = _connect(db)
            cleanup.callback(con.close)
            code = _load(session, reader, con, dedupe, not no_checks)
            _guard(lambda: duck.unlimit(con))
        cursor = _guard(lambda: con.execute(query))
        if cursor.description is not None:  # None: a statement without rows (CREATE ... in --db)
            names = [column[0] for column in cursor.description]
            writer = RESULTS.open(out_format, session.terminal)
            writer.write(results.Results(names, _batches(cursor)))
            writer.close()
    return code


def _load(session: Session, reader: Reader, con: Any, dedupe: bool, checks: bool) -> ExitCode:
    from wkcli.store import duck
    from wkcli.store.feed import feed, record_errors
    from wkcli.store.schema import TABLES

    # One transaction: a --db file keeps its previous tables if loading fails or is interrupted.
    _guard(lambda: con.execute("BEGIN"))
    _guard(lambda: duck.create_tables(con, replace=True))
    # Each table's rows wait on disk and are read once at the end, as export's (inside the
    # transaction, a read short of memory is an error, not tried again).
    loader = duck.DuckLoader(con, whole=tuple(TABLES), retry=False)
    record_errors(session.diagnostics, loader)
    try:
        feed(reader, loader, dedupe, checks)
        session.status("loading the tables")
        _guard(loader.finish)
        _guard(lambda: con.execute("COMMIT"))
    except BaseException:
        loader.discard()
        raise
    finally:
        session.reading_done()
    return session.finish(reader)


def _batches(cursor: Any) -> Iterator[list[tuple]]:
    while True:
        rows = _guard(lambda: cursor.fetchmany(BATCH))
        if not rows:
            return
        yield rows


def _connect(db: str, read_only: bool = False) -> Any:
    """The ``--db`` file opened; an error naming it (locked, not a database) when it cannot be."""
    from wkcli.store import duck

    try:
        return duck.connect(db, read_only=read_only)
    except duck.Error as exc:
        raise UsageError(f"{db}: " + " ".join(str(exc).split())) from None


def _guard(call: Any) -> Any:
    """Run a DuckDB call; its errors become one line (DuckDB's own message) and exit 2."""
    from wkcli.store.duck import Error

    try:
        return call()
    except Error as exc:
        raise UsageError(one_line(exc)) from None


def one_line(exc: BaseException) -> str:
    return "SQL: " + " ".join(str(exc).split())
