"""Blocks of whole lines with the byte offset each starts at, from a file (followed or not) or a spool."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import IO, Protocol

from wkcli.read.follow import ROTATED, TRUNCATED, file_change, identity_of
from wkcli.read.lines import BOM, IDLE, LineSplitter, LongLine, block_lines
from wkcli.read.source import Input

BLOCK = 1 << 20


class Progress(Protocol):
    """What the block readers tell as they go (the index): bytes read, and a stop request."""

    bytes_read: int
    bytes_total: int

    def stopped(self) -> bool: ...


class Ending:
    """Why a followed file's blocks ended: ``how`` is None at a plain end, else ROTATED or TRUNCATED."""

    how: str | None = None


class Lines:
    """The lines of a stream of ``(offset, block)`` pairs, remembering where recent lines start.

    ``IDLE`` (a followed file with nothing new) is passed on as a line, for ``read_values`` to
    pass on to the poller.
    """

    def __init__(self, blocks: Iterator[tuple[int, bytes]], spooled: bool = False) -> None:
        self.blocks = blocks
        self.spooled = spooled  # an over-long line stands in a spool as an empty line
        self.starts: dict[int, int] = {}
        self.lineno = 0
        self.end = 0

    def __iter__(self) -> Iterator[bytes]:
        starts = self.starts
        for offset, block in self.blocks:
            if block is IDLE:
                yield block
                continue
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


def file_blocks(
    source: Input, path: str, follow: bool, progress: Progress, ending: Ending, base: int = 0
) -> Iterator[tuple[int, bytes]]:
    """A regular file's blocks of whole lines with their offsets.

    With ``follow``, ``IDLE`` comes where the file has nothing new, and the blocks end when the
    file is replaced under ``path`` (rotated: read to its end first) or cut shorter than what was
    read (truncated), with ``ending.how`` saying which. ``base`` is what earlier files made of
    ``progress.bytes_read``.
    """
    raw = source.raw
    fd = raw.fileno()
    position = 0
    head = os.pread(fd, len(BOM), 0)
    if head == BOM:
        position = len(BOM)  # offsets stay true to the file; the mark itself is no line
    splitter = LineSplitter(at_start=False)
    identity = identity_of(fd)
    drained = False  # a replaced file is read to its end once more before it is left
    while not progress.stopped():
        chunk = os.pread(fd, BLOCK, position)
        if not chunk:
            if not follow:
                break
            change = file_change(path, identity, position)
            if change == ROTATED:
                if not drained:
                    drained = True  # a writer may have appended just before renaming it
                    continue
                ending.how = ROTATED
                break
            if change == TRUNCATED:
                ending.how = TRUNCATED  # what was read is gone: no cut-off last line to give
                return
            progress.bytes_total = max(progress.bytes_total, base + position)
            yield position, IDLE
            continue
        drained = False
        start = position - splitter.pending
        position += len(chunk)
        progress.bytes_read = base + position
        for block in splitter.feed(chunk):
            yield start, block
            start += block.size + 1 if type(block) is LongLine else len(block)
    rest = splitter.rest()
    if rest and not progress.stopped():
        if type(rest) is LongLine:
            yield position - rest.size, rest
        else:
            yield position - len(rest), rest + b"\n"


def spooled(
    blocks: Iterator[bytes], spool: IO[bytes], source: Input, progress: Progress, base: int = 0
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
            progress.bytes_read = base + (tell() if tell is not None else position)
    finally:
        spool.close()
