"""``FastCheck``: ``check``'s rules over plain messages, decoded by msgspec, in workers too.

Each plain message is judged here by the per-message rules of ``webhook.checks.Checker``
(payload against header, command channels, CMDs in msg.offline, senders among recipients),
with the real payload decoder. What a rule finds is only counted: a message that needs an
example written (the first few of each finding, in file order) goes to the general path,
which writes it as it would have. In a worker, that is the first ``max_examples`` messages of
each finding in its range: every message that is among the first of the whole file is one of
those, so the main process, reading them in order, writes the same examples.

Duplicates depend on every message before: each message goes on, in order, as a small record
(its identity's hash, where it is, its recipients unparsed) to ``Replay``, which hands it to
``Checker.delivered`` in the main process, between the items of the general path as they
come in the file.
"""

from __future__ import annotations

import os
import struct
from collections import Counter
from typing import Any

from wkcli.read.fast.counts import EVENTS, FAILED, KINDS, Counts, valid_utf8
from wkcli.read.fast.scan import Scan
from wkcli.read.options import ReadOptions
from wkcli.webhook.checks import CMD_CHANNEL_SUFFIX, CMD_ONLINE_CHANNEL, SYSTEM_TYPES, Checker, Delivery
from wkcli.webhook.deliveries import Delivered
from wkcli.webhook.filters import Criteria
from wkcli.webhook.model import Origin
from wkcli.webhook.payload import JSON, decode_payload, decode_payload_value, may_be_cmd_payload

_MASK64 = 0xFFFFFFFFFFFFFFFF
_SUFFIX = CMD_CHANNEL_SUFFIX
# A record: event slot, identity hash, line, recipients' set hash and count, time (NaN: none),
# then the lengths of the id text and of the recipients' JSON, which follow.
RECORD = struct.Struct("<BQQIIdHI")
_NO_TIME = float("nan")
_MAX_ID = 0xFFFF  # bytes of id text a record holds
_MISSING_PAYLOAD = decode_payload({})
# What _judge makes of a message: its slot, findings, record and what ``more`` gave.
Judged = tuple[int, Any, "bytes | None", Any]
# Every finding of ``webhook.rules``, by where it is found for a message the fast decoder takes:
# judged here, or by the checker from the records, or never (the decoder lets no such message by).
JUDGED = frozenset(("cmd-payload-as-chat", "sync-once-not-cmd", "sync-once-system", "cmd-channel-as-chat",
                    "cmd-in-offline", "sender-in-recipients"))  # fmt: skip
FROM_RECORDS = frozenset(("duplicate", "offline-chunks"))
NEVER_PLAIN = frozenset(("sync-once-invalid", "timestamp-milliseconds", "recipients-unreadable",
                         "recipients-too-large", "recipients-unknown", "presence-malformed",
                         "unknown-event"))  # fmt: skip
CHECKED = "\0messages"  # the count of messages checked, among the findings' counts in facts


def record_size(data: bytes, pos: int) -> int:
    """The length of the record starting at ``pos`` of ``data``, or -1 when its head is cut off."""
    if len(data) - pos < RECORD.size:
        return -1
    *_, id_len, uids_len = RECORD.unpack_from(data, pos)
    return RECORD.size + id_len + uids_len


class Found:
    """What the fast path found (``Counts.facts``): messages checked and findings counted, and
    what a subclass counts besides (``more``)."""

    def __init__(self, more: Any = None) -> None:
        self.counts: Counter[str] = Counter()
        self.more = more

    def merge(self, other: Found) -> None:
        self.counts.update(other.counts)
        if self.more is not None:
            self.more.merge(other.more)


