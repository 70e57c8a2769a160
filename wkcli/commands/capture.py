"""``wkcli capture``: receive webhooks from a running WuKongIM and record every request."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from wkcli.commands import options
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode, UsageError
from wkcli.read.accounting import plural
from wkcli.text import sanitize

EXIT_HELP = (
    "Exit status: 0 stopped cleanly (Ctrl-C or SIGTERM: requests in flight are finished first); "
    "2 usage error or the address or file cannot be opened; 4 some requests could not be "
    "written (a full disk: they were answered 500, so WuKongIM sends them again)."
)

SERVER = "Server"

Listen = Annotated[
    str,
    typer.Option(
        "--listen",
        "-l",
        help="Address to listen on: HOST:PORT, or a port (loopback). Use 0.0.0.0:PORT to accept "
        "other machines (then consider --token).",
        rich_help_panel=SERVER,
    ),
]
Out = Annotated[
    Optional[str],
    typer.Option(
        "--out",
        "-w",
        help="JSONL file to append capture records to; '-' writes them to stdout.",
        show_default=False,
    ),
]
Forward = Annotated[
    Optional[str],
    typer.Option(
        "--forward",
        help="Relay each request unchanged to this URL and answer WuKongIM with its status "
        "(502 if it cannot be reached).",
        rich_help_panel=SERVER,
    ),
]
Token = Annotated[
    Optional[str],
    typer.Option(
        "--token",
        help="Accept only requests carrying this token: ?token=... in the URL, an X-Wkcli-Token "
        "header or 'Authorization: Bearer ...' (others get 401).",
        rich_help_panel=SERVER,
    ),
]
MaxBody = Annotated[
    str,
    typer.Option("--max-body", help="Largest body accepted (larger: 413).", rich_help_panel=SERVER),
]
Rotate = Annotated[
    Optional[str],
    typer.Option(
        "--rotate",
        help="Start a new file when this one reaches SIZE (e.g. 100M); the full one is renamed "
        "with its UTC time (dump.20261128T153705Z.jsonl). SIGHUP also reopens --out by its name "
        "(for logrotate).",
        show_default=False,
    ),
]
NoFsync = Annotated[
    bool,
    typer.Option(
        "--no-fsync",
        help="Answer once a record is written to the OS, without waiting for the disk "
        "(survives a crash of wkcli, not of the machine).",
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        help="Seconds allowed for a request body to arrive, and for the whole exchange with "
        "--forward's server (its answer is read up to 1 MiB).",
        rich_help_panel=SERVER,
    ),
]
HeaderTimeout = Annotated[
    float,
    typer.Option(
        "--header-timeout",
        help="Seconds allowed from a request's first byte to the end of its headers; slower "
        "connections are closed.",
        rich_help_panel=SERVER,
    ),
]
IdleTimeout = Annotated[
    float,
    typer.Option(
        "--idle-timeout",
        help="Seconds a keep-alive connection may wait for its next request before it is closed.",
        rich_help_panel=SERVER,
    ),
]
MaxConnections = Annotated[
    Optional[int],
    typer.Option(
        "--max-connections",
        help="Connections open at once; past it the oldest idle one is closed, or the newcomer "
        "gets 503. Default: what the open-file limit allows (ulimit -n less 32; half with --forward).",
        show_default=False,
        rich_help_panel=SERVER,
    ),
]


FAULTS = "Fault injection (reproduce retry storms)"

Respond = Annotated[
    Optional[str],
    typer.Option(
        "--respond",
        metavar="STATUS",
        help="Answer every request with STATUS once it is recorded (e.g. 500, 204: WuKongIM retries "
        "anything but 200). With --forward, replaces the business server's answer.",
        show_default=False,
        rich_help_panel=FAULTS,
    ),
]
FailRate = Annotated[
    Optional[str],
    typer.Option(
        "--fail-rate",
        metavar="P[:STATUS]",
        help="Answer a fraction P of the requests with STATUS (500 by default), e.g. 0.3 or 0.3:503.",
        show_default=False,
        rich_help_panel=FAULTS,
    ),
]
Delay = Annotated[
    Optional[str],
    typer.Option(
        "--delay",
        metavar="DURATION",
        help="Answer late: 2s, 250ms, or a range 100ms..3s (uniformly random). WuKongIM v3 gives "
        "up waiting for the answer's headers after 10 s.",
        show_default=False,
        rich_help_panel=FAULTS,
    ),
]
Seed = Annotated[
    Optional[int],
    typer.Option(
        "--seed",
        help="Seed for --fail-rate and --delay ranges: the same choices for the same sequence of requests.",
        show_default=False,
        rich_help_panel=FAULTS,
    ),
]


@guarded
def capture(
    listen: Listen = "127.0.0.1:8080",
    out: Out = None,
    forward: Forward = None,
    token: Token = None,
    max_body: MaxBody = "16M",
    rotate: Rotate = None,
    no_fsync: NoFsync = False,
    timeout: Timeout = 30.0,
    header_timeout: HeaderTimeout = 10.0,
    idle_timeout: IdleTimeout = 15.0,
    max_connections: MaxConnections = None,
    respond: Respond = None,
    fail_rate: FailRate = None,
    delay: Delay = None,
    seed: Seed = None,
    color: options.Color = "auto",
    quiet: options.Quiet = False,
    utc: options.Utc = False,
) -> ExitCode:
    """Receive webhooks from a running WuKongIM and record each request as one JSONL line.

    Example: wkcli capture --listen 127.0.0.1:8080 --out dump.jsonl

    Point WuKongIM's webhook.http_addr at http://127.0.0.1:8080/ (any path). Each POST becomes a
    record with received_at, event (from ?event=), path, query, remote and body; every wkcli
    command reads these files directly. A request is answered 200 only once its record is on
    disk; a body that is not JSON is recorded as text with a body_error. One line per request
    is printed on stderr while it runs (not with --quiet). Ctrl-C or SIGTERM finishes the
    requests in flight, closes the file and exits 0.

    To reproduce a retry storm: --respond 500, --fail-rate 0.3, --delay 100ms..12s. The record
    then says what was answered ("answered": {"status": 500, "injected": true}) and the live
    view marks the messages WuKongIM delivers again.
    """
    from wkcli.live import check_http_url
    from wkcli.live.capture import (
        CaptureOptions,
        is_loopback,
        parse_listen,
        parse_size,
        run_capture,
    )
    from wkcli.output.live import CaptureView

    session = Session(color, quiet)
    if out is None:
        raise UsageError("name a file to record to: wkcli capture --out dump.jsonl ('-' for stdout)")
    timeouts = (
        ("--timeout", timeout),
        ("--header-timeout", header_timeout),
        ("--idle-timeout", idle_timeout),
    )
    for name, seconds in timeouts:
        if not seconds > 0:
            raise UsageError(f"{name} must be more than 0 seconds")
    if max_connections is not None and max_connections < 1:
        raise UsageError("--max-connections must be 1 or more")
    if token is not None and not token.strip():
        raise UsageError(
            "--token: an empty token would accept every request; give a secret or leave --token out"
        )
    faults = _faults(respond, fail_rate, delay, seed)
    host, port = parse_listen(listen)
    if forward is not None:
        check_http_url(forward, "--forward")
    capture_options = CaptureOptions(
        host=host,
        port=port,
        out=None if out == "-" else out,
        forward=forward,
        token=token,
        max_body=parse_size(max_body, "--max-body"),
        rotate_bytes=parse_size(rotate, "--rotate") if rotate is not None else None,
        fsync=not no_fsync,
        timeout=timeout,
        header_timeout=header_timeout,
        idle_timeout=idle_timeout,
        max_connections=max_connections,
        faults=faults,
    )
    diagnostics = session.diagnostics
    # With --out - on a terminal the records themselves scroll by: no second view on stderr.
    records_on_screen = capture_options.out is None and session.terminal.stdout_isatty
    observer = None if quiet or records_on_screen else CaptureView.for_terminal(session.terminal, color, utc)

    def ready(address: tuple[str, int]) -> None:
        bound_host, bound_port = address
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        where = "stdout" if capture_options.out is None else sanitize(capture_options.out)
        # Always said, even with --quiet: scripts and tests read the bound port from it.
        sys.stderr.write(
            f"wkcli: listening on http://{shown}:{bound_port}/, recording to {where} (Ctrl-C to stop)\n"
        )
        sys.stderr.flush()
        if not is_loopback(bound_host) and capture_options.token is None:
            diagnostics.warning(
                "",
                "listening beyond loopback without --token: WuKongIM signs nothing, so anyone "
                "who can reach this port can add records",
            )

    stats = run_capture(capture_options, observer, ready)
    refused = f", {stats.refused:,} refused" if stats.refused else ""
    if stats.disconnected:
        refused += f", {stats.disconnected:,} cut short by the client"
    bad = f" ({stats.bad_bodies:,} with a body that is not JSON)" if stats.bad_bodies else ""
    diagnostics.note(f"stopped: {plural(stats.recorded, 'request')} recorded{bad}{refused}")
    if stats.write_errors:
        where = "standard output" if capture_options.out is None else capture_options.out
        diagnostics.error(
            "",
            f"cannot write to {where}: {stats.write_error}: {plural(stats.write_errors, 'request')} "
            "not recorded (answered 500)",
        )
        return ExitCode.OUTPUT
    return ExitCode.OK


def _faults(respond: str | None, fail_rate: str | None, delay: str | None, seed: int | None) -> Any:
    from wkcli.live.faults import Faults, parse_delay, parse_fail_rate, parse_status

    if respond is not None and fail_rate is not None:
        raise UsageError("--respond answers every request: leave out --fail-rate (or use 1:STATUS)")
    faults = Faults(seed=seed)
    if respond is not None:
        faults.respond = parse_status(respond, "--respond")
    if fail_rate is not None:
        faults.fail_rate, faults.fail_status = parse_fail_rate(fail_rate)
    if delay is not None:
        faults.delay = parse_delay(delay)
    return faults if faults.active else None
