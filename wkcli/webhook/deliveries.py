"""Every delivery of every message remembered in about 25 bytes, to tell retries from v3's chunks."""

from __future__ import annotations

from array import array
from collections.abc import Iterable

import orjson

from wkcli.webhook.model import Origin

_EMPTY = 0xFFFFFFFF  # an unused slot of the index
_MASK64 = 0xFFFFFFFFFFFFFFFF
_BIG_PATH = 0xFFFF  # the origin did not fit the arrays: it is in ``big``
_MAX_LINE = 0xFFFFFFFF
EXACT_UIDS = 200_000  # recipients kept exactly (about 15 MB), newest messages first

FIRST = 0  # never seen before in this event
CHUNK = 1  # another v3 chunk: disjoint recipients
SECOND_CHUNK = 2  # the first time a message turns out to be chunked
DUPLICATE = 3  # delivered before
OVERLAP = 4  # delivered before, with recipients overlapping the earlier ones


def identity_hash(ident: str) -> int:
    """A message identity as an unsigned 64-bit number (Python's string hash)."""
    return hash(ident) & _MASK64


def set_hash(uids: Iterable[str]) -> int:
    """The recipients as an order-free 32-bit number, never 0 (0 means no recipients)."""
    return (hash(frozenset(uids)) & 0xFFFFFFFF) or 1


# Recipients as a fast path sends them ahead, unparsed: (set_hash, how many, a JSON array of them).
Packed = tuple[int, int, bytes]
Delivered = tuple[int, int, "Packed | None"]  # a fast path's delivery: (identity hash, line, recipients)


class Paths:
    """File names as small numbers, so an origin fits in six bytes."""

    __slots__ = ("numbers", "names", "last", "last_number")

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.names: list[str] = []
        self.last = ""  # the path asked for last: most messages come from the file before's
        self.last_number = -1

    def number(self, path: str) -> int:
        if path is self.last:
            return self.last_number
        found = self.numbers.get(path)
        if found is None:
            found = self.numbers[path] = len(self.names)
            self.names.append(path)
        self.last, self.last_number = path, found
        return found


class Table:
    """Identity hashes in insertion order (flat arrays) behind an open-addressing index of entries.

    The index is at most 70% full (linear probing stays short), so it costs 6-12 bytes an entry;
    an entry costs 14 bytes, 18 with a recipients hash.
    """

    __slots__ = ("index", "mask", "limit", "keys", "lines", "paths", "sets", "more", "big")

    def __init__(self, chunked: bool, size: int = 1024) -> None:
        self.index = array("I", [_EMPTY]) * size
        self.mask = size - 1
        self.limit = size * 7 // 10  # entries before the index grows
        self.keys = array("Q")
        self.lines = array("I")
        self.paths = array("H")
        self.sets = array("I") if chunked else None  # the first chunk's set_hash; 0: none
        self.more: dict[int, list[int]] = {}  # entry -> set_hash of each later chunk (rare)
        self.big: dict[int, Origin] = {}  # entry -> origin too large for the arrays (rare)

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, key: int) -> int:
        """The entry of ``key``, or -1."""
        index, keys, mask = self.index, self.keys, self.mask
        slot = key & mask
        while True:
            entry = index[slot]
            if entry == _EMPTY:
                return -1
            if keys[entry] == key:
                return entry
            slot = (slot + 1) & mask

    def add(self, key: int, path: int, line: int, origin: Origin, recipients: int, slot: int = -1) -> None:
        """Add ``key``, known to be absent; ``slot`` is the free slot a lookup just ended at, if any."""
        entry = len(self.keys)
        if entry >= self.limit:
            self._grow()
            slot = -1
        if slot < 0:
            index, mask = self.index, self.mask
            slot = key & mask
            while index[slot] != _EMPTY:
                slot = (slot + 1) & mask
        self.index[slot] = entry
        self.keys.append(key)
        if path >= _BIG_PATH or line > _MAX_LINE:
            self.big[entry] = origin
            path, line = _BIG_PATH, 0
        self.paths.append(path)
        self.lines.append(line)
        if self.sets is not None:
            self.sets.append(recipients)

    def origin(self, entry: int, paths: Paths) -> Origin:
        path = self.paths[entry]
        if path == _BIG_PATH:
            return self.big[entry]
        return Origin(paths.names[path], self.lines[entry])

    def _grow(self) -> None:
        size = len(self.index) * 2
        index = self.index = array("I", [_EMPTY]) * size
        mask = self.mask = size - 1
        self.limit = size * 7 // 10
        for entry, key in enumerate(self.keys):
            slot = key & mask
            while index[slot] != _EMPTY:
                slot = (slot + 1) & mask
            index[slot] = entry


