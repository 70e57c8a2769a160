"""``wkcli capture``: receive webhooks from a running WuKongIM and record every request."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from wkcli.commands import options
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode, UsageError
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
        help="Seconds allowed for a request body to arrive, and for --forward's server to answer.",
        rich_help_panel=SERVER,
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
    if timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds")
    host, port = parse_listen(listen)
    if forward is not None:
        check_http_url(forward, "--forward")
    options = CaptureOptions(
        host=host,
        port=port,
        out=None if out == "-" else out,
        forward=forward,
        token=token or None,
        max_body=parse_size(max_body, "--max-body"),
        rotate_bytes=parse_size(rotate, "--rotate") if rotate is not None else None,
        fsync=not no_fsync,
        timeout=timeout,
    )
    diagnostics = session.diagnostics
    # With --out - on a terminal the records themselves scroll by: no second view on stderr.
    records_on_screen = options.out is None and session.terminal.stdout_isatty
    observer = None if quiet or records_on_screen else CaptureView.for_terminal(session.terminal, color, utc)

    def ready(address: tuple[str, int]) -> None:
        bound_host, bound_port = address
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        where = "stdout" if options.out is None else sanitize(options.out)
        # Always said, even with --quiet: scripts and tests read the bound port from it.
        sys.stderr.write(
            f"wkcli: listening on http://{shown}:{bound_port}/, recording to {where} (Ctrl-C to stop)\n"
        )
        sys.stderr.flush()
        if not is_loopback(bound_host) and options.token is None:
            diagnostics.warning(
                "", "listening beyond loopback without --token: WuKongIM signs nothing, so anyone "
                "who can reach this port can add records"
            )

    stats = run_capture(options, observer, ready)
    refused = f", {stats.refused:,} refused" if stats.refused else ""
    bad = f" ({stats.bad_bodies:,} with a body that is not JSON)" if stats.bad_bodies else ""
    diagnostics.note(f"stopped: {stats.recorded:,} requests recorded{bad}{refused}")
    if stats.write_errors:
        where = "standard output" if options.out is None else options.out
        diagnostics.error(
            "", f"cannot write to {where}: {stats.write_error}: {stats.write_errors:,} requests "
            "were not recorded and were answered 500"
        )
        return ExitCode.OUTPUT
    return ExitCode.OK
