"""``wkcli replay``: re-send captured webhooks to a business server as WuKongIM would."""

from __future__ import annotations

import signal
from typing import Annotated, Optional

import typer

from wkcli.commands import options
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode, UsageError
from wkcli.read.accounting import plural
from wkcli.webhook.filters import Criteria

EXIT_HELP = (
    "Exit status: 0 every request was answered 200; 1 some request got another status or no "
    "answer, or some input was malformed; 2 usage error or unreadable file; "
    "4 the output could not be written; "
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
        "-P",  # as xargs -P: -j is --jobs (reading processes) everywhere else
        metavar="N",
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
Header = Annotated[
    Optional[list[str]],
    typer.Option(
        "--header",
        "-H",
        metavar="'NAME: VALUE'",
        help="Add or replace a request header (repeatable); 'Name:' with no value removes a default "
        "one. Values of credential headers (Authorization, tokens, keys) are never printed.",
        show_default=False,
        rich_help_panel=SENDING,
    ),
]
Speed = Annotated[
    float,
    typer.Option(
        "--speed",
        metavar="X",
        help="Keep the dump's own pace (each record's receive time, else its message timestamp) "
        "times X: 1 as captured, 2 twice as fast. 0: as fast as --rate and --concurrency allow.",
        rich_help_panel=SENDING,
    ),
]
Retry = Annotated[
    bool,
    typer.Option(
        "--retry",
        help="Retry a request that did not get HTTP 200 as WuKongIM does: msg.notify and "
        "user.onlinestatus up to 5 attempts, 1 s apart; msg.offline never. Connect within 5 s, "
        "answer headers within 10 s.",
        rich_help_panel=SENDING,
    ),
]
RetryMax = Annotated[
    int,
    typer.Option(
        "--retry-max",
        metavar="N",
        help="With --retry: attempts per request (WuKongIM's webhook.msgNotifyEventRetryMaxCount, "
        "5 by default).",
        rich_help_panel=SENDING,
    ),
]
RetryWait = Annotated[
    float,
    typer.Option(
        "--retry-wait",
        metavar="SECONDS",
        help="With --retry: pause after a failed attempt (WuKongIM sleeps 1 s).",
        rich_help_panel=SENDING,
    ),
]
Limit = Annotated[
    Optional[int],
    typer.Option("--limit", "-n", help="Stop after this many requests.", rich_help_panel=options.FILTERS),
]


@guarded
@options.filtered(limit=Limit)
def replay(
    paths: options.Paths = None,
    to: To = None,
    rate: Rate = None,
    concurrency: Concurrency = 1,
    dry_run: DryRun = False,
    timeout: Timeout = 30.0,
    criteria: Criteria = options.NO_FILTERS,
    header: Header = None,
    speed: Speed = 0.0,
    retry: Retry = False,
    retry_max: RetryMax = 5,
    retry_wait: RetryWait = 1.0,
    follow: options.Follow = False,
    input_format: options.InputFormat = "auto",
    max_line: options.MaxLine = options.DEFAULT_MAX_LINE,
    strict: options.Strict = False,
    color: options.Color = "auto",
    quiet: options.Quiet = False,
) -> ExitCode:
    """Re-send captured webhooks to a business server exactly as WuKongIM would.

    Example: `wkcli replay dump.jsonl --to http://localhost:8000/webhook --kind chat`

    Each webhook body becomes POST URL?event=NAME with Content-Type application/json and the
    original body bytes. The filters choose messages: when they keep only some messages of a
    msg.notify batch, the batch is sent with just those. Prints one line per request (JSON in
    a pipe) and a summary of statuses on stderr. Only HTTP 200 counts as success, as in
    WuKongIM: exit status 1 if any request got anything else (or input was malformed).
    A body whose event cannot be told is skipped with a warning; --event NAME names it.
    """
    from wkcli.live.headers import parse_headers
    from wkcli.live.replay import Planner
    from wkcli.live.replay import replay as run_replay
    from wkcli.live.retry import RetryPolicy
    from wkcli.live.sender import SendOptions, StopFlag
    from wkcli.output.live import ReplayView

    to = options.check_sending(
        to, "wkcli replay dump.jsonl --to http://localhost:8000/webhook", concurrency, rate, timeout
    )
    if not speed >= 0:
        raise UsageError("--speed must be 0 (as fast as allowed) or more")
    if retry_max < 1:
        raise UsageError("--retry-max must be 1 or more")
    if not retry_wait >= 0:
        raise UsageError("--retry-wait must be 0 seconds or more")
    send_options = SendOptions(
        concurrency=concurrency,
        rate=rate,
        timeout=timeout,
        speed=speed,
        retry=RetryPolicy(retry_max, retry_wait) if retry else None,
        headers=parse_headers(header, "--header"),
    )
    session = Session(color, quiet)
    stop = StopFlag()
    # The reader runs on a thread of its own; its wait hook is where a stop reaches it.
    reader = session.reader(
        paths,
        criteria,
        input_format,
        strict,
        on_wait=stop.check,
        follow=follow,
        max_line=max_line,
    )
    planner = Planner(reader)
    view = ReplayView(session.terminal, color)
    summary = run_replay(planner, to, view, send_options, dry_run, stop)

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
    stopped = {int(signal.SIGINT): "Ctrl-C", int(signal.SIGTERM): "SIGTERM"}.get(stop.signal or 0)
    if stopped:
        read = f"stopped by {stopped}: {read}"
    if dry_run:
        diagnostics.note(f"{read}; dry run: nothing sent")
    else:
        statuses = ", ".join(f"{key}: {count:,}" for key, count in sorted(summary.statuses.items()))
        line = f"{read}; {plural(summary.sent, 'request')} sent"
        if send_options.retry is not None:
            line += f" in {plural(summary.attempts, 'attempt')} ({summary.retried:,} retried)"
        line += f", {summary.ok:,} answered 200"
        if summary.failed:
            line += f", {summary.failed:,} failed"
        diagnostics.note(line + (f" ({statuses})" if statuses else ""))
    if summary.skipped:
        diagnostics.note(f"{plural(summary.skipped, 'body', 'bodies')} left out by the filters")
    if stop.signal == signal.SIGINT:
        return ExitCode.INTERRUPTED
    if stop.signal == signal.SIGTERM:
        return ExitCode.TERMINATED
    if summary.failed or stats.malformed or summary.unnamed:
        return ExitCode.MALFORMED
    if stats.unreadable:
        return ExitCode.USAGE
    return ExitCode.OK
