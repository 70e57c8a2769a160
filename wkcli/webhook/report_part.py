"""What a fast path counts of plain messages for ``wkcli report`` (``ReportPart``), and the keys
both it and ``report.Report`` count by."""

from __future__ import annotations

import math
from bisect import bisect_left
from typing import Any

from wkcli.webhook.model import USER_ONLINESTATUS
from wkcli.webhook.payload import JSON, Decoded, content_type_name
from wkcli.webhook.timeline import S_CHAT, S_CMD, S_OFFLINE, S_ONLINE, Timeline
from wkcli.webhook.topn import KEY_CHARS, Cut, TopN, cut

# msg.offline recipients per delivery: upper bounds of the bins (v3 chunks hold up to 512).
FANOUT_BINS = (0, 1, 2, 5, 10, 50, 100, 512, 1000, 10_000)
# Delivery lag histogram: fixed log-scale bins, 5 per decade from 0.1 s to 10^6 s (11.6 days).
LAG_PER_DECADE = 5
LAG_EDGES = [10 ** (k / LAG_PER_DECADE) for k in range(-LAG_PER_DECADE, 6 * LAG_PER_DECADE + 1)]
LAG_BINS = len(LAG_EDGES) + 1  # [0]: below 0.1 s; [-1]: above the last edge


def lag_bin(lag: float) -> int:
    """The lag histogram's bin of a delivery lag in seconds (receive time minus timestamp), -1
    for a negative one."""
    if lag < 0:
        return -1
    if lag < LAG_EDGES[0]:
        return 0
    return min(int(math.log10(lag) * LAG_PER_DECADE) + LAG_PER_DECADE + 1, LAG_BINS - 1)


_STATUS = "\0status:"  # marks a payload status among content types (no JSON string type starts so)


def content_key(decoded: Decoded) -> Any:
    """What a payload is counted by among content types: its raw type (named once, in result()),
    or for a payload that is not JSON its status."""
    return decoded.content_type if decoded.status == JSON else _STATUS + decoded.status


def cmd_name(decoded: Decoded, ctype: Any) -> str:
    """A CMD's name, or its content type in brackets when it names none."""
    return decoded.cmd or f"({type_label(ctype).strip('()')})"


