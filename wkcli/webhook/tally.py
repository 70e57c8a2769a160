"""Counting messages: CMD/chat totals and counts grouped by fields (``count --by``)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from typing import Any

import orjson

from wkcli.errors import BadValue
from wkcli.webhook.model import CMD, Message, PresenceEntry

# Grouping keys that are not message fields.
DERIVED = ("event", "kind", "file", "minute", "hour", "day")
# Grouping by only these keeps presence entries in the groups (as kind "presence").
_PRESENCE_KEYS = frozenset(("event", "kind", "file", "minute", "hour", "day"))
OTHER = "(other)"  # the row count --top sums the smaller groups into
_BUCKETS = {"minute": "%Y-%m-%d %H:%M", "hour": "%Y-%m-%d %H:00", "day": "%Y-%m-%d"}


class Tally:
    """Counts the items it is given; ``by`` names the fields to group on (dotted paths allowed)."""

    def __init__(self, by: list[str] | None = None, utc: bool = False, top: int | None = None) -> None:
        self.by = [name.strip() for name in by or [] if name.strip()]
        if top is not None and top < 1:
            raise BadValue("top", f"must be 1 or more, not {top}")
        self.top = top  # rows() gives the largest ``top`` groups and the rest as one "(other)" row
        for name in self.by:
            if not name or name.startswith(".") or name.endswith("."):
                raise BadValue("by", f"{name!r} is not a field name", aside=True)
        self.utc = utc
        self.cmd = 0
        self.chat = 0
        self.presence = 0
        self.groups: Counter[tuple[Any, ...]] = Counter()
        self._with_presence = bool(self.by) and set(self.by) <= _PRESENCE_KEYS
        self._paths = [tuple(name.split(".")) for name in self.by]

    def add(self, item: Message | PresenceEntry) -> None:
        if type(item) is PresenceEntry:
            self.presence += 1
            if not self._with_presence:
                return
        elif item.kind == CMD:
            self.cmd += 1
        else:
            self.chat += 1
        if self.by:
            self.groups[tuple(self._key(item, path) for path in self._paths)] += 1

    @property
    def bulk(self) -> bool:
        """True when counts can be added in bulk by event and kind (``add_many``)."""
        return set(self.by) <= {"event", "kind"}

    def add_many(self, event: str | None, kind: str | None, count: int) -> None:
        """Add ``count`` items of one event and kind at once (kind None: presence entries).

        Gives what ``count`` calls of ``add`` would, for tallies that are ``bulk``.
        """
        if kind is None:
            self.presence += count
            if not self._with_presence:
                return
        elif kind == CMD:
            self.cmd += count
        else:
            self.chat += count
        if self.by:
            key = tuple(event if path[0] == "event" else (kind or "presence") for path in self._paths)
            self.groups[key] += count

    @property
    def paths(self) -> list[tuple[str, ...]]:
        """The ``by`` fields as paths (``header.sync_once`` is ``("header", "sync_once")``)."""
        return list(self._paths)

    def add_group(self, kind: str, key: tuple[Any, ...], count: int) -> None:
        """Add ``count`` messages of ``kind`` whose group key is ``key`` (as ``add`` renders it)."""
        if kind == CMD:
            self.cmd += count
        else:
            self.chat += count
        self.groups[key] += count

    @property
    def messages(self) -> int:
        return self.cmd + self.chat

    def rows(self) -> list[tuple[tuple[Any, ...], int]]:
        """Groups, largest first; ties in key order so the output is stable.

        With ``top``, the groups after the first ``top`` are summed into one row whose every
        column reads ``(other)``.
        """
        rows = sorted(self.groups.items(), key=lambda kv: (-kv[1], _sort_key(kv[0])))
        if self.top is None or len(rows) <= self.top:
            return rows
        rest = sum(count for _, count in rows[self.top :])
        return [*rows[: self.top], ((OTHER,) * len(self.by), rest)]

    def fields_nobody_has(self) -> list[str]:
        """The ``by`` fields (not event, kind, file or a time) that no counted message has."""
        if not self.groups:
            return []
        return [
            name
            for i, name in enumerate(self.by)
            if name not in DERIVED and all(key[i] is None for key in self.groups)
        ]

    def _key(self, item: Message | PresenceEntry, path: tuple[str, ...]) -> Any:
        name = path[0]
        if len(path) == 1 and name in DERIVED:
            if name == "event":
                return item.event
            if name == "kind":
                return item.kind or "presence"
            if name == "file":
                return item.origin.path
            moment = item.time
            if moment is None:
                return None
            zone = timezone.utc if self.utc else None
            try:
                return datetime.fromtimestamp(moment, zone).strftime(_BUCKETS[name])
            except (OverflowError, OSError, ValueError):  # a receive time no calendar shows
                return None
        data: Any = getattr(item, "data", None)
        for part in path:
            if type(data) is not dict:
                return None
            data = data.get(part)
        if type(data) in (dict, list):
            return _json_key(data)
        return data


def _json_key(data: Any) -> str:
    """A list or object value as the compact JSON text it is grouped under."""
    try:
        return orjson.dumps(data, default=_number_text).decode()
    except TypeError:  # a lone surrogate in some string, which only json can write (escaped)
        return json.dumps(data, separators=(",", ":"), default=str)


def _number_text(value: Any) -> Any:
    """A number beyond a double (the reader's float that keeps its text: ``1e400``) as its text."""
    if isinstance(value, float):
        return orjson.Fragment(repr(value))
    raise TypeError(type(value).__name__)


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, str(value)) for value in key)
