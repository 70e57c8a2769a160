"""``FastJsonl``: ``classify -o jsonl`` writes plain messages as the JSONL writer would, with no ``Message``.

Each line is parsed by msgspec, which keeps integers of any width exactly (orjson would turn
one wider than 64 bits into a float, which only a look at every byte could rule out), and a
plain message is re-serialised by orjson, which refuses such an integer: that line goes to
the general path. It gets the JSONL writer's ``kind`` and ``event`` keys appended; anything
else is handed to the general path in order.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import orjson

from wkcli.read.fast.counts import EVENTS, FAILED, KINDS, Counts
from wkcli.read.fast.scan import Scan
from wkcli.read.options import ReadOptions
from wkcli.read.unwrap import CAPTURE_KEYS, ENVELOPE_KEYS, HTTP_CAPTURE_KEYS, event_from_url
from wkcli.webhook.filters import Criteria
from wkcli.webhook.model import KNOWN_EVENTS
from wkcli.webhook.times import MAX_SECONDS, MIN_SECONDS, timestamp_problem


class FastJsonl(Scan):
    """``classify --format jsonl``: plain messages written straight to ``out``, the rest yielded.

    The bytes are the JSONL writer's (``encode_message``): the message re-serialised by orjson,
    then ``kind`` and ``event``. Messages the caller may have more to say about (recipient lists
    sent compressed) or whose own keys clash with the added ones are yielded instead.
    """

    def __init__(self, out: BinaryIO, criteria: Criteria, options: ReadOptions) -> None:
        super().__init__(criteria, options)
        self.out = out

    def prepare(self) -> None:
        import msgspec  # only when a fast classify runs

        # Values as orjson gives them (the same floats, strings, keys), integers exact.
        self._loads = msgspec.json.Decoder().decode
        keep = self.keep
        dumps = orjson.dumps
        # The bytes after a message's closing brace, by slot (k + 2 * e); None when not kept.
        self._tails: list[bytes | None] = []
        for event in EVENTS:
            for kind in KINDS:
                added = {"kind": kind, "event": event} if event else {"kind": kind}
                self._tails.append(b"," + dumps(added)[1:] + b"\n" if keep(kind, event) else None)
        self._presence_ok = not self.options.presence  # presence entries are only counted
        # With a kind or event filter, most lines may be dropped: the typed decoder tells which
        # (as for count) before the full parse that only kept lines need.
        self._filtering = None in self._tails[:4]
        if self._filtering:
            from wkcli.read.fast import decode as fastdecode

            self._fd = fastdecode

    any_text = True  # orjson's full parse checks the UTF-8 of every string

    def text_ok(self, block: bytes) -> bool:
        return not self._filtering or super().text_ok(block)

    def take_lines(self, lines: list[bytes], i: int, acc: Counts, text_ok: bool) -> tuple[int, Any]:
        n = len(lines)
        loads = self._loads
        dumps = orjson.dumps
        tails = self._tails
        pending = self.pending
        append = pending.append
        slots = acc.slots
        records = matched = 0
        prefilter = self._filtering and text_ok
        if prefilter:
            fd = self._fd
            decode = fd.decode_body
            msg_type = fd.Msg
            header_type = fd.Header
            unset = fd.UNSET
        try:
            while i < n:
                line = lines[i]
                if not line:
                    i += 1
                    continue
                if prefilter:
                    try:
                        rec = decode(line)
                    except Exception:  # noqa: BLE001 - the full parse below judges it
                        rec = None
                    if type(rec) is msg_type:
                        header = rec.header
                        if type(header) is header_type:
                            k = header.sync_once or 0
                            if not (
                                rec.to_uids is unset
                                and rec.source_id is unset
                                and rec.compress is unset
                                and rec.compress_to_uids is unset
                            ):
                                k += 2
                            if tails[k] is None:  # counted, not written
                                slots[k] += 1
                                records += 1
                                i += 1
                                continue
                try:
                    value = loads(line)
                except Exception:  # noqa: BLE001 - not JSON, or JSON orjson rejects too: the general path says
                    return i, FAILED
                kind_of = type(value)
                if kind_of is dict:
                    k = plain_kind(value)
                    if k < 0:
                        if value.get("header") is None and self._record(value, acc, append):
                            records += 1  # an envelope or capture record, taken
                            i += 1
                            continue
                        return i, value
                    if "to_uids" in value or "source_id" in value:
                        k += 2
                    tail = tails[k]
                    if tail is not None:
                        try:
                            append(dumps(value)[:-1] + tail)
                        except TypeError:  # an integer wider than 64 bits, or deeper than orjson goes
                            return i, FAILED
                        matched += 1
                    slots[k] += 1
                elif kind_of is list and value:
                    first = value[0]
                    if type(first) is dict:
                        written = _written(value, 2, tails)
                        if written is None:
                            return i, value
                        for k, text in written:
                            slots[k] += 1
                            if text is not None:
                                append(text)
                                matched += 1
                    elif type(first) is str and self._presence_ok:
                        for entry in value:
                            if type(entry) is not str:
                                return i, value
                        acc.presence += len(value)
                    else:
                        return i, value
                else:
                    return i, value
                records += 1
                i += 1
            return i, None
        finally:
            acc.records += records
            acc.matched += matched

    def _record(self, record: dict[str, Any], acc: Counts, append) -> bool:
        """Write (or count) the body of an envelope or capture record; False if not plain."""
        found = _record_body(record, self._loads)
        if found is None:
            return False
        event, body = found
        e = EVENTS.index(event) if event in EVENTS else -1  # -1: user.onlinestatus
        if type(body) is dict:
            messages = [body]
        elif type(body) is list:
            if not body:
                acc.empty += 1
                return True
            if type(body[0]) is str:
                if e != -1 or not self._presence_ok:
                    return False
                for entry in body:
                    if type(entry) is not str:
                        return False
                acc.by_event.setdefault(event, [0, 0, 0])[2] += len(body)
                return True
            messages = body
        else:
            return False
        if e == -1:
            return False
        written = _written(messages, e, self._tails)
        if written is None:
            return False
        slots = acc.slots
        for k, text in written:
            slots[k] += 1
            if text is not None:
                append(text)
                acc.matched += 1
        return True


def _written(messages: list[Any], e: int, tails: list[bytes | None]) -> list[tuple[int, bytes | None]] | None:
    """For each of a body's messages (of event ``EVENTS[e]``) its slot and, if kept, its JSONL
    line; None when one is not plain, or holds what orjson cannot write (an integer wider
    than 64 bits): the general path then reads the record."""
    dumps = orjson.dumps
    written: list[tuple[int, bytes | None]] = []
    for message in messages:
        k = plain_kind(message)
        if k < 0:
            return None
        k += 2 * e
        tail = tails[k]
        try:
            written.append((k, None if tail is None else dumps(message)[:-1] + tail))
        except TypeError:
            return None
    return written


def _record_body(record: dict[str, Any], loads: Any) -> tuple[str, Any] | None:
    """``(event, body)`` of an envelope or ``wkcli capture`` record that the fast path can take.

    Only these exact keys: any other may change how the general path reads the record (a
    message key, another body or time key, base64 flags...).
    """
    event = record.get("event")
    if event is None and "event" not in record:
        return _http_body(record, loads)
    if type(event) is not str or event not in KNOWN_EVENTS:
        return None
    keys = record.keys()
    if "data" in record and keys <= ENVELOPE_KEYS:
        return event, record["data"]
    if "body" in record and keys <= CAPTURE_KEYS:
        return event, record["body"]
    return None


def _http_body(record: dict[str, Any], loads: Any) -> tuple[str, Any] | None:
    """``(event, body)`` of a generic HTTP capture record: the event in the URL's query, the
    body as JSON, or as JSON text (parsed exactly, as the general path parses it). Only these
    keys."""
    url = record.get("url")
    body = record.get("body")
    if type(url) is not str or "body" not in record or not record.keys() <= HTTP_CAPTURE_KEYS:
        return None
    event = event_from_url(url) if "event=" in url else None
    if event not in KNOWN_EVENTS:
        return None
    if type(body) is not str:
        return event, body
    try:
        return event, loads(body)
    except Exception:  # noqa: BLE001 - not JSON as it stands (base64, padding): the general path's
        return None


def plain_kind(message: Any) -> int:
    """0 (chat) or 1 (cmd) for a message the fast path can write as is, else -1.

    The one place the fast JSONL path applies the CMD rule: only where ``webhook.model.classify``
    gives the same kind with no anomaly (tests/test_model.py checks it over the rule's table),
    and only for messages without keys the JSONL writer would add or has more to say about, and
    whose timestamp (if any) is a usable time.
    """
    if type(message) is not dict:
        return -1
    header = message.get("header")
    if type(header) is not dict:
        return -1
    so = header.get("sync_once")
    if so is None:
        k = 0
    elif type(so) is int and (so == 0 or so == 1):
        k = so
    else:
        return -1
    if "kind" in message or "event" in message or "compress" in message or "compress_to_uids" in message:
        return -1
    return k if _usable_time(message) else -1


def _usable_time(message: dict[str, Any]) -> bool:
    """False when the message's timestamp is an anomaly for the general path to report."""
    ts = message.get("timestamp")
    if ts is None or (type(ts) is int and MIN_SECONDS <= ts <= MAX_SECONDS):
        return True
    return timestamp_problem(ts) is None
