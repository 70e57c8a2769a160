"""``wkcli count``: CMD and chat totals, optionally grouped by fields."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wkcli.commands import common
from wkcli.errors import ExitCode, UsageError
from wkcli.filters import Criteria, split_values
from wkcli.output import counts
from wkcli.tally import Tally

FORMATS = ("auto", "table", "json", "csv", "tsv")

By = Annotated[
    Optional[list[str]],
    typer.Option(
        "--by",
        "-b",
        metavar="FIELD",
        help="Group by this field (repeatable): event, kind, channel_id, channel_type, from_uid, "
        "file, hour, day, minute, or any field path such as header.red_dot.",
    ),
]
Format = Annotated[
    str,
    typer.Option(
        "--format",
        "-o",
        metavar="FORMAT",
        help="table (default on a terminal), json (default in a pipe), csv, tsv.",
        rich_help_panel=common.OUTPUT,
    ),
]
Jobs = Annotated[
    Optional[int],
    typer.Option(
        "--jobs",
        "-j",
        metavar="N",
        help="Processes for a regular file of 64 MiB or more (default: one per core, but one for "
        "classify output above 2 GiB; 1 reads in one process). Results, output order and line "
        "numbers are the same either way.",
        rich_help_panel=common.INPUT,
    ),
]


@common.guarded
def count(
    paths: common.Paths = None,
    by: By = None,
    kind: common.Kind = None,
    event: common.Event = None,
    channel: common.Channel = None,
    channel_type: common.ChannelType = None,
    sender: common.Sender = None,
    since: common.Since = None,
    until: common.Until = None,
    limit: common.Limit = None,
    fmt: Format = "auto",
    input_format: common.InputFormat = "auto",
    strict: common.Strict = False,
    color: common.Color = "auto",
    quiet: common.Quiet = False,
    utc: common.Utc = False,
    follow: common.Follow = False,
    jobs: Jobs = None,
) -> ExitCode:
    """Count CMD and chat messages, presence entries and bad records.

    Example: `wkcli count dump.jsonl.gz --by event --by kind`

    With --by, prints one row per group, largest first. --format json prints one object with
    "cmd", "chat", "messages", "presence", "records", "malformed" and "anomalies" (and "groups").
    With --follow the file is watched as it grows: on a terminal the totals are redrawn in
    place; in a pipe (or with -o json) that object is printed again as a line whenever it changes.
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    session = common.Session(color, quiet)
    criteria = Criteria.from_options(kind, event, channel, channel_type, sender, since, until, limit)
    tally = Tally(split_values(by), utc=utc)
    reader = session.reader(paths, criteria, input_format, strict, follow=follow)
    reader.jobs = check_jobs(jobs)
    if follow:
        return _follow(session, reader, tally, fmt)
    bar = attach_progress(session, reader, quiet)
    reader.count_into(tally)
    if bar is not None:
        bar.clear()
    report = counts.count_report(tally, reader.stats)
    terminal = session.terminal
    if fmt == "auto":
        fmt = "table" if terminal.stdout_isatty else "json"
    if fmt == "json":
        counts.write_json(terminal, report)
    elif fmt in ("csv", "tsv"):
        counts.write_csv(terminal, tally, report, "," if fmt == "csv" else "\t")
    else:
        counts.write_table(terminal, tally, report)
    return session.finish(reader)


def attach_progress(session: common.Session, reader, quiet: bool):
    """A progress line on stderr for large files, when stderr is a terminal (never in pipes).

    Returns it (to ``clear()`` when reading is done), or None. Diagnostics clear it first.
    """
    terminal = session.terminal
    if quiet or not terminal.stderr_isatty:
        return None
    from wkcli.output.progress import ProgressLine

    bar = ProgressLine(terminal.stderr)
    reader.progress = bar.update
    previous = session.diagnostics.before_emit

    def before_emit() -> None:
        bar.clear()
        if previous is not None:
            previous()

    session.diagnostics.before_emit = before_emit
    return bar


def check_jobs(jobs: int | None) -> int | None:
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, not {jobs}")
    return jobs


def _follow(session: common.Session, reader, tally: Tally, fmt: str) -> ExitCode:
    """--follow: totals redrawn in place on a terminal; elsewhere (or -o json) a JSON line per change."""
    from wkcli.output.live import FollowedCounts, render_counts

    if fmt in ("csv", "tsv"):
        raise UsageError("--follow prints a table on a terminal or JSON lines; not --format " + fmt)
    live = session.terminal.stdout_isatty and fmt in ("auto", "table")

    def report() -> dict:
        return counts.count_report(tally, reader.stats)

    view = FollowedCounts(session.terminal, lambda: render_counts(report()), report, live=live)
    reader.on_wait = view.refresh
    with view:
        for item in reader:
            tally.add(item)
    return session.finish(reader)
