"""Fast paths through large dumps: the plain, common lines read with less work, with the same results.

The general path (``source.read_values`` -> ``unwrap`` -> ``Message``) handles every shape a dump
can take, and builds objects for every record. Most lines of a big dump are one of a few plain
shapes: a message object (``msg.offline``), a ``msg.notify`` array of message objects, a
``user.onlinestatus`` array of strings, or an ``{"event": ..., "data": ...}`` envelope of these.

``FastCount`` (``wkcli count`` without ``--by``) reads such lines with a typed msgspec decoder that
looks only at ``header`` and the keys that decide the event, and adds them up. ``FastJsonl``
(``classify --format jsonl``) writes them as the JSONL writer would, without building a
``Message``. Any line the fast path is not sure about (a cut-off record, an odd ``sync_once``, a
capture record, a key it would have to think about) goes through the general path, in order, so
counts, output bytes and error reports (``file:line: reason``) are the same either way.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from wkcli.model import CHAT, CMD, KNOWN_EVENTS, MSG_NOTIFY, MSG_OFFLINE, USER_ONLINESTATUS
from wkcli.source import CHUNK, Input, Value, iter_blocks, read_values


if TYPE_CHECKING:
    from wkcli.model import Message, PresenceEntry
    from wkcli.pipeline import Reader

BLOCK = 1 << 20  # bytes read at a time from regular files
FAST_FORMATS = ("auto", "jsonl", "log")
_KINDS = (CHAT, CMD)  # indexed by sync_once (0 or 1)


def usable(reader: Reader) -> bool:
    """True when the reader's options leave nothing for a fast path to get wrong.

    Filters on fields other than kind and event, ``--limit``, ``--follow`` and
    ``--input-format json`` (values spanning lines) always take the general path, and so does
    everything when the environment sets ``WKCLI_FASTPATH=0`` (to compare the two).
    """
    c = reader.criteria
    return (
        os.environ.get("WKCLI_FASTPATH", "") != "0"
        and not reader.follow
        and reader.input_format in FAST_FORMATS
        and c.limit is None
        and not (c.channels or c.channel_types or c.senders)
        and c.since is None
        and c.until is None
    )


def _keeper(reader: Reader):
    """``keep(kind, event)``: the criteria's kind/event test for an item of that kind and event."""
    kinds = frozenset(reader.criteria.kinds)
    events = frozenset(reader.criteria.events)
    cache: dict[tuple[str | None, str | None], bool] = {}

    def keep(kind: str | None, event: str | None) -> bool:
        key = (kind, event)
        found = cache.get(key)
        if found is None:
            found = (not kinds or kind in kinds) and (not events or event in events)
            cache[key] = found
        return found

    return keep


def _block_lines(block: bytes) -> list[bytes]:
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    return lines


def _rest(blocks: Iterable[bytes]) -> Iterator[bytes]:
    for block in blocks:
        yield from _block_lines(block)


class _Scan:
    """What both fast paths share: reading blocks, and handing lines to the general path."""

    def _general_line(
        self, reader: Reader, name: str, line: bytes, lineno: int
    ) -> Iterator[Message | PresenceEntry]:
        """The general path for one line that holds a whole value (or none)."""
        for value in read_values(iter((line,)), reader.input_format):
            value.line = lineno
            yield from reader._take(value, name)

    def _general_rest(
        self, reader: Reader, name: str, lines: Iterator[bytes], lineno: int
    ) -> Iterator[Message | PresenceEntry]:
        """The general path for everything from line ``lineno`` (the first of ``lines``) on."""
        offset = lineno - 1
        for value in read_values(lines, reader.input_format):
            value.line += offset
            yield from reader._take(value, name)

    @staticmethod
    def _starts_multiline(reader: Reader, line: bytes) -> bool:
        # Only a lone "{" or "[" makes the general reader gather the following lines (auto format).
        return reader.input_format == "auto" and line.strip() in (b"{", b"[")

    @staticmethod
    def _blocks(reader: Reader, source: Input) -> Iterator[bytes]:
        return iter_blocks(source, reader.on_wait, CHUNK if source.interactive else BLOCK)


