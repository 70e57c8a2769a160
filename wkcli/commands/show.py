"""``wkcli show``: one message in depth, with every delivery it arrived in."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from wkcli.commands import common
from wkcli.webhook.dedupe import identity, matches
from wkcli.errors import ExitCode, UsageError
from wkcli.webhook.filters import Criteria
from wkcli.webhook.model import Message
from wkcli.webhook.payload import message_view
from wkcli.webhook.recipients import NONE, recipients
from wkcli.webhook.times import format_time, iso_time, seconds_of

FORMATS = ("auto", "text", "json")

EXIT_HELP = (
    "Exit status: 0 a message matched; 1 none matched, or some input was malformed; "
    "2 usage error or unreadable file; 4 the output could not be written; "
    "130 interrupted (Ctrl-C); 143 terminated (SIGTERM)."
)

MessageId = Annotated[
    str,
    typer.Argument(help="A message_id / message_idstr, or a client_msg_no.", show_default=False),
]
Format = Annotated[
    str,
    typer.Option(
        "--format", "-o", help="text (default on a terminal), json (default in a pipe).",
        rich_help_panel=common.OUTPUT,
    ),
]  # fmt: skip


@common.guarded
def show(
    message_id: MessageId,
    paths: common.Paths = None,
    fmt: Format = "auto",
    input_format: common.InputFormat = "auto",
    strict: common.Strict = False,
    max_line: common.MaxLine = common.DEFAULT_MAX_LINE,
    color: common.Color = "auto",
    quiet: common.Quiet = False,
    utc: common.Utc = False,
) -> ExitCode:
    """Show one message in full: every field, decoded payload, recipients, and every delivery.

    Example: `wkcli show 1877505633800945664 dump.jsonl`

    Matches message_idstr, message_id (exactly, as text) or client_msg_no. The same message seen
    in msg.notify and in one or more msg.offline chunks (or delivered again by a retry) is shown
    once, with the list of events, file:line places and recipients it arrived with.
    """
    wanted = message_id.strip()
    if not wanted:
        raise UsageError("give a message id or client_msg_no to show")
    session = common.Session(color, quiet)
    terminal = session.terminal
    fmt = common.pick_format(fmt, FORMATS, terminal, "text", "json")
    reader = session.reader(paths, Criteria(), input_format, strict, presence=False, max_line=max_line)
    groups: dict[Any, list[Message]] = {}
    for message in reader:
        if matches(message, wanted):
            key = identity(message) or id(message)
            groups.setdefault(key, []).append(message)
    views = [_view(found, utc) for found in groups.values()]
    if fmt == "json":
        from wkcli.output.messages import dumps

        terminal.stdout_bytes.write(dumps(views) + b"\n")
        terminal.stdout_bytes.flush()
    else:
        from wkcli.output.insight import write_show_text

        write_show_text(terminal.stdout, views, terminal.color)
        terminal.stdout.flush()
    if not views:
        session.diagnostics.note(f"no message has message_id or client_msg_no {wanted!r}")
    code = session.finish(reader)
    if not views and code == ExitCode.OK:
        code = ExitCode.MALFORMED
    return code


def _view(found: list[Message], utc: bool) -> dict[str, Any]:
    first = found[0]
    decoded = message_view(first.data, utc)
    seconds = seconds_of(first.data.get("timestamp"))
    if seconds is not None:
        decoded["time_text"] = format_time(seconds, utc) + (" UTC" if utc else "")
    deliveries = []
    for message in found:
        delivery: dict[str, Any] = {
            "event": message.event,
            "source": str(message.origin),
            "index": message.index,
            "received": iso_time(message.received, utc) if message.received is not None else None,
            "timestamp": message.data.get("timestamp"),
        }
        listed = recipients(message.data)
        if listed.status != NONE:
            delivery["recipients"] = listed.status
            delivery["to_uids"] = listed.uids
            if listed.reason:
                delivery["recipients_note"] = listed.reason
        deliveries.append(delivery)
    return {
        "id": first.id_text or str(first.data.get("client_msg_no") or ""),
        "kind": first.kind,
        "anomaly": first.anomaly,
        "deliveries": deliveries,
        "message": first.data,
        "decoded": decoded,
    }
