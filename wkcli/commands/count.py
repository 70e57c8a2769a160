"""``wkcli count``: CMD and chat totals, optionally grouped by fields."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wkcli.commands import options
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode, UsageError
from wkcli.output.base import COUNTS, pick_format
from wkcli.output.counts import Counted
from wkcli.webhook.dedupe import Deduper
from wkcli.webhook.filters import Criteria, split_values
from wkcli.webhook.model import Message
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
Top = Annotated[
    Optional[int],
    typer.Option(
        "--top",
        metavar="N",
        help="With --by: the N largest groups, the rest summed as one row '(other)'.",
    ),
]
Dedupe = Annotated[
    bool,
    typer.Option(
        "--dedupe",
        help="Count each message once (by message_id, else client_msg_no), however many times "
        "it was delivered, as classify --dedupe shows them.",
        rich_help_panel=options.FILTERS,
    ),
]
Format = Annotated[
    str,
    typer.Option(
        "--format",
        "-o",
        metavar="FORMAT",
        help=COUNTS.help(),
        rich_help_panel=options.OUTPUT,
    ),
]


@guarded
@options.filtered()
def count(
    paths: options.Paths = None,
    by: By = None,
    top: Top = None,
    dedupe: Dedupe = False,
    criteria: Criteria = options.NO_FILTERS,
    fmt: Format = "auto",
    input_format: options.InputFormat = "auto",
    max_line: options.MaxLine = options.DEFAULT_MAX_LINE,
    strict: options.Strict = False,
    color: options.Color = "auto",
    quiet: options.Quiet = False,
    utc: options.Utc = False,
    follow: options.Follow = False,
    merge: options.Merge = False,
    jobs: options.Jobs = None,
    cluster: options.Cluster = None,
) -> ExitCode:
    """Count CMD and chat messages, presence entries and bad records.

    Example: `wkcli count dump.jsonl.gz --by event --by kind`

    With --by, prints one row per group, largest first. --format json prints one object with
    "cmd", "chat", "messages", "presence", "records", "malformed" and "anomalies" (and "groups").
    With --follow the file is watched as it grows: on a terminal the totals are redrawn in
    place; in a pipe (or with -o json) that object is printed again as a line whenever it changes.
    """
    session = Session(color, quiet)
    fmt = pick_format(COUNTS, fmt, session.terminal)
    tally = Tally(split_values(by), utc=utc, top=top)
    deduper = Deduper() if dedupe else None
    if follow:
        return _follow(session, paths, criteria, input_format, strict, jobs, tally, fmt, deduper, max_line)
    reader = session.reader(
        paths,
        criteria,
        input_format,
        strict,
        jobs=jobs,
        progress=True,
        merge=merge,
        max_line=max_line,
        cluster=cluster,
    )
    try:
        if deduper is None:
            reader.count_into(tally)
        else:
            for item in reader:
                if type(item) is not Message or deduper.first(item):
                    tally.add(item)
    finally:
        session.reading_done()
    writer = COUNTS.open(fmt, session.terminal)
    writer.write(Counted(tally, reader.stats))
    writer.close()
    _notes(session, tally, deduper)
    return session.finish(reader)


def _notes(session: Session, tally: Tally, deduper: Deduper | None) -> None:
    for name in tally.fields_nobody_has():
        session.diagnostics.note(f"--by {name}: no counted message has this field (every group is (none))")
    if deduper is not None and deduper.repeats:
        session.diagnostics.note(f"--dedupe: {deduper.repeats:,} repeated deliveries not counted")


def _follow(
    session: Session,
    paths: list[str] | None,
    criteria: Criteria,
    input_format: str,
    strict: bool,
    jobs: int | None,
    tally: Tally,
    fmt: str,
    deduper: Deduper | None = None,
    max_line: str | None = None,
) -> ExitCode:
    """--follow: totals redrawn in place on a terminal; elsewhere (or -o json) a JSON line per change."""
    from wkcli.output.counts import follow_view
    from wkcli.output.live import FollowedCounts

    view: FollowedCounts | None = None

    def refresh() -> None:  # the reader has caught up with the file and is about to wait
        if view is not None:
            view.refresh()

    reader = session.reader(
        paths, criteria, input_format, strict, on_wait=refresh, follow=True, jobs=jobs, max_line=max_line
    )
    if fmt in ("csv", "tsv"):
        raise UsageError("--follow prints a table on a terminal or JSON lines; not --format " + fmt)
    live = session.terminal.stdout_isatty and fmt in ("auto", "table")
    counted = Counted(tally, reader.stats)
    view = FollowedCounts(session.terminal, lambda: follow_view(counted), counted.report, live=live)
    session.before_diagnostics(view.clear)
    with view:
        for item in reader:
            if deduper is None or type(item) is not Message or deduper.first(item):
                tally.add(item)
    _notes(session, tally, deduper)
    return session.finish(reader)
