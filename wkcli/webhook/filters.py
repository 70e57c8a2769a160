"""Predicates over messages and presence entries, built from the shared filter options."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from wkcli.errors import BadValue
from wkcli.webhook.model import CHANNEL_TYPE_NAMES, KINDS, Message, PresenceEntry
from wkcli.webhook.times import parse_when

# Names a channel type may be given by: "agent group" is written agent-group.
CHANNEL_TYPES = {name.replace(" ", "-"): number for number, name in CHANNEL_TYPE_NAMES.items()}


@dataclass
class Criteria:
    """What the user asked to keep. Empty lists mean "any"."""

    kinds: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    channel_types: list[int] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)
    since: float | None = None
    until: float | None = None
    limit: int | None = None

    @classmethod
    def from_options(
        cls,
        kind: Iterable[str] | None = None,
        event: Iterable[str] | None = None,
        channel: Iterable[str] | None = None,
        channel_type: Iterable[str] | None = None,
        sender: Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int | None = None,
    ) -> Criteria:
        kinds = split_values(kind)
        for value in kinds:
            if value not in KINDS:
                raise BadValue("kind", f"must be cmd or chat, not {value!r}")
        types = [_channel_type(value) for value in split_values(channel_type)]
        if limit is not None and limit < 0:
            raise BadValue("limit", "must be 0 or more")
        return cls(
            kinds=kinds,
            events=split_values(event),
            channels=split_values(channel),
            channel_types=types,
            senders=split_values(sender),
            since=_when("since", since),
            until=_when("until", until),
            limit=limit,
        )


def build(criteria: Criteria) -> Callable[[Message | PresenceEntry], bool]:
    """One predicate that is true for the items ``criteria`` keeps."""
    tests: list[Callable[[Message | PresenceEntry], bool]] = []
    if criteria.kinds:
        kinds = frozenset(criteria.kinds)
        tests.append(lambda item: item.kind in kinds)
    if criteria.events:
        events = frozenset(criteria.events)
        tests.append(lambda item: item.event in events)
    if criteria.channels:
        channels = frozenset(criteria.channels)
        tests.append(lambda item: _field(item, "channel_id") in channels)
    if criteria.channel_types:
        types = frozenset(criteria.channel_types)
        tests.append(lambda item: _field(item, "channel_type") in types)
    if criteria.senders:
        senders = frozenset(criteria.senders)
        tests.append(lambda item: _field(item, "from_uid") in senders)
    if criteria.since is not None or criteria.until is not None:
        since = criteria.since
        until = criteria.until

        def in_window(item: Message | PresenceEntry) -> bool:
            moment = item.time
            if moment is None:
                return False
            if since is not None and moment < since:
                return False
            return not (until is not None and moment >= until)

        tests.append(in_window)
    if not tests:
        return lambda item: True
    if len(tests) == 1:
        return tests[0]
    return lambda item: all(test(item) for test in tests)


def _field(item: Message | PresenceEntry, name: str) -> object:
    data = getattr(item, "data", None)
    return data.get(name) if data is not None else None


def split_values(values: Iterable[str] | None) -> list[str]:
    """Repeatable options also take comma-separated lists: ``--event msg.notify,msg.offline``."""
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def _channel_type(value: str) -> int:
    lowered = value.lower().replace("_", "-").replace(" ", "-")
    if lowered in CHANNEL_TYPES:
        return CHANNEL_TYPES[lowered]
    try:
        return int(value)
    except ValueError:
        names = ", ".join(CHANNEL_TYPES)
        raise BadValue("channel_type", f"takes a number or one of: {names}; not {value!r}") from None


def _when(what: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        raise BadValue(what, str(exc), aside=True) from None