class FastCount(_Scan):
    """Totals for ``count`` without ``--by``: kept messages and presence entries go to ``tally``."""

    def __init__(self, tally: Any) -> None:
        self.tally = tally

    def scan(self, reader: Reader, source: Input) -> Iterator[Message | PresenceEntry]:
        from wkcli import fastdecode  # msgspec, only when a fast count runs

        decode = fastdecode.decode_body
        decode_envelope = fastdecode.decode_envelope
        unset = fastdecode.UNSET
        msg_type = fastdecode.Msg
        header_type = fastdecode.Header
        keep = _keeper(reader)
        name = source.name
        tally = self.tally
        with_presence = reader.presence
        # Per block: [chat, cmd, presence entries] by event, for bodies that are arrays or enveloped.
        by_event: dict[str | None, list[int]] = {}
        lineno = 0
        blocks = self._blocks(reader, source)
        for block in blocks:
            records = 0
            bare = [0, 0]  # message objects without msg.offline keys (no event)
            offline = [0, 0]
            empty = 0
            text_ok = block.isascii() or _valid_utf8(block)
            lines = iter(_block_lines(block))
            for line in lines:
                lineno += 1
                if not line:
                    continue
                rec = None
                if text_ok:
                    try:
                        rec = decode(line)
                    except Exception:  # noqa: BLE001 - anything odd is the general path's to judge
                        rec = None
                if type(rec) is msg_type:
                    header = rec.header
                    if type(header) is header_type:
                        so = header.sync_once
                        if so is unset:
                            k = 0
                        elif type(so) is int and (so == 0 or so == 1):
                            k = so
                        else:
                            k = -1
                        if k >= 0:
                            records += 1
                            if (
                                rec.to_uids is unset
                                and rec.source_id is unset
                                and rec.compress is unset
                                and rec.compress_to_uids is unset
                            ):
                                bare[k] += 1
                            else:
                                offline[k] += 1
                            continue
                    elif header is unset:
                        # Maybe an {"event", "data"} envelope.
                        try:
                            env = decode_envelope(line)
                        except Exception:  # noqa: BLE001
                            env = None
                        if env is not None:
                            event = env.event
                            added = _count_body(env.data, event, msg_type, header_type, by_event, unset)
                            if added is not None:
                                records += 1
                                if added == "empty":
                                    empty += 1
                                continue
                elif type(rec) is list:
                    if not rec:
                        records += 1
                        empty += 1
                        continue
                    added = _count_body(rec, None, msg_type, header_type, by_event, unset)
                    if added is not None:
                        records += 1
                        continue
                # The general path, in order: first what this block has counted so far.
                if self._starts_multiline(reader, line):
                    self._fold(reader, keep, tally, with_presence, records, empty, bare, offline, by_event)
                    yield from self._general_rest(
                        reader, name, chain((line,), lines, _rest(blocks)), lineno
                    )
                    return
                yield from self._general_line(reader, name, line, lineno)
            self._fold(reader, keep, tally, with_presence, records, empty, bare, offline, by_event)

    @staticmethod
    def _fold(
        reader: Reader, keep, tally: Any, with_presence: bool, records: int, empty: int,
        bare: list[int], offline: list[int], by_event: dict[str | None, list[int]],
    ) -> None:
        """Add a block's fast counts to the reader's stats and the tally."""
        stats = reader.stats
        stats.records += records
        stats.empty += empty
        groups = [(None, bare), (MSG_OFFLINE, offline)] + list(by_event.items())
        for event, counts in groups:
            if event == USER_ONLINESTATUS:
                entries = counts[2]
                if entries:
                    stats.presence += entries
                    stats.events[event] = stats.events.get(event, 0) + entries
                    if with_presence and keep(None, event):
                        stats.matched += entries
                        tally.presence += entries
            chat, cmd = counts[0], counts[1]
            if not (chat or cmd):
                continue
            stats.messages += chat + cmd
            stats.chat += chat
            stats.cmd += cmd
            stats.events[event] = stats.events.get(event, 0) + chat + cmd
            if chat and keep(CHAT, event):
                stats.matched += chat
                tally.chat += chat
            if cmd and keep(CMD, event):
                stats.matched += cmd
                tally.cmd += cmd
        bare[0] = bare[1] = offline[0] = offline[1] = 0
        by_event.clear()


def _count_body(
    body: Any, event: str | None, msg_type: type, header_type: type, by_event: dict, unset: Any
) -> str | None:
    """Count a body's messages or presence entries into ``by_event``; None when it is not plain.

    ``event`` is what the record named (None for a bare body, whose event is its shape).
    Nothing is counted unless the whole body is plain.
    """
    if event is not None and (not event or event not in KNOWN_EVENTS):
        return None  # unknown events are warned about by the general path
    if type(body) is list:
        if not body:
            return "empty"
        first = body[0]
        if type(first) is str:
            if event is not None and event != USER_ONLINESTATUS:
                return None
            for entry in body:
                if type(entry) is not str:
                    return None
            counts = by_event.get(USER_ONLINESTATUS)
            if counts is None:
                counts = by_event[USER_ONLINESTATUS] = [0, 0, 0]
            counts[2] += len(body)
            return "presence"
        if event == USER_ONLINESTATUS:
            return None
        event = event or MSG_NOTIFY
        chat = cmd = 0
        for element in body:
            if type(element) is not msg_type:
                return None
            header = element.header
            if type(header) is not header_type:
                return None
            so = header.sync_once
            if so is unset or (type(so) is int and so == 0):
                chat += 1
            elif type(so) is int and so == 1:
                cmd += 1
            else:
                return None
    elif type(body) is msg_type and event is not None:
        header = body.header
        if type(header) is not header_type:
            return None
        so = header.sync_once
        if so is unset or (type(so) is int and so == 0):
            chat, cmd = 1, 0
        elif type(so) is int and so == 1:
            chat, cmd = 0, 1
        else:
            return None
    else:
        return None
    counts = by_event.get(event)
    if counts is None:
        counts = by_event[event] = [0, 0, 0]
    counts[0] += chat
    counts[1] += cmd
    return "messages"