class Replay:
    """Where ``FastCheck``'s records are written: each goes to the checker as it is read."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.name = ""
        self._rest = b""

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
    output_share = 0.3  # records: about 40 bytes and the recipients' JSON a message

    def __init__(self, checker: Checker, criteria: Criteria, options: ReadOptions) -> None:
        super().__init__(criteria, options)
        self.checker = checker
        self.replay = Replay(checker)
        self.out = self.replay  # type: ignore[assignment]  # written to as a file is

    def prepare(self) -> None:
        from wkcli.read.fast import decode as fastdecode  # msgspec, only when a fast path runs

        self._fd = fastdecode
        self._uids = fastdecode.decode_uids
        self._header_type = fastdecode.Header
        self._unset = fastdecode.UNSET
        self._keeps = [self.keep(kind, event) for event in EVENTS for kind in KINDS]
        self.main_pid = os.getpid()
        self._left: Counter[str] = Counter()  # in a worker: messages left to the main process, by finding

    def scan(self, source: Any, ledger: Any) -> Any:
        self.replay.name = source.name
        return super().scan(source, ledger)

    def text_ok(self, block: bytes) -> bool:
        return block.isascii() or valid_utf8(block)

    def fold_facts(self, facts: Found) -> None:
        checker = self.checker
        if facts.more is not None:
            self.fold_more(facts.more)
        for code, count in facts.counts.items():
            if code == CHECKED:
                checker.messages += count
            else:
                checker.count(code, count)

    def take_lines(self, lines: list[bytes], i: int, acc: Counts, text_ok: bool) -> tuple[int, Any]:
        n = len(lines)
        if not text_ok:
            while i < n and not lines[i]:
                i += 1
            return i, FAILED
        decode = self._fd.decode_full
        full = self._fd.Full
        in_worker = os.getpid() != self.main_pid
        so_far = acc.facts
        if so_far is None:
            so_far = acc.facts = Found(self.new_more(in_worker))
        facts = so_far.counts
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
                one = judge(rec, -1, base + i + 1, in_worker)
                if one is None:
                    break
                found = [one]
            elif type(rec) is list and rec:
                if type(rec[0]) is str:
                    break  # presence entries: the general path parses them
                found = []
                for element in rec:
                    one = judge(element, 2, base + i + 1, in_worker) if type(element) is full else None
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
            for slot, codes, record, more in found:
                slots[slot] += 1
                if codes is not None:
                    matched += 1
                    facts[CHECKED] += 1
                    for code in codes:
                        facts[code] += 1
                    if record is not None:
                        pending.append(record)
                    if more is not None:
                        self.add_more(more_facts, more)
            i += 1
        acc.records += i - start - empty
        acc.matched += matched
        return i, (None if i >= n else FAILED)

    def judge(self, rec: Any, e: int, line: int, in_worker: bool) -> Judged | None:
        """``(slot, findings, record, more)`` for one message, or None when the general path must
        read it (a shape not plain, or an example to write). ``e`` is the event's index in
        ``EVENTS``, -1 for a lone message (its keys say). Findings are None for a message not
        kept; ``more`` is what ``more`` gives (a subclass's), for ``add_more``."""
        header = rec.header
        if type(header) is not self._header_type:
            return None
        unset = self._unset
        if not (rec.compress_to_uids is unset and rec.compress is unset):
            return None  # recipients to unpack: the general path's
        if not (rec.data is unset and rec.body is unset):
            return None  # maybe an envelope or a capture record
        k = header.sync_once or 0
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
            return slot, None, None, None
        codes = []
        payload = rec.payload
        if k == 0 and not self._every_payload and type(payload) is str and not may_be_cmd_payload(payload):
            decoded = None  # chat whose payload cannot be a CMD's: nothing for the rules below
        else:
            if payload is unset:
                decoded = _MISSING_PAYLOAD
            else:
                setting = rec.setting
                decoded = decode_payload_value(payload, None if setting is unset else setting)
            if decoded.status == JSON:
                if decoded.is_cmd_payload:
                    if k == 0:
                        codes.append("cmd-payload-as-chat")
                elif k == 1:
                    ctype = decoded.content_type
                    if type(ctype) is int:
                        codes.append("sync-once-system" if ctype in SYSTEM_TYPES else "sync-once-not-cmd")
        if k == 0:
            channel = rec.channel_id
            if type(channel) is str and (channel.endswith(_SUFFIX) or channel == CMD_ONLINE_CHANNEL):
                codes.append("cmd-channel-as-chat")
        elif e == 1:
            codes.append("cmd-in-offline")
        if uids:
            sender = rec.from_uid
            if type(sender) is str and sender and sender in uids:
                codes.append("sender-in-recipients")
        if codes and self._example_wanted(codes, in_worker):
            return None
        idstr = rec.message_idstr
        if type(idstr) is str and idstr:
            id_text = idstr
        else:
            mid = rec.message_id
            id_text = str(mid) if type(mid) is int else ""
        more = self.more(rec, k, e, decoded, uids, line, id_text) if self._more else None
        if e == 0:
            return slot, codes, None, more  # no event: nothing to be a duplicate in
        if id_text and id_text != "0":
            ident = id_text
        else:
            client_no = rec.client_msg_no
            if not (type(client_no) is str and client_no):
                return slot, codes, None, more
            ident = "client_msg_no:" + client_no
        ts = rec.timestamp
        time = float(ts) if type(ts) is int or type(ts) is float else _NO_TIME
        id_bytes = id_text.encode()
        if len(id_bytes) > _MAX_ID:
            return None  # too long for a record: the general path checks it
        if e == 1 and uids:
            recipients = frozenset(uids)
            blob = bytes(raw_uids)
            set_hash = (hash(recipients) & 0xFFFFFFFF) or 1  # deliveries.set_hash
            key = hash(ident) & _MASK64
            head = RECORD.pack(e, key, line, set_hash, len(recipients), time, len(id_bytes), len(blob))
            return slot, codes, head + id_bytes + blob, more
        head = RECORD.pack(e, hash(ident) & _MASK64, line, 0, 0, time, len(id_bytes), 0)
        return slot, codes, head + id_bytes, more

    # -- what a subclass adds (``read.fast.report``)

    _more = False  # whether ``more`` is called for each kept message
    _every_payload = False  # whether every payload is decoded (not only those a rule needs)

    def more(self, rec: Any, k: int, e: int, decoded: Any, uids: Any, line: int, id_text: str) -> Any:
        """What else a subclass takes from a kept message (``Decoded`` or None, uids or None)."""
        return None

    def new_more(self, in_worker: bool) -> Any:
        """A subclass's object that counts what ``more`` gives (with ``merge``), or None."""
        return None

    def add_more(self, counted: Any, more: Any) -> None:
        """Add what ``more`` gave for a message to ``counted``, once its whole line is taken."""

    def fold_more(self, counted: Any) -> None:
        """Take what was counted (in the main process, in file order)."""

    def check_line(self, line: bytes, number: int, in_worker: bool) -> Judged | None:
        """``judge`` for a line holding one message (line ``number``), or None when it does not
        or when the general path must read it."""
        try:
            rec = self._fd.decode_full(line)
        except Exception:  # noqa: BLE001 - the general path judges it
            return None
        if type(rec) is not self._fd.Full:
            return None
        return self.judge(rec, -1, number, in_worker)

    def _example_wanted(self, codes: list[str], in_worker: bool) -> bool:
        """True when a finding of this message may be among the examples written (see the module)."""
        if self.checker.every_note:
            return True
        if not in_worker:
            full = self.checker.examples_full
            return not all(full(code) for code in codes)
        left = self._left
        wanted = self.checker.max_examples
        if all(left[code] >= wanted for code in codes):
            return False
        for code in codes:
            left[code] += 1
        return True
