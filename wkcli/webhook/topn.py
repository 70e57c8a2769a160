"""Counting in bounded memory: the largest counts among unboundedly many keys, and recently seen keys."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from typing import Any

KEY_CHARS = 200  # a string key longer than this is kept cut (``Cut``), so memory is bounded per key


class Cut(str):
    """A string key too long to keep whole (``cut``): its first ``KEY_CHARS`` characters, then
    ``…`` with its length and a digest of the whole, so distinct keys stay distinct."""

    __slots__ = ()


def cut(key: str) -> Cut:
    """``key`` (longer than ``KEY_CHARS``) as a ``Cut``: the same for the same key in any process."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return Cut(f"{key[:KEY_CHARS]}… ({len(key):,} characters, #{digest})")


def kept(key: Any) -> Any:
    """A key as counted: a string longer than ``KEY_CHARS`` cut (``cut``), anything else as it is."""
    return cut(key) if type(key) is str and len(key) > KEY_CHARS else key


class TopN:
    """Counts per key; exact while at most ``capacity`` distinct keys have been seen.

    Beyond that it is lossy counting: when full, the smaller half of the keys is dropped, and the
    largest count dropped is added to ``error``. A key's true count is then at least its reported
    count and at most that plus ``error``; a key whose true count exceeds ``error`` is never lost.
    ``total`` is always exact.

    A string key longer than ``KEY_CHARS`` is counted as its ``cut`` (a ``Cut`` is kept as it
    is), so the memory held is bounded by ``capacity`` times a fixed size, not by the input's
    longest key; counts stay exact, as a cut key stands for one whole key (its 64-bit digest
    could only collide with odds of about n²/2⁶⁵).
    """

    __slots__ = ("capacity", "counts", "total", "error", "dropped")

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 2:
            raise ValueError("capacity must be 2 or more")
        self.capacity = capacity
        self.counts: dict[Hashable, int] = {}
        self.total = 0
        self.error = 0
        self.dropped = 0  # keys dropped so far (a key may be dropped more than once)

    def add(self, key: Hashable, count: int = 1) -> None:
        if type(key) is str and len(key) > KEY_CHARS:
            key = cut(key)
        counts = self.counts
        current = counts.get(key)
        if current is None:
            if len(counts) >= self.capacity:
                self._prune()
                counts = self.counts
            counts[key] = count
        else:
            counts[key] = current + count
        self.total += count

    def merge(self, other: TopN) -> None:
        """Add another's counts. Exact while both are and their keys together fit; otherwise
        within the sum of both bounds (not always the counts one ``TopN`` would have kept)."""
        for key, count in other.counts.items():
            self.add(key, count)
        self.total += other.total - sum(other.counts.values())
        self.error += other.error
        self.dropped += other.dropped

    @property
    def exact(self) -> bool:
        return self.dropped == 0

    def top(self, n: int) -> list[tuple[Any, int]]:
        """The ``n`` largest counts, largest first; ties in key order so output is stable."""
        return sorted(self.counts.items(), key=_order)[:n]

    def _prune(self) -> None:
        # Sorting at every prune costs O(capacity log capacity) once per capacity/2 new keys.
        ordered = sorted(self.counts.items(), key=_order)
        keep = self.capacity // 2
        self.error += ordered[keep][1]
        self.dropped += len(ordered) - keep
        self.counts = dict(ordered[:keep])


def _order(item: tuple[Any, int]) -> tuple[int, bool, str]:
    key = item[0]
    return (-item[1], key is None, str(key))


class Recent:
    """A value per key, remembered for at least the last ``capacity // 2`` new keys.

    Two generations of a dict: when the young one holds ``capacity // 2`` keys it becomes the
    old one and the previous old one is forgotten. Memory stays under ``capacity`` keys; a key
    seen again after that many other new keys counts as new (``forgotten`` says how many were).
    """

    __slots__ = ("half", "young", "old", "forgotten")

    def __init__(self, capacity: int = 1_000_000) -> None:
        self.half = max(capacity // 2, 1)
        self.young: dict[Hashable, Any] = {}
        self.old: dict[Hashable, Any] = {}
        self.forgotten = 0

    def swap(self, key: Hashable, value: Any) -> Any:
        """Remember ``value`` for ``key``; return the one it had, or None."""
        young = self.young
        before = young.get(key)
        if before is None:
            before = self.old.pop(key, None)
            if before is None and len(young) >= self.half:
                self.forgotten += len(self.old)
                self.old = young
                young = self.young = {}
        young[key] = value
        return before
