"""Flat, typed rows for SQL engines: one per message delivery, presence entry and problem found."""

from __future__ import annotations

import math
from typing import Any

import orjson

from wkcli.webhook.checks import RULES, Checker, Delivery, Known
from wkcli.webhook.model import Message, Origin, PresenceEntry, channel_type_name
from wkcli.webhook.payload import JSON, TEXT, decode_payload, preview, setting_flags
from wkcli.webhook.presence import PresenceError, parse_presence
from wkcli.webhook.recipients import NONE, recipients

U64_MAX = (1 << 64) - 1
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1
# Times outside years 1..9999 are not times (a ms value read as seconds, garbage): no engine takes them.
_FIRST_SECOND, _LAST_SECOND = -62135596800, 253402300799
_MISSING = object()

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
    header = data.get("header", _MISSING)
    if type(header) is dict:
        sync_once = header.get("sync_once", _MISSING)
        no_persist, red_dot = header.get("no_persist"), header.get("red_dot")
    else:
        # As the CMD rule reads it: a flattened header's sync_once sits at the top level.
        sync_once = data.get("sync_once", _MISSING) if header is _MISSING or header is None else _MISSING
        no_persist = red_dot = None
    decoded = decode_payload(data)
    found = recipients(data)
    if known is not None:
        known.decoded, known.recipients = decoded, found
    value = decoded.value
    if decoded.status == JSON:
        text = value.get("content") if type(value) is dict else None
        text = text if type(text) is str else None
    else:
        text = value if decoded.status == TEXT else None
    listed = found.status != NONE
    channel_type = data.get("channel_type")
    setting = data.get("setting")
    ctype = decoded.content_type
    origin = message.origin
    return {
        "time": micros(message.time),
        "timestamp": _int(data.get("timestamp"), I64_MIN, I64_MAX),
        "event": message.event,
        "kind": message.kind,
        "channel_id": _text(data.get("channel_id")),
        "channel_type": _int(channel_type, I32_MIN, I32_MAX),
        "channel_type_name": channel_type_name(channel_type) or None,
        "from_uid": _text(data.get("from_uid")),
        "message_id": exact_id(data),
        "message_idstr": message.id_text or None,
        "client_msg_no": _text(data.get("client_msg_no")),
        "message_seq": _int(data.get("message_seq"), I64_MIN, I64_MAX),
        "sync_once": _flag(sync_once),
        "sync_once_raw": None if sync_once is _MISSING else _json_text(sync_once),
        "no_persist": _flag(no_persist),
        "red_dot": _flag(red_dot),
        "setting": _int(setting, I32_MIN, I32_MAX),
        "setting_flags": setting_flags(setting),
        "content_type": _int(ctype, I32_MIN, I32_MAX),
        "content_type_name": decoded.type_name or None,
        "payload_status": decoded.status,
        "cmd": decoded.cmd,
        "preview": preview(decoded),
        "text": text,
        "recipients": found.count if listed else None,
        "recipients_status": found.status if listed else None,
        "to_uids": found.uids if listed else None,
        "anomaly": message.anomaly,
        "received": micros(message.received),
        "source_file": origin.path,
        "source_line": origin.line,
        "batch_index": message.index,
    }


def exact_id(data: dict[str, Any]) -> int | None:
    """``message_id`` as an unsigned 64-bit integer, from the number or the exact text; never a float.

    A float (precision already lost upstream) or a number outside 0..2^64-1 gives None;
    ``message_idstr`` still holds the text.
    """
    for key in ("message_id", "message_idstr"):
        value = data.get(key)
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
    row: dict[str, Any] = {
        "time": micros(entry.received),
        "uid": None,
        "device_flag": None,
        "device": None,
        "status": None,
        "online": None,
        "conn_id": None,
        "device_online_count": None,
        "total_online_count": None,
        "entry": entry.text,
        "error": None,
        "source_file": origin.path,
        "source_line": origin.line,
        "entry_index": entry.index,
    }
    try:
        parsed = parse_presence(entry.text)
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
    """``check``'s rules, keeping every occurrence as a problem row (not only the first examples)."""

    def __init__(self) -> None:
        super().__init__(max_examples=0)
        self.rows: list[dict[str, Any]] = []  # drained by the caller after each ``add``

    every_note = True

    def _note(self, code: str, item: Message | Delivery | PresenceEntry, detail: str | None) -> None:
        super()._note(code, item, detail)
        rule = RULES[code]
        origin: Origin = item.origin
        ident = None if isinstance(item, PresenceEntry) else item.id_text
        self.rows.append(
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
