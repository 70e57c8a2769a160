"""``wkcli trigger``: send realistic WuKongIM webhooks to a business server, without a running WuKongIM."""

from __future__ import annotations

import signal
from typing import Annotated, Any, Optional

import orjson
import typer

from wkcli.commands import options
from wkcli.commands.replay import EXIT_HELP as EXIT_HELP  # the same statuses as replay
from wkcli.commands.replay import SENDING, Concurrency, DryRun, Header, Rate, Timeout, To
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode, UsageError
from wkcli.read.accounting import plural

TEMPLATE = "Template"

Kind = Annotated[
    Optional[str],
    typer.Argument(help="Template: chat, cmd, offline, presence, system (see --list).", show_default=False),
]
ListTemplates = Annotated[
    bool, typer.Option("--list", help="Show every template with a one-line description.")
]
Content = Annotated[
    str, typer.Option("--content", help="chat and offline: text, image or file.", rich_help_panel=TEMPLATE)
]
Cmd = Annotated[
    str,
    typer.Option(
        "--cmd",
        help="cmd: the command name (typing, unreadClear, channelUpdate, ...).",
        rich_help_panel=TEMPLATE,
    ),
]
Param = Annotated[
    Optional[list[str]],
    typer.Option(
        "--param",
        metavar="K=V",
        help="cmd: a param of the command (repeatable; V as JSON if it reads as JSON).",
        rich_help_panel=TEMPLATE,
    ),
]
SetField = Annotated[
    Optional[list[str]],
    typer.Option(
        "--set",
        metavar="K=V",
        help="Set a field of the payload JSON (repeatable; V as JSON if it reads as JSON).",
        rich_help_panel=TEMPLATE,
    ),
]
ChannelOpt = Annotated[
    Optional[str], typer.Option("--channel", "-c", help="channel_id (default g1).", rich_help_panel=TEMPLATE)
]
ChannelTypeOpt = Annotated[
    str,
    typer.Option(
        "--channel-type",
        help="channel_type: a number or a name (person, group, ...).",
        rich_help_panel=TEMPLATE,
    ),
]
From = Annotated[
    Optional[str],
    typer.Option("--from", "-f", help="from_uid (the uid, for presence).", rich_help_panel=TEMPLATE),
]
ToUids = Annotated[
    str, typer.Option("--to-uids", help="offline: the recipients, comma-separated.", rich_help_panel=TEMPLATE)
]
SyncOnce = Annotated[
    Optional[int],
    typer.Option(
        "--sync-once",
        help="header.sync_once, 0 or 1 (default: what WuKongIM uses for the template).",
        show_default=False,
        rich_help_panel=TEMPLATE,
    ),
]
Compress = Annotated[
    bool,
    typer.Option(
        "--compress", help="offline: gzip the recipients into compress_to_uids.", rich_help_panel=TEMPLATE
    ),
]
WkVersion = Annotated[
    int,
    typer.Option("--wk-version", help="Build as WuKongIM 3 (default) or 2 builds.", rich_help_panel=TEMPLATE),
]
SystemType = Annotated[
    int, typer.Option("--type", help="system: the content type, 1000 to 2000.", rich_help_panel=TEMPLATE)
]
Status = Annotated[
    str, typer.Option("--status", help="presence: online or offline.", rich_help_panel=TEMPLATE)
]
Devices = Annotated[
    str,
    typer.Option(
        "--devices",
        help="presence: device flags, comma-separated (0 app, 1 web, 2 PC).",
        rich_help_panel=TEMPLATE,
    ),
]
Count = Annotated[
    # No -n: that is --limit in every reading command.
    int, typer.Option("--count", metavar="N", help="How many webhooks to send.", rich_help_panel=SENDING)
]
Output = Annotated[
    Optional[str],
    typer.Option(
        "--format",
        "--output",
        "-o",
        metavar="FORMAT",
        help="jsonl: write the bodies to stdout as a dump, one per line, instead of sending.",
    ),
]
Seed = Annotated[Optional[int], typer.Option("--seed", help="Seed for client_msg_no and file sizes.")]


