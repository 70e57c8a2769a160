"""What the browser shows: the rows of an index a query keeps, their totals and their histogram over time."""

from __future__ import annotations

import math
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass, replace

from wkcli.read.index import ANOMALY, COMMAND, MALFORMED, PRESENCE, Index
from wkcli.webhook.filters import build
from wkcli.webhook.model import Message
from wkcli.webhook.query import Query, haystack, matcher

BARS = " ▁▂▃▄▅▆▇█"
_SAMPLE = 20_000  # rows sampled for the histogram: its shape, at a glance, not a count


@dataclass
class Totals:
    cmd: int = 0
    chat: int = 0
    presence: int = 0
    malformed: int = 0
    anomalies: int = 0


class View:
    """The rows of ``index`` that ``query`` keeps, found by ``advance`` (on a thread) as the index grows.

    ``rows`` only grows, so the screen can show what is found so far while the rest is judged.
    """

    def __init__(self, index: Index, query: Query, show_malformed: bool = True) -> None:
        self.index = index
        self.query = query
        self.show_malformed = show_malformed
        self.rows = array("I")
        self.totals = Totals()
        self.judged = 0  # rows of the index looked at so far
        self.stopped = threading.Event()
        criteria = query.criteria
        self._kinds = {COMMAND if kind == "cmd" else 0 for kind in criteria.kinds}
        self._events = set(criteria.events)
        by_field = criteria.channels or criteria.channel_types or criteria.senders
        self._keep = build(criteria) if by_field else None
        # Free text does not narrow the list: it marks the rows it is found in (n / N go to them).
        self._extra = matcher(replace(query, text=""))
        self.matches = array("I")  # positions in ``rows`` of the rows the free text is found in
        self._limit = criteria.limit
        self._text = query.text.lower()

    @property
    def complete(self) -> bool:
        return self.index.done and self.judged >= self.index.count

    def advance(self, budget: int = 50_000) -> int:
        """Judge up to ``budget`` more rows; returns how many were judged."""
        index = self.index
        end = min(index.count, self.judged + budget)
        start = self.judged
        kinds = index.kinds
        events = index.events
        names = index.event_names
        times = index.times
        rows = self.rows
        totals = self.totals
        criteria = self.query.criteria
        since, until = criteria.since, criteria.until
        want_kinds = self._kinds
        want_events = self._events
        keep = self._keep
        extra = self._extra
        text = self._text
        for row in range(start, end):
            if self.stopped.is_set():
                end = row
                break
            code = kinds[row]
            kind = code & 15
            if kind == MALFORMED:
                totals.malformed += 1
                if self.show_malformed:
                    if self._text and self._text in _error_text(index, row):
                        self.matches.append(len(rows))
                    rows.append(row)
                continue
            if want_events and names[events[row]] not in want_events:
                continue
            if since is not None or until is not None:
                moment = times[row]
                if (
                    math.isnan(moment)
                    or (since is not None and moment < since)
                    or (until is not None and moment >= until)
                ):
                    continue
            if kind == PRESENCE:
                if not want_kinds and keep is None:
                    totals.presence += 1
                continue
            if want_kinds and kind not in want_kinds:
                continue
            item = None
            if keep is not None or extra is not None:
                item = index.item(row)
                if type(item) is not Message:
                    continue
                if keep is not None and not keep(item):
                    continue
                if extra is not None and not extra(item):
                    continue
            if self._limit is not None and totals.cmd + totals.chat >= self._limit:
                continue
            if text:
                item = item or index.item(row)
                if type(item) is Message and text in haystack(item):
                    self.matches.append(len(rows))
            rows.append(row)
            if kind == COMMAND:
                totals.cmd += 1
            else:
                totals.chat += 1
            if code & ANOMALY:
                totals.anomalies += 1
        self.judged = end
        return end - start

    def run(self, on_progress: Callable[[], None] | None = None) -> None:
        """Judge rows until told to stop, keeping up with the index (on a thread)."""
        while not self.stopped.is_set():
            if self.advance() == 0:
                if self.index.done and self.judged >= self.index.count:
                    if on_progress is not None:
                        on_progress()
                    return
                self.index.changed.wait(0.2)
                self.index.changed.clear()
            elif on_progress is not None:
                on_progress()

    def histogram(self, width: int) -> list[tuple[str, bool]]:
        """``width`` bars of messages over time, each with whether CMDs are most of it."""
        rows = self.rows
        times = self.index.times
        kinds = self.index.kinds
        if width <= 0 or not rows:
            return []
        step = max(1, len(rows) // _SAMPLE)
        sample = [(times[r], kinds[r] & 15) for r in rows[::step] if not math.isnan(times[r])]
        sample = [(t, k) for t, k in sample if k != MALFORMED]
        if not sample:
            return []
        low = min(t for t, _ in sample)
        high = max(t for t, _ in sample)
        span = (high - low) or 1.0
        counts = [0] * width
        cmds = [0] * width
        for moment, kind in sample:
            slot = min(width - 1, int((moment - low) / span * width))
            counts[slot] += 1
            if kind == COMMAND:
                cmds[slot] += 1
        peak = max(counts) or 1
        bars = []
        for count, cmd in zip(counts, cmds, strict=True):
            level = 0 if not count else max(1, round(count / peak * (len(BARS) - 1)))
            bars.append((BARS[level], cmd * 2 > count))
        return bars

    def span(self) -> tuple[float, float] | None:
        """The first and last time among the rows (sampled as the histogram is)."""
        times = self.index.times
        rows = self.rows
        step = max(1, len(rows) // _SAMPLE)
        found = [times[r] for r in rows[::step] if not math.isnan(times[r])]
        return (min(found), max(found)) if found else None


def _error_text(index: Index, row: int) -> str:
    where, reason = index.errors.get(row, ("", ""))
    return f"{where} {reason}".lower()
