"""Counts of several series per time bucket (``wkcli report``'s timeline), in bounded memory.

Buckets start at multiples of their size in local time (or UTC); when there are too many, they
merge into the next size up on a ladder where each size is a multiple of the one before, so
counts merge exactly. Two timelines (of two parts of a dump) merge as one would have counted both.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

# Bucket sizes in seconds, each a multiple of the one before, so finer counts merge exactly.
LADDER = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400, 604800)
BUCKET_NAMES = {"1s": 1, "1m": 60, "5m": 300, "10m": 600, "1h": 3600, "1d": 86400}
SERIES = ("cmd", "chat", "retries", "online", "offline")
S_CMD, S_CHAT, S_RETRY, S_ONLINE, S_OFFLINE = range(len(SERIES))
MAX_BUCKETS = 4096  # kept while reading; past it buckets are merged into the next size up


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

    def add(self, moment: float, series: int, count: int = 1) -> None:
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
        row[series] += count

    def merge(self, other: Timeline) -> None:
        """Add the counts of ``other`` (of a later part of the same input, with the same settings).

        Buckets are merged to the larger of the two sizes, and on up while there are too many:
        the size reading both parts in one would have come to. Should the two parts have started
        on different UTC offsets (a dump across a change to or from summer time), the other's
        buckets are moved to this one's, exactly for sizes up to an hour.
        """
        if not other.buckets:
            return
        if self.offset is None:
            self.offset = other.offset
        self.coarsened = self.coarsened or other.coarsened
        while self.step < other.step:
            self._coarsen()
        step, offset = self.step, self.offset or 0
        width = len(SERIES)
        buckets = self.buckets
        for key, row in other.buckets.items():
            start = key * other.step - (other.offset or 0)  # the bucket's start in UTC
            target = buckets.get((start + offset) // step)
            if target is None:
                target = buckets[(start + offset) // step] = [0] * width
            for index, value in enumerate(row):
                target[index] += value
        while len(self.buckets) > MAX_BUCKETS:
            self._coarsen()

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
