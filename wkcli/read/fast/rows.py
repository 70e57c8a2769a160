"""``FastRows``: ``export`` writes plain messages' rows as the loader's JSON lines, with no ``Message``.

Each line holding a plain message, or a msg.notify body of them, is decoded by a typed
msgspec decoder (``rowdecode``) and each message's row is built by the general path's own
``webhook.rows.row_of`` from the same values, with the payload and recipients decoded by the
same helpers, then serialised by ``row_line`` as the loader would: so the bytes are the
general path's by construction. Forked workers build rows for their byte ranges in parallel;
the main process only copies their bytes to ``out`` (the loader's batch file). A line the
decoder is not sure about takes the general path in its place.

Rows carry their absolute line numbers: a worker counts the lines before its range first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO

from wkcli.read.fast.counts import EVENTS, FAILED, KINDS, PRESENCE_E, Counts, count_presence
from wkcli.read.fast.records import PRESENCE_ROW, Demux
from wkcli.read.fast.scan import Scan
from wkcli.read.options import ReadOptions
from wkcli.webhook.filters import Criteria
from wkcli.webhook.model import CHAT, CMD, MSG_OFFLINE, USER_ONLINESTATUS, id_text
from wkcli.webhook.payload import decode_payload
from wkcli.webhook.recipients import recipients
from wkcli.webhook.rows import (
    ABSENT,
    PayloadColumns,
    channel_columns,
    exact_id_of,
    header_columns,
    micros,
    payload_columns,
    presence_row_of,
    recipient_columns,
    row_line,
    row_of,
    setting_columns,
)
from wkcli.webhook.times import seconds_of


class FastRows(Scan):
    """``export``'s ``messages`` rows for plain message lines, written to ``out``; the rest yielded.

    ``out`` takes whole rows as JSON lines (``store.duck.DuckLoader.row_writer``).
    """

    numbered = True
    ranges_ok = False  # rows need absolute line numbers, which a range read elsewhere lacks

    # Called with each message line and its number before its row is made, when set: what it
    # gives (bytes) follows the row in the output; None sends the line to the general path.
    also: Callable[[bytes, int], bytes | None] | None = None

    # Called with a line's kept presence entries, their receive time and line number: what it
    # gives follows their rows in the output.
    also_presence: Callable[[list[str], float | None, int], bytes] | None = None

    def __init__(
        self, out: BinaryIO, criteria: Criteria, options: ReadOptions, presence: BinaryIO | None = None
    ) -> None:
        super().__init__(criteria, options)
        # With where presence rows go, presence lines are taken too (rows marked in the output).
        self.takes_presence = presence is not None
        self.out = out if presence is None else Demux(out, presence, None)  # type: ignore[assignment]

    def prepare(self) -> None:
        from wkcli.read.fast import rowdecode
        from wkcli.read.fast.decode import ENVELOPE_OPENING, RECORD_OPENINGS, record_messages, records_first

        self._rd = rowdecode
        self._record_messages = record_messages
        self._openings = RECORD_OPENINGS if records_first(rowdecode.Row) else ()
        self._envelope_opening = ENVELOPE_OPENING
        self._keep_presence = self.keep(None, USER_ONLINESTATUS)
        # Whether the criteria keep a message, by slot (k + 2 * e, as in ``Counts.slots``).
        self._kept = [self.keep(KINDS[k], EVENTS[e]) for e in range(len(EVENTS)) for k in range(2)]
        self._channels = Memo(channel_columns, SMALL)
        self._headers = Memo(header_columns, SMALL, spread=True)
        self._settings = Memo(setting_columns, SMALL)
        self._payloads = Memo(_payload, PAYLOADS, spread=True)
        self._times = Memo(_time, SMALL)

    def _record(self, line: bytes, opened: bool = False) -> tuple[int, Any, list[Any]] | None:
        """``decode.record_messages`` of an envelope or capture record of plain messages or
        presence entries, or presence entries alone; None: the general path reads the line.
        ``opened``: the line opens as a record (``decode.RECORD_OPENINGS``), which says which."""
        rd = self._rd
        try:
            if opened:
                record = (
                    rd.decode_envelope if line.startswith(self._envelope_opening) else rd.decode_capture
                )(line)
                return self._record_messages(record)
            if b'"body"' in line:
                return self._record_messages(rd.decode_capture(line))
            if b'"data"' in line:
                return self._record_messages(rd.decode_envelope(line))
            entries = rd.decode_presence(line)
        except Exception:  # noqa: BLE001 - other keys, or not plain: the general path's
            return None
        return (PRESENCE_E, BARE, entries) if entries else None

    def _presence(self, entries: list[str], received: Any, number: int, acc: Counts) -> None:
        """Count a line's presence entries and write their rows (marked), then what
        ``also_presence`` gives. ``received`` is ``BARE`` for a body on its own."""
        bare = received is BARE
        if bare:
            received = None
        kept = self._keep_presence
        count_presence(acc, len(entries), bare, kept)
        if not kept:
            return
        append = self.pending.append
        path = self.source_name
        for index, text in enumerate(entries):
            append(PRESENCE_ROW + row_line(presence_row_of(text, received, path, number, index)))
        if self.also_presence is not None:
            append(self.also_presence(entries, received, number))

    def take_lines(self, lines: list[bytes], i: int, acc: Counts, text_ok: bool) -> tuple[int, Any]:
        n = len(lines)
        rd = self._rd
        decode = rd.decode_body
        openings = self._openings
        # A block that opens with a record looks at each line's opening; one of messages, at none.
        record_block = i < n and lines[i].startswith(openings)
        unset = rd.UNSET
        kept = self._kept
        slots = acc.slots
        append = self.pending.append
        path = self.source_name
        first = self.line0 + 1  # the line number of lines[0]
        # The memos, looked up inline (a call a row less each): a miss fills them.
        channels, channel_fill = self._channels.seen, self._channels.fill
        headers, header_fill = self._headers.seen, self._headers.fill
        settings, setting_fill = self._settings.seen, self._settings.fill
        payloads, payload_fill = self._payloads.seen, self._payloads.fill
        times, time_fill = self._times.seen, self._times.fill
        records = matched = 0
        also = self.also
        after = b""
        try:
            while i < n:
                line = lines[i]
                if not line:
                    i += 1
                    continue
                received = None  # a capture record's receive time
                # A line that opens as a record is read as one at once; any other line, and one
                # that is not that record after all, is read as a message (a record is not one:
                # Row needs a header), then as a record.
                record = self._record(line, True) if record_block and line.startswith(openings) else None
                if record is None:
                    try:
                        body = decode(line)
                    except Exception:  # noqa: BLE001 - maybe a record; else the general path's to report
                        record = self._record(line)
                        if record is None:
                            return i, FAILED
                if record is not None:
                    e, received, messages = record
                    if e == PRESENCE_E:
                        if not self.takes_presence:
                            return i, FAILED
                        self._presence(messages, received, first + i, acc)
                        records += 1
                        i += 1
                        continue
                else:
                    e = 2 if type(body) is list else -1  # a msg.notify body, or a lone message
                    messages = body if e > 0 else [body]
                    if not messages:
                        return i, FAILED  # an empty body: the general path says so
                for rec in messages:
                    if rec.message_id is not None and exact_id_of(rec.message_id, rec.message_idstr) is None:
                        return i, FAILED  # a negative or wider id: rare, and the general path's
                if also is not None:
                    found_after = also(line, first + i)
                    if found_after is None:
                        return i, FAILED
                    after = found_after
                records += 1
                for index, rec in enumerate(messages):
                    header = rec.header
                    sync_once = header.sync_once
                    k = 1 if sync_once == 1 else 0
                    to_uids = rec.to_uids
                    packed = rec.compress_to_uids
                    compress = rec.compress
                    if e > 0:
                        event, slot = EVENTS[e], k + 2 * e
                    elif (
                        to_uids is not unset
                        or packed is not unset
                        or compress is not unset
                        or rec.source_id is not unset
                    ):
                        event, slot = MSG_OFFLINE, k + 2
                    else:
                        event, slot = None, k
                    slots[slot] += 1
                    if not kept[slot]:
                        continue
                    if sync_once is unset:
                        sync_once = ABSENT
                    key = (sync_once, header.no_persist, header.red_dot)
                    header_cols = headers.get(key) or header_fill(key)
                    setting = rec.setting
                    setting_cols = settings.get(setting) or setting_fill(setting)
                    channel_type = rec.channel_type
                    channel_cols = channels.get(channel_type) or channel_fill(channel_type)
                    payload = rec.payload
                    if type(payload) is str and len(payload) > _LONGEST:
                        columns = _payload(payload, setting)
                    else:
                        pkey = (ABSENT if payload is unset else payload, setting)
                        columns = payloads.get(pkey) or payload_fill(pkey)
                    if packed is unset and compress is unset:
                        found = recipients({"to_uids": None if to_uids is unset else to_uids})
                    else:
                        found = recipients(
                            {
                                "to_uids": None if to_uids is unset else to_uids,
                                "compress_to_uids": None if packed is unset else packed,
                                "compress": None if compress is unset else compress,
                            }
                        )
                    ts = rec.timestamp
                    time = times.get(ts, MISSING)
                    if time is MISSING:
                        time = time_fill(ts)
                    got = None if received is None else micros(received)
                    if time is None:
                        time = got  # as Message.time: the receive time when no timestamp
                    mid = rec.message_id
                    idstr = rec.message_idstr
                    append(
                        row_line(
                            row_of(
                                time,
                                ts,
                                event,
                                CMD if k else CHAT,
                                rec.channel_id,
                                channel_cols,
                                rec.from_uid,
                                exact_id_of(mid, idstr),
                                id_text(mid, idstr),
                                rec.client_msg_no,
                                rec.message_seq,
                                header_cols,
                                setting_cols,
                                columns,
                                recipient_columns(found),
                                None,
                                got,
                                path,
                                first + i,
                                index,
                            )  # fmt: skip
                        )
                    )
                    matched += 1
                if after:
                    append(after)
                i += 1
            return i, None
        finally:
            acc.records += records
            acc.matched += matched


SMALL = 1024  # distinct channel types, headers, settings remembered
PAYLOADS = 4096  # distinct payloads remembered (CMDs and short texts repeat in real traffic)
_LONGEST = 2048  # longer payloads are decoded each time: they rarely repeat


class Memo:
    """What ``make(key)`` gives (``make(*key)`` with ``spread``) for up to ``size`` keys at a time,
    then all forgotten at once, so memory stays bounded: look in ``seen``, else call ``fill(key)``.

    For pure functions of strings, integers, floats, None or tuples of them: msgspec gives no
    booleans where these keys come from, and where a float key equals an integer (1.0 and 1)
    ``make`` gives the same for both.
    """

    __slots__ = ("seen", "fill")

    def __init__(self, make: Any, size: int, spread: bool = False) -> None:
        seen: dict[Any, Any] = {}

        def fill(key: Any) -> Any:
            found = make(*key) if spread else make(key)
            if len(seen) >= size:
                seen.clear()
            seen[key] = found
            return found

        self.seen = seen
        self.fill = fill


MISSING = object()
BARE = object()  # what ``_record`` gives for the receive time of presence entries on their own


def _time(ts: Any) -> int | None:
    """The ``time`` column of a message with this timestamp, as ``Message.time`` and ``micros``
    make it (there is no received time for a bare message)."""
    return micros(seconds_of(ts)) if type(ts) is int or type(ts) is float else None


def _payload(payload: Any, setting: Any) -> PayloadColumns:
    """The payload's columns from all ``decode_payload`` reads (``ABSENT``: no payload key)."""
    message = {} if payload is ABSENT else {"payload": payload, "setting": setting}
    return payload_columns(decode_payload(message))