def _valid_utf8(block: bytes) -> bool:
    # msgspec does not check the UTF-8 of strings it skips; the general path rejects bad UTF-8.
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class FastJsonl(_Scan):
    """``classify --format jsonl``: plain messages written straight to ``out``, the rest yielded.

    The bytes are the JSONL writer's (``encode_message``): the message re-serialised by orjson,
    then ``kind`` and ``event``. Messages the caller may have more to say about (recipient lists
    sent compressed) or whose own keys clash with the added ones are yielded instead.
    """

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def scan(self, reader: Reader, source: Input) -> Iterator[Message | PresenceEntry]:
        loads = orjson.loads
        dumps = orjson.dumps
        decode_error = orjson.JSONDecodeError
        write = _writer(self.out)
        stats = reader.stats
        keep = _keeper(reader)
        name = source.name
        skip_presence = not reader.presence
        tails = {
            (kind, event): b"," + dumps({"kind": kind, "event": event} if event else {"kind": kind})[1:] + b"\n"
            for kind in _KINDS
            for event in (None, MSG_OFFLINE, MSG_NOTIFY)
        }
        lineno = 0
        blocks = self._blocks(reader, source)
        for block in blocks:
            out: list[bytes] = []
            counts = _Counts()
            lines = iter(_block_lines(block))
            for line in lines:
                lineno += 1
                if not line:
                    continue
                try:
                    value = loads(line)
                except decode_error:
                    value = _FAILED
                kind_of = type(value)
                if kind_of is dict:
                    k = _plain_kind(value)
                    if k >= 0:
                        event = MSG_OFFLINE if ("to_uids" in value or "source_id" in value) else None
                        counts.records += 1
                        counts.add(k, event, 1)
                        if keep(_KINDS[k], event):
                            counts.matched += 1
                            out.append(dumps(value)[:-1] + tails[_KINDS[k], event])
                        continue
                elif kind_of is list and value:
                    first = value[0]
                    if type(first) is dict:
                        ks = [_plain_kind(element) if type(element) is dict else -1 for element in value]
                        if -1 not in ks:
                            counts.records += 1
                            for element, k in zip(value, ks):
                                counts.add(k, MSG_NOTIFY, 1)
                                if keep(_KINDS[k], MSG_NOTIFY):
                                    counts.matched += 1
                                    out.append(dumps(element)[:-1] + tails[_KINDS[k], MSG_NOTIFY])
                            continue
                    elif type(first) is str and skip_presence:
                        if all(type(entry) is str for entry in value):
                            counts.records += 1
                            counts.presence += len(value)
                            continue
                # The general path, in order: first what this block has written so far.
                if out:
                    write(b"".join(out))
                    out = []
                counts.fold(stats)
                if value is _FAILED:
                    if self._starts_multiline(reader, line):
                        yield from self._general_rest(
                            reader, name, chain((line,), lines, _rest(blocks)), lineno
                        )
                        return
                    yield from self._general_line(reader, name, line, lineno)
                else:
                    yield from reader._take(Value(lineno, value), name)
            if out:
                write(b"".join(out))
            counts.fold(stats)


_FAILED = object()


class OutputFailed(Exception):
    """Writing the fast path's output failed; ``error`` is the OSError (e.g. a closed pipe)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _writer(out: BinaryIO):
    write = out.write

    def emit(data: bytes) -> None:
        try:
            write(data)
        except OSError as exc:
            raise OutputFailed(exc) from None

    return emit


def _plain_kind(message: dict[str, Any]) -> int:
    """0 (chat) or 1 (cmd) for a message the fast path can write as is, else -1."""
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
    return k


class _Counts:
    """A block's tallies, added to the reader's stats before anything else touches them."""

    __slots__ = ("records", "presence", "matched", "by")

    def __init__(self) -> None:
        self.records = 0
        self.presence = 0
        self.matched = 0
        self.by: dict[tuple[int, str | None], int] = {}

    def add(self, k: int, event: str | None, n: int) -> None:
        key = (k, event)
        self.by[key] = self.by.get(key, 0) + n

    def fold(self, stats: Any) -> None:
        stats.records += self.records
        stats.matched += self.matched
        if self.presence:
            stats.presence += self.presence
            stats.events[USER_ONLINESTATUS] = stats.events.get(USER_ONLINESTATUS, 0) + self.presence
        for (k, event), n in self.by.items():
            stats.messages += n
            if k:
                stats.cmd += n
            else:
                stats.chat += n
            stats.events[event] = stats.events.get(event, 0) + n
        self.records = self.presence = self.matched = 0
        self.by = {}
