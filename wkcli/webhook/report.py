"""A dump at a glance (``wkcli report``): one pass over the items, bounded memory, the numbers of every panel.

``Report.add`` takes each kept message and presence entry; ``Report.result`` gives the panels
as plain data, which the terminal view, the HTML page and ``-o json`` all render.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from typing import Any

import orjson

from wkcli.webhook.checks import Checker, Delivery, Known
from wkcli.webhook.model import CMD, MSG_OFFLINE, Message, PresenceEntry
from wkcli.webhook.payload import decode_payload
from wkcli.webhook.presence import PresenceError, parse_presence
from wkcli.webhook.recipients import UNKNOWN, UNREADABLE, Recipients, recipients
from wkcli.webhook.report_part import (
    FANOUT_BINS,
    LAG_EDGES,
    ReportPart,
    add_counts,
    cmd_name,
    content_key,
    lag_bin,
    type_label,
)
from wkcli.webhook.timeline import S_CHAT, S_CMD, S_OFFLINE, S_ONLINE, S_RETRY, Timeline
from wkcli.webhook.topn import Cut, Recent, TopN, kept

TOP_CAPACITY = 10_000  # distinct keys counted exactly per top-N panel
RECENT_CAPACITY = 100_000  # deliveries remembered to spot retries (and presence states)


class Report:
    """Feed it items with ``add``; ``result()`` gives every panel's numbers."""

    def __init__(self, bucket: int | None = None, utc: bool = False, top: int = 10,
                 capacity: int | None = None, recent: int | None = None) -> None:  # fmt: skip
        capacity = capacity or TOP_CAPACITY
        recent = recent or RECENT_CAPACITY
        self.top = top
        self.cmd = 0
        self.chat = 0
        self.presence = 0
        self.events = TopN(64)
        self.timeline = Timeline(bucket, utc)
        self.untimed = 0
        self.channels = TopN(capacity)
        self.senders = TopN(capacity)
        self.cmd_names = TopN(capacity)
        self.content_types = TopN(capacity)
        self.fanout = [0] * (len(FANOUT_BINS) + 1)
        self.fanout_unknown = 0
        self.fanout_unreadable = 0
        self.fanout_total = 0
        self._largest: list[tuple[int, int, dict[str, Any]]] = []  # a min-heap of the largest
        self._files: dict[str, int] = {}  # paths by number, for the order of messages
        self.lag = [0] * (len(LAG_EDGES) + 1)  # [0]: below 0.1 s; [-1]: above the last edge
        self.lag_negative = 0
        self.retries = 0
        self.online = 0
        self.offline = 0
        self.presence_bad = 0
        self.last_state = Recent(recent)
        self.flaps = TopN(capacity)
        # Retries are check's duplicates: the same message again in the same event, v3's msg.offline
        # chunks (disjoint recipients) excepted.
        self.checker = Checker(max_examples=1, remember=recent // 2, on_note=self._noted)
        self._settings = (bucket, utc, top, capacity)

    def new_part(self) -> ReportPart:
        """An empty ``ReportPart`` counting as this report does."""
        return ReportPart(*self._settings)

    def add(self, item: Message | PresenceEntry) -> None:
        if type(item) is PresenceEntry:
            known = self._presence(item)
        else:
            known = self._message(item)  # type: ignore[arg-type]
        self.checker.add(item, known)  # given what was decoded here, so nothing is decoded twice
        self.events.add(item.event)

    def _message(self, message: Message) -> Known:
        # The hottest code of the report: fields are read once, helpers called only when needed.
        data = message.data
        received = message.received
        ts = data.get("timestamp")
        timed = type(ts) is int or type(ts) is float
        moment = ts if timed else received  # as Message.time
        is_cmd = message.kind == CMD
        if is_cmd:
            self.cmd += 1
        else:
            self.chat += 1
        if moment is None:
            self.untimed += 1
        else:
            self.timeline.add(moment, S_CMD if is_cmd else S_CHAT)
        channel = data.get("channel_id")
        sender = data.get("from_uid")
        self.channels.add(channel if type(channel) is str else _key(channel))
        self.senders.add(sender if type(sender) is str else _key(sender))
        decoded = decode_payload(data)
        ctype = content_key(decoded)
        self.content_types.add(ctype)
        if is_cmd:
            self.cmd_names.add(cmd_name(decoded, ctype))
        if received is not None and timed:
            self._lag(received - ts)  # type: ignore[operator]  # timed: ts is a number
        found = None
        if message.event == MSG_OFFLINE:
            found = recipients(data)
            self._fanout(message, found)
        return Known(decoded, found)

    def _lag(self, lag: float) -> None:
        index = lag_bin(lag)
        if index < 0:
            self.lag_negative += 1
        else:
            self.lag[index] += 1

    def _fanout(self, message: Message, found: Recipients) -> None:
        self.fanout_total += 1
        if found.status == UNKNOWN:
            self.fanout_unknown += 1
            return
        if found.uids is None or found.status == UNREADABLE:
            self.fanout_unreadable += 1
            return
        count = len(found.uids)
        self.fanout[bisect_left(FANOUT_BINS, count)] += 1  # the first bin whose bound is >= count
        largest = self._largest
        # Equal counts too: a fast path's part may have brought later messages in already.
        if len(largest) < self.top or count >= largest[0][0]:
            origin = message.origin
            self._keep_largest(count, self._order(origin.path, origin.line, message.index), {
                "recipients": count, "message_id": message.id_text or None,
                "channel_id": kept(_key(message.data.get("channel_id"))),
                "from_uid": kept(_key(message.data.get("from_uid"))), "source": str(origin),
            })  # fmt: skip

    def _order(self, path: str, line: int, index: int) -> int:
        """Where a message is in the whole input, as one number (earlier: smaller)."""
        number = self._files.get(path)
        if number is None:
            number = self._files[path] = len(self._files)
        return (number << 64) | (line << 20) | min(index, 0xFFFFF)

    def _keep_largest(self, count: int, order: int, entry: dict[str, Any]) -> None:
        """Keep the ``top`` largest fan-outs; of equal ones, the earliest."""
        largest = self._largest
        if len(largest) < self.top:
            heapq.heappush(largest, (count, -order, entry))
        elif (count, -order) > largest[0][:2]:
            heapq.heapreplace(largest, (count, -order, entry))

    def take_part(self, part: ReportPart, path: str) -> None:
        """Add what a fast path counted of plain messages of ``path`` (``ReportPart``): parts come
        in file order, between the items ``add`` takes."""
        part.settle()
        add_counts(self, part)
        for event, count in part.events.items():
            self.events.add(event, count)
        for count, line, entry in part.largest:
            self._keep_largest(count, self._order(path, line, 0), {**entry, "source": f"{path}:{line}"})

    def _noted(self, code: str, item: Message | Delivery | PresenceEntry) -> None:
        """Told of each finding as Checker makes it: a duplicate is a retry, drawn at its receive time."""
        if code == "duplicate":
            self.retries += 1
            moment = item.received if item.received is not None else item.time
            if moment is not None:
                self.timeline.add(moment, S_RETRY)

    def _presence(self, entry: PresenceEntry) -> Known:
        self.presence += 1
        try:
            parsed = parse_presence(entry.text)
        except PresenceError as exc:
            self.presence_bad += 1
            return Known(presence=exc.with_traceback(None))  # no frame kept alive per bad entry
        online = parsed.online
        if online:
            self.online += 1
        else:
            self.offline += 1
        if entry.received is not None:
            self.timeline.add(entry.received, S_ONLINE if online else S_OFFLINE)
        self.presence_state(parsed.uid, parsed.device_flag, online)
        return Known(presence=parsed)

    def presence_state(self, uid: str, device_flag: int, online: bool) -> None:
        """A user's device went online or offline (in file order): a change is a flap."""
        before = self.last_state.swap(hash((uid, device_flag)), online)
        if before is not None and before != online:
            self.flaps.add(uid)

    def result(self, stats: Any, max_bars: int = 96) -> dict[str, Any]:
        """Every panel as data. ``stats`` is the reader's account of the input (``Stats``)."""
        checker = self.checker
        findings = checker.findings()
        return {
            "totals": {
                "records": stats.records, "messages": self.cmd + self.chat, "cmd": self.cmd,
                "chat": self.chat, "presence": self.presence, "empty": stats.empty,
                "skipped": stats.skipped, "malformed": stats.malformed, "anomalies": stats.anomalies,
                "warnings": checker.warnings, "info": checker.infos,
                "events": [{"event": k, "count": n} for k, n in self.events.top(64)],
            },
            "timeline": {**self.timeline.result(max_bars), "untimed": self.untimed},
            "channels": _top(self.channels, self.top),
            "senders": _top(self.senders, self.top),
            "cmd_names": _top(self.cmd_names, self.top),
            "content_types": _top(_named(self.content_types), self.top),
            "fanout": self._fanout_result(),
            "lag": self._lag_result(),
            "retries": {"retries": self.retries, "forgotten": checker.forgotten,
                        "remembered": checker.remember},
            "presence": {"entries": self.presence, "online": self.online, "offline": self.offline,
                         "malformed": self.presence_bad, "flappers": _top(self.flaps, self.top)},
            "findings": [{"code": f.code, "level": f.level, "title": f.rule.title, "count": f.count}
                         for f in findings],
        }  # fmt: skip

    def _fanout_result(self) -> dict[str, Any]:
        bins = []
        low = 0
        for index, count in enumerate(self.fanout):
            high = FANOUT_BINS[index] if index < len(FANOUT_BINS) else None
            label = f"{low}" if high == low else f"{low}-{high}" if high is not None else f">{low - 1}"
            bins.append({"label": label, "low": low, "high": high, "count": count})
            low = (high or 0) + 1
        largest = [entry for _, _, entry in sorted(self._largest, reverse=True)]
        return {"deliveries": self.fanout_total, "unknown": self.fanout_unknown,
                "unreadable": self.fanout_unreadable, "bins": bins, "largest": largest}  # fmt: skip

    def _lag_result(self) -> dict[str, Any]:
        measured = sum(self.lag) + self.lag_negative
        bins = [{"label": f"<{_seconds(LAG_EDGES[0])}", "high": LAG_EDGES[0], "count": self.lag[0]}]
        for index in range(1, len(self.lag)):
            high = LAG_EDGES[index] if index < len(LAG_EDGES) else None
            label = f"<{_seconds(high)}" if high is not None else f"≥{_seconds(LAG_EDGES[-1])}"
            bins.append({"label": label, "high": high, "count": self.lag[index]})
        out: dict[str, Any] = {"measured": measured, "negative": self.lag_negative}
        for name, share in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
            out[name] = _percentile(self.lag_negative, bins, measured, share)
        # Leading and trailing empty bins say nothing; the percentiles are read before trimming.
        used = [i for i, b in enumerate(bins) if b["count"]]
        out["bins"] = bins[used[0] : used[-1] + 1] if used else []
        return out


def _percentile(negative: int, bins: list[dict[str, Any]], total: int, share: float) -> float | None:
    """The upper edge of the bin holding the ``share`` quantile (so "at most"); negative: 0."""
    if not total:
        return None
    rank = math.ceil(share * total)
    running = negative
    if running >= rank:
        return 0.0
    for entry in bins:
        running += entry["count"]
        if running >= rank:
            return entry["high"] if entry["high"] is not None else math.inf
    return math.inf


def _top(counter: TopN, n: int) -> dict[str, Any]:
    return {
        "total": counter.total, "distinct": len(counter.counts) + counter.dropped if counter.exact else None,
        "exact": counter.exact, "max_error": counter.error,
        "rows": [{"key": key, "count": count, **_CUT} if type(key) is Cut else {"key": key, "count": count}
                 for key, count in counter.top(n)],
    }  # fmt: skip


_CUT = {"cut": True}  # marks a row whose key was too long to keep whole (topn.Cut)


def _named(counter: TopN) -> TopN:
    """Content types counted by raw type, merged under their names (12 and 13 are both stickers)."""
    named = TopN(max(counter.capacity, len(counter.counts)))
    for ctype, count in counter.counts.items():
        named.add(type_label(ctype), count)
    named.total, named.error, named.dropped = counter.total, counter.error, counter.dropped
    return named


def _key(value: Any) -> Any:
    """A field value as a counting key; objects and arrays as their JSON text (as count --by)."""
    if type(value) in (dict, list):
        return orjson.dumps(value).decode()
    return value


def _seconds(value: float) -> str:
    """``0.1s``, ``2.5s``, ``16m``, ``2.8h``, ``11.6d``: short labels for lag bins."""
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.2g}s"
