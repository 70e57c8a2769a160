"""The options commands share, declared once as Annotated types, and the panels of --help they sit in."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, Optional, TypeVar, cast

import typer

from wkcli.webhook.filters import Criteria

EXIT_CODES_HELP = (
    "Exit status: 0 every record was read; 1 finished, but some input was malformed; "
    "2 usage error or unreadable file; 4 the output could not be written (a full disk); "
    "130 interrupted (Ctrl-C); 143 terminated (SIGTERM)."
)

FILTERS = "Filters"
INPUT = "Input"
OUTPUT = "Output"

# Options defined once and reused by every command that reads dumps.
Paths = Annotated[
    Optional[list[str]],
    typer.Argument(
        help="Dump files or directories (their files, recursively, in name order): JSONL, JSON, "
        "capture records, log lines; gzip is recognised by content. '-' or no path reads stdin.",
        show_default=False,
        metavar="PATH",
    ),
]
Kind = Annotated[
    Optional[list[str]],
    typer.Option(
        "--kind",
        "-k",
        metavar="KIND",
        help="Keep only 'cmd' or 'chat' messages.",
        rich_help_panel=FILTERS,
    ),
]
Event = Annotated[
    Optional[list[str]],
    typer.Option(
        "--event",
        "-e",
        metavar="EVENT",
        help="Keep only these events: msg.notify, msg.offline, user.onlinestatus, or as the "
        "tables print them, notify, offline, presence. Repeatable, or comma-separated.",
        rich_help_panel=FILTERS,
    ),
]
Channel = Annotated[
    Optional[list[str]],
    typer.Option(
        "--channel",
        "-c",
        metavar="CHANNEL",
        help="Keep only this channel_id. Repeatable.",
        rich_help_panel=FILTERS,
    ),
]
ChannelType = Annotated[
    Optional[list[str]],
    typer.Option(
        "--channel-type",
        metavar="TYPE",
        help="Keep only this channel_type: a number or a name (person, group, community, ...).",
        rich_help_panel=FILTERS,
    ),
]
Sender = Annotated[
    Optional[list[str]],
    typer.Option(
        "--from",
        "-f",
        metavar="UID",
        help="Keep only messages from this from_uid. Repeatable.",
        rich_help_panel=FILTERS,
    ),
]
Since = Annotated[
    Optional[str],
    typer.Option(
        "--since",
        metavar="TIME",
        help="Keep messages sent at or after this time: 2h, 30m, 1d, today, 2026-07-30T10:00, "
        "Unix seconds. Times without a zone are local.",
        rich_help_panel=FILTERS,
    ),
]
Until = Annotated[
    Optional[str],
    typer.Option(
        "--until",
        metavar="TIME",
        help="Keep messages sent before this time (same forms as --since).",
        rich_help_panel=FILTERS,
    ),
]
Limit = Annotated[
    Optional[int],
    typer.Option(
        "--limit",
        "-n",
        metavar="N",
        help="Stop after this many matching messages (presence entries do not count).",
        rich_help_panel=FILTERS,
    ),
]
Ids = Annotated[
    Optional[list[str]],
    typer.Option(
        "--id",
        metavar="ID",
        help="Keep only this message: message_id, message_idstr or client_msg_no. Repeatable.",
        rich_help_panel=FILTERS,
    ),
]
Cmd = Annotated[
    Optional[list[str]],
    typer.Option(
        "--cmd",
        metavar="NAME",
        help="Keep only CMD messages whose payload names this cmd (typing, unreadClear, ...). Repeatable.",
        rich_help_panel=FILTERS,
    ),
]
ContentType = Annotated[
    Optional[list[str]],
    typer.Option(
        "--content-type",
        metavar="TYPE",
        help="Keep only this payload type: a number or a name (text, image, file, cmd, system, ...).",
        rich_help_panel=FILTERS,
    ),
]
Grep = Annotated[
    Optional[list[str]],
    typer.Option(
        "--grep",
        metavar="TEXT",
        help="Keep only messages whose decoded payload, ids or uids contain TEXT (any case). "
        "Repeatable: all must match.",
        rich_help_panel=FILTERS,
    ),
]
GrepRegex = Annotated[
    Optional[list[str]],
    typer.Option(
        "--grep-regex",
        metavar="PATTERN",
        help="As --grep, with a regular expression (Python syntax, any case).",
        rich_help_panel=FILTERS,
    ),
]
InputFormat = Annotated[
    str,
    typer.Option(
        "--input-format",
        metavar="FORMAT",
        help="How to read the input: auto, jsonl (one value per line), json (values may span "
        "lines), log (text before the JSON).",
        rich_help_panel=INPUT,
    ),
]
Follow = Annotated[
    bool,
    typer.Option(
        "--follow",
        "-F",
        help="Keep reading as the files grow, like tail -F: every path, interleaved as they grow; "
        "a path not there yet is waited for; truncation and rotation survived. Ctrl-C to stop.",
        rich_help_panel=INPUT,
    ),
]
Merge = Annotated[
    bool,
    typer.Option(
        "--merge",
        help="Interleave several dumps by time (message timestamp, else receive time) instead of "
        "reading them one after another; records without a time keep their place in their file.",
        rich_help_panel=INPUT,
    ),
]
Jobs = Annotated[
    Optional[int],
    typer.Option(
        "--jobs",
        "-j",
        metavar="N",
        help="Processes for a regular file of 64 MiB or more (default: one per core, but one for "
        "classify output above 2 GiB; 1 reads in one process). Results, output order and line "
        "numbers are the same either way.",
        rich_help_panel=INPUT,
    ),
]
Cluster = Annotated[
    Optional[str],
    typer.Option(
        "--cluster",
        metavar="ADDRESS",
        envvar="WKCLI_CLUSTER",
        help="Read on a Dask cluster: its scheduler (tcp://host:8786), or local[:N] to start N local "
        "workers. Files are cut into byte ranges, one task each; results, output order and "
        "file:line reports are those of a local run. Needs wkcli[cluster].",
        rich_help_panel=INPUT,
        show_default=False,
    ),
]
DEFAULT_MAX_LINE = "64M"  # read.lines.MAX_LINE, as it appears in --help
MaxLine = Annotated[
    str,
    typer.Option(
        "--max-line",
        metavar="SIZE",
        help="Longest line (or pretty-printed value) read, e.g. 16M or 1G; a longer one is reported "
        "with its size and skipped without being held in memory.",
        rich_help_panel=INPUT,
    ),
]
Strict = Annotated[
    bool,
    typer.Option("--strict", help="Stop at the first bad record (exit 1).", rich_help_panel=INPUT),
]
Color = Annotated[
    str,
    typer.Option(
        "--color",
        metavar="WHEN",
        help="Colour: auto (a terminal, unless NO_COLOR or TERM=dumb), always, never.",
        rich_help_panel=OUTPUT,
    ),
]
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="No warnings and no summary on stderr (errors still show).",
        rich_help_panel=OUTPUT,
    ),
]
Utc = Annotated[
    bool,
    typer.Option("--utc", help="Show times in UTC instead of local time.", rich_help_panel=OUTPUT),
]


def fields_option(names: str) -> object:
    """``--fields`` for a command whose rows have the fields ``names`` (for its help)."""
    return typer.Option(
        "--fields", metavar="A,B,...",
        help=f"Columns of table, csv and tsv, in this order: {names}.",
        rich_help_panel=OUTPUT,
    )  # fmt: skip


def check_fields(fields: list[str] | None, fmt: str) -> None:
    """--fields picks columns: it means nothing to JSON, which keeps every field."""
    if fields and fmt not in ("table", "csv", "tsv"):
        from wkcli.errors import UsageError

        raise UsageError(f"--fields picks the columns of table, csv and tsv; not --format {fmt} (add -o csv)")


def check_sending(to: str | None, example: str, concurrency: int, rate: float | None, timeout: float) -> str:
    """The checks replay and trigger make before they send: the server's URL (``example`` shows
    one when none is named) and the pace. Returns the URL."""
    from wkcli.errors import UsageError
    from wkcli.live import check_http_url

    if to is None:
        raise UsageError(f"name the server to send to: {example}")
    check_http_url(to, "--to")
    if concurrency < 1:
        raise UsageError("--concurrency must be 1 or more")
    if rate is not None and rate <= 0:
        raise UsageError("--rate must be more than 0")
    if timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds")
    return to


# The shared filters, in the order --help lists them; ``filtered`` gives a command all of them.
FILTER_OPTIONS: dict[str, Any] = {
    "kind": Kind,
    "event": Event,
    "channel": Channel,
    "channel_type": ChannelType,
    "sender": Sender,
    "since": Since,
    "until": Until,
    "limit": Limit,
    "ids": Ids,
    "cmd": Cmd,
    "content_type": ContentType,
    "grep": Grep,
    "grep_regex": GrepRegex,
}
NO_FILTERS = Criteria()  # a filtered command's ``criteria`` when called with none
F = TypeVar("F", bound=Callable[..., Any])


def filtered(**replaced: Any) -> Callable[[F], F]:
    """Give a command the shared filters, declared here once.

    The command takes ``criteria: Criteria = options.NO_FILTERS``; typer sees the filter options
    in its place, and the command gets them as one ``Criteria``, checked (a bad value is a usage
    error) before it runs. ``replaced`` gives an option another declaration of the same name
    (replay's ``--limit`` counts requests).
    """

    def wrap(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        params: list[inspect.Parameter] = []
        for param in signature.parameters.values():
            if param.name != "criteria":
                params.append(param)
                continue
            for name, annotation in FILTER_OPTIONS.items():
                declared = replaced.get(name, annotation)
                params.append(inspect.Parameter(name, param.kind, default=None, annotation=declared))
        if len(params) == len(signature.parameters):
            raise TypeError(f"{command.__name__} has no criteria parameter for the filters")

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            chosen = {name: kwargs.pop(name, None) for name in FILTER_OPTIONS}
            return command(*args, criteria=Criteria.from_options(**chosen), **kwargs)

        shown = signature.replace(parameters=params)
        run.__signature__ = shown  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params} | {"return": signature.return_annotation}
        return cast(F, run)

    return wrap
