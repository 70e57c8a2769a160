"""``FastCount``: totals for ``count`` (without ``--by``, or by event and kind) from a typed msgspec decoder.

The decoder (``decode``) looks only at ``header.sync_once`` and the keys that decide the event;
anything it is not sure about fails to decode and goes to the general path, which says what
is wrong exactly as it would have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wkcli.read.accounting import BulkTally
from wkcli.read.fast.counts import FAILED, Counts
from wkcli.read.fast.scan import Scan
from wkcli.read.options import ReadOptions
from wkcli.webhook.filters import Criteria
from wkcli.webhook.model import KNOWN_EVENTS, MSG_NOTIFY, USER_ONLINESTATUS

if TYPE_CHECKING:
    from wkcli.read.fast.decode import Header, Msg  # imported for real only when a count runs


class FastCount(Scan):
    """Totals for ``count`` without ``--by``: kept messages and presence entries go to ``tally``."""

    def __init__(self, tally: BulkTally, criteria: Criteria, options: ReadOptions) -> None:
        super().__init__(criteria, options)
        self.tally = tally

    def prepare(self) -> None:
        from wkcli.read.fast import decode as fastdecode  # msgspec, only when a fast count runs

        self._fd = fastdecode

    def take_lines(self, lines: list[bytes], i: int, acc: Counts, text_ok: bool) -> tuple[int, Any]:
        n = len(lines)
        fd = self._fd
        decode = fd.decode_body
        msg_type = fd.Msg
        header_type = fd.Header
        unset = fd.UNSET
        slots = acc.slots
        openings = fd.RECORD_OPENINGS
        # A block that opens with a record looks at each line's opening; one of messages, at none.
        record_block = i < n and lines[i].startswith(openings)
        envelope = fd.ENVELOPE_OPENING
        start = i
        empty = 0  # blank lines: no record
        for line in lines[i:] if i else lines:
            if not line:
                empty += 1
                i += 1
                continue
            if (
                record_block
                and line.startswith(openings)
                and self._record(line, line.startswith(envelope), acc)
            ):
                i += 1  # read as a record at once (decode.records_first holds for Msg)
                continue
            try:
                rec = decode(line)
            except Exception:  # noqa: BLE001 - anything odd is the general path's to judge
                break
            if type(rec) is msg_type:
                header = rec.header
                if type(header) is header_type:
                    k = header.sync_once or 0  # 0, 1 or None: the decoder let nothing else by
                    if (
                        rec.to_uids is unset
                        and rec.source_id is unset
                        and rec.compress is unset
                        and rec.compress_to_uids is unset
                    ):
                        slots[k] += 1
                    else:
                        slots[k + 2] += 1
                    i += 1
                    continue
                if header is not unset or not self._record(line, rec.data is not unset, acc):
                    break
            elif type(rec) is list:
                if not rec:
                    acc.empty += 1
                elif not _count_body(rec, None, msg_type, header_type, acc, unset):
                    break
            else:
                break
            i += 1
        acc.records += i - start - empty
        return i, (None if i >= n else FAILED)

    def _record(self, line: bytes, envelope: bool, acc: Counts) -> bool:
        """Count the body of an ``{"event", "data"}`` envelope, else of a capture record; False
        (nothing counted) when the line is not that, or its body not plain."""
        fd = self._fd
        try:
            if envelope:
                record = fd.decode_envelope(line)
                body = record.data
            else:
                record = fd.decode_capture(line)
                body = record.body
        except Exception:  # noqa: BLE001 - not that shape after all
            return False
        return _count_body(body, record.event, fd.Msg, fd.Header, acc, fd.UNSET)


def _count_body(
    body: Any, event: str | None, msg_type: type[Msg], header_type: type[Header], acc: Counts, unset: Any
) -> bool:
    """Count a body's messages or presence entries into ``acc``; False (nothing counted) when it
    is not plain. ``event`` is what the record named (None for a bare body: its shape says)."""
    if event is not None and event not in KNOWN_EVENTS:
        return False  # unknown (or empty) event names are the general path's to warn about
    if type(body) is list:
        if not body:
            acc.empty += 1
            return True
        first = body[0]
        if type(first) is str:
            if event is not None and event != USER_ONLINESTATUS:
                return False
            for entry in body:
                if type(entry) is not str:
                    return False
            counts = acc.by_event.setdefault(USER_ONLINESTATUS, [0, 0, 0])
            counts[2] += len(body)
            return True
        if event == USER_ONLINESTATUS:
            return False
        event = event or MSG_NOTIFY
        chat = cmd = 0
        for element in body:
            if type(element) is not msg_type:
                return False
            header = element.header
            if type(header) is not header_type:
                return False
            if header.sync_once == 1:
                cmd += 1
            else:
                chat += 1
    elif type(body) is msg_type and event is not None:
        header = body.header
        if type(header) is not header_type:
            return False
        cmd = 1 if header.sync_once == 1 else 0
        chat = 1 - cmd
    else:
        return False
    counts = acc.by_event.setdefault(event, [0, 0, 0])
    counts[0] += chat
    counts[1] += cmd
    return True
