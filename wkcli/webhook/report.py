"""A dump at a glance (``wkcli report``): one pass over the items, bounded memory, the numbers of every panel.

``Report.add`` takes each kept message and presence entry; ``Report.result`` gives the panels
as plain data, which the terminal view, the HTML page and ``-o json`` all render.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from datetime import datetime, timezone
from typing import Any

import orjson

from wkcli.webhook.checks import Checker, Delivery, Known
from wkcli.webhook.model import CMD, MSG_OFFLINE, Message, PresenceEntry
from wkcli.webhook.payload import JSON, content_type_name, decode_payload
from wkcli.webhook.presence import PresenceError, parse_presence
from wkcli.webhook.recipients import UNKNOWN, UNREADABLE, Recipients, recipients
from wkcli.webhook.topn import Recent, TopN

# Bucket sizes in seconds, each a multiple of the one before, so finer counts merge exactly.
LADDER = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400, 604800)
BUCKET_NAMES = {"1s": 1, "1m": 60, "5m": 300, "10m": 600, "1h": 3600, "1d": 86400}
SERIES = ("cmd", "chat", "retries", "online", "offline")
_CMD, _CHAT, _RETRY, _ONLINE, _OFFLINE = range(len(SERIES))
MAX_BUCKETS = 4096  # kept while reading; past it buckets are merged into the next size up

# Delivery lag histogram: fixed log-scale bins, 5 per decade from 0.1 s to 10^6 s (11.6 days).
LAG_PER_DECADE = 5
LAG_EDGES = [10 ** (k / LAG_PER_DECADE) for k in range(-LAG_PER_DECADE, 6 * LAG_PER_DECADE + 1)]
# msg.offline recipients per delivery: upper bounds of the bins (v3 chunks hold up to 512).
FANOUT_BINS = (0, 1, 2, 5, 10, 50, 100, 512, 1000, 10_000)

TOP_CAPACITY = 10_000  # distinct keys counted exactly per top-N panel
RECENT_CAPACITY = 100_000  # deliveries remembered to spot retries (and presence states)


def bucket_seconds(text: str) -> int:
    """``1m`` -> 60; accepts the sizes of ``BUCKET_NAMES`` and plain seconds on the ladder."""
    value = BUCKET_NAMES.get(text.strip().lower())
    if value is None and text.strip().isdigit() and int(text) in LADDER:
        value = int(text)
    if value is None:
        raise ValueError(f"--bucket must be one of {', '.join(BUCKET_NAMES)}, not {text!r}")
    return value


class Timeline:
    """Counts of several series per time bucket; buckets merge when there are too many."""

    def __init__(self, step: int | None = None, utc: bool = False) -> None:
        self.fixed = step is not None
        self.step = step or 1
        self.utc = utc
        self.offset: int | None = None  # local time's UTC offset, so hours and days start locally
        self.buckets: dict[int, list[int]] = {}
        self.coarsened = False

    def add(self, moment: float, series: int) -> None:
        offset = self.offset
        if offset is None:
            offset = self.offset = 0 if self.utc else _utc_offset(moment)
        key = int((moment + offset) // self.step)
        row = self.buckets.get(key)
        if row is None:
            if len(self.buckets) >= MAX_BUCKETS:
                self._coarsen()
                key = int((moment + offset) // self.step)
                row = self.buckets.get(key)
            if row is None:
                row = self.buckets[key] = [0] * len(SERIES)
        row[series] += 1

    def _coarsen(self) -> None:
        self.coarsened = self.coarsened or self.fixed
        old = self.step
        self.step = next((s for s in LADDER if s > old), old * 2)
        factor = self.step // old
        merged: dict[int, list[int]] = {}
        for key, row in self.buckets.items():
            target = merged.setdefault(key // factor, [0] * len(SERIES))
            for index, value in enumerate(row):
                target[index] += value
        self.buckets = merged

    def result(self, max_bars: int) -> dict[str, Any]:
        """Zero-filled buckets from the first to the last, at most ``max_bars`` unless fixed."""
        out: dict[str, Any] = {"bucket_seconds": None, "buckets": []}
        if not self.buckets:
            return out
        low, high = min(self.buckets), max(self.buckets)
        step = self.step
        if not (self.fixed and not self.coarsened):
            span = (high - low + 1) * self.step
            step = next((s for s in LADDER if s >= self.step and math.ceil(span / s) + 1 <= max_bars), 0)
            if not step:
                step = self.step * max(1, math.ceil(span / self.step / (max_bars - 1)))
        factor = step // self.step
        rows: dict[int, list[int]] = {}
        for key, row in self.buckets.items():
            target = rows.setdefault(key // factor, [0] * len(SERIES))
            for index, value in enumerate(row):
                target[index] += value
        offset = self.offset or 0
        zone = timezone.utc if self.utc else None
        fmt = "%Y-%m-%d" if step % 86400 == 0 else "%Y-%m-%d %H:%M" if step % 60 == 0 else "%Y-%m-%d %H:%M:%S"
        for key in range(low // factor, high // factor + 1):
            start = key * step - offset
            row = rows.get(key, [0] * len(SERIES))
            label = datetime.fromtimestamp(start, zone).strftime(fmt)
            if step == 3600:
                label = label[:-2] + "00"  # as count --by hour writes it
            out["buckets"].append({"start": start, "label": label, **dict(zip(SERIES, row, strict=True))})
        out["bucket_seconds"] = step
        out["coarsened"] = self.coarsened
        return out


def _utc_offset(moment: float) -> int:
    try:
        delta = datetime.fromtimestamp(moment).astimezone().utcoffset()
    except (OverflowError, OSError, ValueError):
        return 0
    return int(delta.total_seconds()) if delta is not None else 0


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
        self._seq = 0

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
            self.timeline.add(moment, _CMD if is_cmd else _CHAT)
        channel = data.get("channel_id")
        sender = data.get("from_uid")
        self.channels.add(channel if type(channel) is str else _key(channel))
        self.senders.add(sender if type(sender) is str else _key(sender))
        decoded = decode_payload(data)
        # Counted by the raw type (named once, in result()); a payload that is not JSON by its status.
        ctype = decoded.content_type if decoded.status == JSON else _STATUS + decoded.status
        self.content_types.add(ctype)
        if is_cmd:
            self.cmd_names.add(decoded.cmd or f"({_type_name(ctype).strip('()')})")
        if received is not None and timed:
            self._lag(received - ts)  # type: ignore[operator]  # timed: ts is a number
        found = None
        if message.event == MSG_OFFLINE:
            found = recipients(data)
            self._fanout(message, found)
        return Known(decoded, found)

    def _lag(self, lag: float) -> None:
        if lag < 0:
            self.lag_negative += 1
        elif lag < LAG_EDGES[0]:
            self.lag[0] += 1
        else:
            index = int(math.log10(lag) * LAG_PER_DECADE) + LAG_PER_DECADE + 1
            self.lag[min(index, len(self.lag) - 1)] += 1

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
        if len(largest) < self.top or count > largest[0][0]:
            self._seq += 1
            entry = (count, -self._seq, {
                "recipients": count, "message_id": message.id_text or None,
                "channel_id": _key(message.data.get("channel_id")),
                "from_uid": _key(message.data.get("from_uid")), "source": str(message.origin),
            })  # fmt: skip
            if len(largest) < self.top:
                heapq.heappush(largest, entry)
            else:
                heapq.heapreplace(largest, entry)

    def _noted(self, code: str, item: Message | Delivery | PresenceEntry) -> None:
        """Told of each finding as Checker makes it: a duplicate is a retry, drawn at its receive time."""
        if code == "duplicate":
            self.retries += 1
            moment = item.received if item.received is not None else item.time
            if moment is not None:
                self.timeline.add(moment, _RETRY)

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
            self.timeline.add(entry.received, _ONLINE if online else _OFFLINE)
        before = self.last_state.swap(hash((parsed.uid, parsed.device_flag)), online)
        if before is not None and before != online:
            self.flaps.add(parsed.uid)
        return Known(presence=parsed)

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
        "rows": [{"key": key, "count": count} for key, count in counter.top(n)],
    }  # fmt: skip


_STATUS = "\0status:"  # marks a payload status among content types (no JSON string type starts so)


def _type_name(ctype: Any) -> str:
    if type(ctype) is str and ctype.startswith(_STATUS):
        return f"({ctype[len(_STATUS) :]})"
    return content_type_name(ctype) or "(no type)"


def _named(counter: TopN) -> TopN:
    """Content types counted by raw type, merged under their names (12 and 13 are both stickers)."""
    named = TopN(max(counter.capacity, len(counter.counts)))
    for ctype, count in counter.counts.items():
        named.add(_type_name(ctype), count)
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