@guarded
def trigger(
    kind: Kind = None,
    to: To = None,
    list_templates: ListTemplates = False,
    content: Content = "text",
    cmd: Cmd = "typing",
    param: Param = None,
    set_field: SetField = None,
    channel: ChannelOpt = None,
    channel_type: ChannelTypeOpt = "group",
    sender: From = None,
    to_uids: ToUids = "u1002,u1003",
    sync_once: SyncOnce = None,
    compress: Compress = False,
    wk_version: WkVersion = 3,
    system_type: SystemType = 1001,
    status: Status = "online",
    devices: Devices = "1",
    count: Count = 1,
    rate: Rate = None,
    concurrency: Concurrency = 1,
    header: Header = None,
    timeout: Timeout = 30.0,
    dry_run: DryRun = False,
    output: Output = None,
    seed: Seed = None,
    color: options.Color = "auto",
    quiet: options.Quiet = False,
) -> ExitCode:
    """Send realistic WuKongIM webhooks to a business server, without a running WuKongIM.

    Example: `wkcli trigger cmd --cmd unreadClear --to http://localhost:8000/webhook`

    Each template builds the body WuKongIM v3 would send (message ids are Snowflake ids,
    message_idstr equal; message_seq increases with --count). `-o jsonl` writes the bodies as a
    dump instead: `wkcli trigger chat -o jsonl --count 100 > d.jsonl && wkcli classify d.jsonl`.
    """
    from wkcli.live.headers import parse_headers
    from wkcli.live.sender import SendOptions, StopFlag
    from wkcli.live.trigger import trigger as run_trigger
    from wkcli.live.trigger import write_dump
    from wkcli.output.live import ReplayView
    from wkcli.webhook.templates import CONTENTS, TEMPLATES, Builder, Spec

    session = Session(color, quiet)
    if list_templates:
        width = max(map(len, TEMPLATES))
        for name, text in TEMPLATES.items():
            session.terminal.stdout.write(f"{name:<{width}}  {text}\n")
        return ExitCode.OK
    if kind not in TEMPLATES:
        given = f"{kind!r} is not a template: " if kind else ""
        raise UsageError(f"{given}name one of {', '.join(TEMPLATES)} (wkcli trigger --list)")
    if content not in CONTENTS:
        raise UsageError(f"--content must be one of {', '.join(CONTENTS)}")
    if sync_once not in (None, 0, 1):
        raise UsageError("--sync-once must be 0 or 1")
    if wk_version not in (1, 2, 3):
        raise UsageError("--wk-version must be 1, 2 or 3")
    if not 1000 <= system_type <= 2000:
        raise UsageError("--type: system messages have content types 1000 to 2000")
    if status not in ("online", "offline"):
        raise UsageError("--status must be online or offline")
    if count < 1:
        raise UsageError("--count must be 1 or more")
    if output not in (None, "jsonl"):
        raise UsageError(
            f"--format: only jsonl (the bodies as a dump) is written, not {output!r}; leave it out to send"
        )
    spec = Spec(
        kind=kind,
        content=content,
        cmd=cmd,
        params=_pairs(param, "--param"),
        channel=channel,
        channel_type=_channel_type(channel_type),
        sender=sender,
        to_uids=_list(to_uids, "--to-uids"),
        sets=_pairs(set_field, "--set"),
        sync_once=sync_once,
        wk_version=wk_version,
        compress=compress,
        system_type=system_type,
        status=status,
        devices=[_device(flag) for flag in _list(devices, "--devices")],
        seed=seed,
    )
    builder = Builder(spec)
    if output == "jsonl":
        written = write_dump(builder, count, session.terminal.stdout_bytes)
        session.diagnostics.note(f"{plural(written, 'body', 'bodies')} written")
        return ExitCode.OK
    to = options.check_sending(
        to, "wkcli trigger chat --to http://localhost:8000/webhook (or -o jsonl)", concurrency, rate, timeout
    )
    send_options = SendOptions(
        concurrency=concurrency, rate=rate, timeout=timeout, headers=parse_headers(header)
    )
    stop = StopFlag()
    summary = run_trigger(
        builder, count, to, ReplayView(session.terminal, color), send_options, dry_run, stop
    )
    if dry_run:
        session.diagnostics.note(f"dry run: {plural(count, 'request')} shown, nothing sent")
        return ExitCode.OK
    statuses = ", ".join(f"{key}: {n:,}" for key, n in sorted(summary.statuses.items()))
    line = f"{plural(summary.sent, 'request')} sent, {summary.ok:,} answered 200"
    if summary.failed:
        line += f", {summary.failed:,} failed"
    if stop.signal is not None:
        line = "stopped: " + line
    session.diagnostics.note(line + (f" ({statuses})" if statuses else ""))
    if stop.signal == signal.SIGINT:
        return ExitCode.INTERRUPTED
    if stop.signal == signal.SIGTERM:
        return ExitCode.TERMINATED
    return ExitCode.MALFORMED if summary.failed else ExitCode.OK


def _pairs(texts: list[str] | None, option: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for text in texts or ():
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise UsageError(f"{option}: {text!r} is not KEY=VALUE")
        try:
            out[key] = orjson.loads(value)
        except orjson.JSONDecodeError:
            out[key] = value  # plain text: a string
    return out


def _list(text: str, option: str) -> list[str]:
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise UsageError(f"{option}: give at least one value")
    return items


def _channel_type(text: str) -> int:
    from wkcli.webhook.filters import CHANNEL_TYPES

    if text.isdigit():
        return int(text)
    if text in CHANNEL_TYPES:
        return CHANNEL_TYPES[text]
    raise UsageError(f"--channel-type: {text!r} is not a number or one of {', '.join(CHANNEL_TYPES)}")


def _device(text: str) -> int:
    if not text.isdigit():
        raise UsageError(f"--devices: {text!r} is not a device flag (0 app, 1 web, 2 PC, 99 system)")
    return int(text)
