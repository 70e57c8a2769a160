"""The tables wkcli writes for SQL engines: each column's name, DuckDB and SQLite types, and meaning."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    duck: str  # DuckDB type; Parquet gets the same through DuckDB
    sqlite: str  # SQLite storage class
    meaning: str


def _c(name: str, duck: str, meaning: str, sqlite: str | None = None) -> Column:
    if sqlite is None:
        sqlite = {"BIGINT": "INTEGER", "INTEGER": "INTEGER", "BOOLEAN": "INTEGER"}.get(duck, "TEXT")
    return Column(name, duck, sqlite, meaning)


TIME_NOTE = "UTC; SQLite: text 'YYYY-MM-DD HH:MM:SS.ffffff'"

MESSAGES = (
    _c("time", "TIMESTAMP", f"when the message was sent (its timestamp; else when received), {TIME_NOTE}"),
    _c("timestamp", "BIGINT", "the message's timestamp field as sent (Unix seconds)"),
    _c("event", "VARCHAR", "msg.notify or msg.offline (null when the body's shape did not say)"),
    _c("kind", "VARCHAR", "cmd (header.sync_once is the number 1) or chat"),
    _c("channel_id", "VARCHAR", "channel_id"),
    _c("channel_type", "INTEGER", "channel_type number (1 person, 2 group, ...)"),
    _c("channel_type_name", "VARCHAR", "channel_type named: person, group, community, ..."),
    _c("from_uid", "VARCHAR", "sender uid (empty for system senders in v2)"),
    _c(
        "message_id",
        "UBIGINT",
        "message_id, exact unsigned 64-bit; SQLite: INTEGER when below 2^63, else null (use message_idstr)",
        "INTEGER",
    ),  # fmt: skip
    _c("message_idstr", "VARCHAR", "message id as exact text: the key to join and deduplicate on"),
    _c("client_msg_no", "VARCHAR", "client_msg_no (the sender's own id)"),
    _c("message_seq", "BIGINT", "message_seq in its channel"),
    _c("sync_once", "INTEGER", "header.sync_once when a number (1.0 as 1); null if missing or not a number"),
    _c("sync_once_raw", "VARCHAR", 'sync_once as sent, as JSON text ("1", true, 2, 1.0); null if missing'),
    _c("no_persist", "INTEGER", "header.no_persist"),
    _c("red_dot", "INTEGER", "header.red_dot"),
    _c("setting", "INTEGER", "setting bits as a number"),
    _c("setting_flags", "VARCHAR[]", "names of the setting bits set (SQLite, CSV: JSON text)"),
    _c("content_type", "INTEGER", "the payload's type number (1 text, 2 image, 99 cmd, 1000+ system)"),
    _c("content_type_name", "VARCHAR", "content type named (text, image, cmd, friend apply ...)"),
    _c("payload_status", "VARCHAR", "json, not json, binary, empty, null, missing, not base64, encrypted"),
    _c("cmd", "VARCHAR", "the CMD name in the payload (typing, channelUpdate, ...)"),
    _c("preview", "VARCHAR", "one-line hint of the payload, as in the classify table"),
    _c("text", "VARCHAR", "the payload's content text (text messages), or the payload when not JSON"),
    _c("recipients", "INTEGER", "msg.offline: number of recipients; null when unknown or not offline"),
    _c("recipients_status", "VARCHAR", "listed (to_uids), unpacked (compress_to_uids), unknown, unreadable"),
    _c("to_uids", "VARCHAR[]", "msg.offline recipients, unpacked when compressed (SQLite, CSV: JSON text)"),
    _c("anomaly", "VARCHAR", "what is odd about sync_once or the header, when WuKongIM would never send it"),
    _c("received", "TIMESTAMP", f"when the capture record says the webhook was received, {TIME_NOTE}"),
    _c("source_file", "VARCHAR", "the dump file (<stdin> for a pipe)"),
    _c("source_line", "BIGINT", "line of the record in that file (first line of a multi-line value)"),
    _c("batch_index", "INTEGER", "position of the message in its webhook body (0 for msg.offline)"),
)

PRESENCE = (
    _c("time", "TIMESTAMP", f"when the capture record says it was received (raw bodies: null), {TIME_NOTE}"),
    _c("uid", "VARCHAR", "user id (UUID uids with '-' are kept whole)"),
    _c("device_flag", "INTEGER", "device number: 0 app, 1 web, 2 pc, 99 system"),
    _c("device", "VARCHAR", "device named"),
    _c("status", "VARCHAR", "online or offline"),
    _c("online", "BOOLEAN", "true when going online"),
    _c("conn_id", "BIGINT", "connection id (null in the old 3-part form)"),
    _c("device_online_count", "BIGINT", "connections of this device kind after the change"),
    _c("total_online_count", "BIGINT", "connections of the user after the change"),
    _c("entry", "VARCHAR", "the presence string as sent"),
    _c("error", "VARCHAR", "why the entry does not parse (then the parsed columns are null)"),
    _c("source_file", "VARCHAR", "the dump file"),
    _c("source_line", "BIGINT", "line of the record"),
    _c("entry_index", "INTEGER", "position of the entry in its user.onlinestatus array"),
)

PROBLEMS = (
    _c("kind", "VARCHAR", "malformed (a record that could not be read), or a check code (duplicate ...)"),
    _c("severity", "VARCHAR", "error (malformed), warning or info, as wkcli check grades them"),
    _c("title", "VARCHAR", "what the problem is, in words"),
    _c("source_file", "VARCHAR", "the dump file"),
    _c("source_line", "BIGINT", "line of the record (null when the whole file is at fault)"),
    _c("message_idstr", "VARCHAR", "the message concerned, exact text (joins messages.message_idstr)"),
    _c("event", "VARCHAR", "the event of the message or entry concerned"),
    _c("time", "TIMESTAMP", f"when the message concerned was sent, {TIME_NOTE}"),
    _c("detail", "VARCHAR", "the specifics: the parse error, the odd value, where it was delivered before"),
)

TABLES: dict[str, tuple[Column, ...]] = {"messages": MESSAGES, "presence": PRESENCE, "problems": PROBLEMS}

TABLE_MEANINGS = {
    "messages": "one row per message per delivery (a retried or chunked message has several rows)",
    "presence": "one row per user.onlinestatus entry",
    "problems": "malformed records, and every finding of wkcli check (one row per occurrence)",
}


def describe() -> str:
    """The tables and columns with a line each on what they mean (``wkcli sql --schema``)."""
    lines = []
    for table, columns in TABLES.items():
        lines.append(f"{table}: {TABLE_MEANINGS[table]}")
        width = max(len(c.name) for c in columns)
        type_width = max(len(c.duck) for c in columns)
        for column in columns:
            lines.append(f"  {column.name:<{width}}  {column.duck:<{type_width}}  {column.meaning}")
        lines.append("")
    return "\n".join(lines)
