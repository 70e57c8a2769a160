"""``wkcli count``: CMD and chat totals, optionally grouped by fields."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wkcli.commands import common
from wkcli.errors import ExitCode, UsageError
from wkcli.webhook.filters import Criteria, split_values
from wkcli.output.base import COUNTS, pick_format
from wkcli.output.counts import Counted
from wkcli.webhook.tally import Tally

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
        help=COUNTS.help(),
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
    fmt = pick_format(COUNTS, fmt, session.terminal)
    criteria = Criteria.from_options(kind, event, channel, channel_type, sender, since, until, limit)
    tally = Tally(split_values(by), utc=utc)
    reader = session.reader(paths, criteria, input_format, strict, follow=follow)
    reader.jobs = common.check_jobs(jobs)
    if follow:
        return _follow(session, reader, tally, fmt)
    bar = common.attach_progress(session, reader, quiet)
    try:
        reader.count_into(tally)
    finally:
        if bar is not None:
            bar.clear()  # also when interrupted: the account follows on the same terminal
    writer = COUNTS.open(fmt, session.terminal)
    writer.write(Counted(tally, reader.stats))
    writer.close()
    return session.finish(reader)


def _follow(session: common.Session, reader, tally: Tally, fmt: str) -> ExitCode:
    """--follow: totals redrawn in place on a terminal; elsewhere (or -o json) a JSON line per change."""
    from wkcli.output.counts import follow_view
    from wkcli.output.live import FollowedCounts

    if fmt in ("csv", "tsv"):
        raise UsageError("--follow prints a table on a terminal or JSON lines; not --format " + fmt)
    live = session.terminal.stdout_isatty and fmt in ("auto", "table")

    counted = Counted(tally, reader.stats)
    view = FollowedCounts(session.terminal, lambda: follow_view(counted), counted.report, live=live)
    reader.on_wait = view.refresh
    with view:
        for item in reader:
            tally.add(item)
    return session.finish(reader)
