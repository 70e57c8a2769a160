"""What the browser shows: the rows of an index a query keeps, their totals and their histogram over time."""

from __future__ import annotations

import math
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from wkcli.read.codes import Codes
from wkcli.read.index import ANOMALY, COMMAND, MALFORMED, PRESENCE, Index
from wkcli.webhook.model import Message
from wkcli.webhook.query import Query, field_tests, haystack, matcher

BARS = " ▁▂▃▄▅▆▇█"
_BATCH = 20_000  # rows judged by their codes between pauses (~20 ms)
_BATCH_READING = 100  # rows read again (free text, ids) between pauses (~3 ms)
_PAUSE = 0.001
_HELD = 0.05
_DEFAULT_SWITCH = sys.getswitchinterval()
_SAMPLE = 5_000  # rows sampled for the histogram: its shape, at a glance, not a count
_RESAMPLE = 1.0  # seconds


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
        # Fields the index keeps codes of are judged by code, without reading the row again.
        self._codes = [Wanted(index.fields[name], test) for name, test in field_tests(query)]
        # Free text does not narrow the list: it marks the rows it is found in (n / N go to them).
        self._extra = matcher(replace(query, text="", cmds=[], content_types=[]))
        self._sample_cache: list[tuple[float, int]] = []
        self._sampled_rows = 0
        self._sampled_at = 0.0
        self._gone = len(index.gone)  # how many of the index's truncated files the rows leave out
        self.matches = array("I")  # positions in ``rows`` of the rows the free text is found in
        self._limit = criteria.limit
        self._text = query.text.lower()
        self.held_until = 0.0  # reading rows again waits until then (``hold``)
        self.searched = 0  # rows (positions in ``rows``) the free text was looked for in

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
        extra = self._extra
        wanted = [(w.codes, w.update()) for w in self._codes]
        gone = set(index.gone)
        row_record, rec_file = index.row_record, index.rec_file
        for row in range(start, end):
            if self.stopped.is_set():
                end = row
                break
            if gone and rec_file[row_record[row]] in gone and kinds[row] & 15 != MALFORMED:
                continue
            code = kinds[row]
            kind = code & 15
            if kind == MALFORMED:
                totals.malformed += 1
                if self.show_malformed:
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
                if not want_kinds and not wanted:
                    totals.presence += 1
                continue
            if want_kinds and kind not in want_kinds:
                continue
            if wanted and not all(codes[row] in keep for codes, keep in wanted):
                continue
            item = None
            if extra is not None:
                item = index.item(row)
                if type(item) is not Message or not extra(item):
                    continue
            if self._limit is not None and totals.cmd + totals.chat >= self._limit:
                continue
            rows.append(row)
            if kind == COMMAND:
                totals.cmd += 1
            else:
                totals.chat += 1
            if code & ANOMALY:
                totals.anomalies += 1
        self.judged = end
        return end - start

    @property
    def stale(self) -> bool:
        """True when a followed file was truncated since: its rows must go (a new view)."""
        return len(self.index.gone) > self._gone

    def hold(self, seconds: float = 0.5) -> None:
        """Hold back reading rows again for a while: the user is pressing keys."""
        self.held_until = time.monotonic() + seconds

    @property
    def searching(self) -> bool:
        """True while the free text is still being looked for in rows already listed."""
        return bool(self._text) and self.searched < len(self.rows)

    def search(self, budget: int = 300) -> int:
        """Look for the free text in up to ``budget`` more listed rows; returns how many were read."""
        text = self._text
        if not text:
            return 0
        index = self.index
        rows = self.rows
        start = self.searched
        end = min(len(rows), start + budget)
        for position in range(start, end):
            if self.stopped.is_set():
                end = position
                break
            row = rows[position]
            if index.kinds[row] & 15 == MALFORMED:
                found = text in _error_text(index, row)
            else:
                item = index.item(row)
                found = type(item) is Message and text in haystack(item)
            if found:
                self.matches.append(position)
        self.searched = end
        return end - start

    def run(self, on_progress: Callable[[], None] | None = None) -> None:
        """List rows, then look for the free text in them, until told to stop (on a thread).

        Rows are listed from the index's codes, fast; free text (and an id) needs each row read
        again (~30 µs a row): that is done in small batches with a pause after each, and not at
        all while keys are being pressed (``hold``), so the screen keeps the interpreter. A new
        filter stops this one: ``stopped``.
        """
        reading = self._extra is not None or bool(self._text)
        budget = _BATCH_READING if self._extra is not None else _BATCH
        with _quick_switches(reading):
            while not self.stopped.is_set():
                if reading and time.monotonic() < self.held_until:
                    time.sleep(_HELD)  # keys are being pressed: they come first
                    continue
                judged = self.advance(budget)
                searched = self.search(_BATCH_READING)
                time.sleep(_PAUSE)
                if judged or searched:
                    if on_progress is not None:
                        on_progress()
                    continue
                if self.complete and not self.searching:
                    if on_progress is not None:
                        on_progress()
                    return
                self.index.changed.wait(0.2)
                self.index.changed.clear()

    def _sample(self) -> list[tuple[float, int]]:
        """``(time, kind)`` of rows spread evenly over the view, malformed and timeless ones left out.

        Taken again at most once a second while rows come in: drawn on every tick, it would keep
        the screen busy for tens of milliseconds at a time.
        """
        count = len(self.rows)
        now = time.monotonic()
        if count != self._sampled_rows and (now - self._sampled_at >= _RESAMPLE or self.complete):
            times = self.index.times
            kinds = self.index.kinds
            step = max(1, count // _SAMPLE)
            found = [(times[r], kinds[r] & 15) for r in self.rows[:count:step]]
            self._sample_cache = [(t, k) for t, k in found if k != MALFORMED and not math.isnan(t)]
            self._sampled_rows = count
            self._sampled_at = now
        return self._sample_cache

    def histogram(self, width: int) -> list[tuple[str, bool]]:
        """``width`` bars of messages over time, each with whether CMDs are most of it."""
        sample = self._sample()
        if width <= 0 or not sample:
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
        sample = self._sample()
        return (min(t for t, _ in sample), max(t for t, _ in sample)) if sample else None


_switch_lock = threading.Lock()
_readers = 0
_SWITCH = 0.0005  # seconds a thread may hold the interpreter while the screen waits for it


@contextmanager
def _quick_switches(reading: bool) -> Iterator[None]:
    """While rows are read again on a thread, the screen gets the interpreter back sooner."""
    global _readers
    if not reading:
        yield
        return
    with _switch_lock:
        _readers += 1
        if _readers == 1:
            sys.setswitchinterval(_SWITCH)
    try:
        yield
    finally:
        with _switch_lock:
            _readers -= 1
            if _readers == 0:
                sys.setswitchinterval(_DEFAULT_SWITCH)


class Wanted:
    """The codes of a field's values that a test accepts, kept up as the index meets new values."""

    def __init__(self, field: Codes, test: Callable[[object], bool]) -> None:
        self.codes = field.codes
        self.field = field
        self.test = test
        self.accepted: set[int] = set()
        self._seen = 0

    def update(self) -> set[int]:
        values = self.field.values
        for code in range(self._seen, len(values)):
            if self.test(values[code]):
                self.accepted.add(code)
        self._seen = len(values)
        return self.accepted


def _error_text(index: Index, row: int) -> str:
    where, reason = index.errors.get(row, ("", ""))
    return f"{where} {reason}".lower()
