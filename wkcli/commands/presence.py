"""``wkcli presence``: one row per ``user.onlinestatus`` entry, parsed."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wkcli.commands import common
from wkcli.errors import ExitCode, StrictStop, UsageError
from wkcli.webhook.filters import Criteria, split_values
from wkcli.webhook.model import USER_ONLINESTATUS, PresenceEntry
from wkcli.webhook.times import iso_time
from wkcli.webhook.presence import PresenceError, device_flag, parse_presence

FORMATS = ("auto", "table", "jsonl")

Uid = Annotated[
    Optional[list[str]],
    typer.Option("--uid", "-u", help="Keep only this uid. Repeatable.", rich_help_panel=common.FILTERS),
]
Device = Annotated[
    Optional[list[str]],
    typer.Option(
        "--device", "-d", help="Keep only this device: app, web, pc, system or a number. Repeatable.",
        rich_help_panel=common.FILTERS,
    ),
]  # fmt: skip
Online = Annotated[
    Optional[bool],
    typer.Option(
        "--online/--offline", help="Keep only entries going online (or offline).",
        rich_help_panel=common.FILTERS, show_default=False,
    ),
]  # fmt: skip
Format = Annotated[
    str,
    typer.Option(
        "--format", "-o", help="table (default on a terminal), jsonl (default in a pipe).",
        rich_help_panel=common.OUTPUT,
    ),
]  # fmt: skip


@common.guarded
def presence(
    paths: common.Paths = None,
    uid: Uid = None,
    device: Device = None,
    online: Online = None,
    since: common.Since = None,
    until: common.Until = None,
    limit: common.Limit = None,
    fmt: Format = "auto",
    input_format: common.InputFormat = "auto",
    strict: common.Strict = False,
    max_line: common.MaxLine = common.DEFAULT_MAX_LINE,
    follow: common.Follow = False,
    color: common.Color = "auto",
    quiet: common.Quiet = False,
    utc: common.Utc = False,
) -> ExitCode:
    """List users going online and offline (user.onlinestatus): one row per entry.

    Example: `wkcli presence dump.jsonl --uid u1001 --offline`

    Each entry is uid-deviceFlag-status-connId-deviceOnlineCount-totalOnlineCount, read from the
    right so uids containing '-' (UUIDs) stay whole; the old uid-deviceFlag-status form is read
    too. Anything else is reported as malformed (file:line) and counted. In a pipe, one JSON
    object per line: received, uid, device_flag, device, status, conn_id, device_online_count,
    total_online_count, entry (the original string) and source.
    """
    if limit is not None and limit < 0:
        raise UsageError("--limit must be 0 or more")
    uids = frozenset(split_values(uid))
    try:
        devices = frozenset(device_flag(value) for value in split_values(device))
    except ValueError as exc:
        raise UsageError(f"--device: {exc}") from None
    session = common.Session(color, quiet, warnings=False)  # presence is not about messages
    criteria = Criteria.from_options(event=[USER_ONLINESTATUS], since=since, until=until)
    terminal = session.terminal
    fmt = common.pick_format(fmt, FORMATS, terminal, "table", "jsonl")
    from wkcli.output import insight

    if fmt == "table":
        writer: insight.PresenceTable | insight.PresenceJsonl = insight.PresenceTable(terminal, utc)
    else:
        writer = insight.PresenceJsonl(terminal.stdout_bytes)
    reader = session.reader(
        paths, criteria, input_format, strict, on_wait=writer.flush, follow=follow, max_line=max_line
    )
    shown = 0
    try:
        for item in reader:
            if limit == shown:
                reader.stats.stopped_at_limit = True
                break
            if type(item) is not PresenceEntry:
                continue
            try:
                parsed = parse_presence(item.text)
            except PresenceError as exc:
                reader.stats.malformed += 1
                reason = f"presence entry {item.index + 1} {item.text!r}: {exc}"
                if strict:
                    raise StrictStop(f"{item.origin}: {reason}") from None
                session.diagnostics.error(str(item.origin), reason)
                continue
            if uids and parsed.uid not in uids:
                continue
            if devices and parsed.device_flag not in devices:
                continue
            if online is not None and parsed.online != online:
                continue
            row = {"received": iso_time(item.received, utc) if item.received is not None else None}
            row.update(parsed.as_dict())
            row["entry"] = item.text
            row["source"] = str(item.origin)
            if fmt == "table":
                row["received_ts"] = item.received
            writer.write(row)
            shown += 1
    finally:
        writer.close()
    filtered = bool(uids or devices or online is not None or since or until)
    if shown == 0 and limit != 0 and filtered:
        session.diagnostics.note("no presence entry matched the filters")
    reader.stats.matched = shown  # entries shown, after the presence filters too
    return session.finish(reader, filtered)
