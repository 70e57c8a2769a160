"""``wkcli replay``: re-send captured webhooks to a business server as WuKongIM would."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wkcli.commands import common
from wkcli.errors import ExitCode, UsageError
from wkcli.webhook.filters import Criteria
from wkcli.read.accounting import plural

EXIT_HELP = (
    "Exit status: 0 every request was answered 200; 1 some request got another status or no "
    "answer, or some input was malformed; 2 usage error or unreadable file; 4 the output could not be written; "
    "130 interrupted (Ctrl-C); 143 terminated (SIGTERM)."
)

SENDING = "Sending"

To = Annotated[
    Optional[str],
    typer.Option(
        "--to",
        "-t",
        help="The business server's webhook URL; ?event=NAME is added as WuKongIM adds it.",
        show_default=False,
        rich_help_panel=SENDING,
    ),
]
Rate = Annotated[
    Optional[float],
    typer.Option("--rate", help="At most this many requests per second.", rich_help_panel=SENDING),
]
Concurrency = Annotated[
    int,
    typer.Option(
        "--concurrency",
        "-j",
        help="Requests in flight at once; 1 (the default) keeps the dump's order.",
        rich_help_panel=SENDING,
    ),
]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Send nothing: print each request that would be sent (URL, event, body).",
        rich_help_panel=SENDING,
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        help="Seconds allowed for each exchange, the answer included (its body is read up to 1 MiB).",
        rich_help_panel=SENDING,
    ),
]
Limit = Annotated[
    Optional[int],
    typer.Option("--limit", "-n", help="Stop after this many requests.", rich_help_panel=common.FILTERS),
]


@common.guarded
def replay(
    paths: common.Paths = None,
    to: To = None,
    rate: Rate = None,
    concurrency: Concurrency = 1,
    dry_run: DryRun = False,
    timeout: Timeout = 30.0,
    kind: common.Kind = None,
    event: common.Event = None,
    channel: common.Channel = None,
    channel_type: common.ChannelType = None,
    sender: common.Sender = None,
    since: common.Since = None,
    until: common.Until = None,
    limit: Limit = None,
    input_format: common.InputFormat = "auto",
    strict: common.Strict = False,
    max_line: common.MaxLine = common.DEFAULT_MAX_LINE,
    color: common.Color = "auto",
    quiet: common.Quiet = False,
) -> ExitCode:
    """Re-send captured webhooks to a business server exactly as WuKongIM would.

    Example: `wkcli replay dump.jsonl --to http://localhost:8000/webhook --kind chat`

    Each webhook body becomes POST URL?event=NAME with Content-Type application/json and the
    original body bytes. The filters choose messages: when they keep only some messages of a
    msg.notify batch, the batch is sent with just those. Prints one line per request (JSON in
    a pipe) and a summary of statuses on stderr. Only HTTP 200 counts as success, as in
    WuKongIM: exit status 1 if any request got anything else (or input was malformed).
    """
    from wkcli.live import check_http_url
    from wkcli.live.replay import Planner
    from wkcli.live.replay import replay as run_replay
    from wkcli.output.live import ReplayView

    if to is None:
        raise UsageError("name the server to send to: wkcli replay dump.jsonl --to http://localhost:8000/webhook")
    check_http_url(to, "--to")
    if concurrency < 1:
        raise UsageError("--concurrency must be 1 or more")
    if rate is not None and rate <= 0:
        raise UsageError("--rate must be more than 0")
    if timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds")
    session = common.Session(color, quiet)
    criteria = Criteria.from_options(kind, event, channel, channel_type, sender, since, until, limit)
    planner = Planner(session.reader(paths, criteria, input_format, strict, max_line=max_line))
    view = ReplayView(session.terminal, color)
    summary = run_replay(planner, to, view, concurrency, rate, timeout, dry_run)

    stats = planner.stats
    diagnostics = session.diagnostics
    hidden = diagnostics.hidden_note()
    if hidden:
        diagnostics.note(hidden)
    read = (
        f"{plural(stats.records, 'record')} read ({plural(stats.messages, 'message')}, "
        f"{plural(stats.presence, 'presence entry', 'presence entries')}"
    )
    read += f", {stats.malformed:,} malformed)" if stats.malformed else ")"
    if dry_run:
        diagnostics.note(f"{read}; dry run: nothing sent")
    else:
        statuses = ", ".join(f"{key}: {count:,}" for key, count in sorted(summary.statuses.items()))
        line = f"{read}; {plural(summary.sent, 'request')} sent, {summary.ok:,} answered 200"
        if summary.failed:
            line += f", {summary.failed:,} failed"
        diagnostics.note(line + (f" ({statuses})" if statuses else ""))
    if summary.skipped:
        diagnostics.note(f"{summary.skipped:,} bodies left out by the filters")
    if summary.failed or stats.malformed or summary.unnamed:
        return ExitCode.MALFORMED
    if stats.unreadable:
        return ExitCode.USAGE
    return ExitCode.OK
