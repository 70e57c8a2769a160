"""``wkcli report``: a dump at a glance, on the terminal or as one self-contained HTML page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from wkcli.commands import common
from wkcli.errors import ExitCode, UsageError
from wkcli.read.accounting import Stats
from wkcli.read.reader import Reader
from wkcli.webhook.filters import Criteria

FORMATS = ("auto", "text", "json")
HTML_BARS = 96  # timeline bars in the HTML page and in -o json, so their numbers agree

Format = Annotated[
    str,
    typer.Option(
        "--format", "-o", metavar="FORMAT",
        help="text (default on a terminal), json (default in a pipe): the panels' numbers as data.",
        rich_help_panel=common.OUTPUT,
    ),
]  # fmt: skip
Html = Annotated[
    Optional[str],
    typer.Option(
        "--html", metavar="FILE",
        help="Also write the report as one self-contained HTML page (no network needed; '-' for "
        "stdout).",
        rich_help_panel=common.OUTPUT,
    ),
]
Bucket = Annotated[
    Optional[str],
    typer.Option(
        "--bucket", metavar="SIZE",
        help="Timeline bucket: 1s, 1m, 5m, 10m, 1h, 1d (default: chosen from the time span).",
        rich_help_panel=common.OUTPUT,
    ),
]
Top = Annotated[
    int,
    typer.Option("--top", metavar="N", help="Rows in each top list.", rich_help_panel=common.OUTPUT),
]


@common.guarded
def report(
    paths: common.Paths = None,
    kind: common.Kind = None,
    event: common.Event = None,
    channel: common.Channel = None,
    channel_type: common.ChannelType = None,
    sender: common.Sender = None,
    since: common.Since = None,
    until: common.Until = None,
    limit: common.Limit = None,
    fmt: Format = "auto",
    html: Html = None,
    bucket: Bucket = None,
    top: Top = 10,
    input_format: common.InputFormat = "auto",
    strict: common.Strict = False,
    color: common.Color = "auto",
    quiet: common.Quiet = False,
    utc: common.Utc = False,
    follow: common.Follow = False,
    jobs: common.Jobs = None,
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
    from wkcli.webhook.report import Report, bucket_seconds

    if top < 1:
        raise UsageError("--top must be 1 or more")
    try:
        step = bucket_seconds(bucket) if bucket is not None else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    session = common.Session(color, quiet)
    terminal = session.terminal
    explicit = fmt != "auto"
    fmt = common.pick_format(fmt, FORMATS, terminal, "text", "json")
    if html == "-" and explicit:
        raise UsageError("--html - writes the page to stdout; it cannot also take --format")
    criteria = Criteria.from_options(kind, event, channel, channel_type, sender, since, until, limit)
    state = Report(bucket=step, utc=utc, top=top)
    if follow:
        if html is not None:
            raise UsageError("--follow draws the report on a terminal or prints JSON lines; not with --html")

        def make_reader(on_wait: Callable[[], None]) -> Reader:
            return session.reader(
                paths, criteria, input_format, strict, on_wait=on_wait, follow=True, jobs=jobs,
                flush_before_diagnostics=False,
            )

        return _follow(session, make_reader, state, fmt, utc, _title(paths))
    bar = common.progress_line(session, quiet)
    reader = session.reader(
        paths, criteria, input_format, strict, jobs=jobs, progress=bar.update if bar is not None else None
    )
    try:
        for item in reader:
            state.add(item)
    finally:
        if bar is not None:
            bar.clear()
    title = _title(reader.paths)
    if html is not None:
        _write_html(session, state.result(reader.stats, HTML_BARS), html, title, utc)
    if html is None or explicit:
        _write(session, state, reader, fmt, title, utc)
    return session.finish(reader)


def _write(session: common.Session, state: Any, reader: Any, fmt: str, title: str, utc: bool) -> None:
    terminal = session.terminal
    if fmt == "json":
        from wkcli.read.jsontext import dumps

        terminal.stdout_bytes.write(dumps(state.result(reader.stats, HTML_BARS)) + b"\n")
        terminal.stdout_bytes.flush()
        return
    from wkcli.output.report_terminal import render, write

    write(terminal, lambda width: render(state, reader.stats, width, terminal.color, title, utc))


def _write_html(session: common.Session, result: dict[str, Any], target: str, title: str, utc: bool) -> None:
    from wkcli.output.report_html import page

    text = page(result, title, utc)
    terminal = session.terminal
    if target == "-":
        terminal.stdout.write(text)
        terminal.stdout.flush()
        return
    try:
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    session.diagnostics.note(f"wrote {target}")


def _follow(
    session: common.Session, make_reader: Callable[[Callable[[], None]], Reader], state: Any, fmt: str,
    utc: bool, title: str,
) -> ExitCode:
    """--follow: the panels redrawn in place on a terminal; elsewhere (or -o json) a JSON line per change."""
    from wkcli.output.live import FollowedCounts
    from wkcli.output.report_terminal import live_renderable

    terminal = session.terminal
    live = terminal.stdout_isatty and fmt == "text"
    stats = Stats()  # until the reader exists: the view is made first, to be its on_wait

    def report() -> dict[str, Any]:
        return state.result(stats, HTML_BARS)

    def render() -> Any:
        return live_renderable(terminal, state, stats, title, utc)

    view = FollowedCounts(terminal, render, report, live=live)
    reader = make_reader(view.refresh)
    stats = reader.stats
    with view:
        for item in reader:
            state.add(item)
    return session.finish(reader)


def _title(paths: list[str] | None) -> str:
    names = ["<stdin>" if path == "-" else path for path in paths or ["-"]]
    return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
