"""``wkcli classify``: one row per message, CMD or chat."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer

from wkcli.commands import options
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode
from wkcli.output.base import MESSAGES, Options, pick_format
from wkcli.output.fields import parse_fields
from wkcli.output.messages import CSV_COLUMNS, JsonlWriter
from wkcli.webhook.dedupe import Deduper
from wkcli.webhook.filters import Criteria
from wkcli.webhook.model import Message
from wkcli.webhook.recipients import message_warning

Format = Annotated[
    str,
    typer.Option(
        "--format",
        "-o",
        metavar="FORMAT",
        help=MESSAGES.help(),
        rich_help_panel=options.OUTPUT,
    ),
]


Fields = Annotated[
    Optional[str],
    options.fields_option(
        "time, timestamp, event, kind, channel_id, channel_type, from_uid, message_id, client_msg_no, "
        "message_seq, sync_once, no_persist, red_dot, content_type, cmd, preview, recipients, source; "
        "decoded fields (decoded.cmd, decoded.content_type_name, decoded.time, ...); or any path into "
        "the message (header.red_dot, payload.content)"
    ),
]
Decode = Annotated[
    bool,
    typer.Option(
        "--decode",
        help='JSON/JSONL: add a "decoded" object (payload parsed, content type and cmd named, '
        "to_uids unpacked, times and flags readable); the original fields are unchanged.",
        rich_help_panel=options.OUTPUT,
    ),
]
Provenance = Annotated[
    bool,
    typer.Option(
        "--provenance",
        help='JSON/JSONL: add "source" (file:line of the record) and "received_at" (the capture\'s '
        "receive time, ISO 8601, null when the record has none) to each message.",
        rich_help_panel=options.OUTPUT,
    ),
]
Dedupe = Annotated[
    bool,
    typer.Option(
        "--dedupe",
        help="Show each message once (by message_id, else client_msg_no), however many times "
        "and in however many events it was delivered.",
        rich_help_panel=options.FILTERS,
    ),
]


def _extra(decode: bool, provenance: bool, utc: bool) -> Callable[[Message], dict[str, Any]] | None:
    """What --decode and --provenance add to each JSON object (None: nothing, the fast path may run)."""
    if not (decode or provenance):
        return None
    from wkcli.webhook.payload import message_view
    from wkcli.webhook.times import iso_time

    def extra(message: Message) -> dict[str, Any]:
        added: dict[str, Any] = {}
        if decode:
            added["decoded"] = message_view(message.data, utc)
        if provenance:
            added["source"] = str(message.origin)
            received = message.received
            added["received_at"] = iso_time(received, utc) if received is not None else None
        return added

    return extra


@guarded
@options.filtered()
def classify(
    paths: options.Paths = None,
    criteria: Criteria = options.NO_FILTERS,
    fmt: Format = "auto",
    fields: Fields = None,
    input_format: options.InputFormat = "auto",
    max_line: options.MaxLine = options.DEFAULT_MAX_LINE,
    strict: options.Strict = False,
    color: options.Color = "auto",
    quiet: options.Quiet = False,
    utc: options.Utc = False,
    decode: Decode = False,
    dedupe: Dedupe = False,
    provenance: Provenance = False,
    follow: options.Follow = False,
    merge: options.Merge = False,
    jobs: options.Jobs = None,
    cluster: options.Cluster = None,
) -> ExitCode:
    """Sort every message into CMD or chat: one row per message.

    Example: `wkcli classify dump.jsonl | jq 'select(.kind=="cmd") | .message_idstr'`

    A message is a CMD exactly when header.sync_once is the JSON number 1; anything else
    (missing, 0, "1", true, null header) is chat. On a terminal this prints a table; in a pipe,
    one JSON object per line: the message's own fields unchanged, plus "kind" ("cmd" or "chat")
    and "event". Presence entries (user.onlinestatus) are counted in the summary, not listed.

    The table's marks: kind "chat!" or "cmd!" is a header.sync_once WuKongIM never sends (wkcli
    check explains); "to" is the number of msg.offline recipients, "?" when unknown (the truncated
    gzip of v1/v2), "!" when unreadable. On a terminal a legend line under the table says so too.
    """
    session = Session(color, quiet)
    extra = _extra(decode, provenance, utc)
    terminal = session.terminal
    fmt = pick_format(MESSAGES, fmt, terminal)
    picked = parse_fields(fields, CSV_COLUMNS)
    options.check_fields(picked, fmt)
    writer = MESSAGES.open(fmt, terminal, Options(utc, extra, picked))
    # Rows on a terminal would mix with a progress line: only when stdout goes elsewhere.
    reader = session.reader(
        paths,
        criteria,
        input_format,
        strict,
        writer=writer,
        presence=False,
        follow=follow,
        merge=merge,
        jobs=jobs,
        progress=not terminal.stdout_isatty,
        max_line=max_line,
        cluster=cluster,
    )
    deduper = Deduper() if dedupe else None
    if deduper is None and extra is None and type(writer) is JsonlWriter:
        reader.pass_plain_jsonl(writer.out)  # plain messages skip Message objects entirely
    warn = session.diagnostics.warning
    try:
        for message in reader:
            if type(message) is not Message:  # presence=False: never, but the reader's type allows it
                continue
            if deduper is not None and not deduper.first(message):
                continue
            problem = message_warning(message)
            if problem is not None:
                warn(str(message.origin), *problem)
            writer.write(message)
    finally:
        writer.close()
        session.reading_done()
    if deduper is not None and deduper.repeats:
        session.diagnostics.note(f"--dedupe: {deduper.repeats:,} repeated deliveries not shown")
    return session.finish(reader)
