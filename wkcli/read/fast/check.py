"""``FastCheck``: ``check``'s rules over plain messages, decoded by msgspec, in workers too.

Each plain message is judged here by the rules of a message on its own
(``webhook.checks.message_notes``: payload against header, command channels, CMDs in
msg.offline, senders among recipients), with the real payload decoder. What depends on the
messages before it is left to the one ``Checker`` in the main process: each message goes on
as small records, in order (``RECORD``: its identity's hash, where it is, its recipients
unparsed, for duplicates; ``FINDING``: each finding with its detail), to ``Replay``, which
hands them to the checker between the items of the general path as they come in the file. So
counts, examples and their order are the general path's.
"""

from __future__ import annotations

import struct
from typing import Any

from wkcli.read.fast.counts import EVENTS, FAILED, KINDS, Counts, valid_utf8
from wkcli.read.fast.scan import Scan
from wkcli.read.options import ReadOptions
from wkcli.webhook.checks import Checker, Delivery, message_notes
from wkcli.webhook.deliveries import Delivered
from wkcli.webhook.filters import Criteria
from wkcli.webhook.model import Origin
from wkcli.webhook.payload import decode_payload, decode_payload_value, may_be_cmd_payload
from wkcli.webhook.recipients import LISTED, NONE
from wkcli.webhook.rules import RULES

_MASK64 = 0xFFFFFFFFFFFFFFFF
# A record of a delivery: event slot (1 or 2), identity hash, line, recipients' set hash and
# count, time (NaN: none), then the lengths of the id text and of the recipients' JSON, which follow.
RECORD = struct.Struct("<BQQIIdHI")
# A record of a finding: FINDING_TYPE, the code's index in CODES, event slot, line, time, then
# the lengths of the id text and of the detail (_NO_DETAIL: none), which follow.
FINDING = struct.Struct("<BBBQdHI")
FINDING_TYPE = 3
CODES = tuple(RULES)
_CODE_INDEX = {code: index for index, code in enumerate(CODES)}
_NO_DETAIL = 0xFFFFFFFF
_NO_TIME = float("nan")
_MAX_ID = 0xFFFF  # bytes of id text a record holds
PAYLOADS = 4096  # decoded payloads remembered (a pure function of payload and setting)
_MISSING_PAYLOAD = decode_payload({})
# What ``judge`` makes of a message: its slot, whether it is kept, its records, what ``more`` gave.
Judged = tuple[int, Any, "bytes | None", Any]
# Every finding of ``webhook.rules``, by where it is found for a message the fast decoder takes:
# judged here (``message_notes``), by the checker from the delivery records, or never (the
# decoder lets no such message by: ``judge`` passes no value that could make one).
JUDGED = frozenset(("cmd-payload-as-chat", "sync-once-not-cmd", "sync-once-system", "cmd-channel-as-chat",
                    "cmd-in-offline", "sender-in-recipients"))  # fmt: skip
FROM_RECORDS = frozenset(("duplicate", "offline-chunks"))
NEVER_PLAIN = frozenset(("sync-once-invalid", "timestamp-milliseconds", "recipients-unreadable",
                         "recipients-too-large", "recipients-unknown", "presence-malformed",
                         "unknown-event"))  # fmt: skip


def record_size(data: bytes, pos: int) -> int:
    """The length of the record starting at ``pos`` of ``data``, or -1 when its head is cut off."""
    if len(data) > pos and data[pos] == FINDING_TYPE:
        return finding_size(data, pos)
    if len(data) - pos < RECORD.size:
        return -1
    *_, id_len, uids_len = RECORD.unpack_from(data, pos)
    return RECORD.size + id_len + uids_len


def finding_size(data: bytes, pos: int) -> int:
    """The length of the finding's record at ``pos``, or -1 when its head is cut off."""
    if len(data) - pos < FINDING.size:
        return -1
    *_, id_len, detail_len = FINDING.unpack_from(data, pos)
    return FINDING.size + id_len + (0 if detail_len == _NO_DETAIL else detail_len)


class Found:
    """What the fast path counted (``Counts.facts``): messages checked, and what a subclass
    counts besides (``more``)."""

    def __init__(self, more: Any = None) -> None:
        self.checked = 0
        self.more = more

    def merge(self, other: Found) -> None:
        self.checked += other.checked
        if self.more is not None:
            self.more.merge(other.more)