class Exact:
    """The recipient sets of the newest chunked messages, in two generations bounded by their uids."""

    __slots__ = ("budget", "young", "old", "uids")

    def __init__(self, budget: int = EXACT_UIDS) -> None:
        self.budget = budget // 2
        self.young: dict[int, frozenset[str] | bytes] = {}
        self.old: dict[int, frozenset[str] | bytes] = {}
        self.uids = 0  # in young

    def get(self, key: int) -> frozenset[str] | None:
        generation = self.young
        found = generation.get(key)
        if found is None:
            generation = self.old
            found = generation.get(key)
        if type(found) is bytes:  # sent ahead as JSON by a fast path: made a set when first asked
            found = generation[key] = frozenset(orjson.loads(found))
        return found  # type: ignore[return-value]

    def put(self, key: int, uids: frozenset[str] | bytes, count: int) -> None:
        """Remember ``count`` uids (a set, or a JSON array of them) as the recipients of ``key``."""
        if self.uids >= self.budget:
            self.old, self.young, self.uids = self.young, {}, 0
        self.young[key] = uids
        self.uids += count

    def union(self, key: int, before: frozenset[str], uids: list[str]) -> None:
        """Another chunk's recipients join the message's (frozen sets: cheap to hash, rarely grown)."""
        both = before.union(uids)
        generation = self.young if key in self.young else self.old
        generation[key] = both
        self.uids += len(both) - len(before)


