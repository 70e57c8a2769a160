"""``wkcli classify``: one row per message, CMD or chat."""

from __future__ import annotations

from typing import Annotated

import typer

from wkcli.commands import common
from wkcli.webhook.dedupe import Deduper
from wkcli.errors import ExitCode
from wkcli.webhook.filters import Criteria
from wkcli.output.messages import DelimitedWriter, JsonlWriter, JsonWriter
from wkcli.output.terminal import Terminal
from wkcli.webhook.recipients import warning_for as recipients_warning

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


Decode = Annotated[
    bool,
    typer.Option(
        "--decode",
        help='JSON/JSONL: add a "decoded" object (payload parsed, content type and cmd named, '
        "to_uids unpacked, times and flags readable); the original fields are unchanged.",
        rich_help_panel=common.OUTPUT,
    ),
]
Dedupe = Annotated[
    bool,
    typer.Option(
        "--dedupe",
        help="Show each message once (by message_id, else client_msg_no), however many times "
        "and in however many events it was delivered.",
        rich_help_panel=common.FILTERS,
    ),
]


def make_writer(fmt: str, terminal: Terminal, utc: bool = False, extra=None):
    fmt = common.pick_format(fmt, FORMATS, terminal, "table", "jsonl")
    if fmt == "table":
        from wkcli.output.table import TableWriter  # rich is only imported for tables

        return TableWriter(terminal, utc=utc)
    if fmt == "jsonl":
        return JsonlWriter(terminal.stdout_bytes, extra=extra)
    if fmt == "json":
        return JsonWriter(terminal.stdout_bytes, extra=extra)
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
    max_line: common.MaxLine = common.DEFAULT_MAX_LINE,
    color: common.Color = "auto",
    quiet: common.Quiet = False,
    utc: common.Utc = False,
    decode: Decode = False,
    dedupe: Dedupe = False,
    follow: common.Follow = False,
    jobs: common.Jobs = None,
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
    extra = None
    if decode:
        from wkcli.webhook.payload import message_view

        extra = lambda message: {"decoded": message_view(message.data, utc)}  # noqa: E731
    writer = make_writer(fmt, session.terminal, utc, extra)
    # Rows on a terminal would mix with a progress line: only when stdout goes elsewhere.
    bar = None if session.terminal.stdout_isatty else common.progress_line(session, quiet)
    reader = session.reader(
        paths, criteria, input_format, strict, on_wait=writer.flush, presence=False, follow=follow,
        jobs=jobs, progress=bar.update if bar is not None else None, max_line=max_line,
    )
    deduper = Deduper() if dedupe else None
    if deduper is None and extra is None and type(writer) is JsonlWriter:
        reader.pass_plain_jsonl(writer.out)  # plain messages skip Message objects entirely
    warn = session.diagnostics.warning
    try:
        for message in reader:
            if deduper is not None and not deduper.first(message):
                continue
            data = message.data
            if "compress_to_uids" in data or "compress" in data:
                problem = recipients_warning(data)
                if problem is not None:
                    # The truncated v1/v2 gzip is on every compressed message: say it once.
                    once = "recipients-unknown" if problem.startswith("recipients unknown") else None
                    suffix = "; not repeated for later messages" if once else ""
                    warn(str(message.origin), f"{problem} (message {message.id_text}{suffix})", once)
            writer.write(message)
    finally:
        writer.close()
        if bar is not None:
            bar.clear()
    if deduper is not None and deduper.repeats:
        session.diagnostics.note(f"--dedupe: {deduper.repeats:,} repeated deliveries not shown")
    return session.finish(reader)
