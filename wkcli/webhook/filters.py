"""Predicates over messages and presence entries, built from the shared filter options."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from wkcli.errors import BadValue
from wkcli.webhook.model import (
    CHANNEL_TYPE_NAMES,
    KINDS,
    KNOWN_EVENTS,
    MSG_NOTIFY,
    MSG_OFFLINE,
    USER_ONLINESTATUS,
    Message,
    PresenceEntry,
)
from wkcli.webhook.times import parse_when

# Names a channel type may be given by: "agent group" is written agent-group.
CHANNEL_TYPES = {name.replace(" ", "-"): number for number, name in CHANNEL_TYPE_NAMES.items()}
# The short names the tables print, and the words people use for presence.
EVENT_NAMES = {
    MSG_NOTIFY: MSG_NOTIFY,
    MSG_OFFLINE: MSG_OFFLINE,
    USER_ONLINESTATUS: USER_ONLINESTATUS,
    "notify": MSG_NOTIFY,
    "offline": MSG_OFFLINE,
    "onlinestatus": USER_ONLINESTATUS,
    "presence": USER_ONLINESTATUS,
}

Item = Message | PresenceEntry


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
    ids: list[str] = field(default_factory=list)
    cmds: list[str] = field(default_factory=list)
    content_types: list[int | str] = field(default_factory=list)  # numbers, or "system"/"call"
    grep: list[str] = field(default_factory=list)  # lower-cased substrings
    grep_regex: list[re.Pattern[str]] = field(default_factory=list)

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
        ids: Iterable[str] | None = None,
        cmd: Iterable[str] | None = None,
        content_type: Iterable[str] | None = None,
        grep: Iterable[str] | None = None,
        grep_regex: Iterable[str] | None = None,
    ) -> Criteria:
        kinds = split_values(kind)
        for value in kinds:
            if value not in KINDS:
                raise BadValue("kind", f"must be cmd or chat, not {value!r}")
        types = [_channel_type(value) for value in split_values(channel_type)]
        if limit is not None and limit < 0:
            raise BadValue("limit", f"must be 0 or more, not {limit}")
        start, end = _when("since", since), _when("until", until)
        if start is not None and end is not None and start >= end:
            raise BadValue(
                "since", f"{since!r} is not before --until {until!r}: the window is empty", aside=True
            )
        return cls(
            kinds=kinds,
            events=[event_name(value) for value in split_values(event)],
            channels=split_values(channel),
            channel_types=types,
            senders=split_values(sender),
            since=start,
            until=end,
            limit=limit,
            ids=split_values(ids),
            cmds=split_values(cmd),
            content_types=[_content_type(value) for value in split_values(content_type)],
            # Not split at commas: text and patterns may hold them.
            grep=[text.lower() for text in grep or () if text],
            grep_regex=[_pattern(text) for text in grep_regex or ()],
        )

    def beyond_kind_and_event(self) -> bool:
        """True when the criteria test more than a message's kind and event (the fast paths' limit)."""
        return bool(
            self.channels
            or self.channel_types
            or self.senders
            or self.ids
            or self.cmds
            or self.content_types
            or self.grep
            or self.grep_regex
            or self.since is not None
            or self.until is not None
        )

    def kind_event_test(self) -> Callable[[str | None, str | None], bool]:
        """``keep(kind, event)``: these criteria's kind and event test for an item of that kind and
        event (the fast paths count by the two), remembered for each pair."""
        kinds = frozenset(self.kinds)
        events = frozenset(self.events)
        cache: dict[tuple[str | None, str | None], bool] = {}

        def keep(kind: str | None, event: str | None) -> bool:
            key = (kind, event)
            found = cache.get(key)
            if found is None:
                found = (not kinds or kind in kinds) and (not events or event in events)
                cache[key] = found
            return found

        return keep

    def selects(self) -> bool:
        """True when the user asked for a subset."""
        return bool(self.kinds or self.events) or self.beyond_kind_and_event()


@dataclass
class Seen:
    """What the filters saw of the input, to say why nothing matched."""

    earliest: float | None = None
    latest: float | None = None
    untimed: int = 0  # items the time window could not place (no timestamp, no receive time)
    untimed_presence: int = 0


def build(criteria: Criteria, seen: Seen | None = None) -> Callable[[Item], bool]:
    """One predicate that is true for the items ``criteria`` keeps; ``seen`` learns the input's times."""
    tests: list[Callable[[Item], bool]] = []
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
    if criteria.ids:
        from wkcli.webhook.dedupe import matches

        ids = criteria.ids
        tests.append(lambda item: type(item) is Message and any(matches(item, ident) for ident in ids))
    if criteria.cmds or criteria.content_types or criteria.grep or criteria.grep_regex:
        from wkcli.webhook.questions import content_test

        tests.append(content_test(criteria.cmds, criteria.content_types, criteria.grep, criteria.grep_regex))
    if criteria.since is not None or criteria.until is not None:
        tests.append(_window(criteria.since, criteria.until, seen if seen is not None else Seen()))
    if not tests:
        return lambda item: True
    if len(tests) == 1:
        return tests[0]
    return lambda item: all(test(item) for test in tests)


