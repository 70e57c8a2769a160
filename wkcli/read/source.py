"""Open dumps (files, stdin, gzip) and cut their bytes into lines: the one place that splits lines.

``LineSplitter`` is shared by every reader of bytes (``iter_blocks`` here, ``follow`` and the
fast path's single-process plan), so a byte-order mark, a last line without its newline and a
line cut by a read's end are handled the same way everywhere. ``values.read_values`` turns the
lines into JSON values.
"""

from __future__ import annotations

import gzip
import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from typing import IO

from wkcli.errors import UnreadableInput

STDIN_NAME = "<stdin>"
GZIP_MAGIC = b"\x1f\x8b"
BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 16

class Input:
    """An opened dump: its display name and a binary stream of its (decompressed) bytes."""

    def __init__(self, name: str, raw: IO[bytes], interactive: bool) -> None:
        self.name = name
        self.raw = raw
        self.interactive = interactive  # a pipe or terminal: reads may block
        self.stream: IO[bytes] = raw
        self.compressed = False
        self.binary = False  # starts with bytes no JSON text holds
        self.size: int | None = None  # bytes on disk (compressed for gzip), for regular files

    def __enter__(self) -> Input:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.raw is not sys.stdin.buffer:
            self.raw.close()


def open_input(path: str) -> Input:
    """Open ``path`` (``-`` for stdin), recognising gzip by its magic bytes whatever the name."""
    if path == "-":
        raw: IO[bytes] = sys.stdin.buffer
        name = STDIN_NAME
    else:
        name = path
        try:
            if os.path.isdir(path):
                raise UnreadableInput(f"{path}: is a directory")
            raw = open(path, "rb")  # noqa: SIM115 - closed by Input
        except OSError as exc:
            raise UnreadableInput(f"{path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(raw.fileno())
        interactive = not stat.S_ISREG(info.st_mode)
    except (OSError, ValueError, AttributeError):
        info = None
        interactive = True  # e.g. a test's in-memory stdin
    source = Input(name, raw, interactive)
    if info is not None and not interactive:
        source.size = info.st_size
    head = _peek(raw, 2)
    if head.startswith(GZIP_MAGIC):
        source.stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        source.compressed = True
    else:
        # JSON text never holds a NUL byte; a binary file (or UTF-16 text) does, early on.
        # (Not checked inside gzip: peeking there would swallow a corrupt stream's error.)
        source.binary = b"\0" in _peek(raw, 512)
    return source


def _peek(raw: IO[bytes], size: int) -> bytes:
    peek = getattr(raw, "peek", None)
    if peek is None:
        return b""
    try:
        return peek(size)[:size]
    except OSError:
        return b""


class LineSplitter:
    """Cuts the chunks of one byte stream into blocks of whole lines.

    Each block ``feed`` returns ends with ``\\n``; what follows the last ``\\n`` of a chunk is
    carried over to the next (``rest`` gives it at the end of the stream). A byte-order mark at
    the start of the stream is dropped; ``restart`` starts a new stream (a followed file that
    was rotated or truncated).
    """

    __slots__ = ("carry", "at_start")

    def __init__(self, at_start: bool = True) -> None:
        self.carry = b""
        self.at_start = at_start  # False: the stream is read from the middle (no BOM there)

    def feed(self, chunk: bytes) -> bytes:
        """The whole lines that ``chunk`` (not empty) completes; ``b""`` when it ends none."""
        if self.at_start:
            self.at_start = False
            if chunk.startswith(BOM):
                chunk = chunk[len(BOM) :]
        if self.carry:
            chunk = self.carry + chunk
        cut = chunk.rfind(b"\n") + 1
        if cut == len(chunk):
            self.carry = b""
            return chunk
        self.carry = chunk[cut:]
        return chunk[:cut]

    def rest(self) -> bytes:
        """The last line's bytes when no newline ended it (then forgotten)."""
        carry, self.carry = self.carry, b""
        return carry

    def restart(self) -> None:
        self.carry = b""
        self.at_start = True


def block_lines(block: bytes) -> list[bytes]:
    """The lines of a block (from ``iter_blocks`` or ``LineSplitter.feed``), without their ``\\n``."""
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    return lines


def iter_lines(
    source: Input,
    on_wait: Callable[[], None] | None = None,
    on_block: Callable[[], None] | None = None,
) -> Iterator[bytes]:
    """Yield the lines of ``source`` without their ``\\n`` (a ``\\r`` stays, for the reader to strip).

    ``on_wait`` is called before each read that may block (pipes and terminals), so output
    produced so far can be flushed while a slow producer is quiet; ``on_block`` after each
    block's lines (progress).
    """
    for block in iter_blocks(source, on_wait):
        yield from block_lines(block)
        if on_block is not None:
            on_block()


def iter_blocks(
    source: Input, on_wait: Callable[[], None] | None = None, size: int = CHUNK
) -> Iterator[bytes]:
    """Yield the bytes of ``source`` in blocks of whole lines: each ends with ``\\n``, except
    perhaps the last. A byte-order mark at the start is dropped.

    A truncated or corrupt gzip stream yields what was read before the damage (the last
    block cut where it broke), then raises ``TruncatedInput``.
    """
    stream = source.stream
    read = getattr(stream, "read1", stream.read)
    wait = on_wait if (on_wait is not None and source.interactive) else None
    splitter = LineSplitter()
    feed = splitter.feed
    try:
        while True:
            if wait is not None:
                wait()
            chunk = read(size)
            if not chunk:
                break
            block = feed(chunk)
            # An empty block is yielded only when nothing is carried (a chunk that was all BOM).
            if block or not splitter.carry:
                yield block
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        rest = splitter.rest()
        if rest:
            yield rest
        raise TruncatedInput(_gzip_reason(exc)) from None
    rest = splitter.rest()
    if rest:
        yield rest


def progress_reporter(
    source: Input, progress: Callable[[str, int, int], None] | None, min_bytes: int
) -> Callable[[], None] | None:
    """What tells ``progress`` how far one process has read a regular file of ``min_bytes`` or more."""
    total = source.size
    if progress is None or total is None or total < min_bytes:
        return None
    name = source.name
    tell = source.raw.tell  # compressed bytes for gzip: a fair measure of the way through
    return lambda: progress(name, tell(), total)


class TruncatedInput(Exception):
    """The byte stream ended badly (a truncated or corrupt gzip file)."""


def _gzip_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "gzip data ends early (truncated file?)"
    return f"corrupt gzip data ({exc})"


class _Restart(bytes):
    """The type of ``RESTART``: a marker no real line can be (lines are plain bytes)."""


# Yielded among the lines of a followed file where it starts over (rotated or truncated).
RESTART = _Restart()
# Yielded by a followed file with nothing new yet, when several files are polled in one loop.
IDLE = _Restart()
