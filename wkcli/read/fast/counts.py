"""What the fast path counted without building items (``Counts``), until it goes to the ledger.

Counts travel from a forked worker to the main process as ``state()`` (plain tuples and lists,
quick to pickle), and reach the stats only through ``Ledger.add_bulk``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from wkcli.read.accounting import BulkGroup, BulkTally, KindEventTest, Ledger
from wkcli.webhook.model import CHAT, CMD, MSG_NOTIFY, MSG_OFFLINE, USER_ONLINESTATUS

EVENTS = (None, MSG_OFFLINE, MSG_NOTIFY)  # the events of message slots, by index e
PRESENCE_E = len(EVENTS)  # user.onlinestatus, where an index e may also name presence entries
KINDS = (CHAT, CMD)  # indexed by sync_once (0 or 1)
GROUP_BATCH = 1 << 14  # values of count --by fields held before they are counted (Counts.add_groups)
FAILED = object()  # returned for a line the fast path cannot take and did not parse

CountsState = tuple[int, int, int, int, list[int], dict[str | None, list[int]], dict[int, Counter[Any]], Any]


class Counts:
    """Counts from lines the fast path took, added to the ledger in one go.

    ``slots`` holds message counts by kind and event: index ``k + 2 * e`` with ``k`` 0 (chat) or
    1 (cmd) and ``e`` indexing ``EVENTS``. ``by_event`` holds ``[chat, cmd, presence]`` for
    enveloped bodies; ``presence`` counts bare user.onlinestatus entries. ``groups`` holds
    message counts by slot, then by values, for ``count --by`` fields (``groups.FastGroups``);
    ``group_values`` the values not counted yet, by slot (``add_groups``).
    ``facts`` is what a fast path works out beyond counts (``check.FastCheck``'s findings): any
    object with ``merge``, handed to the fast path when the counts are folded.
    """

    __slots__ = (
        "records",
        "empty",
        "presence",
        "matched",
        "slots",
        "by_event",
        "groups",
        "group_values",
        "facts",
    )

    def __init__(self) -> None:
        self.records = 0
        self.empty = 0
        self.presence = 0
        self.matched = 0  # only where the caller decides what is kept as it goes (JSONL)
        self.slots = [0, 0, 0, 0, 0, 0]
        self.by_event: dict[str | None, list[int]] = {}
        self.groups: dict[int, Counter[Any]] = {}
        self.group_values: dict[int, list[Any]] = {}
        self.facts: Any = None

    def state(self) -> CountsState:
        self.count_groups()
        return (
            self.records, self.empty, self.presence, self.matched, self.slots, self.by_event, self.groups,
            self.facts,
        )  # fmt: skip

    @classmethod
    def from_state(cls, state: CountsState) -> Counts:
        counts = cls()
        (
            counts.records,
            counts.empty,
            counts.presence,
            counts.matched,
            counts.slots,
            counts.by_event,
            counts.groups,
            counts.facts,
        ) = state
        return counts

    def merge(self, other: Counts) -> None:
        self.records += other.records
        self.empty += other.empty
        self.presence += other.presence
        self.matched += other.matched
        for i, n in enumerate(other.slots):
            self.slots[i] += n
        for event, counts in other.by_event.items():
            mine = self.by_event.setdefault(event, [0, 0, 0])
            for i, n in enumerate(counts):
                mine[i] += n
        for slot, values in other.group_values.items():
            self.add_groups(slot, values)
        for slot, counted in other.groups.items():
            self.groups.setdefault(slot, Counter()).update(counted)
        if other.facts is not None:
            if self.facts is None:
                self.facts = other.facts
            else:
                self.facts.merge(other.facts)

    def add_groups(self, slot: int, values: list[Any]) -> None:
        """Count each of ``values`` (a field's value, or a tuple of them) once in ``slot``; the
        list becomes this object's. They wait in a list, counted a batch at a time: a worker adds
        each block's counts to its total, and extending a list costs less than adding a Counter
        (a loop in Python, a value at a time)."""
        held = self.group_values.get(slot)
        if held is None:
            self.group_values[slot] = held = values
        else:
            held += values
        if len(held) >= GROUP_BATCH:
            self.groups.setdefault(slot, Counter()).update(held)
            del self.group_values[slot]

    def count_groups(self) -> None:
        """Count the values that wait in ``group_values`` into ``groups``."""
        for slot, values in self.group_values.items():
            self.groups.setdefault(slot, Counter()).update(values)
        self.group_values = {}

    def fold(
        self,
        ledger: Ledger,
        keep: KindEventTest,
        tally: BulkTally | None,
        render: Any = None,
        settle: bool = True,
    ) -> None:
        """Add everything to the ledger (with a tally, also what ``keep`` keeps), then start over.

        Grouped counts (``render`` turns their keys into the tally's) wait until ``settle``:
        they are folded once per run of fast blocks, not once per block, where there are many.
        """
        slots = self.slots
        groups: list[BulkGroup] = [
            (event, slots[2 * e], slots[2 * e + 1], 0) for e, event in enumerate(EVENTS)
        ]
        if self.presence:
            groups.append((USER_ONLINESTATUS, 0, 0, self.presence))
        groups.extend((event, chat, cmd, entries) for event, (chat, cmd, entries) in self.by_event.items())
        ledger.add_bulk(self.records, self.empty, self.matched, groups, tally, keep)
        held, held_values = self.groups, self.group_values
        if (held or held_values) and settle:
            self._fold_groups(ledger, keep, tally, render)
            held, held_values = {}, {}
        facts = self.facts  # what is not folded yet (see Scan._flush) waits, as grouped counts do
        self.__init__()  # type: ignore[misc]
        self.groups, self.group_values = held, held_values
        self.facts = facts

    def _fold_groups(self, ledger: Ledger, keep: KindEventTest, tally: BulkTally | None, render: Any) -> None:
        """Grouped message counts: to the ledger as the general path accounts each message, and
        the kept ones to ``tally`` (``Tally.add_group``) under their key."""
        self.count_groups()
        slots = [0] * 6
        matched = 0
        add_group = getattr(tally, "add_group", None)
        for slot, counted in self.groups.items():
            slots[slot] += counted.total()
            e, k = divmod(slot, 2)
            if add_group is None or not keep(KINDS[k], EVENTS[e]):
                continue
            for values, count in counted.items():
                matched += count
                add_group(KINDS[k], render(slot, values), count)
        groups = [(event, slots[2 * e], slots[2 * e + 1], 0) for e, event in enumerate(EVENTS)]
        ledger.add_bulk(0, 0, matched, groups)


def count_presence(acc: Counts, entries: int, bare: bool, kept: bool) -> None:
    """Count a line's presence entries (a bare body's, or a record's), as kept or not."""
    if bare:
        acc.presence += entries
    else:
        acc.by_event.setdefault(USER_ONLINESTATUS, [0, 0, 0])[2] += entries
    if kept:
        acc.matched += entries  # kept, as the general path counts them


def valid_utf8(block: bytes) -> bool:
    # msgspec does not check the UTF-8 of strings it skips; the general path rejects bad UTF-8.
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
