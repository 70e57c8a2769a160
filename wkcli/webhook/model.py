"""What WuKongIM means by a webhook's fields: events, messages, presence entries and the CMD rule."""

from __future__ import annotations

from typing import Any

from wkcli.webhook.times import MAX_SECONDS, MIN_SECONDS, seconds_of, timestamp_problem

MSG_NOTIFY = "msg.notify"
MSG_OFFLINE = "msg.offline"
USER_ONLINESTATUS = "user.onlinestatus"
KNOWN_EVENTS = (MSG_NOTIFY, MSG_OFFLINE, USER_ONLINESTATUS)

CMD = "cmd"
CHAT = "chat"
KINDS = (CMD, CHAT)

# channel_type numbers as WuKongIM defines them.
CHANNEL_TYPE_NAMES: dict[int, str] = {
    1: "person",
    2: "group",
    3: "customer service",
    4: "community",
    5: "community topic",
    6: "info",
    7: "data",
    8: "temp",
    9: "live",
    10: "visitors",
    11: "agent",
    12: "agent group",
}


def channel_type_name(value: Any) -> str:
    """``group`` for 2, and so on; an unknown number as ``type 77``; other values as text."""
    if type(value) is int:
        return CHANNEL_TYPE_NAMES.get(value, f"type {value}")
    return "" if value is None else str(value)


# Keys that only a message object carries; any one of them marks a dict as a message.
MESSAGE_KEYS = frozenset(
    (
        "header",
        "message_id",
        "message_idstr",
        "client_msg_no",
        "message_seq",
        "channel_id",
        "from_uid",
        "sync_once",
    )
)
# Keys that only a msg.offline body adds to the message.
OFFLINE_KEYS = ("to_uids", "compress_to_uids", "compress", "source_id")

_MISSING = object()


class Origin:
    """Where a record came from: a file (or ``<stdin>``) and a 1-based line number."""

    __slots__ = ("path", "line")

    def __init__(self, path: str, line: int) -> None:
        self.path = path
        self.line = line

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"

    def __repr__(self) -> str:
        return f"Origin({self.path!r}, {self.line})"


class Message:
    """One message object as WuKongIM sent it, with what wkcli worked out about it.

    ``data`` is the message exactly as parsed (never modified); ``origin`` is shared by all
    messages of one webhook body, so it also identifies the batch a message arrived in.
    """

    __slots__ = ("data", "event", "kind", "anomaly", "origin", "received", "index")

    def __init__(
        self,
        data: dict[str, Any],
        event: str | None,
        origin: Origin,
        received: float | None = None,
        index: int = 0,
    ) -> None:
        self.data = data
        self.event = event
        self.kind, self.anomaly = classify(data)
        ts = data.get("timestamp")
        if ts is not None and not (type(ts) is int and MIN_SECONDS <= ts <= MAX_SECONDS):
            problem = timestamp_problem(ts)
            if problem is not None:
                self.anomaly = problem if self.anomaly is None else f"{self.anomaly}; {problem}"
        self.origin = origin
        self.received = received
        self.index = index  # position inside its body (0 for a single-object body)

    @property
    def time(self) -> float | None:
        """The message's own send time (``timestamp``, Unix seconds), else when it was received."""
        ts = self.data.get("timestamp")
        if type(ts) is int or isinstance(ts, float):
            return seconds_of(ts)  # None for a time no calendar shows (reported as an anomaly)
        return self.received

    @property
    def id_text(self) -> str:
        """The message id as exact text, preferring ``message_idstr`` (never via a float)."""
        data = self.data
        return id_text(data.get("message_id"), data.get("message_idstr"))


def id_text(message_id: Any, message_idstr: Any) -> str:
    """``Message.id_text`` from the two values (None for a missing key)."""
    if isinstance(message_idstr, str) and message_idstr:
        return message_idstr
    if type(message_id) is int:
        return str(message_id)
    return "" if message_id is None else str(message_id)


class PresenceEntry:
    """One ``user.onlinestatus`` string. Not a message: never classified."""

    __slots__ = ("text", "event", "origin", "received", "index")

    kind = None

    def __init__(self, text: str, origin: Origin, received: float | None = None, index: int = 0) -> None:
        self.text = text
        self.event = USER_ONLINESTATUS
        self.origin = origin
        self.received = received
        self.index = index

    @property
    def time(self) -> float | None:
        return self.received


def classify(message: dict[str, Any]) -> tuple[str, str | None]:
    """Return ``(kind, anomaly)`` for one message object.

    WuKongIM's rule (v2 onwards): a message is a CMD exactly when ``header.sync_once`` is 1.
    Only the JSON number 1 counts (``1`` or ``1.0``); a string ``"1"`` or ``true`` does not,
    and since ``True == 1`` in Python the type is tested, not just the value. A missing or
    ``null`` header, or a missing ``sync_once``, means chat. A message with no header object
    (some business servers flatten it) is judged by a top-level ``sync_once``.

    ``anomaly`` is a short description when ``sync_once`` (or the header) is something
    WuKongIM never sends: a value other than 0 or 1, or the wrong JSON type. It is ``None``
    for every ordinary message.
    """
    header = message.get("header", _MISSING)
    if type(header) is dict:
        value = header.get("sync_once", _MISSING)
    elif header is _MISSING or header is None:
        value = message.get("sync_once", _MISSING)
    else:
        return CHAT, f"header is {json_type(header)}, not an object: counted as chat"

    if value is _MISSING or value is None:
        return CHAT, None
    kind_of_value = type(value)
    if kind_of_value is int or isinstance(value, float):
        if value == 1:
            return CMD, None
        if value == 0:
            return CHAT, None
        return CHAT, f"sync_once is {json_repr(value)}, expected 0 or 1: counted as chat"
    return CHAT, (
        f"sync_once is {json_repr(value)} ({json_type(value)}); "
        "only the number 1 marks a CMD: counted as chat"
    )


def infer_event(body: Any) -> str | None:
    """Guess the event from a body's shape when nothing else names it."""
    if type(body) is list:
        if not body:
            return None
        first = body[0]
        if type(first) is str:
            return USER_ONLINESTATUS
        if type(first) is dict:
            return MSG_NOTIFY
        return None
    if type(body) is dict:
        for key in OFFLINE_KEYS:
            if key in body:
                return MSG_OFFLINE
    return None


def is_message(value: Any) -> bool:
    return type(value) is dict and not MESSAGE_KEYS.isdisjoint(value)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def json_quote(text: str) -> str:
    """A string quoted as JSON quotes it, whole: how messages show an entry or a name from a dump."""
    import json

    return json.dumps(text, ensure_ascii=False)


def json_repr(value: Any) -> str:
    """A value as JSON spells it (true, null, "1", {"a":1}), short: messages quote it to people."""
    if isinstance(value, str):
        text = value if len(value) <= 20 else value[:20] + "…"
        return '"' + text.encode("unicode_escape").decode("ascii") + '"'
    import json  # late: only for the rare odd value

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)[:40]
