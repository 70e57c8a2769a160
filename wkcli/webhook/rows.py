"""Flat, typed rows for SQL engines: one per message delivery, presence entry and problem found."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import orjson

from wkcli.webhook.checks import RULES, Checker, Delivery, Known
from wkcli.webhook.model import Message, Origin, PresenceEntry, channel_type_name
from wkcli.webhook.payload import JSON, TEXT, Decoded, decode_payload, preview, setting_flags
from wkcli.webhook.presence import PresenceError, parse_presence
from wkcli.webhook.recipients import NONE, Recipients, recipients

U64_MAX = (1 << 64) - 1
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1
# Times outside years 1..9999 are not times (a ms value read as seconds, garbage): no engine takes them.
_FIRST_SECOND, _LAST_SECOND = -62135596800, 253402300799
# A key that is not there (``sync_once``: null is not the same).
ABSENT = object()

MALFORMED = "malformed"
ERROR = "error"


def micros(seconds: float | None) -> int | None:
    """Unix seconds as integer microseconds (how every writer stores a time), None when not a time."""
    if seconds is None or not math.isfinite(seconds) or not _FIRST_SECOND <= seconds <= _LAST_SECOND:
        return None
    return round(seconds * 1_000_000)


def message_row(message: Message, known: Known | None = None) -> dict[str, Any]:
    """One message delivery as flat typed values, in the order of ``store.schema`` ``messages``.

    Numbers keep their exact integer values (never a float); a value of the wrong JSON type for
    its column is null there, and ``sync_once_raw`` keeps the sync_once that was sent as JSON text.
    The decoded payload and recipients are left in ``known`` when given, for the checker.
    """
    data = message.data
    get = data.get
    header = get("header", ABSENT)
    if type(header) is dict:
        sync_once = header.get("sync_once", ABSENT)
        no_persist, red_dot = header.get("no_persist"), header.get("red_dot")
    else:
        # As the CMD rule reads it: a flattened header's sync_once sits at the top level.
        sync_once = get("sync_once", ABSENT) if header is ABSENT or header is None else ABSENT
        no_persist = red_dot = None
    decoded = decode_payload(data)
    found = recipients(data)
    if known is not None:
        known.decoded, known.recipients = decoded, found
    origin = message.origin
    return row_of(
        micros(message.time), get("timestamp"), message.event, message.kind, get("channel_id"),
        channel_columns(get("channel_type")), get("from_uid"), exact_id(data), message.id_text,
        get("client_msg_no"), get("message_seq"), header_columns(sync_once, no_persist, red_dot),
        setting_columns(get("setting")), payload_columns(decoded), recipient_columns(found),
        message.anomaly, micros(message.received), origin.path, origin.line, message.index,
    )  # fmt: skip


# Column groups: each a pure function of a few values a message sends, so the export fast path
# (``read/fast/rows.py``) can remember them for values that repeat (CMD payloads, headers).
ChannelColumns = tuple[Any, Any]
HeaderColumns = tuple[Any, Any, Any, Any]
SettingColumns = tuple[Any, list[str]]
PayloadColumns = tuple[Any, Any, str, Any, str, Any]
RecipientColumns = tuple[Any, Any, Any]


def channel_columns(channel_type: Any) -> ChannelColumns:
    """``channel_type``, ``channel_type_name``."""
    return _int(channel_type, I32_MIN, I32_MAX), channel_type_name(channel_type) or None


def header_columns(sync_once: Any, no_persist: Any, red_dot: Any) -> HeaderColumns:
    """``sync_once``, ``sync_once_raw``, ``no_persist``, ``red_dot`` (``sync_once`` ``ABSENT``: missing)."""
    raw = None if sync_once is ABSENT else _json_text(sync_once)
    return _flag(sync_once), raw, _flag(no_persist), _flag(red_dot)


def setting_columns(setting: Any) -> SettingColumns:
    """``setting``, ``setting_flags``."""
    return _int(setting, I32_MIN, I32_MAX), setting_flags(setting)


def payload_columns(decoded: Decoded) -> PayloadColumns:
    """``content_type``, ``content_type_name``, ``payload_status``, ``cmd``, ``preview``, ``text``."""
    value = decoded.value
    status = decoded.status
    if status == JSON:
        text = value.get("content") if type(value) is dict else None
        text = text if type(text) is str else None
    else:
        text = value if status == TEXT else None
    ctype = decoded.content_type
    return (
        _int(ctype, I32_MIN, I32_MAX), decoded.type_name or None, status, decoded.cmd, preview(decoded), text
    )  # fmt: skip


def recipient_columns(found: Recipients) -> RecipientColumns:
    """``recipients``, ``recipients_status``, ``to_uids``."""
    if found.status == NONE:
        return None, None, None
    return found.count, found.status, found.uids


def row_of(
    time: int | None, timestamp: Any, event: str | None, kind: str, channel_id: Any,
    channel: ChannelColumns, from_uid: Any, message_id: int | None, id_text: str, client_msg_no: Any,
    message_seq: Any, header: HeaderColumns, setting: SettingColumns, payload: PayloadColumns,
    found: RecipientColumns, anomaly: str | None, received: int | None, path: str, line: int, index: int,
) -> dict[str, Any]:  # fmt: skip
    """A ``messages`` row from a message's values as sent, its column groups (above), and what the
    reader worked out (time and received as integer microseconds). ``message_row`` and the
    export fast path (``read/fast/rows.py``) both build their rows here."""
    channel_type, channel_type_name = channel
    sync_once, sync_once_raw, no_persist, red_dot = header
    setting_value, flags = setting
    content_type, content_type_name, status, cmd, preview_text, text = payload
    count, recipients_status, to_uids = found
    return {
        "time": time,
        "timestamp": _int(timestamp, I64_MIN, I64_MAX),
        "event": event,
        "kind": kind,
        "channel_id": _text(channel_id),
        "channel_type": channel_type,
        "channel_type_name": channel_type_name,
        "from_uid": _text(from_uid),
        "message_id": message_id,
        "message_idstr": id_text or None,
        "client_msg_no": _text(client_msg_no),
        "message_seq": _int(message_seq, I64_MIN, I64_MAX),
        "sync_once": sync_once,
        "sync_once_raw": sync_once_raw,
        "no_persist": no_persist,
        "red_dot": red_dot,
        "setting": setting_value,
        "setting_flags": flags,
        "content_type": content_type,
        "content_type_name": content_type_name,
        "payload_status": status,
        "cmd": cmd,
        "preview": preview_text,
        "text": text,
        "recipients": count,
        "recipients_status": recipients_status,
        "to_uids": to_uids,
        "anomaly": anomaly,
        "received": received,
        "source_file": path,
        "source_line": line,
        "batch_index": index,
    }


def row_line(row: dict[str, Any]) -> bytes:
    """A row as the JSON line the loaders ingest (``store/duck.py``); lone surrogates (valid JSON
    escapes, invalid UTF-8) become ``?``: engines store UTF-8 text."""
    try:
        return orjson.dumps(row) + b"\n"
    except TypeError:
        return orjson.dumps(_without_surrogates(row)) + b"\n"


def exact_id(data: dict[str, Any]) -> int | None:
    """``message_id`` as an unsigned 64-bit integer, from the number or the exact text; never a float.

    A float (precision already lost upstream) or a number outside 0..2^64-1 gives None;
    ``message_idstr`` still holds the text.
    """
    return exact_id_of(data.get("message_id"), data.get("message_idstr"))


def exact_id_of(message_id: Any, message_idstr: Any) -> int | None:
    """``exact_id`` from the two values (None for a missing key)."""
    for value in (message_id, message_idstr):
        if type(value) is int:
            if 0 <= value <= U64_MAX:
                return value
        elif type(value) is str and value.isascii() and value.isdigit() and len(value) <= 20:
            number = int(value)
            if number <= U64_MAX:
                return number
    return None


def presence_row(entry: PresenceEntry) -> dict[str, Any]:
    """One ``user.onlinestatus`` entry parsed; an entry that does not parse keeps its text and ``error``."""
    origin = entry.origin
    return presence_row_of(entry.text, entry.received, origin.path, origin.line, entry.index)


def presence_row_of(text: str, received: float | None, path: str, line: int, index: int) -> dict[str, Any]:
    """``presence_row`` from an entry's text, its record's receive time, and where it is (the
    export fast path builds its rows here too)."""
    row: dict[str, Any] = {
        "time": micros(received),
        "uid": None,
        "device_flag": None,
        "device": None,
        "status": None,
        "online": None,
        "conn_id": None,
        "device_online_count": None,
        "total_online_count": None,
        "entry": text,
        "error": None,
        "source_file": path,
        "source_line": line,
        "entry_index": index,
    }
    try:
        parsed = parse_presence(text)
    except PresenceError as exc:
        row["error"] = str(exc)
        return row
    row["uid"] = parsed.uid
    row["device_flag"] = _int(parsed.device_flag, I32_MIN, I32_MAX)
    row["device"] = parsed.device
    row["status"] = "online" if parsed.online else "offline"
    row["online"] = parsed.online
    row["conn_id"] = _int(parsed.conn_id, I64_MIN, I64_MAX)
    row["device_online_count"] = _int(parsed.device_online_count, I64_MIN, I64_MAX)
    row["total_online_count"] = _int(parsed.total_online_count, I64_MIN, I64_MAX)
    return row


def malformed_row(where: str, reason: str) -> dict[str, Any]:
    """A record the reader could not take, from its ``file:line`` (or just the file) and reason."""
    path, line = where, None
    head, sep, tail = where.rpartition(":")
    if sep and tail.isdigit():
        path, line = head, int(tail)
    return _problem(MALFORMED, ERROR, "a record that is not a readable webhook", path or None, line,
                    None, None, None, reason)  # fmt: skip


class RowChecker(Checker):
    """``check``'s rules, keeping every occurrence as a problem row (not only the first examples).

    Each row goes to ``on_row`` as the finding is made (so that rows made between the items a
    reader yields, from a fast path's records, keep their place among the reader's own error
    rows); without it, rows wait in ``rows`` for the caller.
    """

    def __init__(self, on_row: Callable[[dict[str, Any]], None] | None = None) -> None:
        super().__init__(max_examples=0)
        self.rows: list[dict[str, Any]] = []  # drained by the caller after each ``add``
        self._put = on_row if on_row is not None else self.rows.append

    every_note = True

    def _note(self, code: str, item: Message | Delivery | PresenceEntry, detail: str | None) -> None:
        super()._note(code, item, detail)
        rule = RULES[code]
        origin: Origin = item.origin
        ident = None if isinstance(item, PresenceEntry) else item.id_text
        self._put(
            _problem(
                code,
                rule.level,
                rule.title,
                origin.path,
                origin.line,
                ident or None,
                item.event,
                micros(item.time),
                detail,
            )  # fmt: skip
        )


def _problem(
    kind: str, severity: str, title: str, path: str | None, line: int | None, ident: str | None,
    event: str | None, time: int | None, detail: str | None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "kind": kind,
        "severity": severity,
        "title": title,
        "source_file": path,
        "source_line": line,
        "message_idstr": ident,
        "event": event,
        "time": time,
        "detail": detail,
    }


def _int(value: Any, low: int, high: int) -> int | None:
    # type() and not isinstance(): true and false are not numbers here.
    if type(value) is int and low <= value <= high:
        return value
    return None


def _flag(value: Any) -> int | None:
    """A header flag as the integer it is (1.0 counts as 1, as for the CMD rule); null otherwise."""
    kind = type(value)
    if kind is int and I32_MIN <= value <= I32_MAX:
        return value
    if kind is float and value.is_integer() and I32_MIN <= value <= I32_MAX:
        return int(value)
    return None


def _text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return _json_text(value)


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits
        return str(value)


def _without_surrogates(value: Any) -> Any:
    if type(value) is str:
        return value.encode("utf-8", "replace").decode("utf-8")
    if type(value) is list:
        return [_without_surrogates(item) for item in value]
    if type(value) is dict:
        return {key: _without_surrogates(item) for key, item in value.items()}
    return value
