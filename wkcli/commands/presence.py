"""``wkcli presence``: one row per ``user.onlinestatus`` entry, parsed."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wkcli.commands import options
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode, StrictStop, UsageError
from wkcli.output.base import PRESENCE, Options, pick_format
from wkcli.output.presence import presence_fields
from wkcli.webhook.filters import Criteria
from wkcli.webhook.model import USER_ONLINESTATUS, PresenceEntry
from wkcli.webhook.presence import PresenceSelection

Uid = Annotated[
    Optional[list[str]],
    typer.Option("--uid", "-u", help="Keep only this uid. Repeatable.", rich_help_panel=options.FILTERS),
]
Device = Annotated[
    Optional[list[str]],
    typer.Option(
        "--device", "-d", help="Keep only this device: app, web, pc, system or a number. Repeatable.",
        rich_help_panel=options.FILTERS,
    ),
]  # fmt: skip
# Two flags rather than --online/--offline, so that giving both is an error, not the last one winning.
Online = Annotated[
    bool,
    typer.Option("--online", help="Keep only entries going online.", rich_help_panel=options.FILTERS),
]
Offline = Annotated[
    bool,
    typer.Option("--offline", help="Keep only entries going offline.", rich_help_panel=options.FILTERS),
]
Format = Annotated[
    str,
    typer.Option(
        "--format", "-o", metavar="FORMAT", help=PRESENCE.help(),
        rich_help_panel=options.OUTPUT,
    ),
]  # fmt: skip


Fields = Annotated[
    Optional[str],
    options.fields_option(
        "received, uid, device_flag, device, status, conn_id, device_online_count, total_online_count, "
        "entry, source"
    ),
]


@guarded
def presence(
    paths: options.Paths = None,
    uid: Uid = None,
    device: Device = None,
    online: Online = False,
    offline: Offline = False,
    since: options.Since = None,
    until: options.Until = None,
    limit: options.Limit = None,
    fmt: Format = "auto",
    fields: Fields = None,
    input_format: options.InputFormat = "auto",
    max_line: options.MaxLine = options.DEFAULT_MAX_LINE,
    strict: options.Strict = False,
    follow: options.Follow = False,
    color: options.Color = "auto",
    quiet: options.Quiet = False,
    utc: options.Utc = False,
) -> ExitCode:
    """List users going online and offline (user.onlinestatus): one row per entry.

    Example: `wkcli presence dump.jsonl --uid u1001 --offline`

    Each entry is uid-deviceFlag-status-connId-deviceOnlineCount-totalOnlineCount, read from the
    right so uids containing '-' (UUIDs) stay whole; the old uid-deviceFlag-status form is read
    too. Anything else is reported as malformed (file:line) and counted. In a pipe, one JSON
    object per line: received, uid, device_flag, device, status, conn_id, device_online_count,
    total_online_count, entry (the original string) and source.
    """
    if online and offline:
        raise UsageError("--online and --offline exclude each other: give one (or neither for both)")
    state = True if online else (False if offline else None)
    selection = PresenceSelection.from_options(uid, device, state, limit)
    session = Session(color, quiet, warnings=False)  # presence is not about messages
    criteria = Criteria.from_options(event=[USER_ONLINESTATUS], since=since, until=until)
    terminal = session.terminal
    fmt = pick_format(PRESENCE, fmt, terminal)
    picked = presence_fields(fields)
    options.check_fields(picked, fmt)
    writer = PRESENCE.open(fmt, terminal, Options(utc, fields=picked))
    reader = session.reader(
        paths, criteria, input_format, strict, writer=writer, follow=follow, max_line=max_line
    )

    def malformed(entry: PresenceEntry, reason: str) -> None:
        reader.stats.malformed += 1
        session.diagnostics.error(str(entry.origin), reason)
        if strict:
            raise StrictStop(f"{entry.origin}: {reason}", reported=True)

    try:
        for row in selection.rows(reader, malformed):
            writer.write(row)
    finally:
        writer.close()
    reader.stats.stopped_at_limit = reader.stats.stopped_at_limit or selection.stopped_at_limit
    filtered = selection.filtering or bool(since or until)
    if selection.shown == 0 and limit != 0 and filtered:
        session.diagnostics.note("no presence entry matched the filters")
    reader.stats.matched = selection.shown  # entries shown, after the presence filters too
    return session.finish(reader, filtered)
