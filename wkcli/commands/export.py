"""``wkcli export``: dumps as tables (messages, presence, problems) in Parquet, SQLite, DuckDB or CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from wkcli.commands import options
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode, OutputError, UsageError
from wkcli.read.accounting import plural
from wkcli.webhook.filters import Criteria

if TYPE_CHECKING:
    from wkcli.read.reader import Reader
    from wkcli.store.targets import Target

SQL_EXTRA = "pip install 'wkcli[sql]'"

To = Annotated[
    str,
    typer.Option(
        "--to", metavar="FILE",
        help="Where to write: .parquet, .sqlite/.db, .duckdb or .csv (or say --as). Parquet and CSV "
        "put presence and problems beside it (FILE.presence.parquet, FILE.problems.parquet).",
        rich_help_panel=options.OUTPUT, show_default=False,
    ),
]  # fmt: skip
As = Annotated[
    Optional[str],
    typer.Option("--as", metavar="FORMAT", help="parquet, sqlite, duckdb or csv, whatever FILE is called.",
                 rich_help_panel=options.OUTPUT),
]  # fmt: skip
Append = Annotated[
    bool,
    typer.Option("--append", help="Add to an existing FILE (Parquet and CSV files are rewritten whole; "
                 "a --partition day directory gets new files).", rich_help_panel=options.OUTPUT),
]  # fmt: skip
Partition = Annotated[
    Optional[str],
    typer.Option(
        "--partition",
        metavar="day",
        help="Parquet/CSV: FILE is a directory, one folder per table and day, hive-style "
        "(FILE/messages/day=2026-07-30/part-*.parquet), as data lakes and every engine read it.",
        rich_help_panel=options.OUTPUT,
    ),
]
Dedupe = Annotated[
    bool,
    typer.Option("--dedupe", help="One messages row per message (by message_id, else client_msg_no), "
                 "however often it was delivered; problems still list the duplicates.",
                 rich_help_panel=options.FILTERS),
]  # fmt: skip
NoChecks = Annotated[
    bool,
    typer.Option("--no-checks", help="Leave wkcli check's findings out of the problems table (faster; "
                 "malformed records are still listed).", rich_help_panel=options.OUTPUT),
]  # fmt: skip


def need_duckdb(what: str) -> None:
    """Fail with how to install DuckDB when it is missing (it is the optional extra ``sql``)."""
    try:
        import duckdb  # noqa: F401
    except ImportError:
        raise UsageError(f"{what} needs DuckDB, which is not installed: {SQL_EXTRA}") from None


@guarded
@options.filtered()
def export(
    paths: options.Paths = None,
    to: To = "",
    as_: As = None,
    append: Append = False,
    partition: Partition = None,
    dedupe: Dedupe = False,
    no_checks: NoChecks = False,
    criteria: Criteria = options.NO_FILTERS,
    input_format: options.InputFormat = "auto",
    max_line: options.MaxLine = options.DEFAULT_MAX_LINE,
    strict: options.Strict = False,
    color: options.Color = "auto",
    quiet: options.Quiet = False,
    utc: options.Utc = False,
    jobs: options.Jobs = None,
    cluster: options.Cluster = None,
) -> ExitCode:
    """Write dumps as tables for SQL engines: messages, presence and problems.

    Example: `wkcli export dump.jsonl --to dump.parquet`

    messages has one typed row per message per delivery (time as a UTC timestamp, exact 64-bit
    message_id, kind cmd/chat, flags, payload type, cmd, preview, recipients ...); presence one per
    user.onlinestatus entry; problems the malformed records and every finding of `wkcli check`.
    `wkcli sql --schema` describes every column. The format comes from FILE's extension or --as.
    Times are stored in UTC (--utc changes nothing here).
    """
    from wkcli.store.targets import NEEDS_DUCKDB, Target, engine_errors, pick_format

    if not to:
        raise UsageError("--to FILE is required: where to write (.parquet, .sqlite, .duckdb, .csv)")
    if partition is not None and partition != "day":
        raise UsageError(f"--partition takes 'day', not {partition!r}")
    fmt = pick_format(to, as_, partition is not None)
    if fmt in NEEDS_DUCKDB:
        need_duckdb(f"export to {fmt}")
    session = Session(color, quiet)
    reader = session.reader(
        paths,
        criteria,
        input_format,
        strict,
        jobs=jobs,
        progress=True,
        max_line=max_line,
        cluster=cluster,
        writes=[to],
    )
    try:
        target = Target(to, fmt, append=append, partition=partition is not None)
        return load(session, reader, target, dedupe, not no_checks, to)
    except OSError as exc:  # writing the target, a day folder, or the rows waiting in TMPDIR
        import tempfile  # here: it costs every wkcli start 2 ms

        where = exc.filename or f"the temporary folder {tempfile.gettempdir()} (TMPDIR), where rows wait"
        raise OutputError(f"{to}: {exc.strerror or exc}: {where}") from None
    except engine_errors() as exc:  # a file --append cannot take, or DuckDB's own failure to write
        text = " ".join(str(exc).split())
        failure = OutputError if "No space left on device" in text else UsageError
        raise failure(f"{to}: {text}") from None


def load(session: Session, reader: Reader, target: Target, dedupe: bool, checks: bool, name: str) -> ExitCode:
    """Stream the reader into ``target`` (anything with a ``loader``, ``finish`` and ``discard``)."""
    from wkcli.store.feed import feed, record_errors

    record_errors(session.diagnostics, target.loader)
    try:
        feed(reader, target.loader, dedupe, checks)
        if reader.stats.unreadable and not reader.stats.files:
            target.discard()  # no input could be read (a mistyped path): no empty tables either
            return session.finish(reader)
        session.status(f"writing {name}")  # DuckDB reads the rows and writes the file: seconds
        target.finish()
    except BaseException:
        target.discard()
        raise
    finally:
        session.reading_done()
    counts = target.counts
    session.diagnostics.note(
        f"wrote {plural(counts['messages'], 'message')}, "
        f"{plural(counts['presence'], 'presence entry', 'presence entries')} and "
        f"{plural(counts['problems'], 'problem')} to {name}"
    )
    return session.finish(reader)
