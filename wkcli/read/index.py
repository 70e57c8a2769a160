"""A compact index of records (byte offsets) and rows (kind, event, time), for reading rows on demand."""

from __future__ import annotations

import math
import os
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from typing import IO, Any

import orjson

from wkcli.errors import UnreadableInput
from wkcli.read.accounting import Diagnostics, Ledger
from wkcli.read.codes import FIELDS, Codes
from wkcli.read.lines import IDLE, TruncatedInput, block_lines, iter_blocks
from wkcli.read.offsets import TRUNCATED, Ending, Lines, file_blocks, spooled
from wkcli.read.source import open_input
from wkcli.read.unwrap import unwrap
from wkcli.read.values import Value, read_values
from wkcli.webhook.dedupe import identity
from wkcli.webhook.model import CMD, Message, PresenceEntry
from wkcli.webhook.payload import decode_payload

# Row kinds (the low bits of ``Index.kinds``); ANOMALY is or-ed in.
CHAT, COMMAND, PRESENCE, MALFORMED = 0, 1, 2, 3
ANOMALY = 16
_POLL = 0.25  # seconds between looks at a followed file that has not grown
_SHIP = 0.05  # seconds between hand-overs to the app's process: the first screen should not wait


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

    def __init__(
        self, paths: list[str], input_format: str = "auto", follow: bool = False, process: bool = False
    ) -> None:
        self.paths = paths or ["-"]
        self.input_format = input_format
        self.follow = follow
        # Built in another process, so that the app's own keeps the interpreter for the screen.
        self.process = process
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
        self.fields = {name: Codes() for name in FIELDS}
        self.errors: dict[int, tuple[str, str]] = {}  # malformed row -> (file:line, reason)
        self.error_rows: list[int] = []  # the keys of ``errors`` in the order they came
        self.gone: list[int] = []  # files truncated while followed: their rows are no more
        self.notices: list[str] = []  # what happened to followed files (rotated, truncated)
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
        self.ship: Callable[[], None] | None = None  # hands new rows over, when built elsewhere
        self._last_ship = 0.0
        self.child: Any = None  # the indexing process, when there is one
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
        if self.process:
            from wkcli.read.index_process import build_in_child

            build_in_child(self)
            return
        try:
            self._build_here()
        except Exception as exc:  # noqa: BLE001 - told to the app, which ends cleanly
            self.failure = f"{type(exc).__name__}: {exc}"
        finally:
            self.done = True
            self.changed.set()
            self._shipped()

    def _build_here(self) -> None:
        files = [self._file(path) for path in self.paths]
        if not self.follow:
            for file in files:
                for _ in file:
                    pass
            return
        # Followed: each file is read to its end in turn, then all are polled, round and round.
        while files and not self.stopping.is_set():
            for file in list(files):
                try:
                    next(file)
                except StopIteration:
                    files.remove(file)
            self.changed.set()
            self._shipped(force=True)
            self.stopping.wait(_POLL)

    def stopped(self) -> bool:
        return self.stopping.is_set()

    def _file(self, path: str) -> Iterator[None]:
        """Index one path; followed, yields where it has nothing new and starts over when it does."""
        if self.follow and path != "-":
            while not os.path.exists(path) and not self.stopping.is_set():
                yield  # a followed file that does not exist yet is waited for
        while not self.stopping.is_set():
            ending = Ending()
            number = len(self.names)
            yield from self._build_file(number, path, self.follow, ending)
            if ending.how is None:
                return
            name = self.names[number]
            if ending.how == TRUNCATED:
                self.gone.append(number)  # its rows point at bytes that are no longer there
                self.notices.append(f"{name} was truncated: its rows start over")
            else:
                self.notices.append(f"{name} was rotated: the new file's rows follow")

    def _build_file(self, number: int, path: str, follow: bool, ending: Ending) -> Iterator[None]:
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
            base = self.bytes_read
            self.bytes_total += source.size or 0
            if source.compressed or source.interactive:
                spool = self._spool()
                self._readable.append(spool.name)
                lines = Lines(spooled(iter_blocks(source), spool, source, self, base), spooled=True)
            else:
                self._readable.append(path)
                lines = Lines(file_blocks(source, path, follow, self, ending, base))
            try:
                yield from self._read_lines(number, source.name, lines)
            except TruncatedInput as exc:
                self._bad(number, 0, 0, 0, str(exc))

    def _read_lines(self, number: int, name: str, lines: Lines) -> Iterator[None]:
        for value in read_values(iter(lines), self.input_format):
            if self.stopping.is_set():
                return
            if value is IDLE:
                yield
                continue
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
            self._shipped()

    def _shipped(self, force: bool = False) -> None:
        """Hand what was added to ``ship`` (another process's index), every 50 ms or when told."""
        if self.ship is None:
            return
        now = time.monotonic()
        if force or self.done or now - self._last_ship >= _SHIP:
            self._last_ship = now
            self.ship()

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
            data = item.data
            fields = self.fields
            fields["channel_id"].add(data.get("channel_id"))
            fields["channel_type"].add(data.get("channel_type"))
            fields["from_uid"].add(data.get("from_uid"))
            decoded = decode_payload(data)
            fields["content_type"].add(decoded.content_type)
            fields["cmd"].add(decoded.cmd)
        else:
            code = PRESENCE
            self.idents.append(0)
            for field in self.fields.values():
                field.codes.append(0)
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
        self.error_rows.append(self.count)
        self.row_record.append(0)
        self.row_sub.append(0)
        self.kinds.append(MALFORMED)
        self.events.append(0)
        self.times.append(math.nan)
        self.idents.append(0)
        for field in self.fields.values():
            field.codes.append(0)
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
            try:
                value = Value(line, orjson.loads(text), None, True)
            except orjson.JSONDecodeError:
                value = None  # the file changed under the index (a followed file cut short)
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

    def open_file(self, file: int) -> None:
        """Open a file's rows for reading now (a followed file may be renamed away later)."""
        try:
            self._fd(file)
        except OSError:
            pass  # gone already: its rows say so when read

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

    def close(self, keep_spools: bool = False) -> None:
        self.stopping.set()
        if self.child is not None:
            from wkcli.read.index_process import stop_child

            stop_child(self)
        for fd in self._fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds.clear()
        for name in [] if keep_spools else self._spools:
            try:
                os.unlink(name)
            except OSError:
                pass