class ReportPart:
    """What a fast path counts of plain messages for a ``Report`` (``read.fast.report``), in a
    worker or the main process, to be added with ``Report.take_part`` in file order.

    Top lists are exact while each holds at most ``capacity`` keys, as the
    report's are; beyond that both are approximations with bounds, not always the same ones.
    """

    SETTLE_EVERY = 4096  # messages between looks at how many keys are held as plain counts

    def __init__(self, bucket: int | None, utc: bool, top: int, capacity: int) -> None:
        self.top = top
        self.capacity = capacity
        self.cmd = 0
        self.chat = 0
        self.untimed = 0
        self.events: dict[str | None, int] = {}
        self.timeline = Timeline(bucket, utc)
        self.channels = TopN(capacity)
        self.senders = TopN(capacity)
        self.cmd_names = TopN(capacity)
        self.content_types = TopN(capacity)
        # Counted as plain dicts first (cheap), settled into the bounded ones above now and then.
        self._counts: tuple[dict[Any, int], ...] = ({}, {}, {}, {})
        self._moments: dict[tuple[int, float], int] = {}
        self._until_settle = self.SETTLE_EVERY
        self.fanout = [0] * (len(FANOUT_BINS) + 1)
        self.fanout_total = 0
        self.fanout_unreadable = 0
        self.largest: list[tuple[int, int, dict[str, Any]]] = []  # (recipients, line, entry), sorted
        self.lag = [0] * LAG_BINS
        self.lag_negative = 0
        self.presence = 0
        self.presence_bad = 0
        self.online = 0
        self.offline = 0

    def add(self, is_cmd: bool, event: str | None, ts: Any, channel: Any, sender: Any, decoded: Decoded,
            recipients: int | None, id_text: str, line: int, received: float | None) -> None:  # fmt: skip
        """One plain message: ``ts`` its timestamp (a number in range, or not a time), ``recipients``
        how many a msg.offline message lists (-1: none listed; None: not msg.offline),
        ``received`` its capture record's receive time."""
        channels, senders, cmd_names, content_types = self._counts
        if is_cmd:
            self.cmd += 1
        else:
            self.chat += 1
        events = self.events
        events[event] = events.get(event, 0) + 1
        timed = type(ts) is int or type(ts) is float
        moment = ts if timed else received  # as Message.time
        if moment is not None:
            moments = self._moments
            key = (S_CMD if is_cmd else S_CHAT, moment)
            moments[key] = moments.get(key, 0) + 1
        else:
            self.untimed += 1
        if received is not None and timed:
            index = lag_bin(received - ts)
            if index < 0:
                self.lag_negative += 1
            else:
                self.lag[index] += 1
        # Long strings are counted cut, as TopN counts them: the plain dicts stay bounded too.
        if type(channel) is str and len(channel) > KEY_CHARS:
            channel = cut(channel)
        if type(sender) is str and len(sender) > KEY_CHARS:
            sender = cut(sender)
        channels[channel] = channels.get(channel, 0) + 1
        senders[sender] = senders.get(sender, 0) + 1
        ctype = decoded.content_type if decoded.status == JSON else _STATUS + decoded.status  # content_key
        if is_cmd:
            name = cmd_name(decoded, ctype)
            if len(name) > KEY_CHARS:
                name = cut(name)
            cmd_names[name] = cmd_names.get(name, 0) + 1
        if type(ctype) is str and len(ctype) > KEY_CHARS:
            ctype = cut(ctype)
        content_types[ctype] = content_types.get(ctype, 0) + 1
        self._until_settle -= 1
        if not self._until_settle:
            self._until_settle = self.SETTLE_EVERY
            if len(self._moments) > 4096 or any(len(held) > self.capacity for held in self._counts):
                self.settle()
        if recipients is not None:
            self.fanout_total += 1
            if recipients < 0:
                self.fanout_unreadable += 1  # as Report counts a message with no recipient list
                return
            self.fanout[bisect_left(FANOUT_BINS, recipients)] += 1
            largest = self.largest
            if len(largest) < self.top or recipients > largest[-1][0]:
                entry = {"recipients": recipients, "message_id": id_text or None,
                         "channel_id": channel, "from_uid": sender}  # fmt: skip
                largest.append((recipients, line, entry))
                largest.sort(key=lambda found: (-found[0], found[1]))
                del largest[self.top :]

    def add_presence(self, online: bool | None, received: float | None) -> None:
        """One presence entry: online or offline, None when malformed; ``received`` its record's
        receive time. (Flapping users are counted in order, by ``Report.presence_state``.)"""
        self.presence += 1
        events = self.events
        events[USER_ONLINESTATUS] = events.get(USER_ONLINESTATUS, 0) + 1
        if online is None:
            self.presence_bad += 1
            return
        if online:
            self.online += 1
        else:
            self.offline += 1
        if received is not None:
            moments = self._moments
            key = (S_ONLINE if online else S_OFFLINE, received)
            moments[key] = moments.get(key, 0) + 1

    def settle(self) -> None:
        """Move the plain counts into the bounded top lists and the timeline (in the order met)."""
        for held, top in zip(self._counts, (self.channels, self.senders, self.cmd_names, self.content_types),
                             strict=True):  # fmt: skip
            for key, count in held.items():
                top.add(key, count)
            held.clear()
        add = self.timeline.add
        for (series, moment), count in self._moments.items():
            add(moment, series, count)
        self._moments.clear()

    def merge(self, other: ReportPart) -> None:
        """Add a later part's counts."""
        self.settle()
        other.settle()
        add_counts(self, other)
        for event, count in other.events.items():
            self.events[event] = self.events.get(event, 0) + count
        both = self.largest + other.largest
        self.largest = sorted(both, key=lambda found: (-found[0], found[1]))[: self.top]


def add_counts(into: Any, part: ReportPart) -> None:
    """Add the counts ``Report`` and ``ReportPart`` both keep, by the same names, from ``part``
    (settled) to ``into``."""
    into.cmd += part.cmd
    into.chat += part.chat
    into.untimed += part.untimed
    into.timeline.merge(part.timeline)
    for name in ("channels", "senders", "cmd_names", "content_types"):
        getattr(into, name).merge(getattr(part, name))
    for index, count in enumerate(part.fanout):
        into.fanout[index] += count
    into.fanout_total += part.fanout_total
    into.fanout_unreadable += part.fanout_unreadable
    for index, count in enumerate(part.lag):
        into.lag[index] += count
    into.lag_negative += part.lag_negative
    into.presence += part.presence
    into.presence_bad += part.presence_bad
    into.online += part.online
    into.offline += part.offline


def type_label(ctype: Any) -> str:
    """A content type as the report names it; a payload status in brackets; one cut as it is."""
    if type(ctype) is Cut:
        return ctype
    if type(ctype) is str and ctype.startswith(_STATUS):
        return f"({ctype[len(_STATUS) :]})"
    return content_type_name(ctype) or "(no type)"
