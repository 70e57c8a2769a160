"""``FastGroups``: ``count --by`` top-level or header fields, decoding only those fields (msgspec).

A struct type is built for the fields asked for; a field whose value is a string, an integer,
a boolean or null is read from plain message lines (one message, or an array of them) and
becomes the group key as ``webhook.tally`` renders it; so are those of envelopes and capture
records. Anything else (an object, a float, a number too wide...) fails to decode and the
general path reads that line.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, Literal, Optional, Union

from wkcli.read.accounting import BulkTally
from wkcli.read.fast.counts import EVENTS, FAILED, KINDS, PRESENCE_E, Counts
from wkcli.read.fast.scan import Scan
from wkcli.read.options import ReadOptions
from wkcli.webhook.filters import Criteria
from wkcli.webhook.model import USER_ONLINESTATUS

# The message keys the count decoder already reads; grouping by them takes the general path.
_TAKEN = frozenset(
    ("header", "timestamp", "to_uids", "compress_to_uids", "compress", "source_id", "data", "body")
)


def fast_paths(by: list[tuple[str, ...]]) -> bool:
    """True when every path is ``event``, ``kind``, a top-level field or ``header.<field>``."""
    fields = [path for path in by if path not in (("event",), ("kind",))]
    if not fields:
        return False  # by event and kind only: FastCount counts those
    for path in fields:
        if len(path) == 1 and path[0] not in _TAKEN and path[0] not in ("file", "minute", "hour", "day"):
            continue
        if len(path) == 2 and path[0] == "header" and path[1] != "sync_once":
            continue
        return False
    return True


def _decoder(by: list[tuple[str, ...]]) -> tuple[Any, type, type, list[tuple[int, str]]]:
    """The decoder of a body, its message and header types, and where each key part comes from:
    ``(0, attribute)`` of the message, ``(1, attribute)`` of the header, ``(2, "event"|"kind")``."""
    import msgspec  # only when a grouped count runs

    from wkcli.read.fast.decode import Msg  # the count decoder's keys and checks, as they are

    unset = msgspec.UNSET
    # Values a key keeps as they are (the general path renders objects and arrays as JSON text,
    # and reads floats and wide integers its own way): anything else fails to decode.
    scalar = Union[str, int, bool, None, msgspec.UnsetType]
    top: dict[str, str] = {}
    head: dict[str, str] = {}
    parts: list[tuple[int, str]] = []
    for path in by:
        if path in (("event",), ("kind",)):
            parts.append((2, path[0]))
        elif len(path) == 1:
            parts.append((0, top.setdefault(path[0], f"k{len(top)}")))
        else:
            parts.append((1, head.setdefault(path[1], f"h{len(head)}")))
    header = msgspec.defstruct(
        "GroupHeader",
        [("sync_once", Optional[Literal[0, 1]], 0)] + [(attr, scalar, unset) for attr in head.values()],
        rename={attr: name for name, attr in head.items()},
        gc=False,
    )
    raw = Union[msgspec.Raw, msgspec.UnsetType]

    fields: list[tuple[str, Any, Any]] = [
        ("header", Union[header, None, msgspec.UnsetType], unset),
        ("timestamp", Msg.__annotations__["timestamp"], None),
    ]
    fields += [(name, raw, unset) for name in ("to_uids", "compress_to_uids", "compress", "source_id")]
    fields += [(name, raw, unset) for name in ("data", "body")]
    fields += [(attr, scalar, unset) for attr in top.values()]
    message = msgspec.defstruct(
        "GroupMsg", fields, rename={attr: name for name, attr in top.items()}, gc=False
    )
    body = Union[message, list[Union[message, str]]]  # type: ignore[valid-type]
    return msgspec.json.Decoder(body).decode, message, header, parts


class FastGroups(Scan):
    """``count --by`` fields of plain messages, counted in ``Counts.groups`` by slot and values:
    the slot as in ``Counts.slots``, the values of the fields as decoded (one, or a tuple)."""

    ranges_ok = False  # range readers elsewhere count kinds and events, not fields

    def __init__(self, tally: BulkTally, by: list[tuple[str, ...]], criteria: Criteria, options: ReadOptions):
        super().__init__(criteria, options)
        self.tally = tally
        self.by = by

    def prepare(self) -> None:
        # msgspec, only when a grouped count runs
        from wkcli.read.fast.decode import (
            ENVELOPE_OPENING,
            RECORD_OPENINGS,
            UNSET,
            record_decoders,
            record_messages,
            records_first,
        )

        self._unset = UNSET
        self._decode, self._msg, self._header, parts = _decoder(self.by)
        self._envelope, self._capture = record_decoders(self._msg, presence=True)
        # A field named as a record's key (count --by received_at...) reads records as messages first.
        self._openings = RECORD_OPENINGS if records_first(self._msg) else ()
        self._envelope_opening = ENVELOPE_OPENING
        self._record_messages = record_messages
        attrs = [attr if where == 0 else f"header.{attr}" for where, attr in parts if where != 2]
        self._values = attrgetter(*attrs)
        self.render = self._renderer(parts)

    def _renderer(self, parts: list[tuple[int, str]]) -> Callable[[int, Any], tuple[Any, ...]]:
        """What turns ``(slot, values)`` into the key ``webhook.tally`` gives (missing is None)."""
        unset = self._unset
        fields = sum(1 for where, _ in parts if where != 2)

        def render(slot: int, values: Any) -> tuple[Any, ...]:
            e, k = divmod(slot, 2)
            found = iter((values,) if fields == 1 else values)
            key = []
            for where, attr in parts:
                if where == 2:
                    key.append(EVENTS[e] if attr == "event" else KINDS[k])
                else:
                    value = next(found)
                    key.append(None if value is unset else value)
            return tuple(key)

        return render

    def take_lines(self, lines: list[bytes], i: int, acc: Counts, text_ok: bool) -> tuple[int, Any]:
        n = len(lines)
        decode = self._decode
        msg_type: Any = self._msg  # built at run time: mypy knows nothing of their fields
        header_type: Any = self._header
        unset = self._unset
        values = self._values
        # The values of each slot's messages, counted at the end: appending a value to its
        # slot's list and counting the list costs less than a (slot, values) tuple each.
        by_slot: list[list[Any]] = [[] for _ in range(6)]
        adds = [slot.append for slot in by_slot]
        rec: Any
        openings = self._openings
        # A block that opens with a record looks at each line's opening; one of messages, at none.
        record_block = i < n and lines[i].startswith(openings)
        envelope = self._envelope_opening
        start = i
        empty = 0
        for line in lines[i:] if i else lines:
            if not line:
                empty += 1
                i += 1
                continue
            if (
                record_block
                and line.startswith(openings)
                and self._record(line, line.startswith(envelope), by_slot, acc)
            ):
                i += 1  # read as a record at once: no second read
                continue
            try:
                rec = decode(line)
            except Exception:  # noqa: BLE001 - anything odd is the general path's to judge
                break
            if type(rec) is msg_type:
                header = rec.header
                if type(header) is not header_type:
                    if header is unset and not (rec.data is unset and rec.body is unset):
                        if self._record(
                            line, rec.data is not unset, by_slot, acc
                        ):  # an envelope or a capture record
                            i += 1
                            continue
                    break
                k = header.sync_once or 0
                # As FastCount: a message with recipients is a msg.offline body.
                if not (
                    rec.to_uids is unset
                    and rec.source_id is unset
                    and rec.compress is unset
                    and rec.compress_to_uids is unset
                ):
                    k += 2
                adds[k](values(rec))
            elif type(rec) is list and rec:
                if type(rec[0]) is str:
                    if any(type(entry) is not str for entry in rec):
                        break
                    acc.by_event.setdefault(USER_ONLINESTATUS, [0, 0, 0])[2] += len(rec)
                else:
                    if any(
                        type(element) is not msg_type or type(element.header) is not header_type
                        for element in rec
                    ):
                        break
                    for element in rec:
                        adds[(element.header.sync_once or 0) + 4](values(element))
            elif type(rec) is list:
                acc.empty += 1
            else:
                break
            i += 1
        acc.records += i - start - empty
        for slot, slot_values in enumerate(by_slot):
            if slot_values:
                acc.add_groups(slot, slot_values)
        return i, (None if i >= n else FAILED)

    def _record(self, line: bytes, envelope: bool, by_slot: list[list[Any]], acc: Counts) -> bool:
        """Count an envelope (``envelope``) or else a capture record of plain messages or presence
        entries (as a bare body is counted); False (nothing counted) when it is not that, or the
        general path must read it."""
        try:
            record = (self._envelope if envelope else self._capture)(line)
        except Exception:  # noqa: BLE001 - other keys, or not plain
            return False
        found = self._record_messages(record)
        if found is None:
            return False
        e, _, items = found
        if e == PRESENCE_E:
            acc.by_event.setdefault(USER_ONLINESTATUS, [0, 0, 0])[2] += len(items)
            return True
        msg_type: Any = self._msg
        header_type: Any = self._header
        if any(type(item) is not msg_type or type(item.header) is not header_type for item in items):
            return False
        values = self._values
        for item in items:
            by_slot[(item.header.sync_once or 0) + 2 * e].append(values(item))
        return True
