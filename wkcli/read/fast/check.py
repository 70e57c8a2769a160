"""``FastCheck``: ``check``'s rules over plain messages, decoded by msgspec, in workers too.

A line may hold a message, a msg.notify body, or an envelope or ``wkcli capture`` record of
msg.offline or msg.notify messages. Each plain message is judged here by the rules of a
message on its own (``webhook.checks.message_notes``: payload against header, command
channels, CMDs in msg.offline, senders among recipients), with the real payload decoder. What
depends on the messages before it is left to the one ``Checker`` in the main process: each
message goes on as small records, in order (``records``), which hand it to the checker between
the items of the general path as they come in the file. So counts, examples and their order
are the general path's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from wkcli.read.fast.counts import EVENTS, FAILED, KINDS, PRESENCE_E, Counts, count_presence
from wkcli.read.fast.records import (
    CODE_INDEX,
    FINDING,
    FINDING_TYPE,
    MAX_ID,
    NO_DETAIL,
    NO_TIME,
    RECORD,
    Replay,
)
from wkcli.read.fast.scan import Scan
from wkcli.read.options import ReadOptions
from wkcli.webhook.checks import Checker, message_notes
from wkcli.webhook.filters import Criteria
from wkcli.webhook.model import USER_ONLINESTATUS, json_quote
from wkcli.webhook.payload import decode_payload, decode_payload_value, may_be_cmd_payload
from wkcli.webhook.presence import PresenceError, parse_presence
from wkcli.webhook.recipients import LISTED, NONE

_MASK64 = 0xFFFFFFFFFFFFFFFF
PAYLOADS = 4096  # decoded payloads remembered (a pure function of payload and setting)
_MISSING_PAYLOAD = decode_payload({})
# What ``judge`` makes of a message: its slot, whether it is kept, its records, what ``more`` gave.
Judged = tuple[int, Any, "bytes | None", Any]
More = Callable[[Any, int, int, Any, Any, int, str, "float | None"], Any]  # FastCheck.more
# What a line holds: its event's index in EVENTS (-1: a lone message, PRESENCE_E: presence
# entries), the receive time of its record, and its messages or entries.
Shape = tuple[int, "float | None", list[Any]]
# Every finding of ``webhook.rules``, by where it is found for a message the fast decoder takes:
# judged here (``message_notes``), by the checker from the delivery records, or never (the
# decoder lets no such message by: ``judge`` passes no value that could make one).
JUDGED = frozenset(("cmd-payload-as-chat", "sync-once-not-cmd", "sync-once-system", "cmd-channel-as-chat",
                    "cmd-in-offline", "sender-in-recipients"))  # fmt: skip
FROM_RECORDS = frozenset(("duplicate", "offline-chunks"))
NEVER_PLAIN = frozenset(("sync-once-invalid", "timestamp-milliseconds", "recipients-unreadable",
                         "recipients-too-large", "recipients-unknown", "presence-malformed",
                         "unknown-event"))  # fmt: skip


class Found:
    """What the fast path counted (``Counts.facts``): messages checked, and what a subclass
    counts besides (``more``)."""

    def __init__(self, more: Any = None) -> None:
        self.checked = 0
        self.presence = 0  # entries checked
        self.more = more

    def merge(self, other: Found) -> None:
        self.checked += other.checked
        self.presence += other.presence
        if self.more is not None:
            self.more.merge(other.more)


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
        self._envelope, self._capture = fastdecode.record_decoders(fastdecode.Full, presence=True)
        self.keep_presence = self.keep(None, USER_ONLINESTATUS)
        self._unset = fastdecode.UNSET
        self._keeps = [self.keep(kind, event) for event in EVENTS for kind in KINDS]
        self._payloads: dict[tuple[Any, Any], Any] = {}  # decode_payload_value's, for a while

    def fold_facts(self, facts: Found) -> None:
        if facts.more is not None:
            self.fold_more(facts.more)
        self.checker.messages += facts.checked
        self.checker.presence += facts.presence

    def take_lines(self, lines: list[bytes], i: int, acc: Counts, text_ok: bool) -> tuple[int, Any]:
        n = len(lines)
        decode = self._fd.decode_full
        so_far = acc.facts
        if so_far is None:
            so_far = acc.facts = Found(self.new_more())
        more_facts = so_far.more
        slots = acc.slots
        matched = 0
        judged = self._judged
        pending = self.pending
        base = self.line0
        start = i
        empty = 0
        openings = self._fd.RECORD_OPENINGS
        # A block that opens with a record looks at each line's opening; one of messages, at none.
        record_block = i < n and lines[i].startswith(openings)
        for line in lines[i:] if i else lines:
            if not line:
                empty += 1
                i += 1
                continue
            # A line that opens as a record is read as one at once (decode.records_first holds
            # for Full); one that is not that is read as before.
            shape = self._record(line) if record_block and line.startswith(openings) else False
            bare = False  # presence entries on their own, not in a record
            if shape is False:
                try:
                    rec = decode(line)
                except Exception:  # noqa: BLE001 - anything odd is the general path's to judge
                    break
                if type(rec) is list and not rec:
                    acc.empty += 1
                    i += 1
                    continue
                shape = self._shape(line, rec)
                bare = type(rec) is list
            if shape is None:
                break
            e, received, items = shape
            if e == PRESENCE_E:
                kept = self.keep_presence
                count_presence(acc, len(items), bare, kept)
                if kept:
                    pending.extend(self.presence_records(items, received, base + i + 1, so_far))
                i += 1
                continue
            found = judged(items, e, base + i + 1, received)
            if found is None:
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

    def judge(self, rec: Any, e: int, line: int, received: float | None = None) -> Judged | None:
        """``(slot, kept, records, more)`` for one message, or None when the general path must
        read it (a shape not plain). ``e`` is the event's index in ``EVENTS``, -1 for a lone
        message (its keys say); ``received`` the receive time of its capture record.
        ``records`` are its findings' and its delivery's (b"": none); ``more`` is what ``more``
        gives (a subclass's), for ``add_more``."""
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
        if len(id_bytes) > MAX_ID:
            return None  # too long for a record: the general path checks it
        ts = rec.timestamp
        timed = type(ts) is int or type(ts) is float
        time = float(ts) if timed else NO_TIME if received is None else received  # Message.time
        got = NO_TIME if received is None else received
        records = b""
        notes = message_notes(
            KINDS[k], EVENTS[e], decoded, None if channel is unset else channel, ts,
            LISTED if uids is not None else NONE, None, uids, None if sender is unset else sender,
            None if sync_once is unset else sync_once,
        )  # fmt: skip
        for code, detail in notes:
            text = b"" if detail is None else detail.encode()
            head = FINDING.pack(FINDING_TYPE, CODE_INDEX[code], e, line, time, got, len(id_bytes),
                                NO_DETAIL if detail is None else len(text))  # fmt: skip
            records += head + id_bytes + text
        more = None if self.more is None else self.more(rec, k, e, decoded, uids, line, id_text, received)
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
            head = RECORD.pack(e, key, line, set_hash, len(recipients), time, got, len(id_bytes), len(blob))
            return slot, True, records + head + id_bytes + blob, more
        head = RECORD.pack(e, key, line, 0, 0, time, got, len(id_bytes), 0)
        return slot, True, records + head + id_bytes, more

    # -- what a subclass adds (``read.fast.report``)

    _every_payload = False  # whether every payload is decoded (not only those a rule needs)
    # What else a subclass takes from each kept message, if anything: ``more(rec, k, e,
    # decoded, uids, line, id_text, received)`` (``Decoded`` or None, uids or None).
    more: More | None = None

    def new_more(self) -> Any:
        """A subclass's object that counts what ``more`` gives (with ``merge``), or None."""
        return None

    def add_more(self, counted: Any, more: Any) -> None:
        """Add what ``more`` gave for a message to ``counted``, once its whole line is taken."""

    def fold_more(self, counted: Any) -> None:
        """Take what was counted (in the main process, in file order)."""

    def check_line(self, line: bytes, number: int) -> tuple[int, bytes] | None:
        """``judge`` for each message of a line (line ``number``): how many are kept, and their
        records in order; None when the general path must read the line (or it holds presence)."""
        shape = self._record(line) if line.startswith(self._fd.RECORD_OPENINGS) else False
        if shape is False:  # not a record (as take_lines reads lines)
            try:
                rec = self._fd.decode_full(line)
            except Exception:  # noqa: BLE001 - the general path judges it
                return None
            shape = self._shape(line, rec)
        if shape is None or shape[0] == PRESENCE_E:
            return None
        e, received, messages = shape
        found = self._judged(messages, e, number, received)
        if found is None:
            return None
        kept = 0
        records: list[bytes] = []
        for _, keep, text, _ in found:
            if keep:
                kept += 1
                records.append(text or b"")
        return kept, b"".join(records)

    def _shape(self, line: bytes, rec: Any) -> Shape | None:
        """``(e, received, items)`` of a line, decoded (``rec``): a lone message (e -1), a
        msg.notify body, presence entries (``PRESENCE_E``), or an envelope or capture record of
        either; None when the general path must read the line."""
        if type(rec) is self._fd.Full:
            if rec.data is self._unset and rec.body is self._unset:
                return -1, None, [rec]
            shape = self._record(line, rec.data is not self._unset)  # read again as a record
            return None if shape is False else shape
        if type(rec) is list and rec:
            if type(rec[0]) is not str:
                return 2, None, rec  # a msg.notify body
            if all(type(entry) is str for entry in rec):
                return PRESENCE_E, None, rec
        return None

    def _record(self, line: bytes, envelope: bool | None = None) -> Shape | None | Literal[False]:
        """``_shape`` of an envelope (``envelope``; None: when the line opens as one), else a
        capture record: None when the general path must read its body; False when the line is
        not that record."""
        if envelope is None:
            envelope = line.startswith(self._fd.ENVELOPE_OPENING)
        try:
            record = (self._envelope if envelope else self._capture)(line)
        except Exception:  # noqa: BLE001 - other keys, or not plain
            return False
        return self._fd.record_messages(record)

    def _judged(
        self, messages: list[Any], e: int, number: int, received: float | None
    ) -> list[Judged] | None:
        """``judge`` for each of a line's messages; None when one is not plain."""
        full = self._fd.Full
        judged: list[Judged] = []
        for message in messages:
            one = self.judge(message, e, number, received) if type(message) is full else None
            if one is None:
                return None
            judged.append(one)
        return judged

    def presence_records(
        self, entries: list[str], received: float | None, number: int, found: Found
    ) -> list[bytes]:
        """Judge a line's kept presence entries (``Checker._presence``'s rule), in order: each
        malformed one's finding as a record, and what ``presence_more`` gives."""
        records: list[bytes] = []
        more = found.more
        time = NO_TIME if received is None else received
        for index, text in enumerate(entries):
            try:
                parsed = parse_presence(text)
            except PresenceError as exc:
                detail = f"entry {index + 1} {json_quote(text)}: {exc}".encode()
                head = FINDING.pack(FINDING_TYPE, CODE_INDEX["presence-malformed"], PRESENCE_E, number,
                                    time, time, 0, len(detail))  # fmt: skip
                records.append(head + detail)
                parsed = None
            if self.more is not None:
                records.append(self.presence_more(more, parsed, received))
        found.presence += len(entries)
        return records

    def presence_more(self, counted: Any, parsed: Any, received: float | None) -> bytes:
        """A subclass's count of a kept presence entry (``Presence``, or None: malformed), and
        the record it needs (b"": none)."""
        return b""
