"""The records check's fast path sends to the main process's one ``Checker``: ``Replay`` and ``Demux``.

A worker (or the main process's own fast path) judges each plain message on its own and writes,
in file order, small binary records: ``FINDING`` for each finding with its detail, ``RECORD``
for each delivery (its identity's hash, where it is, its recipients unparsed), ``PRESENCE`` for
a presence entry's state (the report's flapping users). ``Replay`` takes that stream, cut
anywhere, and hands each record to the checker between the items of the general path as they
come in the file, so duplicates, examples and their order are the general path's by
construction. In export's output the records sit between rows; ``Demux`` sorts them out.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO

from wkcli.read.fast.counts import EVENTS
from wkcli.webhook.checks import Checker, Delivery
from wkcli.webhook.deliveries import Delivered
from wkcli.webhook.model import USER_ONLINESTATUS, Origin
from wkcli.webhook.rules import RULES

if TYPE_CHECKING:
    from wkcli.read.fast.scan import Scan

# A record of a delivery: event slot (1 or 2), identity hash, line, recipients' set hash and
# count, time and receive time (NaN: none), then the lengths of the id text and of the
# recipients' JSON, which follow.
RECORD = struct.Struct("<BQQIIddHI")
# A record of a finding: FINDING_TYPE, the code's index in CODES, event slot, line, time,
# receive time, then the lengths of the id text and of the detail (NO_DETAIL: none), which follow.
FINDING = struct.Struct("<BBBQddHI")
FINDING_TYPE = 3
CODES = tuple(RULES)
CODE_INDEX = {code: index for index, code in enumerate(CODES)}
NO_DETAIL = 0xFFFFFFFF
NO_TIME = float("nan")
MAX_ID = 0xFFFF  # bytes of id text a record holds
# A record's event slot: ``counts.EVENTS``'s, then user.onlinestatus (``counts.PRESENCE_E``),
# whose entries have findings but no deliveries.
RECORD_EVENTS = (*EVENTS, USER_ONLINESTATUS)
# A record of a presence entry's state, for what counts states in order (report's flapping
# users): PRESENCE_TYPE, online (1 or 0), the lengths of the uid and of the device flag's
# digits, which follow.
PRESENCE = struct.Struct("<BBIH")
PRESENCE_TYPE = 4


def record_size(data: bytes, pos: int) -> int:
    """The length of the record starting at ``pos`` of ``data``, or -1 when its head is cut off."""
    if len(data) > pos and data[pos] == FINDING_TYPE:
        return finding_size(data, pos)
    if len(data) > pos and data[pos] == PRESENCE_TYPE:
        return presence_size(data, pos)
    if len(data) - pos < RECORD.size:
        return -1
    *_, id_len, uids_len = RECORD.unpack_from(data, pos)
    return RECORD.size + id_len + uids_len


def finding_size(data: bytes, pos: int) -> int:
    """The length of the finding's record at ``pos``, or -1 when its head is cut off."""
    if len(data) - pos < FINDING.size:
        return -1
    *_, id_len, detail_len = FINDING.unpack_from(data, pos)
    return FINDING.size + id_len + (0 if detail_len == NO_DETAIL else detail_len)


def presence_size(data: bytes, pos: int) -> int:
    """The length of the presence record at ``pos``, or -1 when its head is cut off."""
    if len(data) - pos < PRESENCE.size:
        return -1
    _, _, uid_len, flag_len = PRESENCE.unpack_from(data, pos)
    return PRESENCE.size + uid_len + flag_len


def _time(packed: float) -> float | None:
    return None if packed != packed else packed  # NaN: none


