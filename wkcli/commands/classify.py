"""``wkcli classify``: one row per message, CMD or chat."""

from __future__ import annotations

from typing import Annotated

import typer

from wkcli.commands import common
from wkcli.errors import ExitCode, UsageError
from wkcli.filters import Criteria
from wkcli.output.records import DelimitedWriter, JsonlWriter, JsonWriter
from wkcli.output.terminal import Terminal

FORMATS = ("auto", "table", "jsonl", "json", "csv", "tsv")

Format = Annotated[
    str,
    typer.Option(
        "--format",
        "-o",
        metavar="FORMAT",
        help="table (default on a terminal), jsonl (default in a pipe), json, csv, tsv.",
        rich_help_panel=common.OUTPUT,
    ),
]


def make_writer(fmt: str, terminal: Terminal, utc: bool = False):
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "auto":
        fmt = "table" if terminal.stdout_isatty else "jsonl"
    if fmt == "table":
        from wkcli.output.table import TableWriter  # rich is only imported for tables

        return TableWriter(terminal, utc=utc)
    if fmt == "jsonl":
        return JsonlWriter(terminal.stdout_bytes)
    if fmt == "json":
        return JsonWriter(terminal.stdout_bytes)
    return DelimitedWriter(terminal.stdout, "," if fmt == "csv" else "\t", utc=utc)


@common.guarded
def classify(
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
    input_format: common.InputFormat = "auto",
    strict: common.Strict = False,
    color: common.Color = "auto",
    quiet: common.Quiet = False,
    utc: common.Utc = False,
) -> ExitCode:
    """Sort every message into CMD or chat: one row per message.

    Example: `wkcli classify dump.jsonl | jq 'select(.kind=="cmd") | .message_idstr'`

    A message is a CMD exactly when header.sync_once is the JSON number 1; anything else
    (missing, 0, "1", true, null header) is chat. On a terminal this prints a table; in a pipe,
    one JSON object per line: the message's own fields unchanged, plus "kind" ("cmd" or "chat")
    and "event". Presence entries (user.onlinestatus) are counted in the summary, not listed.
    """
    session = common.Session(color, quiet)
    criteria = Criteria.from_options(kind, event, channel, channel_type, sender, since, until, limit)
    writer = make_writer(fmt, session.terminal, utc)
    reader = session.reader(
        paths, criteria, input_format, strict, on_wait=writer.flush, presence=False
    )
    try:
        for message in reader:
            writer.write(message)
    finally:
        writer.close()
    return session.finish(reader)
