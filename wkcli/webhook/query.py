"""The compact filter language of ``wkcli browse``: ``kind:cmd channel:g1 since:2h "free text"``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from wkcli.errors import BadValue
from wkcli.webhook.filters import Criteria, split_values
from wkcli.webhook.model import Message
from wkcli.webhook.payload import JSON, content_type_name, decode_payload

# Query key -> the keyword of Criteria.from_options it stands for (None: matched here).
KEYS: dict[str, str | None] = {
    "kind": "kind",
    "event": "event",
    "channel": "channel",
    "type": "channel_type",
    "from": "sender",
    "since": "since",
    "until": "until",
    "id": None,
    "cmd": None,
    "ctype": None,
}
_SINGLE = ("since", "until")  # one time each: a window has one start and one end


class QueryError(BadValue):
    """A query that cannot be read; ``position`` is the 0-based column where the trouble starts."""

    def __init__(self, position: int, what: str, text: str, aside: bool = False) -> None:
        self.position = position
        super().__init__(what, text, aside)

    def __str__(self) -> str:
        return f"at column {self.position + 1}: {self.naming(self.what)}"


@dataclass
class Query:
    """A parsed query: keyword arguments for ``Criteria.from_options``, what Criteria lacks, free text."""

    options: dict[str, Any] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    cmds: list[str] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    text: str = ""
    criteria: Criteria = field(default_factory=Criteria)


def tokens(text: str) -> list[tuple[int, str | None, str]]:
    """``(position, key or None, value)`` for each word; quoted words are free text (key None)."""
    out: list[tuple[int, str | None, str]] = []
    i = 0
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        key: str | None = None
        if text[i] != '"':
            j = i
            while j < n and not text[j].isspace() and text[j] != ":" and text[j] != '"':
                j += 1
            if j < n and text[j] == ":" and j > i and text[i:j].isalpha():
                key = text[i:j].lower()
                i = j + 1
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(i, "query", "has a quote that is never closed")
            value = text[i + 1 : end]
            i = end + 1
        else:
            j = i
            while j < n and not text[j].isspace():
                j += 1
            value = text[i:j]
            i = j
        out.append((start, key, value))
    return out


def parse(text: str, base: dict[str, Any] | None = None) -> Query:
    """Read a query; ``base`` holds options already given (the command line's), which it adds to."""
    query = Query(options=dict(base or {}))
    where: dict[str, int] = {}
    free: list[str] = []
    twice: set[str] = set()
    for position, key, value in tokens(text):
        if key is None:
            free.append(value)
            continue
        if key not in KEYS:
            raise QueryError(position, key, f"is not a filter; use {', '.join(KEYS)}")
        if not value:
            raise QueryError(position, key, "needs a value, e.g. " + _EXAMPLES[key])
        where.setdefault(KEYS[key] or key, position)
        option = KEYS[key]
        if option is None:
            getattr(query, {"id": "ids", "cmd": "cmds", "ctype": "content_types"}[key]).extend(
                split_values([value])
            )
        elif key in _SINGLE:
            if option in twice:
                raise QueryError(position, key, "is given twice")
            twice.add(option)
            query.options[option] = value
        else:
            query.options.setdefault(option, [])
            query.options[option] = list(query.options[option] or []) + [value]
    query.text = " ".join(free).strip()
    try:
        query.criteria = Criteria.from_options(**query.options)
    except BadValue as exc:
        name = next((k for k, v in KEYS.items() if v == exc.what), exc.what)
        raise QueryError(where.get(exc.what, 0), name, exc.text, exc.aside) from None
    return query


_EXAMPLES = {
    "kind": "kind:cmd",
    "event": "event:msg.offline",
    "channel": "channel:g1",
    "type": "type:group",
    "from": "from:u1001",
    "since": "since:2h",
    "until": "until:2026-07-30T10:00",
    "id": "id:1877505633800945664",
    "cmd": "cmd:typing",
    "ctype": "ctype:1 or ctype:text",
}


def matcher(query: Query) -> Callable[[Message], bool] | None:
    """The test for what Criteria does not cover (id, cmd, content type, free text); None: nothing to test."""
    tests: list[Callable[[Message], bool]] = []
    if query.ids:
        ids = frozenset(query.ids)
        tests.append(lambda m: m.id_text in ids or m.data.get("client_msg_no") in ids)
    if query.cmds or query.content_types:
        cmds = frozenset(query.cmds)
        ctypes = frozenset(value.lower() for value in query.content_types)

        def payload_test(message: Message) -> bool:
            decoded = decode_payload(message.data)
            if cmds and decoded.cmd not in cmds:
                return False
            if ctypes:
                ctype = decoded.content_type
                return str(ctype).lower() in ctypes or content_type_name(ctype).lower() in ctypes
            return True

        tests.append(payload_test)
    if query.text:
        needle = query.text.lower()
        tests.append(lambda m: needle in haystack(m))
    if not tests:
        return None
    return lambda m: all(test(m) for test in tests)


def field_tests(query: Query) -> list[tuple[str, Callable[[object], bool]]]:
    """``(field, test of its value)`` for what can be judged from one field of a message alone.

    Fields are those of the message (``channel_id``, ``channel_type``, ``from_uid``) and of its
    decoded payload (``content_type``, ``cmd``); a caller that keeps each row's values (the
    browse index) tests each distinct value once. A message passes when every test passes.
    """
    c = query.criteria
    tests: list[tuple[str, Callable[[object], bool]]] = []
    for name, wanted in (
        ("channel_id", c.channels),
        ("channel_type", c.channel_types),
        ("from_uid", c.senders),
        ("cmd", query.cmds),
    ):
        if wanted:
            tests.append((name, frozenset(wanted).__contains__))
    if query.content_types:
        ctypes = frozenset(value.lower() for value in query.content_types)

        def content_type(value: object) -> bool:
            return str(value).lower() in ctypes or content_type_name(value).lower() in ctypes

        tests.append(("content_type", content_type))
    return tests


def haystack(message: Message) -> str:
    """What free text is looked for in: ids, uids, channel and the decoded payload, lower-cased."""
    data = message.data
    parts = [
        message.id_text,
        str(data.get("client_msg_no") or ""),
        str(data.get("from_uid") or ""),
        str(data.get("channel_id") or ""),
    ]
    to_uids = data.get("to_uids")
    if type(to_uids) is list:
        parts.extend(str(uid) for uid in to_uids)
    decoded = decode_payload(data)
    if decoded.status == JSON:
        parts.append(orjson.dumps(decoded.value).decode("utf-8", "replace"))
    elif isinstance(decoded.value, str):
        parts.append(decoded.value)
    return "\n".join(parts).lower()
