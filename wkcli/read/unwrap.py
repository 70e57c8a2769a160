"""Turn one JSON value from a dump into webhook items: messages and presence entries.

A value may be a raw body, an envelope (``{"event": ..., "data": ...}``), a capture record with
request metadata (event in a URL's ``?event=``, body as JSON or as a string holding JSON, HAR
``postData``, base64 bodies), or a list of any of these. The event is taken from the record when it
names one, otherwise inferred from the body's shape.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import orjson

from wkcli.read.jsontext import NOT_JSON, loads, loads_fallback
from wkcli.read.values import Value
from wkcli.webhook.model import (
    KNOWN_EVENTS,
    MSG_NOTIFY,
    USER_ONLINESTATUS,
    Message,
    Origin,
    PresenceEntry,
    infer_event,
    is_message,
    json_type,
)
from wkcli.webhook.times import parse_record_time

EVENT_KEYS = ("event", "event_type", "eventType", "webhook_event", "event_name")
URL_KEYS = (
    "url", "uri", "path", "request_uri", "requestURI", "requestUri", "target", "raw_url",
    "full_url", "fullUrl", "query", "raw_query", "rawQuery", "query_string", "queryString",
)  # fmt: skip
QUERY_DICT_KEYS = ("query", "params", "query_params", "queryParams", "args", "qs", "queryStringParameters")
BODY_KEYS = (
    "body", "data", "request_body", "requestBody", "raw_body", "rawBody", "json",
    "postData", "post_data", "payload", "content", "text",
)  # fmt: skip
TIME_KEYS = (
    "received_at", "receivedAt", "received", "recv_time", "time", "ts", "@timestamp",
    "timestamp", "startedDateTime", "datetime", "date",
)  # fmt: skip
NESTED_KEYS = ("request", "req", "http")
# Records the fast paths read without this module, by their exact keys (read/fast/decode.py and
# read/fast/jsonl.py): any other key (a second body, a base64 flag, another time or event) may
# change how they are read here. Each holds its event, its body and its receive time.
ENVELOPE_KEYS = frozenset(("event", "data"))
CAPTURE_KEYS = frozenset(("event", "body", "received_at", "path", "query", "remote", "forward", "body_raw"))
HTTP_CAPTURE_KEYS = frozenset(("url", "body", "received_at", "method", "headers"))  # event in the URL

_URL_EVENT = re.compile(r"(?:^|[?&])event=([^&?#\s]+)")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")
_MAX_NESTING = 4


class Problem:
    """A record (or part of one) that yields nothing: ``malformed`` or merely ``skipped``."""

    __slots__ = ("origin", "reason", "malformed")

    def __init__(self, origin: Origin, reason: str, malformed: bool = True) -> None:
        self.origin = origin
        self.reason = reason
        self.malformed = malformed


class Empty:
    """A well-formed body with nothing in it (``[]``)."""

    __slots__ = ("origin", "event")

    def __init__(self, origin: Origin, event: str | None) -> None:
        self.origin = origin
        self.event = event


Item = Message | PresenceEntry | Problem | Empty


def unwrap(value: Value, path: str) -> Iterator[Item]:
    """Yield the messages and presence entries held by one JSON value read from ``path``."""
    origin = Origin(path, value.line)
    body = value.value
    if value.element and (type(body) is str or is_message(body)):
        # One element of a large pretty-printed array that was streamed: the array is the body.
        body = [body]
    yield from _from_value(body, value.hint, origin, None, 0)


def _from_value(
    body: Any, event: str | None, origin: Origin, received: float | None, nesting: int
) -> Iterator[Item]:
    kind = type(body)
    if kind is list:
        yield from _from_list(body, event, origin, received, nesting)
    elif kind is dict:
        if is_message(body):
            yield Message(body, event or infer_event(body), origin, received)
            return
        record = _read_record(body)
        if record is None:
            yield Problem(origin, _not_a_body(body))
            return
        rec_event, rec_body, rec_time, error = record
        if error:
            yield Problem(origin, error)
            return
        if nesting >= _MAX_NESTING:
            yield Problem(origin, "records nested too deeply")
            return
        yield from _from_value(
            rec_body,
            rec_event or event,
            origin,
            rec_time if rec_time is not None else received,
            nesting + 1,
        )
    elif kind is str:
        parsed = _parse_text_body(body)
        if parsed is _NOT_JSON:
            yield Problem(origin, "a JSON string is not a webhook body: " + _short(body))
        elif nesting >= _MAX_NESTING:
            yield Problem(origin, "records nested too deeply")
        else:
            yield from _from_value(parsed, event, origin, received, nesting + 1)
    else:
        yield Problem(origin, f"{json_type(body)} is not a webhook body")


def _from_list(
    body: list[Any], event: str | None, origin: Origin, received: float | None, nesting: int
) -> Iterator[Item]:
    if not body:
        yield Empty(origin, event)
        return
    shape = event or infer_event(body)
    if shape == USER_ONLINESTATUS:
        for index, entry in enumerate(body):
            if type(entry) is str:
                yield PresenceEntry(entry, origin, received, index)
            else:
                yield Problem(
                    origin,
                    f"element {index + 1} of the user.onlinestatus body is {json_type(entry)}, not a string",
                )
        return
    message_event = event or MSG_NOTIFY
    # With no event named and no message first, this is a list of envelopes or capture records.
    records = event is None and not is_message(body[0]) and nesting < _MAX_NESTING
    for index, element in enumerate(body):
        if is_message(element):
            yield Message(element, message_event, origin, received, index)
        elif records and type(element) in (dict, list):
            yield from _from_value(element, None, origin, received, nesting + 1)
        else:
            where = f"element {index + 1} of the {message_event} body"
            if type(element) is dict:
                yield Problem(origin, f"{where} is not a message object: {_keys(element)}")
            else:
                yield Problem(origin, f"{where} is {json_type(element)}, not a message object")


def _read_record(record: dict[str, Any]):
    """Pick apart an envelope or capture record.

    Returns ``(event, body, received, error)``, or None when the object has no body at all
    (so it is not a record wkcli knows).
    """
    event = _event_of(record)
    received = _time_of(record)
    body, found, base64_body = _body_of(record)
    if not found:
        for key in NESTED_KEYS:
            inner = record.get(key)
            if type(inner) is dict:
                nested = _read_record(inner)
                if nested is not None:
                    inner_event, body, inner_time, error = nested
                    return (
                        event or inner_event,
                        body,
                        received if received is not None else inner_time,
                        error,
                    )
        return None
    if type(body) is str or type(body) is bytes:
        text = body
        if base64_body:
            try:
                text = base64.b64decode(body, validate=False)
            except (binascii.Error, ValueError):
                return event, None, received, "body is marked base64 but does not decode"
        parsed = _parse_text_body(text)
        if parsed is _NOT_JSON:
            return event, None, received, "body is a string that is not JSON: " + _short(body)
        body = parsed
    if body is None:
        return event, None, received, "record has an empty (null) body"
    return event, body, received, None


def _event_of(record: dict[str, Any]) -> str | None:
    for key in EVENT_KEYS:
        value = record.get(key)
        if type(value) is str and value:
            return value
    typed = record.get("type")
    if type(typed) is str and typed in KNOWN_EVENTS:
        return typed
    for key in URL_KEYS:
        value = record.get(key)
        if type(value) is str and "event=" in value:
            found = event_from_url(value)
            if found:
                return found
    for key in QUERY_DICT_KEYS:
        value = record.get(key)
        if type(value) is dict:
            event = value.get("event")
            if type(event) is list and event:
                event = event[0]
            if type(event) is str and event:
                return event
    return None


def event_from_url(text: str) -> str | None:
    """The ``event`` parameter of a URL, path or query string (URL-decoded), or None.

    Also found where a v1/v2 server glued it after an existing query: ``?token=x?event=y``.
    """
    match = _URL_EVENT.search(text)
    return unquote(match.group(1)) if match else None


def _time_of(record: dict[str, Any]) -> float | None:
    for key in TIME_KEYS:
        if key in record:
            found = parse_record_time(record[key])
            if found is not None:
                return found
    return None


def _body_of(record: dict[str, Any]) -> tuple[Any, bool, bool]:
    """``(body, found, is_base64)`` from the first body-like key."""
    is_base64 = record.get("isBase64Encoded") is True or record.get("body_encoding") == "base64"
    for key in ("body_base64", "bodyBase64"):
        if key in record:
            return record[key], True, True
    for key in BODY_KEYS:
        if key in record:
            value = record[key]
            if key in ("postData", "post_data") and type(value) is dict:
                # HAR: {"postData": {"mimeType": ..., "text": "..."}}
                return value.get("text"), True, value.get("encoding") == "base64"
            return value, True, is_base64
    return None, False, False


_NOT_JSON = object()


def _parse_text_body(text: str | bytes) -> Any:
    """A body given as text: JSON, or (gRPC captures) base64 of JSON."""
    stripped = text.strip()
    if not stripped:
        return _NOT_JSON
    try:
        return loads(stripped)
    except orjson.JSONDecodeError:
        value = loads_fallback(stripped)  # what orjson refuses: 1e400, a lone surrogate escape
        if value is not NOT_JSON:
            return value
    if isinstance(stripped, bytes):
        try:
            stripped = stripped.decode("ascii")
        except UnicodeDecodeError:
            return _NOT_JSON
    if len(stripped) >= 4 and _BASE64.match(stripped):
        try:
            decoded = base64.b64decode(stripped, validate=False)
            parsed = loads(decoded)
        except (binascii.Error, ValueError, orjson.JSONDecodeError):
            return _NOT_JSON
        if type(parsed) in (dict, list):
            return parsed
    return _NOT_JSON


def _not_a_body(record: dict[str, Any]) -> str:
    if not record:
        return "an empty object is not a webhook body"
    return f"not a webhook body or capture record: an object with {_keys(record)}"


def _keys(record: dict[str, Any]) -> str:
    names = list(record)[:6]
    more = ", …" if len(record) > 6 else ""
    return "keys " + ", ".join(_short(str(k), 24) for k in names) + more


def _short(text: str | bytes, limit: int = 40) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    shown = text if len(text) <= limit else text[:limit] + "…"
    return repr(shown)
