"""The capture record: one JSONL line per received request, its keys defined here only.

A record looks like::

    {"received_at": "2026-11-28T15:37:05.123456Z", "event": "msg.notify", "path": "/webhook",
     "query": "event=msg.notify", "remote": "127.0.0.1:51234", "body": [...]}

``body`` holds the request body verbatim when it is compact JSON (what WuKongIM sends). Other
JSON bodies are stored compacted with the exact bytes kept in ``body_raw``. A body that is not
JSON (or not UTF-8, which JSON must be) is kept as text in ``body`` or as base64 in
``body_base64``, with the reason in ``body_error``: wkcli's readers then report that record as
malformed, with its line. Building a record never fails: whatever arrived is recorded.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from wkcli.read.jsontext import NOT_JSON, dumps, loads_fallback
from wkcli.read.unwrap import Empty, unwrap
from wkcli.read.values import Value
from wkcli.webhook.model import CMD, Message, PresenceEntry
from wkcli.webhook.times import utc_stamp

RECEIVED_AT = "received_at"
EVENT = "event"
PATH = "path"
QUERY = "query"
REMOTE = "remote"
FORWARD = "forward"
ANSWERED = "answered"  # with fault injection: {"status": 500, "injected": true, "delay_ms": 120.0}
BODY = "body"
BODY_RAW = "body_raw"
BODY_BASE64 = "body_base64"
BODY_ERROR = "body_error"


def _field(key: str, value: bytes) -> bytes:
    return b',"' + key.encode() + b'":' + value


def encode_body(raw: bytes) -> tuple[bytes, Any, str | None]:
    """The record's body fields (``,"body":...``), the parsed body (or None), and what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # JSON is UTF-8. Python's json would read CESU-8 surrogates, but no record could hold
        # them as text: keep the exact bytes instead.
        reason = f"body is not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        return _opaque(raw, reason)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        value = loads_fallback(raw)
        if value is NOT_JSON:
            reason = "empty body" if not raw.strip() else f"body is not JSON: {exc}"
            return _field(BODY, orjson.dumps(text)) + _field(BODY_ERROR, orjson.dumps(reason)), None, reason
    else:
        if orjson.dumps(value) == raw:
            # Compact JSON, exactly as a re-encoding would print it: keep the bytes verbatim.
            return _field(BODY, raw), value, None
    try:
        return _field(BODY, dumps(value)) + _field(BODY_RAW, dumps(text)), value, None
    except (TypeError, ValueError, RecursionError) as exc:
        return _opaque(raw, f"body cannot be stored as JSON: {exc}")


def _opaque(raw: bytes, reason: str) -> tuple[bytes, None, str]:
    fields = _field(BODY_BASE64, orjson.dumps(base64.b64encode(raw).decode("ascii")))
    return fields + _field(BODY_ERROR, orjson.dumps(reason)), None, reason


def build_record(
    received: float,
    event: str | None,
    path: str,
    query: str,
    remote: str,
    body: bytes,
    forward: dict[str, Any] | None = None,
    answered: dict[str, Any] | None = None,
) -> tuple[bytes, Any, str | None]:
    """One capture record as a JSONL line; also the parsed body and any body error."""
    meta: dict[str, Any] = {
        RECEIVED_AT: utc_stamp(received),
        EVENT: event,
        PATH: path,
        QUERY: query,
        REMOTE: remote,
    }
    if forward is not None:
        meta[FORWARD] = forward
    if answered is not None:
        meta[ANSWERED] = answered
    try:
        head = orjson.dumps(meta)
    except orjson.JSONEncodeError:
        # A path or query holding a lone surrogate: keep it readable rather than lose the request.
        head = dumps({key: _printable(value) for key, value in meta.items()})
    body_fields, value, error = encode_body(body)
    return head[:-1] + body_fields + b"}\n", value, error


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def describe_body(info: Any, value: Any, recent: Any = None) -> None:
    """Count the messages (CMD and chat) and presence entries of a parsed body into ``info``.

    With no event in the query, names it as readers will infer it from the body's shape. With
    ``recent`` (a ``RecentDeliveries``), messages delivered before in the same event are counted
    as ``info.repeats``: WuKongIM's retries.
    """
    for item in unwrap(Value(0, value, info.event), ""):
        kind = type(item)
        if kind is Message:
            info.messages += 1
            if recent is not None:
                number, ident = recent.delivery(item)
                if number > 1:
                    info.repeats += 1
                    if not info.retry_id:
                        info.retry_no, info.retry_id = number, ident
            if item.kind == CMD:  # type: ignore[union-attr]
                info.cmd += 1
            else:
                info.chat += 1
        elif kind is PresenceEntry:
            info.presence += 1
        elif kind is not Empty:
            info.problems += 1
            continue
        if info.event is None:
            info.event = item.event  # type: ignore[union-attr]
