"""Typed msgspec decoders for the fast path: only the keys that decide a message's kind and event.

Kept apart so msgspec is imported only when a fast count runs. ``Header`` lets by only the
``sync_once`` values for which ``webhook.model.classify`` gives a kind with no anomaly;
tests/test_model.py checks that against the rule's whole table of edge cases.
"""

from typing import Annotated, Any, Literal, Optional, Union

import msgspec

from wkcli.read.fast.counts import PRESENCE_E
from wkcli.read.unwrap import CAPTURE_KEYS, ENVELOPE_KEYS, HTTP_CAPTURE_KEYS, event_from_url
from wkcli.webhook.model import MSG_NOTIFY, MSG_OFFLINE, USER_ONLINESTATUS
from wkcli.webhook.times import MAX_SECONDS, MIN_SECONDS, parse_record_time

UNSET = msgspec.UNSET
_IN_RANGE = msgspec.Meta(ge=MIN_SECONDS, le=MAX_SECONDS)


# The fast paths' structs are made gc=False (here, in rowdecode and groups): decoded JSON holds
# no cycles, and untracked structs spare the garbage collector a million objects a second.
class Header(msgspec.Struct, gc=False):
    # Only what needs no second look: 0, 1, null or missing (chat unless 1). Anything else
    # ("1", true, 2, 1.0) fails to decode, and the general path reports it as WuKongIM would.
    sync_once: Optional[Literal[0, 1]] = 0


class Msg(msgspec.Struct, gc=False):
    """A message object; other keys are checked as JSON but not kept.

    A header that is neither an object nor null fails to decode: the general path reports it.
    """

    header: Union[Header, None, msgspec.UnsetType] = UNSET
    # A time no calendar shows is an anomaly the general path reports (strings it ignores).
    timestamp: Union[Annotated[int, _IN_RANGE], Annotated[float, _IN_RANGE], str, None] = None
    to_uids: Union[msgspec.Raw, msgspec.UnsetType] = UNSET
    compress_to_uids: Union[msgspec.Raw, msgspec.UnsetType] = UNSET
    compress: Union[msgspec.Raw, msgspec.UnsetType] = UNSET
    source_id: Union[msgspec.Raw, msgspec.UnsetType] = UNSET
    # Not message keys: they say the line may be an envelope or a capture record.
    data: Union[msgspec.Raw, msgspec.UnsetType] = UNSET
    body: Union[msgspec.Raw, msgspec.UnsetType] = UNSET


Body = Union[Msg, list[Union[Msg, str]]]


decode_body = msgspec.json.Decoder(Body).decode


class FullHeader(msgspec.Struct, gc=False):
    """``Header``, telling a missing ``sync_once`` (UNSET) from one sent (check's details say which)."""

    sync_once: Union[Literal[0, 1], None, msgspec.UnsetType] = UNSET


class Full(msgspec.Struct, gc=False):
    """A message with what ``check``'s rules read, each of the one type they take as it is.

    A key of another type (a numeric channel_id, a dict payload, a message_id wider than 64
    bits, recipients that are not an array of strings) fails to decode: the general path reads it.
    """

    header: Union[FullHeader, None, msgspec.UnsetType] = UNSET
    timestamp: Union[Annotated[int, _IN_RANGE], Annotated[float, _IN_RANGE], str, None] = None
    to_uids: Union[msgspec.Raw, msgspec.UnsetType] = UNSET  # decode_uids: an array of strings or fail
    compress_to_uids: Union[msgspec.Raw, msgspec.UnsetType] = UNSET
    compress: Union[msgspec.Raw, msgspec.UnsetType] = UNSET
    source_id: Union[msgspec.Raw, msgspec.UnsetType] = UNSET
    data: Union[msgspec.Raw, msgspec.UnsetType] = UNSET
    body: Union[msgspec.Raw, msgspec.UnsetType] = UNSET
    message_id: Union[int, None, msgspec.UnsetType] = UNSET
    message_idstr: Union[str, None, msgspec.UnsetType] = UNSET
    client_msg_no: Union[str, None, msgspec.UnsetType] = UNSET
    channel_id: Union[str, None, msgspec.UnsetType] = UNSET
    from_uid: Union[str, None, msgspec.UnsetType] = UNSET
    payload: Union[str, None, msgspec.UnsetType] = UNSET
    setting: Union[int, None, msgspec.UnsetType] = UNSET


decode_full = msgspec.json.Decoder(Union[Full, list[Union[Full, str]]]).decode
decode_uids = msgspec.json.Decoder(list[str]).decode


# The keys of the records besides their event, body and time (``unwrap``'s exact key sets).
CAPTURE_EXTRAS = sorted(CAPTURE_KEYS - {"event", "body", "received_at"})
HTTP_EXTRAS = sorted(HTTP_CAPTURE_KEYS - {"url", "body", "received_at"})


