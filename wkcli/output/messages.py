"""Writers for one row per message: JSONL, JSON, CSV and TSV (no rich here: these run in pipes)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

import orjson

from wkcli.read.jsontext import dumps
from wkcli.text import display, sanitize
from wkcli.webhook.model import Message
from wkcli.webhook.payload import decode_payload, preview
from wkcli.webhook.recipients import recipients
from wkcli.webhook.times import iso_time

if TYPE_CHECKING:
    from wkcli.output.base import Options
    from wkcli.output.terminal import Terminal

CSV_COLUMNS = (
    "time",
    "timestamp",
    "event",
    "kind",
    "channel_id",
    "channel_type",
    "from_uid",
    "message_id",
    "client_msg_no",
    "message_seq",
    "sync_once",
    "no_persist",
    "red_dot",
    "content_type",
    "cmd",
    "preview",
    "recipients",
    "source",
)

Extra = Callable[[Message], dict[str, Any]]


def zoned_time(seconds: float | None, utc: bool = False) -> str:
    """``2026-07-30T10:00:00+08:00`` (``...Z`` in UTC): a time in a file says which zone it is in."""
    if seconds is None:
        return ""
    text = iso_time(seconds, utc) or display(seconds)
    return text[:-6] + "Z" if utc and text.endswith("+00:00") else text


def header_flag(message: Message, name: str) -> object:
    header = message.data.get("header")
    if type(header) is dict:
        return header.get(name)
    return message.data.get(name) if name == "sync_once" else None


def flat_row(message: Message, utc: bool = False) -> dict[str, str]:
    """The message as flat, display-safe text columns (CSV, TSV)."""
    data = message.data
    decoded = decode_payload(data)
    timestamp = data.get("timestamp")
    return {
        "time": zoned_time(message.time, utc),
        "timestamp": display(timestamp),
        "event": display(message.event),
        "kind": message.kind,
        "channel_id": display(data.get("channel_id")),
        "channel_type": display(data.get("channel_type")),
        "from_uid": display(data.get("from_uid")),
        "message_id": message.id_text,
        "client_msg_no": display(data.get("client_msg_no")),
        "message_seq": display(data.get("message_seq")),
        "sync_once": display(header_flag(message, "sync_once")),
        "no_persist": display(header_flag(message, "no_persist")),
        "red_dot": display(header_flag(message, "red_dot")),
        "content_type": display(decoded.type_name or None),
        "cmd": display(decoded.cmd),
        "preview": display(preview(decoded)),
        "recipients": _recipients_cell(data),
        "source": display(str(message.origin)),
    }


def _recipients_cell(data: dict[str, Any]) -> str:
    """msg.offline recipients: a count, or "unknown" (v1/v2 truncated gzip) / "unreadable"."""
    if "to_uids" not in data and "compress_to_uids" not in data:
        return ""
    found = recipients(data)
    return str(found.count) if found.count is not None else found.status


class JsonlWriter:
    """One JSON object per line: the message's own fields unchanged, then ``kind`` and ``event``.

    The original fields keep their order and values (message ids near 2^64 stay exact).
    """

    def __init__(self, out: BinaryIO, extra: Extra | None = None) -> None:
        self.out = out
        self.extra = extra

    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> JsonlWriter:
        return cls(terminal.stdout_bytes, options.extra)

    def write(self, message: Message) -> None:
        self.out.write(encode_message(message, self.extra) + b"\n")

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class JsonWriter(JsonlWriter):
    """A single JSON array, written as it goes so memory stays flat."""

    def __init__(self, out: BinaryIO, extra: Extra | None = None) -> None:
        super().__init__(out, extra)
        self._count = 0

    def write(self, message: Message) -> None:
        self.out.write((b",\n" if self._count else b"[\n") + encode_message(message, self.extra))
        self._count += 1

    def close(self) -> None:
        self.out.write(b"\n]\n" if self._count else b"[]\n")
        self.out.flush()


class DelimitedWriter:
    """CSV (RFC 4180 quoting) or TSV (tabs and newlines escaped), with a header row."""

    def __init__(
        self, out: TextIO, delimiter: str = ",", utc: bool = False, fields: list[str] | None = None
    ) -> None:
        self.out = out
        self.utc = utc
        self.tsv = delimiter == "\t"
        self.fields = fields or list(CSV_COLUMNS)
        self._values = None
        if fields:
            from wkcli.output.fields import message_getter

            self._values = message_getter(fields, lambda message: flat_row(message, utc), utc)
        self._buffer = io.StringIO()
        from wkcli.output.fields import delimited_writer

        self._writer = delimited_writer(self._buffer, delimiter)
        self._emit(list(self.fields))

    def write(self, message: Message) -> None:
        if self._values is not None:
            self._emit(self._values(message))
            return
        row = flat_row(message, self.utc)
        self._emit([row[name] for name in CSV_COLUMNS])

    def _emit(self, values: list[str]) -> None:
        # Every cell, whatever column it came from, is escaped here (sanitize turns tabs and
        # newlines into visible escapes too, which TSV needs).
        values = [sanitize(value) for value in values]
        self._writer.writerow(values)
        self.out.write(self._buffer.getvalue())
        self._buffer.seek(0)
        self._buffer.truncate()

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class CsvWriter(DelimitedWriter):
    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> CsvWriter:
        return cls(terminal.stdout, ",", utc=options.utc, fields=options.fields)


class TsvWriter(DelimitedWriter):
    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> TsvWriter:
        return cls(terminal.stdout, "\t", utc=options.utc, fields=options.fields)


def encode_message(message: Message, extra: Extra | None = None) -> bytes:
    data = message.data
    added: dict[str, Any] = {"kind": message.kind}
    if message.event is not None:
        added["event"] = message.event
    if extra is not None:
        added.update(extra(message))
    if data and not any(key in data for key in added):
        # Fast path: splice the added fields onto the serialised original.
        try:
            return orjson.dumps(data)[:-1] + b"," + orjson.dumps(added)[1:]
        except TypeError:
            pass
    merged = dict(data)
    merged.update(added)
    return dumps(merged)