def _window(since: float | None, until: float | None, seen: Seen) -> Callable[[Item], bool]:
    def in_window(item: Item) -> bool:
        moment = item.time
        if moment is None:
            # Nothing places it in time: left out, but counted so the summary can say so.
            if type(item) is PresenceEntry:
                seen.untimed_presence += 1
            else:
                seen.untimed += 1
            return False
        if seen.earliest is None or moment < seen.earliest:
            seen.earliest = moment
        if seen.latest is None or moment > seen.latest:
            seen.latest = moment
        if since is not None and moment < since:
            return False
        return not (until is not None and moment >= until)

    return in_window


def _field(item: Item, name: str) -> object:
    data = getattr(item, "data", None)
    return data.get(name) if data is not None else None


def split_values(values: Iterable[str] | None) -> list[str]:
    """Repeatable options also take comma-separated lists: ``--event msg.notify,msg.offline``."""
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def event_name(value: str) -> str:
    """``msg.offline`` for ``offline`` (the name the tables print); an unknown name is a BadValue."""
    found = EVENT_NAMES.get(value.lower())
    if found is not None:
        return found
    close = difflib.get_close_matches(value.lower(), list(EVENT_NAMES), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    names = ", ".join(KNOWN_EVENTS)
    raise BadValue(
        "event", f"unknown event {value!r}{hint} (events: {names}; or notify, offline, presence)", aside=True
    )


def _channel_type(value: str) -> int:
    lowered = value.lower().replace("_", "-").replace(" ", "-")
    if lowered in CHANNEL_TYPES:
        return CHANNEL_TYPES[lowered]
    try:
        return int(value)
    except ValueError:
        names = ", ".join(CHANNEL_TYPES)
        raise BadValue("channel_type", f"takes a number or one of: {names}; not {value!r}") from None


def _content_type(value: str) -> int | str:
    from wkcli.webhook.questions import content_type_number

    return content_type_number(value)


def _pattern(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise BadValue("grep_regex", f"{text!r} is not a regular expression ({exc})", aside=True) from None


def _when(what: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        raise BadValue(what, str(exc), aside=True) from None


def why_nothing(criteria: Criteria, events: dict[str | None, int], seen: Seen) -> list[str]:
    """Why the filters kept nothing, as far as the input tells: its events, its time range."""
    from wkcli.webhook.times import format_time

    reasons: list[str] = []
    if criteria.events and not any(events.get(name) for name in criteria.events):
        had = ", ".join(f"{name or 'no event'} {count:,}" for name, count in events.items() if count)
        wanted = ", ".join(criteria.events)
        reasons.append(f"no {wanted} in the input" + (f"; it has {had}" if had else ""))
    if criteria.since is not None or criteria.until is not None:
        window = f"{format_time(criteria.since) if criteria.since is not None else '…'} – " + (
            format_time(criteria.until) if criteria.until is not None else "…"
        )
        if seen.earliest is not None and seen.latest is not None:
            reasons.append(
                f"the input runs from {format_time(seen.earliest)} to {format_time(seen.latest)}, "
                f"outside --since/--until ({window})"
            )
        elif seen.untimed or seen.untimed_presence:
            reasons.append("nothing in the input has a time to compare with --since/--until")
    return reasons


def untimed_note(seen: Seen) -> str | None:
    """The items --since/--until left out because nothing places them in time."""
    parts = []
    if seen.untimed:
        parts.append(f"{seen.untimed:,} message{'s' if seen.untimed != 1 else ''} without a timestamp")
    if seen.untimed_presence:
        count = seen.untimed_presence
        parts.append(f"{count:,} presence entr{'ies' if count != 1 else 'y'} without a receive time")
    if not parts:
        return None
    return " and ".join(parts) + " left out by --since/--until (nothing places them in time)"