class Deliveries:
    """The messages seen in one event, in one or two generations (``remember`` bounds them).

    ``check`` must remember each message it has seen (per event) to spot the same one again, so
    its memory grows with the dump. A dict of id strings and ``Origin``s costs some 150 bytes a
    message (and more for the recipient sets of ``msg.offline``); here a message is a 64-bit hash
    of its identity, the line and file it was first seen at, and a 32-bit hash of its first
    chunk's recipients, in flat arrays: about 21-26 bytes (``msg.notify``) or 25-30 bytes (other
    events). Two different identities share a hash with a chance of about n^2 / 2^65 (1 in 30
    million for a million messages).

    Recipient sets themselves (to tell a chunk from a redelivery whose recipients overlap) are kept
    exactly only for the newest messages, within a budget of uids; beyond it, a redelivery is one
    whose recipients equal those of an earlier chunk (what a retry sends), and a partial overlap
    with a chunk that old counts as another chunk.
    """

    __slots__ = ("chunked", "half", "young", "old", "exact", "paths", "forgotten")

    def __init__(self, chunked: bool, paths: Paths, remember: int | None = None) -> None:
        self.chunked = chunked  # msg.notify carries no recipients: nothing to tell chunks by
        # With ``remember``, the older generation is dropped when the young one holds half of it:
        # between remember / 2 and remember messages are remembered.
        self.half = None if remember is None else max(remember // 2, 1)
        self.young = Table(chunked)
        self.old: Table | None = None
        self.exact = Exact()
        self.paths = paths
        self.forgotten = 0

    def __len__(self) -> int:
        return len(self.young) + (len(self.old) if self.old is not None else 0)

    def see(self, ident: str, origin: Origin, uids: list[str] | None) -> tuple[int, Origin | None]:
        """What this delivery is (``FIRST``, ``CHUNK`` …) and where the message was first seen."""
        return self.see_key(hash(ident) & _MASK64, origin, uids)

    def see_many(self, run: list[Delivered], path: str) -> list[tuple[int, int, Origin | None]]:
        """``see_key`` for deliveries read from ``path``, each ``(key, line, packed)``: returns
        ``(position in run, what, first)`` for each one that is not ``FIRST``.

        A new message with room for it in the young table (nearly every one) is added here
        inline; anything else takes ``see_key``.
        """
        out: list[tuple[int, int, Origin | None]] = []
        path_no = self.paths.number(path)
        chunked = self.chunked
        put = self.exact.put
        half = self.half
        big_path = path_no >= _BIG_PATH  # then every delivery takes see_key, which keeps it aside
        young = None
        for pos, (key, line, packed) in enumerate(run):
            if young is not self.young:  # the first, or a new table since see_key last ran
                young = self.young
                index, keys, mask, limit = young.index, young.keys, young.mask, young.limit
                add_key, add_path, add_line = keys.append, young.paths.append, young.lines.append
                add_set = young.sets.append if young.sets is not None else None
                if half is not None:
                    limit = min(limit, half)
                old = self.old
                if old is not None:
                    old_index, old_keys, old_mask = old.index, old.keys, old.mask
            slot = key & mask
            while True:
                entry = index[slot]
                if entry == _EMPTY or keys[entry] == key:
                    break
                slot = (slot + 1) & mask
            known = entry != _EMPTY
            if not known and old is not None:  # Table.find in the old table, inlined
                probe = key & old_mask
                while True:
                    found = old_index[probe]
                    if found == _EMPTY:
                        break
                    if old_keys[found] == key:
                        known = True
                        break
                    probe = (probe + 1) & old_mask
            entry = len(keys)
            if known or entry >= limit or line > _MAX_LINE or big_path:
                what, first = self.see_key(key, Origin(path, line), None, packed)
                if what != FIRST:
                    out.append((pos, what, first))
                if young.index is not index:  # grown by see_key: look again
                    young = None
                continue
            index[slot] = entry
            add_key(key)
            add_path(path_no)
            add_line(line)
            if chunked:
                recipients = 0
                if packed is not None and packed[1]:
                    recipients = packed[0]
                    put(key, packed[2], packed[1])
                add_set(recipients)  # type: ignore[misc]  # chunked: it has sets
        return out

    def see_key(
        self, key: int, origin: Origin, uids: list[str] | None, packed: Packed | None = None
    ) -> tuple[int, Origin | None]:
        """``see`` with the identity's hash given, and the recipients as ``uids`` or ``packed``
        (a fast path's, unparsed until a redelivery needs them)."""
        # Table.find, inlined: this runs once per message.
        table = self.young
        index, keys, mask = table.index, table.keys, table.mask
        slot = key & mask
        while True:
            entry = index[slot]
            if entry == _EMPTY or keys[entry] == key:
                break
            slot = (slot + 1) & mask
        if entry == _EMPTY:
            old = self.old
            entry = -1 if old is None else old.find(key)
            if old is None or entry < 0:
                if self.chunked:
                    self._add(key, origin, uids, packed, slot)
                else:
                    self._add(key, origin, None, None, slot)
                return FIRST, None
            table = old
        first = table.origin(entry, self.paths)
        stored = table.sets[entry] if table.sets is not None else 0
        if packed is not None:
            if not stored or not packed[1]:
                return DUPLICATE, first
            uids = orjson.loads(packed[2])
        elif not stored or not uids:
            return DUPLICATE, first
        assert uids is not None
        exact = self.exact.get(key)
        if exact is not None:
            disjoint = exact.isdisjoint(uids)
            this = (packed[0] if packed is not None else set_hash(uids)) if disjoint else 0
        else:
            this = packed[0] if packed is not None else set_hash(uids)
            disjoint = this != stored and this not in table.more.get(entry, ())
        if not disjoint:
            return OVERLAP, first
        if exact is not None:
            self.exact.union(key, exact, uids)
        later = table.more.setdefault(entry, [])
        later.append(this)
        return (SECOND_CHUNK if len(later) == 1 else CHUNK), first

    def _add(
        self, key: int, origin: Origin, uids: list[str] | None, packed: Packed | None, slot: int
    ) -> None:
        young = self.young
        entry = len(young.keys)
        if self.half is not None and entry >= self.half:
            self.forgotten += len(self.old) if self.old is not None else 0
            self.old = young
            young = self.young = Table(self.chunked, len(young.index))
            entry, slot = 0, -1  # the free slot was the old generation's
        recipients = 0
        if uids:
            exact = frozenset(uids)
            recipients = (hash(exact) & 0xFFFFFFFF) or 1  # set_hash
            self.exact.put(key, exact, len(exact))
        elif packed is not None and packed[1]:
            recipients = packed[0]
            self.exact.put(key, packed[2], packed[1])
        # What follows inlines Paths.number and Table.add's common case: it runs once per new message.
        paths = self.paths
        path = paths.last_number if origin.path is paths.last else paths.number(origin.path)
        line = origin.line
        if slot < 0 or entry >= young.limit or path >= _BIG_PATH or line > _MAX_LINE:
            young.add(key, path, line, origin, recipients, slot)
            return
        young.index[slot] = entry
        young.keys.append(key)
        young.paths.append(path)
        young.lines.append(line)
        if young.sets is not None:
            young.sets.append(recipients)