class Replay:
    """Where ``FastCheck``'s records are written: each goes to the checker as it is read."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.scan: Scan | None = None  # whose file the records are of (its ``source_name``)
        # Told (uid, device flag, online) of each presence record, in order.
        self.on_presence: Callable[[str, int, bool], None] | None = None
        self._rest = b""

    @property
    def name(self) -> str:
        return self.scan.source_name if self.scan is not None else ""

    def write(self, data: bytes) -> int:
        if self._rest:
            data = self._rest + data
        size = RECORD.size
        unpack = RECORD.unpack_from
        pos, end = 0, len(data)
        run: list[Delivered] = []
        where: list[int] = []  # where each record of the run starts, to read its id when needed
        event = -1
        while pos < end:
            kind = data[pos]
            if kind == FINDING_TYPE or kind == PRESENCE_TYPE:  # heads shorter than a delivery's
                found = finding_size(data, pos) if kind == FINDING_TYPE else presence_size(data, pos)
                stop = pos + found
                if found < 0 or stop > end:
                    break
                self._deliver(data, event, run, where)  # what came before it, first
                if kind == FINDING_TYPE:
                    self._found(data, pos)
                else:
                    self._presence(data, pos)
                pos = stop
                continue
            if end - pos < size:
                break
            e, key, line, set_hash, count, _, _, id_len, uids_len = unpack(data, pos)
            stop = pos + size + id_len + uids_len
            if stop > end:
                break
            if e != event:
                self._deliver(data, event, run, where)
                event = e
            start = pos + size + id_len
            run.append((key, line, (set_hash, count, data[start:stop]) if uids_len else None))
            where.append(pos)
            pos = stop
        self._deliver(data, event, run, where)
        self._rest = data[pos:]
        return len(data)

    def _presence(self, data: bytes, pos: int) -> None:
        """Tell ``on_presence`` of the presence state recorded at ``pos``."""
        _, online, uid_len, flag_len = PRESENCE.unpack_from(data, pos)
        start = pos + PRESENCE.size
        if self.on_presence is not None:
            uid = data[start : start + uid_len].decode()
            self.on_presence(uid, int(data[start + uid_len : start + uid_len + flag_len]), bool(online))

    def _found(self, data: bytes, pos: int) -> None:
        """Note the finding recorded at ``pos``."""
        _, code, e, line, time, received, id_len, detail_len = FINDING.unpack_from(data, pos)
        if self.checker.counted(CODES[code]):
            return
        start = pos + FINDING.size
        id_text = data[start : start + id_len].decode()
        detail = (
            None if detail_len == NO_DETAIL else data[start + id_len : start + id_len + detail_len].decode()
        )
        delivery = Delivery(id_text, Origin(self.name, line), RECORD_EVENTS[e], _time(time), _time(received))
        self.checker.note_found(CODES[code], delivery, detail)

    def _deliver(self, data: bytes, e: int, run: list[Delivered], where: list[int]) -> None:
        """Hand a run of records of one event to the checker, and what it found to be noted."""
        if not run:
            return
        checker = self.checker
        event: str = EVENTS[e]  # type: ignore[assignment]  # records are of msg.offline or msg.notify
        name = self.name
        for index, what, first in checker.delivered(event, run, name):
            pos = where[index]
            _, _, _, _, _, time, received, id_len, _ = RECORD.unpack_from(data, pos)
            id_text = data[pos + RECORD.size : pos + RECORD.size + id_len].decode()
            delivery = Delivery(id_text, Origin(name, run[index][1]), event, _time(time), _time(received))
            checker.note_delivery(what, first, delivery)
        run.clear()
        where.clear()

    def flush(self) -> None:
        pass


# In the output of export's fast path: a NUL byte before records, a record separator (never a
# record's type, never in a JSON row) before a presence row; messages rows need no mark.
MARK = b"\0"
PRESENCE_ROW = b"\x1e"
_ROW = ord("{")
_ENDS_RECORDS = (_ROW, MARK[0], PRESENCE_ROW[0])


class Demux:
    """Where export's fast path writes: messages rows to ``rows``, presence rows to ``presence``,
    the records between them to ``replay`` (None: none come), each in order, however the stream
    is cut between writes."""

    def __init__(self, rows: BinaryIO, presence: BinaryIO | None, replay: Replay | None) -> None:
        self.rows = rows
        self.presence = presence
        self.replay = replay
        self._rest = b""  # a record or presence row cut short by the end of a write

    def write(self, data: bytes) -> int:
        if self._rest:
            data = self._rest + data
            self._rest = b""
        rows: list[bytes] = []
        presence: list[bytes] = []
        records: list[bytes] = []
        pos, end = 0, len(data)
        find = data.find
        mark = find(MARK)  # the next of each marker at or after pos (-1: none left)
        present = find(PRESENCE_ROW)
        while pos < end:
            if 0 <= mark < pos:
                mark = find(MARK, pos)
            if 0 <= present < pos:
                present = find(PRESENCE_ROW, pos)
            stop = min(mark if mark >= 0 else end, present if present >= 0 else end)
            if stop > pos:
                rows.append(data[pos:stop])
            pos = stop
            if pos >= end:
                break
            if pos == present:  # one presence row, to its line end
                line_end = find(b"\n", pos)
                if line_end < 0:
                    self._rest = data[pos:]
                    break
                presence.append(data[pos + 1 : line_end + 1])
                pos = line_end + 1
                continue
            pos += 1  # records follow the mark, up to the next row or mark
            while pos < end and data[pos] not in _ENDS_RECORDS:
                size = record_size(data, pos)
                if size < 0 or pos + size > end:
                    break
                records.append(data[pos : pos + size])
                pos += size
            if pos >= end or data[pos] not in _ENDS_RECORDS:
                self._rest = MARK + data[pos:]  # more records come with the next write
                break
        if rows:
            self.rows.write(b"".join(rows))
        if presence and self.presence is not None:
            self.presence.write(b"".join(presence))
        if records and self.replay is not None:
            self.replay.write(b"".join(records))
        return len(data)

    def flush(self) -> None:
        pass