class Replay:
    """Where ``FastCheck``'s records are written: each goes to the checker as it is read."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.scan: Scan | None = None  # whose file the records are of (its ``source_name``)
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
        while end - pos >= size:
            if data[pos] == FINDING_TYPE:
                stop = pos + finding_size(data, pos)
                if stop < pos + FINDING.size or stop > end:
                    break
                self._deliver(data, event, run, where)  # what came before it, first
                self._found(data, pos)
                pos = stop
                continue
            e, key, line, set_hash, count, _, id_len, uids_len = unpack(data, pos)
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

    def _found(self, data: bytes, pos: int) -> None:
        """Note the finding recorded at ``pos``."""
        _, code, e, line, time, id_len, detail_len = FINDING.unpack_from(data, pos)
        if self.checker.counted(CODES[code]):
            return
        start = pos + FINDING.size
        id_text = data[start : start + id_len].decode()
        detail = (
            None if detail_len == _NO_DETAIL else data[start + id_len : start + id_len + detail_len].decode()
        )
        when = None if time != time else time  # NaN: no time
        delivery = Delivery(id_text, Origin(self.name, line), EVENTS[e], when)
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
            _, _, _, _, _, time, id_len, _ = RECORD.unpack_from(data, pos)
            id_text = data[pos + RECORD.size : pos + RECORD.size + id_len].decode()
            when = None if time != time else time  # NaN: no time
            checker.note_delivery(what, first, Delivery(id_text, Origin(name, run[index][1]), event, when))
        run.clear()
        where.clear()

    def flush(self) -> None:
        pass


class FastCheck(Scan):
    """``check`` (and what uses a ``Checker``) over plain messages: see the module's docstring."""

    ranges_ok = False  # the records need the main process's checker, in order
    numbered = True  # records and examples name lines from the start of the file
    first_share = 0.8  # the main process also takes in every record: it reads 44% with 2 cores
    output_share = 0.3  # records: about 40 bytes and the recipients' JSON a message

    def __init__(self, checker: Checker, criteria: Criteria, options: ReadOptions) -> None:
        super().__init__(criteria, options)
        self.checker = checker
        self.replay = Replay(checker)
        self.replay.scan = self
        self.out = self.replay  # type: ignore[assignment]  # written to as a file is

    def prepare(self) -> None:
        from wkcli.read.fast import decode as fastdecode  # msgspec, only when a fast path runs

        self._fd = fastdecode
        self._uids = fastdecode.decode_uids
        self._header_type = fastdecode.FullHeader
        self._unset = fastdecode.UNSET
        self._keeps = [self.keep(kind, event) for event in EVENTS for kind in KINDS]
        self._payloads: dict[tuple[Any, Any], Any] = {}  # decode_payload_value's, for a while

    def text_ok(self, block: bytes) -> bool:
        return block.isascii() or valid_utf8(block)

    def fold_facts(self, facts: Found) -> None:
        if facts.more is not None:
            self.fold_more(facts.more)
        self.checker.messages += facts.checked

    def take_lines(self, lines: list[bytes], i: int, acc: Counts, text_ok: bool) -> tuple[int, Any]:
        n = len(lines)
        if not text_ok:
            while i < n and not lines[i]:
                i += 1
            return i, FAILED
        decode = self._fd.decode_full
        full = self._fd.Full
        so_far = acc.facts
        if so_far is None:
            so_far = acc.facts = Found(self.new_more())
        more_facts = so_far.more
        slots = acc.slots
        matched = 0
        judge = self.judge
        pending = self.pending
        base = self.line0
        start = i
        empty = 0
        for line in lines[i:] if i else lines:
            if not line:
                empty += 1
                i += 1
                continue
            try:
                rec = decode(line)
            except Exception:  # noqa: BLE001 - anything odd is the general path's to judge
                break
            found: list[Judged]
            if type(rec) is full:
                one = judge(rec, -1, base + i + 1)
                if one is None:
                    break
                found = [one]
            elif type(rec) is list and rec:
                if type(rec[0]) is str:
                    break  # presence entries: the general path parses them
                found = []
                for element in rec:
                    one = judge(element, 2, base + i + 1) if type(element) is full else None
                    if one is None:
                        break
                    found.append(one)
                if len(found) != len(rec):
                    break
            elif type(rec) is list:
                acc.empty += 1
                i += 1
                continue
            else:
                break
            for slot, kept, records, more in found:
                slots[slot] += 1
                if kept:
                    matched += 1
                    if records:
                        pending.append(records)
                    if more is not None:
                        self.add_more(more_facts, more)
            i += 1
        acc.records += i - start - empty
        acc.matched += matched
        so_far.checked += matched
        return i, (None if i >= n else FAILED)

    def judge(self, rec: Any, e: int, line: int) -> Judged | None:
        """``(slot, kept, records, more)`` for one message, or None when the general path must
        read it (a shape not plain). ``e`` is the event's index in ``EVENTS``, -1 for a lone
        message (its keys say). ``records`` are its findings' and its delivery's (b"": none);
        ``more`` is what ``more`` gives (a subclass's), for ``add_more``."""
        header = rec.header
        if type(header) is not self._header_type:
            return None
        unset = self._unset
        if not (rec.compress_to_uids is unset and rec.compress is unset):
            return None  # recipients to unpack: the general path's
        if not (rec.data is unset and rec.body is unset):
            return None  # maybe an envelope or a capture record
        sync_once = header.sync_once
        k = sync_once or 0
        raw_uids = rec.to_uids
        if raw_uids is unset:
            uids = None
            if e < 0:
                e = 0 if rec.source_id is unset else 1
        else:
            try:
                uids = self._uids(raw_uids)
            except Exception:  # noqa: BLE001 - not an array of strings: the general path says what
                return None
            if e < 0:
                e = 1
        slot = k + 2 * e
        if not self._keeps[slot]:
            return slot, False, b"", None
        payload = rec.payload
        setting = rec.setting
        pkey = (payload, None if setting is unset else setting)
        decoded = self._payloads.get(pkey)  # the same payloads come again and again (CMDs)
        if decoded is not None:
            pass
        elif payload is unset:
            decoded = _MISSING_PAYLOAD
        elif k == 0 and not self._every_payload and type(payload) is str and not may_be_cmd_payload(payload):
            decoded = _MISSING_PAYLOAD  # chat whose payload cannot be a CMD's: no rule reads it
        else:
            decoded = decode_payload_value(payload, pkey[1])
            payloads = self._payloads
            if len(payloads) >= PAYLOADS:
                payloads.clear()
            payloads[pkey] = decoded
        channel = rec.channel_id
        sender = rec.from_uid
        idstr = rec.message_idstr
        if type(idstr) is str and idstr:
            id_text = idstr
        else:
            mid = rec.message_id
            id_text = str(mid) if type(mid) is int else ""
        id_bytes = id_text.encode()
        if len(id_bytes) > _MAX_ID:
            return None  # too long for a record: the general path checks it
        ts = rec.timestamp
        time = float(ts) if type(ts) is int or type(ts) is float else _NO_TIME
        records = b""
        notes = message_notes(
            KINDS[k], EVENTS[e], decoded, None if channel is unset else channel, ts,
            LISTED if uids is not None else NONE, None, uids, None if sender is unset else sender,
            None if sync_once is unset else sync_once,
        )  # fmt: skip
        for code, detail in notes:
            text = b"" if detail is None else detail.encode()
            head = FINDING.pack(FINDING_TYPE, _CODE_INDEX[code], e, line, time, len(id_bytes),
                                _NO_DETAIL if detail is None else len(text))  # fmt: skip
            records += head + id_bytes + text
        more = self.more(rec, k, e, decoded, uids, line, id_text) if self._more else None
        if e == 0:
            return slot, True, records, more  # no event: nothing to be a duplicate in
        if id_text and id_text != "0":
            ident = id_text
        else:
            client_no = rec.client_msg_no
            if not (type(client_no) is str and client_no):
                return slot, True, records, more
            ident = "client_msg_no:" + client_no
        key = hash(ident) & _MASK64
        if e == 1 and uids:
            recipients = frozenset(uids)
            blob = bytes(raw_uids)
            set_hash = (hash(recipients) & 0xFFFFFFFF) or 1  # deliveries.set_hash
            head = RECORD.pack(e, key, line, set_hash, len(recipients), time, len(id_bytes), len(blob))
            return slot, True, records + head + id_bytes + blob, more
        head = RECORD.pack(e, key, line, 0, 0, time, len(id_bytes), 0)
        return slot, True, records + head + id_bytes, more

    # -- what a subclass adds (``read.fast.report``)

    _more = False  # whether ``more`` is called for each kept message
    _every_payload = False  # whether every payload is decoded (not only those a rule needs)

    def more(self, rec: Any, k: int, e: int, decoded: Any, uids: Any, line: int, id_text: str) -> Any:
        """What else a subclass takes from a kept message (``Decoded`` or None, uids or None)."""
        return None

    def new_more(self) -> Any:
        """A subclass's object that counts what ``more`` gives (with ``merge``), or None."""
        return None

    def add_more(self, counted: Any, more: Any) -> None:
        """Add what ``more`` gave for a message to ``counted``, once its whole line is taken."""

    def fold_more(self, counted: Any) -> None:
        """Take what was counted (in the main process, in file order)."""

    def check_line(self, line: bytes, number: int) -> tuple[int, bytes] | None:
        """``judge`` for each message of a line (line ``number``) holding one, or a msg.notify
        body of them: how many are kept, and their records in order; None when the general
        path must read the line."""
        try:
            rec = self._fd.decode_full(line)
        except Exception:  # noqa: BLE001 - the general path judges it
            return None
        full = self._fd.Full
        if type(rec) is full:
            found = [self.judge(rec, -1, number)]
        elif type(rec) is list and rec:
            found = [self.judge(element, 2, number) if type(element) is full else None for element in rec]
        else:
            return None
        kept = 0
        records: list[bytes] = []
        for one in found:
            if one is None:
                return None
            if one[1]:
                kept += 1
                records.append(one[2] or b"")
        return kept, b"".join(records)
