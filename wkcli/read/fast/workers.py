"""The fork protocol: a worker process reads one byte range with the fast path only, and reports back.

A worker inherits the open file and everything the fast path set up (no pickling of decoders).
It sends back, through a pipe, its counts, how many lines it read, where it stopped (the offset
of the first block it could not take, or None) and the lines it left to the main process; its
JSONL output waits in an unnamed temporary file, cut (by offsets sent with the lines left) where
the main process writes what the general path makes of those lines. A worker that fails in
any way is treated as having stopped at its first byte: the main process reads its range itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO, Any, NamedTuple, Protocol

from wkcli.read.fast.counts import Counts, CountsState
from wkcli.read.fast.pieces import file_pieces, starts_multiline
from wkcli.read.lines import LongLine
from wkcli.read.values import value_lines

# (line number within the range, the line (or the lines of a value over several lines), offset
# in the worker's output where the general path's output goes; 0 without output): what a worker
# left to the main process.
LeftLine = tuple[int, "bytes | list[bytes]", int]
# (counts, lines read, offset where it stopped or None, lines left, its output file or None)
WorkerResult = tuple[CountsState, int, "int | None", list[LeftLine], "IO[bytes] | None"]


class Leave(NamedTuple):
    """How much a worker may leave to the main process before it stops: lines (or values over
    several lines), and their bytes (memory: the worker holds them until it is done)."""

    lines: int
    size: int


NOTHING = Leave(0, 0)


class RangeReader(Protocol):
    """What a worker needs from a fast path (``scan.Scan``)."""

    pending: list[bytes]  # output not yet written
    numbered: bool  # whether take_lines needs line0, the number of lines before lines[0]
    line0: int

    def text_ok(self, block: bytes) -> bool: ...

    def take(self, lines: list[bytes], i: int, counts: Counts, text_ok: bool) -> tuple[int, Any]: ...


class Worker:
    """A forked worker reading one range of the file."""

    def __init__(self, pid: int, fd: int, start: int, end: int, output: IO[bytes] | None) -> None:
        self.pid = pid
        self.fd = fd
        self.start = start
        self.end = end
        self.output = output
        self._done = False

    def result(self) -> WorkerResult:
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
            return Counts().state(), 0, self.start, [], None
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


def fork(
    reader: RangeReader,
    fd: int,
    start: int,
    end: int,
    writes: bool,
    leave: Leave,
    input_format: str,
    block: int,
    max_line: int,
) -> Worker:
    """Start a worker on bytes ``start..end`` of ``fd``; see ``work`` for ``leave``."""
    import pickle
    import signal
    import tempfile

    # Unnamed: gone with the last descriptor, whatever way wkcli ends, and no cleaner in
    # /tmp can take it away mid-run. The worker writes to the descriptor it inherits.
    output = tempfile.TemporaryFile() if writes else None
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
            result = work(reader, fd, start, end, output, leave, input_format, block, max_line)
            data = pickle.dumps(result)
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view) :]
        except BaseException:  # noqa: BLE001 - a worker never reports: the main process redoes its range
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    return Worker(pid, read_end, start, end, output)


def work(
    reader: RangeReader,
    fd: int,
    start: int,
    end: int,
    output: IO[bytes] | None,
    leave: Leave,
    input_format: str,
    block: int,
    max_line: int,
) -> tuple[CountsState, int, int | None, list[LeftLine]]:
    """In a worker: the fast path over ``start..end`` until a block needs the general path.

    Within ``leave``, a line the fast path cannot take is left to the main process (with
    its line number, for the general path to read and report in file order, and with output,
    the offset in the output file where what the general path writes for it goes) and the
    worker goes on, so a dump with a few bad lines keeps both cores. So are the lines of a value
    over several lines (or a stray bracket and the line after it) that end in the same piece.
    A value that does not, or going past ``leave``, stop the worker.
    """
    counts = Counts()
    total = Counts()
    lines_done = 0
    pos = start
    stop = None
    left: list[LeftLine] = []
    held = 0  # bytes of the lines in left
    take_lines = reader.take
    numbered = reader.numbered
    base = lines_before(fd, start, block) if numbered else 0
    sink = open(os.dup(output.fileno()), "wb") if output is not None else None  # noqa: SIM115
    pending = reader.pending
    try:
        for lines, text, used in file_pieces(fd, start, end, block, max_line):
            ok = reader.text_ok(text)
            if numbered:
                reader.line0 = base + lines_done
            block_start = sink.tell() if sink is not None else 0
            j, _ = take_lines(lines, 0, counts, ok)
            while j < len(lines) and len(left) < leave.lines and held < leave.size:
                line: bytes | list[bytes] = lines[j]
                taken = 1
                if starts_multiline(input_format, lines[j]):
                    # A value over several lines, or a stray bracket: the lines the general
                    # path reads before it holds nothing open again, if they end in this piece.
                    taken = value_lines(lines, j, input_format, max_line)
                    if not taken or any(type(part) is LongLine for part in lines[j : j + taken]):
                        break
                    line = lines[j : j + taken]
                    held += sum(map(len, line))
                else:
                    held += len(line)
                at = 0
                if sink is not None:
                    # The output of the lines before this one, then a cut for the main process.
                    sink.write(b"".join(pending))
                    pending.clear()
                    at = sink.tell()
                left.append((lines_done + j + 1, line, at))
                j, _ = take_lines(lines, j + taken, counts, ok)
            if j < len(lines):
                stop = pos
                # The main process reads this whole block again: its lines are not left, and
                # the output written for it is taken back.
                left = [entry for entry in left if entry[0] <= lines_done]
                if sink is not None:
                    sink.seek(block_start)
                    sink.truncate()
                break
            total.merge(counts)
            counts = Counts()
            if sink is not None and reader.pending:
                sink.write(b"".join(reader.pending))
            reader.pending.clear()
            lines_done += len(lines)
            pos += used
    finally:
        if sink is not None:
            sink.close()
    return total.state(), lines_done, stop, left


def copy_parked(
    output: IO[bytes] | bytes,
    out: IO[bytes],
    start: int,
    end: int | None,
    block: int,
    moved: Callable[[float], None] | None = None,
) -> None:
    """Write bytes ``start..end`` (None: to the end) of a range's output to ``out``: a worker's
    parked temporary file, or the bytes of a range read in another process. ``moved(share)``
    hears how much of a parked file is copied."""
    if isinstance(output, bytes):
        out.write(output[start:end])
        return
    total = output.seek(0, os.SEEK_END) or 1
    output.seek(start)
    left = -1 if end is None else end - start
    while left:
        data = output.read(block if left < 0 else min(left, block))
        if not data:
            break
        out.write(data)
        left -= len(data) if left > 0 else 0
        if moved is not None:
            moved(output.tell() / total)


def default_jobs() -> int:
    """How many processes to use for a large file: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def lines_before(fd: int, end: int, block: int) -> int:
    """How many lines the file has before byte ``end`` (just after a newline)."""
    count = 0
    pos = 0
    size = max(block, 1 << 20)
    while pos < end:
        chunk = os.pread(fd, min(size, end - pos), pos)
        if not chunk:
            break
        count += chunk.count(b"\n")
        pos += len(chunk)
    return count
