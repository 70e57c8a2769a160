"""Read a growing file like ``tail -F``: keep reading as it grows, across truncation and rotation."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import IO

from wkcli.read.lines import CHUNK, IDLE, MAX_LINE, RESTART, LineSplitter, block_lines, iter_lines
from wkcli.read.source import Input

POLL_SECONDS = 0.25
# How a followed file changed under its name.
ROTATED, TRUNCATED = "rotated", "truncated"


def follow_lines(
    path: str,
    source: Input,
    on_wait: Callable[[], None] | None = None,
    poll: float = POLL_SECONDS,
    stop: Callable[[], bool] | None = None,
    idle: bool = False,
    max_line: int = MAX_LINE,
) -> Iterator[bytes]:
    """Yield the lines of ``path`` (without line endings) as they are written, forever.

    At the end of the file, ``on_wait`` is called (so output can be flushed) and the file is
    polled. A file that shrinks (truncated in place, ``copytruncate``) is read again from its
    start; a file replaced under the same name (renamed away by a rotation, then created anew)
    is read to its end, then the new file is opened by name. A missing file is waited for. A
    last line without its newline is held back until the line is complete; a line over
    ``max_line`` is a ``LongLine``, never held, as for any input. Ends only when
    ``stop`` returns true (tests) or on Ctrl-C (KeyboardInterrupt reaches the caller).

    Where the file starts over (rotated or truncated), ``source.RESTART`` is yielded so that
    line numbers count from the new start.

    With ``idle``, nothing waits here: ``source.IDLE`` is yielded where the file would be
    polled, so that one loop can poll several files (``Reader`` following several paths).

    Standard input, pipes and gzip files are not regular growing files: they are read as they
    are, to their end.
    """
    if source.interactive or source.compressed:
        yield from iter_lines(source, on_wait, max_line=max_line)
        return
    stream: IO[bytes] = source.raw
    try:
        identity = identity_of(stream.fileno())
        offset = stream.tell()
    except (OSError, ValueError):
        yield from iter_lines(source, on_wait, max_line=max_line)
        return
    owned: IO[bytes] | None = None  # a file this function reopened (and so must close)
    # Holds a last line back until its newline.
    splitter = LineSplitter(max_line, at_start=offset == 0)
    size = splitter.read_size(CHUNK)
    drained = False  # the old file was read to its end once more after it was seen replaced
    try:
        while True:
            read_any = False
            while True:
                chunk = stream.read1(size) if hasattr(stream, "read1") else stream.read(size)
                if not chunk:
                    break
                read_any = True
                offset += len(chunk)
                for block in splitter.feed(chunk):
                    yield from block_lines(block)
            if read_any:
                drained = False
                continue  # check for more before deciding the file is idle
            # At the end of the file: has it been truncated or replaced?
            change = file_change(path, identity, offset)
            if change is not None:
                if change == ROTATED and not drained:
                    # A writer may have appended to the old file just before renaming it: read it
                    # to its end once more before moving on.
                    drained = True
                    continue
                if change == ROTATED:
                    # Rotated: the old file was read to its end above; a cut-off last line ends there.
                    rest = splitter.rest()
                    if rest:
                        yield rest
                    try:
                        fresh = open(path, "rb")  # noqa: SIM115 - closed below or in finally
                    except OSError:
                        fresh = None
                    if fresh is not None:
                        if owned is not None:
                            owned.close()
                        owned = stream = fresh
                        identity = identity_of(fresh.fileno())
                        offset = 0
                        splitter.restart()
                        yield RESTART  # line numbers count from the new file's start
                        continue
                else:
                    # Truncated in place: what was there is gone; start over from the top.
                    stream.seek(0)
                    offset = 0
                    splitter.restart()
                    yield RESTART
                    continue
            if stop is not None and stop():
                rest = splitter.rest()
                if rest:
                    yield rest
                return
            if idle:
                yield IDLE
                continue
            if on_wait is not None:
                on_wait()
            time.sleep(poll)
    finally:
        if owned is not None:
            owned.close()


def file_change(path: str, identity: tuple[int, int], offset: int) -> str | None:
    """How the file now under ``path`` differs from the one being read (``identity``, read up to
    ``offset``): ``ROTATED`` (another file), ``TRUNCATED`` (cut shorter), or None (the same, or
    renamed away and not created again yet: keep waiting)."""
    try:
        current = os.stat(path)
    except OSError:
        return None
    if _identity(current) != identity:
        return ROTATED
    if current.st_size < offset:
        return TRUNCATED
    return None


def identity_of(fd: int) -> tuple[int, int]:
    """What tells one file from another (device and inode) for an open descriptor."""
    return _identity(os.fstat(fd))


def _identity(info: os.stat_result) -> tuple[int, int]:
    return (info.st_dev, info.st_ino)


def appearing(path: str, announce: Callable[[], None]) -> Iterator[bytes | None]:
    """``IDLE`` until ``path`` exists (``announce`` is called once, if it has to wait), then None."""
    if not os.path.exists(path):
        announce()
        while not os.path.exists(path):
            yield IDLE
    yield None
