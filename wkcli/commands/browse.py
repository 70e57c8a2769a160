"""``wkcli browse``: interactive triage of dumps, or of a file as it grows, in a full-screen terminal app."""

from __future__ import annotations

import io
import os
import sys
from typing import Annotated, Optional

import typer

from wkcli.commands import options
from wkcli.commands.session import guarded
from wkcli.errors import ExitCode, UsageError
from wkcli.read.values import INPUT_FORMATS
from wkcli.text import sanitize
from wkcli.webhook.query import parse

EXIT_HELP = (
    "Exit status: 0 quit normally; 2 usage error, no terminal, or Textual is not installed; "
    "3 the app failed (one line on stderr)."
)
INSTALL = "wkcli browse needs Textual: pip install 'wkcli[browse]' (or pip install 'textual>=0.80')"

To = Annotated[
    Optional[str],
    typer.Option(
        "--to", metavar="URL", help="Where r replays the selected message (a business server's webhook URL)."
    ),
]
Timeout = Annotated[
    float,
    typer.Option("--timeout", metavar="SECONDS", help="How long a replay may take, answer included."),
]


@guarded
def browse(
    paths: options.Paths = None,
    kind: options.Kind = None,
    event: options.Event = None,
    channel: options.Channel = None,
    channel_type: options.ChannelType = None,
    sender: options.Sender = None,
    since: options.Since = None,
    until: options.Until = None,
    limit: options.Limit = None,
    input_format: options.InputFormat = "auto",
    utc: options.Utc = False,
    follow: options.Follow = False,
    to: To = None,
    timeout: Timeout = 10.0,
) -> ExitCode:
    """Browse dumps interactively: a filterable list, totals, a histogram, each message in full.

    Example: `wkcli browse dump.jsonl --kind cmd --to http://localhost:8080/webhook`

    The options are the starting filter; / changes it (kind:cmd channel:g1 from:u1001 since:2h
    "free text"), Enter shows a message in full, y copies its id, r replays it to --to, e exports
    the rows shown as JSONL, ? lists every key, q quits. A gzip file or stdin is first inflated
    into a temporary file, so that rows can be read back at any place.
    """
    base = {
        "kind": kind, "event": event, "channel": channel, "channel_type": channel_type, "sender": sender,
        "since": since, "until": until, "limit": limit,
    }  # fmt: skip
    parse("", base)  # the command line's filters are checked before the screen is taken
    if input_format not in INPUT_FORMATS:
        raise UsageError(f"--input-format must be one of {', '.join(INPUT_FORMATS)}")
    if timeout <= 0:
        raise UsageError("--timeout must be more than 0")
    try:
        from wkcli.browse.app import BrowseApp, run_app
    except ImportError:
        raise UsageError(INSTALL) from None
    paths = list(paths or ["-"])
    if not sys.stdout.isatty():
        raise UsageError("wkcli browse needs a terminal (stdout is not one); use wkcli classify in a pipe")
    if not sys.stderr.isatty():
        # Textual draws on stderr: the app would go to the file. Said on stdout, the terminal.
        sys.stdout.write(
            "wkcli: error: wkcli browse needs a terminal (stderr is not one, and the app is drawn on it)\n"
        )
        return ExitCode.USAGE
    if "-" in paths:
        _stdin_from_pipe()
    elif not sys.stdin.isatty():
        raise UsageError("wkcli browse needs a terminal (stdin is not one)")
    from wkcli.read.index import Index

    index = Index(paths, input_format, follow, process=True)
    app = BrowseApp(index, base, to=to, utc=utc, timeout=timeout)
    try:
        failure = run_app(app)
    finally:
        index.close()
    if failure:
        sys.stderr.write(f"wkcli: error: browse stopped: {sanitize(failure)}\n")
        return ExitCode.INTERNAL
    return ExitCode.OK


def _stdin_from_pipe() -> None:
    """Read the dump from the pipe on stdin and the keys from the terminal (/dev/tty)."""
    if sys.stdin.isatty():
        raise UsageError("no input: name a dump file (wkcli browse dump.jsonl) or pipe one in")
    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        raise UsageError("wkcli browse needs a terminal to read keys from (/dev/tty)") from None
    pipe = os.dup(0)
    os.dup2(tty, 0)
    os.close(tty)
    sys.stdin = io.TextIOWrapper(os.fdopen(pipe, "rb"))
