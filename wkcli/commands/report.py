"""``wkcli report``: a dump at a glance, on the terminal or as one self-contained HTML page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer

from wkcli.commands import options
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode, UsageError
from wkcli.output.base import REPORTS, pick_format
from wkcli.output.report import Reported
from wkcli.read.accounting import Stats
from wkcli.read.reader import Reader
from wkcli.webhook.filters import Criteria

Format = Annotated[
    str,
    typer.Option(
        "--format", "-o", metavar="FORMAT",
        help=REPORTS.help(": the panels' numbers as data"),
        rich_help_panel=options.OUTPUT,
    ),
]  # fmt: skip
Html = Annotated[
    Optional[str],
    typer.Option(
        "--html",
        metavar="FILE",
        help="Also write the report as one self-contained HTML page (no network needed; '-' for stdout).",
        rich_help_panel=options.OUTPUT,
    ),
]
Bucket = Annotated[
    Optional[str],
    typer.Option(
        "--bucket",
        metavar="SIZE",
        help="Timeline bucket: 1s, 1m, 5m, 10m, 1h, 1d (default: chosen from the time span).",
        rich_help_panel=options.OUTPUT,
    ),
]
Top = Annotated[
    int,
    typer.Option("--top", metavar="N", help="Rows in each top list.", rich_help_panel=options.OUTPUT),
]


@guarded
@options.filtered()
def report(
    paths: options.Paths = None,
    criteria: Criteria = options.NO_FILTERS,
    fmt: Format = "auto",
    html: Html = None,
    bucket: Bucket = None,
    top: Top = 10,
    input_format: options.InputFormat = "auto",
    max_line: options.MaxLine = options.DEFAULT_MAX_LINE,
    strict: options.Strict = False,
    color: options.Color = "auto",
    quiet: options.Quiet = False,
    utc: options.Utc = False,
    follow: options.Follow = False,
    jobs: options.Jobs = None,
) -> ExitCode:
    """A dump at a glance: totals, timeline, top channels and senders, CMDs, fan-out, lag, retries, presence.

    Example: `wkcli report dump.jsonl --html report.html`

    One pass over the input. On a terminal the panels are drawn with bars and sparklines that fit
    its width; --follow redraws them as the dump grows. --html writes the same panels as one HTML
    file with charts (SVG, exact numbers on hover) that opens in any browser without a network.
    -o json gives the numbers as data. Top lists are exact up to 10,000 distinct keys each and
    marked approximate beyond; retries (check's duplicates) are spotted among the last 25,000 to
    50,000 messages of each event, so memory stays bounded.
    """
    from wkcli.webhook.report import Report
    from wkcli.webhook.timeline import bucket_seconds

    if top < 1:
        raise UsageError("--top must be 1 or more")
    try:
        step = bucket_seconds(bucket) if bucket is not None else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    session = Session(color, quiet)
    terminal = session.terminal
    explicit = fmt != "auto"
    fmt = pick_format(REPORTS, fmt, terminal)
    if html == "-" and explicit:
        raise UsageError("--html - writes the page to stdout; it cannot also take --format")
    state = Report(bucket=step, utc=utc, top=top)
    if follow:
        if html is not None:
            raise UsageError("--follow draws the report on a terminal or prints JSON lines; not with --html")

        def make_reader(on_wait: Callable[[], None]) -> Reader:
            return session.reader(
                paths,
                criteria,
                input_format,
                strict,
                on_wait=on_wait,
                follow=True,
                jobs=jobs,
                max_line=max_line,
            )

        return _follow(session, make_reader, state, fmt, utc, _title(paths))
    written = [html] if html is not None and html != "-" else []
    reader = session.reader(
        paths, criteria, input_format, strict, jobs=jobs, progress=True, max_line=max_line, writes=written
    )
    try:
        for item in reader.report_into(state):
            state.add(item)
    finally:
        session.reading_done()
    reported = Reported(state, reader.stats, _title(reader.paths), utc)
    if html is not None:
        _write_html(session, reported.result(), html, reported.title, utc)
    if html is None or explicit:
        writer = REPORTS.open(fmt, terminal)
        writer.write(reported)
        writer.close()
    return session.finish(reader)


def _write_html(session: Session, result: dict[str, Any], target: str, title: str, utc: bool) -> None:
    from wkcli.output.files import write_whole
    from wkcli.output.report_html import page

    text = page(result, title, utc)
    terminal = session.terminal
    if target == "-":
        terminal.stdout.write(text)
        terminal.stdout.flush()
        return
    try:
        write_whole(target, text.encode("utf-8", "backslashreplace"))  # lone surrogates as escapes
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    session.diagnostics.note(f"wrote {target}")


def _follow(
    session: Session,
    make_reader: Callable[[Callable[[], None]], Reader],
    state: Any,
    fmt: str,
    utc: bool,
    title: str,
) -> ExitCode:
    """--follow: the panels redrawn in place on a terminal; elsewhere (or -o json) a JSON line per change."""
    from wkcli.output.live import FollowedCounts
    from wkcli.output.report_terminal import live_renderable

    terminal = session.terminal
    live = terminal.stdout_isatty and fmt == "text"
    stats = Stats()  # until the reader exists: the view is made first, to be its on_wait

    def report() -> dict[str, Any]:
        return Reported(state, stats, title, utc).result()

    def render() -> Any:
        return live_renderable(terminal, state, stats, title, utc)

    view = FollowedCounts(terminal, render, report, live=live)
    session.before_diagnostics(view.clear)  # a line about the input stays above the panels
    reader = make_reader(view.refresh)
    stats = reader.stats
    with view:
        for item in reader:
            state.add(item)
    return session.finish(reader)


def _title(paths: list[str] | None) -> str:
    names = ["<stdin>" if path == "-" else path for path in paths or ["-"]]
    return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
