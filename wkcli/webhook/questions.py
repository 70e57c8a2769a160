"""Filters on what a message says: its CMD name, content type and text (--cmd, --content-type, --grep)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from wkcli.errors import BadValue
from wkcli.webhook.model import Message, PresenceEntry
from wkcli.webhook.payload import CONTENT_TYPES, JSON, TEXT, decode_payload

# Content types named by a range rather than one number (payload.content_type_name).
RANGES = {"system": (1000, 2000), "call": (9989, 9999)}
# The fields --grep searches besides the payload: ids and uids.
GREP_FIELDS = ("message_idstr", "message_id", "client_msg_no", "from_uid", "channel_id", "to_uids")


def content_type_number(value: str) -> int | str:
    """A content type as the user gave it: a number, a name ("image", "merged-forward") or a range name."""
    try:
        return int(value)
    except ValueError:
        pass
    name = value.lower().replace("-", " ").replace("_", " ")
    if name in RANGES:
        return name
    for number, known in CONTENT_TYPES.items():
        if known == name:
            return number
    names = ", ".join(sorted({n.replace(" ", "-") for n in CONTENT_TYPES.values()} | set(RANGES)))
    raise BadValue("content_type", f"takes a number or one of: {names}; not {value!r}")


def content_test(
    cmds: list[str], content_types: list[int | str], grep: list[str], patterns: list[re.Pattern[str]]
) -> Callable[[Message | PresenceEntry], bool]:
    """True for items whose payload has one of ``cmds``/``content_types`` and holds every text asked for.

    Presence entries have no payload: only ``grep``/``patterns`` look at them (their string).
    """
    wanted_cmds = frozenset(cmds)
    numbers = frozenset(t for t in content_types if type(t) is int)
    ranges = [RANGES[t] for t in content_types if type(t) is str]
    needs_payload = bool(cmds or content_types)

    def test(item: Message | PresenceEntry) -> bool:
        if type(item) is not Message:
            if needs_payload:
                return False
            text = item.text.lower()  # type: ignore[union-attr]
            return all(g in text for g in grep) and all(p.search(item.text) for p in patterns)  # type: ignore[union-attr]
        decoded = decode_payload(item.data)
        if wanted_cmds and decoded.cmd not in wanted_cmds:
            return False
        if content_types:
            kind = decoded.content_type
            if type(kind) is not int or not (
                kind in numbers or any(low <= kind <= high for low, high in ranges)
            ):
                return False
        if grep or patterns:
            text = _searchable(item.data, decoded.value if decoded.status in (JSON, TEXT) else None)
            lowered = text.lower()
            if not all(g in lowered for g in grep):
                return False
            if not all(p.search(text) for p in patterns):
                return False
        return True

    return test


def _searchable(data: dict[str, Any], payload: Any) -> str:
    """The decoded payload's text, ids and uids, one per line, so a pattern does not run across two."""
    parts: list[str] = []
    if type(payload) is str:
        parts.append(payload)
    elif payload is not None:
        parts.append(orjson.dumps(payload).decode())
    for key in GREP_FIELDS:
        value = data.get(key)
        if type(value) is list:
            parts.extend(str(v) for v in value)
        elif value is not None:
            parts.append(str(value))
    return "\n".join(parts)
