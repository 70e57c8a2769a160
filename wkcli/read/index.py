"""A compact index of records (byte offsets) and rows (kind, event, time), for reading rows on demand."""

from __future__ import annotations

import math
import os
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from typing import IO

import orjson

from wkcli.errors import UnreadableInput
from wkcli.read.accounting import Diagnostics, Ledger
from wkcli.read.lines import BOM, LineSplitter, LongLine, TruncatedInput, block_lines, iter_blocks
from wkcli.read.source import Input, open_input
from wkcli.read.unwrap import unwrap
from wkcli.read.values import Value, read_values
from wkcli.webhook.dedupe import identity
from wkcli.webhook.model import CMD, Message, PresenceEntry

# Row kinds (the low bits of ``Index.kinds``); ANOMALY is or-ed in.
CHAT, COMMAND, PRESENCE, MALFORMED = 0, 1, 2, 3
ANOMALY = 16
BLOCK = 1 << 20
_POLL = 0.25  # seconds between looks at a followed file that has not grown


class _Nowhere:
    """A stream that swallows what diagnostics write: the index keeps errors as rows instead."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class Index:
    """Where each record of the dumps starts and ends, and what each of its rows is.

    Records are located by file number, byte offset and length (a gzip file or stdin is first
    copied, inflated, into a temporary file so it can be read at any offset). Rows are the
    messages, presence entries and malformed records, in the order read; ``count`` is how many
    are complete (another thread reads the arrays while ``build`` appends to them).
    """

    def __init__(self, paths: list[str], input_format: str = "auto", follow: bool = False) -> None:
        self.paths = paths or ["-"]
        self.input_format = input_format
        self.follow = follow
        self.names: list[str] = []  # per file: the name errors and rows show
        self._readable: list[str] = []  # per file: the path offsets refer to (a spool for gzip/stdin)
        self._fds: dict[int, int] = {}
        # per record
        self.rec_file = array("H")
        self.rec_offset = array("Q")
        self.rec_size = array("I")
        self.rec_line = array("I")
        self.rec_element = array("B")
        # per row
        self.row_record = array("I")
        self.row_sub = array("I")  # which message or entry of its record (by position)
        self.kinds = array("B")
        self.events = array("B")  # into ``event_names``
        self.times = array("d")  # NaN: no time known
        self.idents = array("q")  # a hash of the message identity (0: none), to find its deliveries
        self.event_names: list[str | None] = [None]
        self.errors: dict[int, tuple[str, str]] = {}  # malformed row -> (file:line, reason)
        self.count = 0
        self.bytes_read = 0
        self.bytes_total = 0
        self.done = False
        self.failure: str | None = None
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._started = False
        self.changed = threading.Event()  # set whenever rows were added
        self._spools: list[str] = []
        self._record_cache: tuple[int, Value | None, list[Message | PresenceEntry]] | None = None
        self._pending_errors: list[tuple[str, str]] = []
        self._diagnostics = Diagnostics(_Nowhere(), quiet=True, max_shown=0)  # type: ignore[arg-type]
        self._diagnostics.on_error(lambda where, reason: self._pending_errors.append((where, reason)))
        self.ledger = Ledger(self._diagnostics, lambda item: True)
        self.stats = self.ledger.stats

    # -- building ---------------------------------------------------------------------------

    def build(self) -> None:
        """Read every path to its end (and on, with ``follow``), filling the index; run on a thread."""
        with self._lock:
            if self._started:
                return  # already built (or being built) by another caller
            self._started = True
        try:
            for number, path in enumerate(self.paths):
                follow = self.follow and number == len(self.paths) - 1
                self._build_file(number, path, follow)
                if self.stopping.is_set():
                    break
        except Exception as exc:  # noqa: BLE001 - told to the app, which ends cleanly
            self.failure = f"{type(exc).__name__}: {exc}"
        finally:
            self.done = True
            self.changed.set()

    def _build_file(self, number: int, path: str, follow: bool) -> None:
        try:
            source = open_input(path)
        except UnreadableInput as exc:
            self.names.append(path)
            self._readable.append(path)
            self._bad(number, 0, 0, 0, str(exc))
            return
        with source:
            self.names.append(source.name)
            if source.binary:
                self._readable.append(path)
                self._bad(number, 0, 0, 0, "binary data, not JSON text (a binary file, or UTF-16?)")
                return
            self.bytes_total += source.size or 0
            if source.compressed or source.interactive:
                spool = self._spool()
                self._readable.append(spool.name)
                lines = _Lines(_spooled(iter_blocks(source), spool, source, self), spooled=True)
            else:
                self._readable.append(path)
                lines = _Lines(_file_blocks(source, follow, self))
            try:
                self._read_lines(number, source.name, lines)
            except TruncatedInput as exc:
                self._bad(number, 0, 0, 0, str(exc))

    def _read_lines(self, number: int, name: str, lines: _Lines) -> None:
        for value in read_values(iter(lines), self.input_format):
            if self.stopping.is_set():
                return
            items = self.ledger.account(value, name)
            line = value.line
            if type(value) is Value:
                start = lines.start_of(line)
                self._add_record(number, start, lines.end - start, line, value.element)
                record = len(self.rec_offset) - 1
                for sub, item in enumerate(items):
                    self._add_row(record, sub, item)
                    self.count += 1
            for where, reason in self._pending_errors:
                self._bad(number, 0, 0, line, reason, where)
            self._pending_errors.clear()
            lines.forget()
            self.changed.set()

    def _spool(self) -> IO[bytes]:
        spool = tempfile.NamedTemporaryFile(prefix="wkcli-browse-", suffix=".jsonl", delete=False)
        self._spools.append(spool.name)
        return spool

    def _add_record(self, file: int, offset: int, size: int, line: int, element: bool) -> None:
        self.rec_file.append(file)
        self.rec_offset.append(offset)
        self.rec_size.append(size)
        self.rec_line.append(line)
        self.rec_element.append(1 if element else 0)

    def _add_row(self, record: int, sub: int, item: Message | PresenceEntry) -> None:
        self.row_record.append(record)
        self.row_sub.append(sub)
        if type(item) is Message:
            code = COMMAND if item.kind == CMD else CHAT
            if item.anomaly is not None:
                code |= ANOMALY
            ident = identity(item)
            self.idents.append(hash(ident) if ident is not None else 0)
        else:
            code = PRESENCE
            self.idents.append(0)
        self.kinds.append(code)
        self.events.append(self._event_code(item.event))
        moment = item.time
        self.times.append(math.nan if moment is None else moment)

    def _bad(
        self, file: int, offset: int, size: int, line: int, reason: str, where: str | None = None
    ) -> None:
        if where is None:
            where = f"{self.names[file]}:{line}" if line else self.names[file]
        self.errors[self.count] = (where, reason)
        self.row_record.append(0)
        self.row_sub.append(0)
        self.kinds.append(MALFORMED)
        self.events.append(0)
        self.times.append(math.nan)
        self.idents.append(0)
        self.count += 1
        self.changed.set()

    def _event_code(self, event: str | None) -> int:
        try:
            return self.event_names.index(event)
        except ValueError:
            if len(self.event_names) >= 255:
                return 0  # a dump naming hundreds of events: the rest are told as unknown
            self.event_names.append(event)
            return len(self.event_names) - 1

    # -- reading rows -----------------------------------------------------------------------

    def item(self, row: int) -> Message | PresenceEntry | None:
        """The message or presence entry of ``row``, read again from its file (None: a malformed row)."""
        if self.kinds[row] == MALFORMED:
            return None
        record = self.row_record[row]
        items = self._items(record)
        sub = self.row_sub[row]
        return items[sub] if sub < len(items) else None

    def record(self, row: int) -> tuple[Value | None, list[Message | PresenceEntry]]:
        """The record ``row`` came in, read again: its JSON value and all its messages and entries."""
        return self._read(self.row_record[row])

    def _items(self, record: int) -> list[Message | PresenceEntry]:
        return self._read(record)[1]

    def _read(self, record: int) -> tuple[Value | None, list[Message | PresenceEntry]]:
        cached = self._record_cache
        if cached is not None and cached[0] == record:
            return cached[1], cached[2]
        file = self.rec_file[record]
        data = os.pread(self._fd(file), self.rec_size[record], self.rec_offset[record])
        line = self.rec_line[record]
        value: Value | None = None
        if self.rec_element[record]:
            text = data.strip()
            if text.endswith(b","):
                text = text[:-1]
            value = Value(line, orjson.loads(text), None, True)
        else:
            for found in read_values(iter(block_lines(data)), self.input_format):
                if type(found) is Value:
                    value = Value(line, found.value, found.hint, found.element)
                    break
        items: list[Message | PresenceEntry] = []
        if value is not None:
            name = self.names[file]
            items = [item for item in unwrap(value, name) if type(item) in (Message, PresenceEntry)]  # type: ignore[misc]
        self._record_cache = (record, value, items)
        return value, items

    def _fd(self, file: int) -> int:
        fd = self._fds.get(file)
        if fd is None:
            fd = self._fds[file] = os.open(self._readable[file], os.O_RDONLY)
        return fd

    def where(self, row: int) -> str:
        """``file:line`` of a row."""
        if self.kinds[row] == MALFORMED:
            return self.errors.get(row, ("?", ""))[0]
        record = self.row_record[row]
        return f"{self.names[self.rec_file[record]]}:{self.rec_line[record]}"

    def deliveries(self, row: int) -> list[int]:
        """Every row holding the same message as ``row`` (by message id, else client_msg_no)."""
        key = self.idents[row]
        if not key:
            return [row]
        count = self.count
        idents = self.idents
        found = []
        start = 0
        while True:
            try:
                at = idents.index(key, start, count)
            except ValueError:
                break
            found.append(at)
            start = at + 1
        return found or [row]

    def close(self) -> None:
        self.stopping.set()
        for fd in self._fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds.clear()
        for name in self._spools:
            try:
                os.unlink(name)
            except OSError:
                pass


class _Lines:
    """The lines of a stream of ``(offset, block)`` pairs, remembering where recent lines start."""

    def __init__(self, blocks: Iterator[tuple[int, bytes]], spooled: bool = False) -> None:
        self.blocks = blocks
        self.spooled = spooled  # an over-long line stands in a spool as an empty line
        self.starts: dict[int, int] = {}
        self.lineno = 0
        self.end = 0

    def __iter__(self) -> Iterator[bytes]:
        starts = self.starts
        for offset, block in self.blocks:
            position = offset
            for line in block_lines(block):
                self.lineno += 1
                starts[self.lineno] = position
                if type(line) is LongLine:
                    position += 1 if self.spooled else line.size + 1
                else:
                    position += len(line) + 1
                self.end = position
                yield line

    def start_of(self, line: int) -> int:
        return self.starts.get(line, self.end)

    def forget(self) -> None:
        """Keep only the current line: it may begin a value that is still being read."""
        if len(self.starts) > 1:
            current = self.starts.get(self.lineno)
            self.starts.clear()
            if current is not None:
                self.starts[self.lineno] = current


def _file_blocks(source: Input, follow: bool, index: Index) -> Iterator[tuple[int, bytes]]:
    """A regular file's blocks of whole lines with their offsets; with ``follow``, waits for more."""
    raw = source.raw
    fd = raw.fileno()
    position = 0
    head = os.pread(fd, len(BOM), 0)
    if head == BOM:
        position = len(BOM)  # offsets stay true to the file; the mark itself is no line
    splitter = LineSplitter(at_start=False)
    while not index.stopping.is_set():
        chunk = os.pread(fd, BLOCK, position)
        if not chunk:
            if follow:
                size = os.fstat(fd).st_size
                if size < position:  # truncated: what is indexed no longer exists; start over is not offered
                    return
                index.changed.set()
                time.sleep(_POLL)
                continue
            break
        start = position - splitter.pending
        position += len(chunk)
        index.bytes_read = position
        if follow:
            index.bytes_total = max(index.bytes_total, position)
        for block in splitter.feed(chunk):
            yield start, block
            start += block.size + 1 if type(block) is LongLine else len(block)
    rest = splitter.rest()
    if rest and not index.stopping.is_set():
        if type(rest) is LongLine:
            yield position - rest.size, rest
        else:
            yield position - len(rest), rest + b"\n"


def _spooled(
    blocks: Iterator[bytes], spool: IO[bytes], source: Input, index: Index
) -> Iterator[tuple[int, bytes]]:
    """Blocks of a stream that cannot be read at an offset, copied into ``spool`` as they pass."""
    position = 0
    tell: Callable[[], int] | None = None
    if source.size is not None:
        tell = source.raw.tell
    try:
        for block in blocks:
            if type(block) is LongLine:
                # Not kept (that is the point of the cap): it stands in the spool as an empty line.
                spool.write(b"\n")
                spool.flush()
                yield position, block
                position += 1
                continue
            if not block.endswith(b"\n"):
                block += b"\n"
            spool.write(block)
            spool.flush()  # rows are read back from the spool while it is still being written
            yield position, block
            position += len(block)
            index.bytes_read = tell() if tell is not None else position
    finally:
        spool.close()
