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

Large regular files are cut into byte ranges at line ends and read by forked workers, one per
core. A worker reads its range with the fast path only, and stops at the first block holding a
line it cannot take; the main process reads the first range, then adds each worker's totals (and
copies its output) in order, and reads on itself from where the worker stopped. So the general
path, and every message it prints, runs in the main process in file order, with the line
numbers counted from the start of the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import IO, TYPE_CHECKING, Any, BinaryIO

import orjson

from wkcli.read.source import BOM, CHUNK, Input, block_lines, iter_blocks
from wkcli.read.values import Value, read_values
from wkcli.webhook.model import CHAT, CMD, KNOWN_EVENTS, MSG_NOTIFY, MSG_OFFLINE, USER_ONLINESTATUS

if TYPE_CHECKING:
    from wkcli.read.reader import Reader
    from wkcli.webhook.model import Message, PresenceEntry

BLOCK = 1 << 17  # bytes read at a time from regular files (small enough to stay in cache)
PARALLEL_MIN_BYTES = 64 << 20  # smaller files are read by one process: forking costs more
PARALLEL_OUTPUT_MAX_BYTES = 2 << 30  # larger files: JSONL output by one process unless --jobs
FAST_MIN_BYTES = 256 << 10  # smaller regular files take the general path: no msgspec to import
PROGRESS_MIN_BYTES = 32 << 20  # files this large report progress (when the reader asks for it)
LEFT_LINES = 1000  # lines a counting worker leaves to the main process before it stops
GIVE_UP_LINES = 200  # lines for the general path (and 4 times the fast ones) before it reads all
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
        and not reader.options.follow
        and reader.options.input_format in FAST_FORMATS
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


def worth_it(source: Input) -> bool:
    """False for small regular files, where the fast path's set-up costs more than it saves."""
    if source.interactive or source.compressed or source.size is None:
        return True
    return source.size >= FAST_MIN_BYTES


def progress_reporter(reader: Reader, source: Input) -> Callable[[], None] | None:
    """What tells ``reader.options.progress`` how far one process has read a large regular file."""
    progress, total = reader.options.progress, source.size
    if progress is None or total is None or total < PROGRESS_MIN_BYTES:
        return None
    name = source.name
    tell = source.raw.tell  # compressed bytes for gzip: a fair measure of the way through
    return lambda: progress(name, tell(), total)