class HttpRecord:
    """A generic HTTP capture record (received_at, method, url with ``?event=``, headers, and the
    body as JSON text or as JSON), read as a ``wkcli capture`` record is: its event, body and
    receive time."""

    __slots__ = ("event", "body", "received_at")

    def __init__(self, event: str, body: Any, received_at: Any) -> None:
        self.event = event
        self.body = body
        self.received_at = received_at


def record_decoders(message: type, presence: bool = False) -> tuple[Any, Any]:
    """Decoders of an ``{"event", "data"}`` envelope, and of a capture record (as ``wkcli
    capture`` writes it, else a generic HTTP capture, ``HttpRecord``), exactly those keys,
    whose body is one ``message`` or an array of them (or, with ``presence``, of presence
    strings)."""
    element = Union[message, str] if presence else message
    body = Union[message, list[element]]  # type: ignore[valid-type]
    raw = Union[msgspec.Raw, msgspec.UnsetType]
    envelope = msgspec.defstruct("Envelope", [("event", str), ("data", body)], forbid_unknown_fields=True)
    fields: list[Any] = [("event", str), ("body", body), ("received_at", Any, UNSET)]
    fields += [(key, raw, UNSET) for key in CAPTURE_EXTRAS]
    capture = msgspec.defstruct("Capture", fields, forbid_unknown_fields=True)
    # The body as JSON text (or JSON), and the event in the URL's query: no other key may name either.
    http_fields: list[Any] = [("url", str), ("body", Union[str, body]), ("received_at", Any, UNSET)]
    http_fields += [(key, raw, UNSET) for key in HTTP_EXTRAS]
    http = msgspec.defstruct("Http", http_fields, forbid_unknown_fields=True)
    decode_capture = msgspec.json.Decoder(capture).decode
    decode_http = msgspec.json.Decoder(http).decode
    decode_text = msgspec.json.Decoder(body).decode

    def decode_record(line: bytes) -> Any:
        found: Any
        try:
            return decode_capture(line)
        except (msgspec.DecodeError, msgspec.ValidationError):
            found = decode_http(line)
        url = found.url
        event = event_from_url(url) if "event=" in url else None
        if not event:
            raise ValueError("no event in the URL")
        text = found.body
        return HttpRecord(event, decode_text(text) if type(text) is str else text, found.received_at)

    return msgspec.json.Decoder(envelope).decode, decode_record


# What ``count`` reads of records: their bodies and events.
decode_envelope, decode_capture = record_decoders(Msg, presence=True)

# How the records ``record_decoders`` reads open, as wkcli and HTTP request loggers write them.
RECORD_OPENINGS = (b'{"received_at"', b'{"event"', b'{"url"')
ENVELOPE_OPENING = b'{"event"'  # tried as an {"event", "data"} envelope; the others as capture records
_RECORD_KEYS = ENVELOPE_KEYS | CAPTURE_KEYS | HTTP_CAPTURE_KEYS


def records_first(message: type) -> bool:
    """Whether a fast path reading lines as ``message`` (a struct type) may try a line that opens
    as a record does (``RECORD_OPENINGS``) as a record first, and save reading it twice.

    True when no key a record may have is a field of ``message`` but ``data`` and ``body``
    (raw, if fields): a record then reads as a ``message`` with no header and a raw body, which
    sends it to the record decoders anyway. A line that is not such a record fails those at once
    and is read as before.
    """
    fields = set(getattr(message, "__struct_encode_fields__", ()))
    return not (fields & _RECORD_KEYS) - {"data", "body"}


def record_messages(record: Any) -> tuple[int, float | None, list[Any]] | None:
    """``(e, received, items)`` of a decoded envelope or capture record: its event's index in
    ``counts.EVENTS`` (msg.offline 1, msg.notify 2; user.onlinestatus ``PRESENCE_E``), its
    receive time, its messages (or presence strings) in order; None when the general path must
    read it (another event, an empty body, a string among messages or a message among strings)."""
    event = record.event
    e = (
        1
        if event == MSG_OFFLINE
        else 2
        if event == MSG_NOTIFY
        else PRESENCE_E
        if event == USER_ONLINESTATUS
        else 0
    )
    body = getattr(record, "data", UNSET)
    if body is UNSET:
        body = record.body
    items = body if type(body) is list else [body]
    if not e or not items:
        return None
    strings = sum(type(item) is str for item in items)
    if strings != (len(items) if e == PRESENCE_E else 0):
        return None  # presence entries only, or messages only
    when = getattr(record, "received_at", UNSET)
    return e, None if when is UNSET else parse_record_time(when), items
