"""``wkcli count``: CMD and chat totals, optionally grouped by fields."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wkcli.commands import common
from wkcli.errors import ExitCode, UsageError
from wkcli.webhook.filters import Criteria, split_values
from wkcli.output import counts
from wkcli.webhook.tally import Tally

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
    max_line: common.MaxLine = common.DEFAULT_MAX_LINE,
    color: common.Color = "auto",
    quiet: common.Quiet = False,
    utc: common.Utc = False,
    follow: common.Follow = False,
    jobs: common.Jobs = None,
) -> ExitCode:
    """Count CMD and chat messages, presence entries and bad records.

    Example: `wkcli count dump.jsonl.gz --by event --by kind`

    With --by, prints one row per group, largest first. --format json prints one object with
    "cmd", "chat", "messages", "presence", "records", "malformed" and "anomalies" (and "groups").
    With --follow the file is watched as it grows: on a terminal the totals are redrawn in
    place; in a pipe (or with -o json) that object is printed again as a line whenever it changes.
    """
    session = common.Session(color, quiet)
    fmt = common.pick_format(fmt, FORMATS, session.terminal, "table", "json")
    criteria = Criteria.from_options(kind, event, channel, channel_type, sender, since, until, limit)
    tally = Tally(split_values(by), utc=utc)
    if follow:
        return _follow(session, tally, fmt, paths, criteria, input_format, strict, jobs, max_line)
    bar = common.progress_line(session, quiet)
    reader = session.reader(
        paths, criteria, input_format, strict, jobs=jobs, progress=bar.update if bar is not None else None,
        max_line=max_line,
    )
    try:
        reader.count_into(tally)
    finally:
        if bar is not None:
            bar.clear()  # also when interrupted: the account follows on the same terminal
    report = counts.count_report(tally, reader.stats)
    terminal = session.terminal
    if fmt == "json":
        counts.write_json(terminal, report)
    elif fmt in ("csv", "tsv"):
        counts.write_csv(terminal, tally, report, "," if fmt == "csv" else "\t")
    else:
        counts.write_table(terminal, tally, report)
    return session.finish(reader)


def _follow(
    session: common.Session,
    tally: Tally,
    fmt: str,
    paths: list[str] | None,
    criteria: Criteria,
    input_format: str,
    strict: bool,
    jobs: int | None,
    max_line: str,
) -> ExitCode:
    """--follow: totals redrawn in place on a terminal; elsewhere (or -o json) a JSON line per change."""
    from wkcli.output.live import FollowedCounts, render_counts

    live = session.terminal.stdout_isatty and fmt in ("auto", "table")

    def report() -> dict:
        return counts.count_report(tally, reader.stats)

    view = FollowedCounts(session.terminal, lambda: render_counts(report()), report, live=live)
    # The view redraws while the file is idle; diagnostics are not held back for it.
    reader = session.reader(
        paths, criteria, input_format, strict, on_wait=view.refresh, follow=True, jobs=jobs,
        flush_before_diagnostics=False, max_line=max_line,
    )
    if fmt in ("csv", "tsv"):
        raise UsageError("--follow prints a table on a terminal or JSON lines; not --format " + fmt)
    with view:
        for item in reader:
            tally.add(item)
    return session.finish(reader)