def default_jobs() -> int:
    """How many processes to use for a large file: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# A piece of input: its whole lines, the bytes to check as UTF-8, and how many bytes it used.
Piece = tuple[list[bytes], bytes, int]


def _pieces(blocks: Iterable[bytes]) -> Iterator[Piece]:
    for block in blocks:
        yield block_lines(block), block, len(block)


def _rest(pieces: Iterable[Piece]) -> Iterator[bytes]:
    for lines, _, _ in pieces:
        yield from lines


def _file_pieces(
    fd: int, start: int, end: int, track: list[int] | None = None
) -> Iterator[Piece]:
    """The lines from byte ``start`` to ``end`` of a regular file (``end`` is a line end, or
    the file's end), read with pread a block at a time. A line cut by the block's end is read
    again with the next block rather than copied. ``track[0]`` follows the position."""
    size = BLOCK
    pos = start
    if start == 0 and os.pread(fd, len(BOM), 0) == BOM:
        pos = len(BOM)  # as iter_blocks drops it
    while pos < end:
        chunk = os.pread(fd, min(size, end - pos), pos)
        if not chunk:
            break
        lines = chunk.split(b"\n")
        tail = lines.pop()
        while not lines and pos + len(chunk) < end:
            # A line longer than a block: read on to its end.
            more = os.pread(fd, min(size, end - pos - len(chunk)), pos + len(chunk))
            if not more:
                break
            chunk += more
            lines = chunk.split(b"\n")
            tail = lines.pop()
        if tail and pos + len(chunk) >= end:
            lines.append(tail)  # the last line of the file, with no newline after it
            tail = b""
        used = len(chunk) - len(tail)
        if not used:  # the file ended early (it shrank while read): what is there is the last line
            lines.append(tail)
            used = len(chunk)
        pos += used
        if track is not None:
            track[0] = pos
        text = chunk if not tail or chunk.isascii() else chunk[:used]
        yield lines, text, used


def _cut_points(fd: int, size: int, parts: int) -> list[int]:
    """Offsets just after a newline that split the file into about ``parts`` ranges."""
    points = [0]
    for i in range(1, parts):
        guess = max(size * i // parts, points[-1])
        pos = guess
        while pos < size:
            chunk = os.pread(fd, 1 << 16, pos)
            if not chunk:
                break
            found = chunk.find(b"\n")
            if found >= 0:
                pos += found + 1
                break
            pos += len(chunk)
        if points[-1] < pos < size:
            points.append(pos)
    points.append(size)
    return points


class _Acc:
    """Counts from lines the fast path took, added to the reader's stats in one go.

    ``slots`` holds message counts by kind and event: index ``k + 2 * e`` with ``k`` 0 (chat) or
    1 (cmd) and ``e`` indexing ``_EVENTS``. ``by_event`` holds ``[chat, cmd, presence]`` for
    enveloped bodies; ``presence`` counts bare user.onlinestatus entries.
    """

    __slots__ = ("records", "empty", "presence", "matched", "slots", "by_event")

    def __init__(self) -> None:
        self.records = 0
        self.empty = 0
        self.presence = 0
        self.matched = 0  # only where the caller decides what is kept as it goes (JSONL)
        self.slots = [0, 0, 0, 0, 0, 0]
        self.by_event: dict[str | None, list[int]] = {}

    def state(self) -> tuple:
        return (self.records, self.empty, self.presence, self.matched, self.slots, self.by_event)

    @classmethod
    def from_state(cls, state: tuple) -> _Acc:
        acc = cls()
        acc.records, acc.empty, acc.presence, acc.matched, acc.slots, acc.by_event = state
        return acc

    def merge(self, other: _Acc) -> None:
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

    def fold(self, reader: Reader, keep, tally: Any | None) -> None:
        """Add everything to the reader's stats; with a tally, also what ``keep`` keeps."""
        groups: list[tuple[str | None, int, int, int]] = [
            (event, self.slots[2 * e], self.slots[2 * e + 1], 0) for e, event in enumerate(_EVENTS)
        ]
        if self.presence:
            groups.append((USER_ONLINESTATUS, 0, 0, self.presence))
        groups.extend((event, chat, cmd, entries) for event, (chat, cmd, entries) in self.by_event.items())
        reader.ledger.add_bulk(self.records, self.empty, self.matched, groups, tally, keep)
        self.__init__()  # type: ignore[misc]


_EVENTS = (None, MSG_OFFLINE, MSG_NOTIFY)
_FAILED = object()


class OutputFailed(Exception):
    """Writing the fast path's output failed; ``error`` is the OSError (e.g. a closed pipe)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _Scan:
    """What both fast paths share: blocks, workers, and handing lines to the general path.

    A subclass provides ``_prepare(reader)`` and ``_lines(lines, i, acc, text_ok)``: the hot
    loop that takes lines from index ``i`` until one needs the general path, and returns
    ``(index of that line or len(lines), its parsed value or _FAILED)``.
    """

    tally: Any = None
    out: BinaryIO | None = None

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs
        self._pending: list[bytes] = []  # JSONL output not yet written

    # -- what subclasses provide

    def _prepare(self, reader: Reader) -> None:
        raise NotImplementedError

    def _lines(self, lines: list[bytes], i: int, acc: _Acc, text_ok: bool) -> tuple[int, Any]:
        raise NotImplementedError

    def _text_ok(self, block: bytes) -> bool:
        return True

    # -- the driver

    def scan(self, reader: Reader, source: Input) -> Iterator[Message | PresenceEntry]:
        self._prepare(reader)
        self._keep = _keeper(reader)
        self._reader = reader
        self._acc = _Acc()
        self._pending = []
        plan = self._plan(source)
        self._pos = [0]  # where the main process is reading (parallel plan), for progress
        self._fast_lines = self._general_lines = 0
        self._report = self._reporter(reader, source, plan is not None)
        if plan is None:
            blocks = iter_blocks(source, reader.options.on_wait, CHUNK if source.interactive else BLOCK)
            yield from self._scan_blocks(source.name, _pieces(blocks), 0, None)
        else:
            yield from self._scan_parallel(source, *plan)
        # Only on success: after Ctrl-C, --strict or a closed pipe, writing more output would
        # replace that exception with another.
        self._flush()

    def _reporter(self, reader: Reader, source: Input, parallel: bool) -> Callable[[], None] | None:
        """A callable that tells ``reader.options.progress`` how far reading is, for large regular files."""
        if not parallel:
            return progress_reporter(reader, source)
        if reader.options.progress is None or source.size is None or source.size < PROGRESS_MIN_BYTES:
            return None
        progress, name, total, pos = reader.options.progress, source.name, source.size, self._pos
        return lambda: progress(name, pos[0], total)

    def _plan(self, source: Input) -> tuple[int, list[int]] | None:
        jobs = self.jobs if self.jobs is not None else default_jobs()
        if jobs < 2 or source.interactive or source.compressed:
            return None
        size = source.size
        if size is None or size < PARALLEL_MIN_BYTES or source.raw.tell() != 0:
            return None
        try:
            fd = source.raw.fileno()
        except (OSError, ValueError):
            return None
        if self.out is not None and self.jobs is None and size > PARALLEL_OUTPUT_MAX_BYTES:
            # Workers hold their output in temporary files until its turn: for a huge file that
            # is a lot of disk (or memory, on a tmpfs), so only when asked for with --jobs.
            return None
        points = _cut_points(fd, size, jobs)
        if len(points) < 3:
            return None
        return fd, points

    def _flush(self) -> None:
        """Write pending output, then add pending counts to the stats (before the general path runs)."""
        if self._pending:
            data = b"".join(self._pending)
            self._pending = []
            try:
                self.out.write(data)  # type: ignore[union-attr]
            except OSError as exc:
                raise OutputFailed(exc) from None
        self._acc.fold(self._reader, self._keep, self.tally)

    def _scan_blocks(
        self,
        name: str,
        pieces: Iterator[Piece],
        lineno: int,
        after: Callable[[], Iterator[Piece]] | None,
    ):
        """Read ``pieces`` (fast, and general where needed). Returns ``(lineno, switched)``:
        switched means the general path read everything to the end of the input."""
        reader = self._reader
        acc = self._acc
        hot = self._lines
        text_ok = self._text_ok
        for lines, text, _ in pieces:
            n = len(lines)
            ok = text_ok(text)
            i = 0
            if self._general_lines > GIVE_UP_LINES and self._general_lines > 4 * self._fast_lines:
                # Nearly every line needs the general path (capture records with string bodies,
                # log lines...): reading them twice costs more than it saves. The general path
                # reads the rest, as it would have.
                self._flush()
                rest = chain(lines, _rest(pieces), _rest(after() if after else ()))
                yield from _general_rest(reader, name, rest, lineno + 1)
                return lineno, True
            while True:
                j, value = hot(lines, i, acc, ok)
                self._fast_lines += j - i
                lineno += j - i
                if j >= n:
                    break
                line = lines[j]
                lineno += 1
                self._general_lines += 1
                self._flush()
                if value is _FAILED:
                    if _starts_multiline(reader, line):
                        rest = chain((line,), lines[j + 1 :], _rest(pieces), _rest(after() if after else ()))
                        yield from _general_rest(reader, name, rest, lineno)
                        return lineno, True
                    yield from _general_rest(reader, name, iter((line,)), lineno)
                else:
                    yield from reader.ledger.take(Value(lineno, value), name)
                i = j + 1
            self._flush()
            if self._report is not None:
                self._report()
        return lineno, False

    def _scan_parallel(self, source: Input, fd: int, points: list[int]):
        name = source.name
        size = points[-1]
        workers = []
        try:
            for start, end in zip(points[1:-1], points[2:]):
                workers.append(self._fork(fd, start, end))
            first_end = points[1]
            lineno, switched = yield from self._scan_blocks(
                name,
                _file_pieces(fd, 0, first_end, track=self._pos),
                0,
                lambda: _file_pieces(fd, first_end, size, track=self._pos),
            )
            for index, worker in enumerate(workers):
                if switched:
                    break
                state, lines, stop, left, output = worker.result()
                self._acc.merge(_Acc.from_state(state))
                self._flush()
                if output is not None:
                    self._copy(output)
                for offset, line in left:
                    yield from _general_rest(self._reader, name, iter((line,)), lineno + offset)
                lineno += lines
                if stop is not None:
                    end = worker.end
                    lineno, switched = yield from self._scan_blocks(
                        name,
                        _file_pieces(fd, stop, end, track=self._pos),
                        lineno,
                        lambda end=end: _file_pieces(fd, end, size, track=self._pos),
                    )
                else:
                    self._pos[0] = worker.end
                    if self._report is not None:
                        self._report()
        finally:
            for worker in workers:
                worker.close()

    def _copy(self, parked: IO[bytes]) -> None:
        """Write out what a worker parked in its (unnamed) temporary file."""
        out = self.out
        parked.seek(0)
        try:
            while True:
                data = parked.read(BLOCK)
                if not data:
                    break
                out.write(data)  # type: ignore[union-attr]
        except OSError as exc:
            raise OutputFailed(exc) from None

    # -- workers

    def _fork(self, fd: int, start: int, end: int) -> _Worker:
        import pickle
        import signal
        import tempfile

        # Unnamed: gone with the last descriptor, whatever way wkcli ends, and no cleaner in
        # /tmp can take it away mid-run. The worker writes to the descriptor it inherits.
        output = tempfile.TemporaryFile() if self.out is not None else None
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for end in (read_end, write_end):
                os.close(end)
            if output is not None:
                output.close()
            raise
        if pid == 0:  # the worker
            code = 0
            try:
                os.close(read_end)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                result = self._work(fd, start, end, output)
                data = pickle.dumps(result)
                view = memoryview(data)
                while view:
                    view = view[os.write(write_end, view) :]
            except BaseException:  # noqa: BLE001 - a worker never reports: the main process redoes its range
                code = 1
            finally:
                os._exit(code)
        os.close(write_end)
        return _Worker(pid, read_end, start, end, output)

    def _work(self, fd: int, start: int, end: int, output: IO[bytes] | None) -> tuple:
        """In a worker: the fast path over ``start..end`` until a block needs the general path.

        When only counting, output order does not matter: a line the fast path cannot take is
        left to the main process (with its line number, for the general path to read and report
        in file order) and the worker goes on, so a dump with a few bad lines keeps both cores.
        A line that starts a multi-line value, or too many such lines, stop the worker as before.
        """
        acc = _Acc()
        total = _Acc()
        lines_done = 0
        pos = start
        stop = None
        left: list[tuple[int, bytes]] = []  # (line number within the range, line)
        sink = open(os.dup(output.fileno()), "wb") if output is not None else None  # noqa: SIM115
        try:
            for lines, text, used in _file_pieces(fd, start, end):
                ok = self._text_ok(text)
                j, _ = self._lines(lines, 0, acc, ok)
                if sink is None and not self._reader.options.strict:  # --strict: stop where it stops
                    while (
                        j < len(lines)
                        and len(left) < LEFT_LINES
                        and not _starts_multiline(self._reader, lines[j])
                    ):
                        left.append((lines_done + j + 1, lines[j]))
                        j, _ = self._lines(lines, j + 1, acc, ok)
                if j < len(lines):
                    stop = pos
                    # The main process reads this whole block again: its lines are not left.
                    left = [entry for entry in left if entry[0] <= lines_done]
                    break
                total.merge(acc)
                acc = _Acc()
                if sink is not None and self._pending:
                    sink.write(b"".join(self._pending))
                self._pending = []
                lines_done += len(lines)
                pos += used
        finally:
            if sink is not None:
                sink.close()
        return total.state(), lines_done, stop, left


class _Worker:
    """A forked worker reading one range of the file."""

    def __init__(self, pid: int, fd: int, start: int, end: int, output: IO[bytes] | None) -> None:
        self.pid = pid
        self.fd = fd
        self.start = start
        self.end = end
        self.output = output
        self._done = False

    def result(self) -> tuple:
        """``(counts, lines read, offset where it stopped or None, lines left, output file)``.

        A worker that failed is treated as having stopped at its first byte.
        """
        import pickle

        chunks = []
        while True:
            data = os.read(self.fd, 1 << 16)
            if not data:
                break
            chunks.append(data)
        _, status = os.waitpid(self.pid, 0)
        self._done = True
        try:
            if status != 0:
                raise ValueError("worker failed")
            state, lines, stop, left = pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001
            return _Acc().state(), 0, self.start, [], None
        return state, lines, stop, left, self.output

    def close(self) -> None:
        if not self._done:
            import signal

            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self._done = True
        try:
            os.close(self.fd)
        except OSError:
            pass
        if self.output is not None:
            self.output.close()


def _general_rest(
    reader: Reader, name: str, lines: Iterator[bytes], lineno: int
) -> Iterator[Message | PresenceEntry]:
    """The general path for everything from line ``lineno`` (the first of ``lines``) on."""
    offset = lineno - 1
    for value in read_values(lines, reader.options.input_format):
        value.line += offset
        yield from reader.ledger.take(value, name)


def _starts_multiline(reader: Reader, line: bytes) -> bool:
    # Only a lone "{" or "[" makes the general reader gather the following lines (auto format).
    return reader.options.input_format == "auto" and line.strip() in (b"{", b"[")


def _valid_utf8(block: bytes) -> bool:
    # msgspec does not check the UTF-8 of strings it skips; the general path rejects bad UTF-8.
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class FastCount(_Scan):
    """Totals for ``count`` without ``--by``: kept messages and presence entries go to ``tally``."""

    def __init__(self, tally: Any, jobs: int | None = None) -> None:
        super().__init__(jobs)
        self.tally = tally

    def _prepare(self, reader: Reader) -> None:
        from wkcli.read.fast import decode as fastdecode  # msgspec, only when a fast count runs

        self._fd = fastdecode

    def _text_ok(self, block: bytes) -> bool:
        return block.isascii() or _valid_utf8(block)

    def _lines(self, lines: list[bytes], i: int, acc: _Acc, text_ok: bool) -> tuple[int, Any]:
        n = len(lines)
        if not text_ok:
            while i < n and not lines[i]:
                i += 1
            return i, _FAILED
        fd = self._fd
        decode = fd.decode_body
        msg_type = fd.Msg
        header_type = fd.Header
        unset = fd.UNSET
        slots = acc.slots
        start = i
        empty = 0  # blank lines: no record
        for line in lines[i:] if i else lines:
            if not line:
                empty += 1
                i += 1
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
                if header is not unset or not self._record(line, rec, acc):
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
        return i, (None if i >= n else _FAILED)

    def _record(self, line: bytes, rec: Any, acc: _Acc) -> bool:
        """An ``{"event", "data"}`` envelope or a ``wkcli capture`` record: count its body."""
        fd = self._fd
        unset = fd.UNSET
        try:
            if rec.data is not unset:
                record = fd.decode_envelope(line)
                body = record.data
            elif rec.body is not unset:
                record = fd.decode_capture(line)
                body = record.body
            else:
                return False
        except Exception:  # noqa: BLE001 - not that shape after all
            return False
        return _count_body(body, record.event, fd.Msg, fd.Header, acc, unset)


def _count_body(body: Any, event: str | None, msg_type: type, header_type: type, acc: _Acc, unset: Any) -> bool:
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


class FastJsonl(_Scan):
    """``classify --format jsonl``: plain messages written straight to ``out``, the rest yielded.

    The bytes are the JSONL writer's (``encode_message``): the message re-serialised by orjson,
    then ``kind`` and ``event``. Messages the caller may have more to say about (recipient lists
    sent compressed) or whose own keys clash with the added ones are yielded instead.
    """

    def __init__(self, out: BinaryIO, jobs: int | None = None) -> None:
        super().__init__(jobs)
        self.out = out

    def _prepare(self, reader: Reader) -> None:
        keep = _keeper(reader)
        dumps = orjson.dumps
        # The bytes after a message's closing brace, by slot (k + 2 * e); None when not kept.
        self._tails: list[bytes | None] = []
        for event in _EVENTS:
            for kind in _KINDS:
                added = {"kind": kind, "event": event} if event else {"kind": kind}
                self._tails.append(b"," + dumps(added)[1:] + b"\n" if keep(kind, event) else None)
        self._presence_ok = not reader.options.presence  # presence entries are only counted
        # With a kind or event filter, most lines may be dropped: the typed decoder tells which
        # (as for count) before the full parse that only kept lines need.
        self._filtering = None in self._tails[:4]
        if self._filtering:
            from wkcli.read.fast import decode as fastdecode

            self._fd = fastdecode

    def _text_ok(self, block: bytes) -> bool:
        return not self._filtering or block.isascii() or _valid_utf8(block)

    def _lines(self, lines: list[bytes], i: int, acc: _Acc, text_ok: bool) -> tuple[int, Any]:
        n = len(lines)
        loads = orjson.loads
        dumps = orjson.dumps
        decode_error = orjson.JSONDecodeError
        tails = self._tails
        pending = self._pending
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
                except decode_error:
                    return i, _FAILED
                kind_of = type(value)
                if kind_of is dict:
                    header = value.get("header")
                    if type(header) is not dict:
                        if header is None and self._record(value, acc, append):
                            records += 1
                            i += 1
                            continue
                        return i, value
                    so = header.get("sync_once")
                    if so is None:
                        k = 0
                    elif type(so) is int and (so == 0 or so == 1):
                        k = so
                    else:
                        return i, value
                    if "kind" in value or "event" in value or "compress" in value or "compress_to_uids" in value:
                        return i, value
                    if "to_uids" in value or "source_id" in value:
                        k += 2
                    slots[k] += 1
                    tail = tails[k]
                    if tail is not None:
                        append(dumps(value)[:-1] + tail)
                        matched += 1
                elif kind_of is list and value:
                    first = value[0]
                    if type(first) is dict:
                        ks = []
                        for element in value:
                            k = _plain_kind(element)
                            if k < 0:
                                return i, value
                            ks.append(k + 4)
                        for element, k in zip(value, ks):
                            slots[k] += 1
                            tail = tails[k]
                            if tail is not None:
                                append(dumps(element)[:-1] + tail)
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

    def _record(self, record: dict[str, Any], acc: _Acc, append) -> bool:
        """Write (or count) the body of an envelope or capture record; False if not plain."""
        found = _record_body(record)
        if found is None:
            return False
        event, body = found
        e = _EVENTS.index(event) if event in _EVENTS else -1  # -1: user.onlinestatus
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
        ks = []
        for message in messages:
            k = _plain_kind(message)
            if k < 0:
                return False
            ks.append(k + 2 * e)
        dumps = orjson.dumps
        tails = self._tails
        slots = acc.slots
        for message, k in zip(messages, ks):
            slots[k] += 1
            tail = tails[k]
            if tail is not None:
                append(dumps(message)[:-1] + tail)
                acc.matched += 1
        return True


_ENVELOPE_KEYS = frozenset(("event", "data"))
_CAPTURE_KEYS = frozenset(("event", "body", "received_at", "path", "query", "remote", "forward", "body_raw"))


def _record_body(record: dict[str, Any]) -> tuple[str, Any] | None:
    """``(event, body)`` of an envelope or ``wkcli capture`` record that the fast path can take.

    Only these exact keys: any other may change how the general path reads the record (a
    message key, another body or time key, base64 flags...).
    """
    event = record.get("event")
    if type(event) is not str or event not in KNOWN_EVENTS:
        return None
    keys = record.keys()
    if "data" in record and keys <= _ENVELOPE_KEYS:
        return event, record["data"]
    if "body" in record and keys <= _CAPTURE_KEYS:
        return event, record["body"]
    return None


def _plain_kind(message: Any) -> int:
    """0 (chat) or 1 (cmd) for a message the fast path can write as is, else -1."""
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
    return k
