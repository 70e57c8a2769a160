"""``wkcli show``: one message in depth, with every delivery it arrived in."""

from __future__ import annotations

from typing import Annotated

import typer

from wkcli.commands import options
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode, UsageError
from wkcli.output.base import SHOW, pick_format
from wkcli.webhook import inspect
from wkcli.webhook.filters import Criteria

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
        "--format", "-o", metavar="FORMAT", help=SHOW.help(),
        rich_help_panel=options.OUTPUT,
    ),
]  # fmt: skip


@guarded
def show(
    message_id: MessageId,
    paths: options.Paths = None,
    fmt: Format = "auto",
    input_format: options.InputFormat = "auto",
    max_line: options.MaxLine = options.DEFAULT_MAX_LINE,
    strict: options.Strict = False,
    color: options.Color = "auto",
    quiet: options.Quiet = False,
    utc: options.Utc = False,
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
    session = Session(color, quiet)
    terminal = session.terminal
    fmt = pick_format(SHOW, fmt, terminal)
    reader = session.reader(paths, Criteria(), input_format, strict, presence=False, max_line=max_line)
    views = inspect.find(reader, wanted, utc)
    writer = SHOW.open(fmt, terminal)
    for view in views:
        writer.write(view)
    writer.close()
    if not views:
        session.diagnostics.note(f"no message has message_id or client_msg_no {wanted!r}")
    code = session.finish(reader)
    if not views and code == ExitCode.OK:
        code = ExitCode.MALFORMED
    return code
