"""Cut bytes into lines: ``LineSplitter``, the one place that does it, in linear time and with a cap.

Every reader of bytes feeds its chunks to a ``LineSplitter``: ``iter_blocks`` (files, stdin,
gzip), ``follow`` (a growing file) and the fast path's byte ranges (``fast.pieces``). So a
byte-order mark, a last line without its newline, a line cut by a read's end and a line over
the cap are handled the same way everywhere.

A line that continues past a chunk is gathered in pieces and joined once, so a long line costs
its length, not its length squared. A line longer than the cap (``--max-line``) is never held:
its bytes are counted as they go by and it comes out as one ``LongLine`` marker in its place,
so the reader reports it (``file:line``, its size) and goes on. Decompressed input is checked
for binary data here, since only the decompressed bytes say whether a gzip file holds text.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Protocol

BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 16
MAX_LINE = 64 << 20  # far above any real webhook body (WuKongIM batches at most ~100 messages)
MIN_MAX_LINE = 64  # below this no webhook line fits: a typo, not a choice
BINARY_PEEK = 512
# A multi-line (pretty-printed) value may span at most this many lines, as well as --max-line bytes.
MAX_VALUE_LINES = 10_000_000

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$", re.I)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


class LongLine(bytes):
    """Stands for a line over the cap. Its bytes (a NUL) are never JSON, so any parser that is
    handed it by mistake rejects it; ``size`` is the line's length, ``limit`` the cap."""

    size: int
    limit: int

    def __new__(cls, size: int, limit: int) -> LongLine:
        self = super().__new__(cls, b"\0")
        self.size = size
        self.limit = limit
        return self

    def __reduce__(self):  # workers send these to the main process
        return (LongLine, (self.size, self.limit))

    def reason(self) -> str:
        return f"line is {self.size:,} bytes, over the --max-line limit of {format_size(self.limit)}: skipped"


class NotText(Exception):
    """The (decompressed) input holds binary data: no JSON text has a NUL byte."""


class TruncatedInput(Exception):
    """The byte stream ended badly (a truncated or corrupt compressed file)."""


class _Restart(bytes):
    """The type of ``RESTART``: a marker no real line can be (lines are plain bytes)."""


# Yielded among the lines of a followed file where it starts over (rotated or truncated).
RESTART = _Restart()
# Yielded by a followed file with nothing new yet, when several files are polled in one loop.
IDLE = _Restart()


def parse_size(text: str) -> int:
    """``16M``, ``64MiB``, ``512k``, ``1G`` or a number of bytes; raises ``ValueError``."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"cannot read {text!r} as a size: use e.g. 16M, 512K, 1G or a number of bytes")
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if size < MIN_MAX_LINE:
        raise ValueError(f"a size of {text!r} is too small: at least {MIN_MAX_LINE} bytes")
    return size


def format_size(size: int) -> str:
    for unit, factor in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size:,} bytes"


class LineSplitter:
    """Cuts the chunks of one byte stream into blocks of whole lines.

    ``feed`` returns the blocks a chunk completes: each ends with ``\\n``, or is a ``LongLine``
    standing for a line over ``max_line`` (not counting its ``\\n``). What follows the last
    ``\\n`` of a chunk is kept (as pieces, joined once the line ends) or, past ``max_line``, only
    counted; ``rest`` gives it at the end of the stream. Chunks must be at most ``max_line``
    bytes (``read_size``), so that no line inside one chunk can be over the cap. A byte-order
    mark at the start of the stream is dropped; ``restart`` starts a new stream (a followed
    file that was rotated or truncated).
    """

    __slots__ = ("max_line", "at_start", "parts", "held", "skipped", "binary_check")

    def __init__(
        self, max_line: int = MAX_LINE, at_start: bool = True, binary_check: bool | str = False
    ) -> None:
        self.max_line = max_line
        self.at_start = at_start  # False: the stream is read from the middle (no BOM there)
        # Check the first bytes for a NUL (decompressed input); a string names the compression.
        self.binary_check = binary_check
        self.parts: list[bytes] = []  # the start of a line that continues in the next chunk
        self.held = 0  # bytes in parts
        self.skipped = -1  # >= 0: bytes of an over-long line read so far (not kept)

    def read_size(self, size: int) -> int:
        """How much to read at a time when ``size`` is wanted."""
        return min(size, self.max_line)

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line seen so far (held or skipped)."""
        return self.skipped if self.skipped >= 0 else self.held

    def feed(self, chunk: bytes) -> list[bytes]:
        """The blocks of whole lines (and ``LongLine`` markers) that ``chunk`` (not empty) completes."""
        if self.at_start:
            self.at_start = False
            if chunk.startswith(BOM):
                chunk = chunk[len(BOM) :]
            if self.binary_check and b"\0" in chunk[:BINARY_PEEK]:
                what = self.binary_check if type(self.binary_check) is str else "gzip"
                raise NotText(f"binary data after {what} decompression, not JSON text")
        out: list[bytes] = []
        if self.skipped >= 0:
            nl = chunk.find(b"\n")
            if nl < 0:
                self.skipped += len(chunk)
                return out
            out.append(LongLine(self.skipped + nl, self.max_line))
            self.skipped = -1
            chunk = chunk[nl + 1 :]
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            if chunk:
                self.held += len(chunk)
                if self.held > self.max_line:
                    self.skipped = self.held
                    self.parts = []
                    self.held = 0
                else:
                    self.parts.append(chunk)
            return out
        parts = self.parts
        if parts:
            nl = chunk.find(b"\n")
            if self.held + nl > self.max_line:
                out.append(LongLine(self.held + nl, self.max_line))
                chunk = chunk[nl + 1 :]
                cut -= nl + 1
            else:
                parts.append(chunk[:cut])
                out.append(b"".join(parts))
                chunk = chunk[cut:]
                cut = 0
            self.parts = parts = []
            self.held = 0
        if cut == len(chunk):
            if chunk:
                out.append(chunk)
        else:
            if cut:
                out.append(chunk[:cut])
            tail = chunk[cut:]
            parts.append(tail)
            self.held = len(tail)
        return out

    def rest(self) -> bytes:
        """The last line's bytes (or its ``LongLine``) when no newline ended it, then forgotten;
        ``b""`` when there is none."""
        if self.skipped >= 0:
            marker = LongLine(self.skipped, self.max_line)
            self.skipped = -1
            return marker
        parts, self.parts, self.held = self.parts, [], 0
        return b"".join(parts)

    def restart(self) -> None:
        self.parts = []
        self.held = 0
        self.skipped = -1
        self.at_start = True


def block_lines(block: bytes) -> list[bytes]:
    """The lines of a block (from ``LineSplitter.feed``), without their ``\\n``; a ``LongLine``
    is one line."""
    if type(block) is LongLine:
        return [block]
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    return lines


class _Source(Protocol):
    stream: IO[bytes]
    interactive: bool
    compressed: bool


def iter_lines(
    source: _Source,
    on_wait: Callable[[], None] | None = None,
    on_block: Callable[[], None] | None = None,
    max_line: int = MAX_LINE,
) -> Iterator[bytes]:
    """Yield the lines of ``source`` without their ``\\n`` (a ``\\r`` stays, for the reader to strip).

    ``on_wait`` is called before each read that may block (pipes and terminals), so output
    produced so far can be flushed while a slow producer is quiet; ``on_block`` after each
    block's lines (progress).
    """
    for block in iter_blocks(source, on_wait, max_line=max_line):
        if type(block) is LongLine:
            yield block
            continue
        yield from block_lines(block)
        if on_block is not None:
            on_block()


def iter_blocks(
    source: _Source,
    on_wait: Callable[[], None] | None = None,
    size: int = CHUNK,
    max_line: int = MAX_LINE,
) -> Iterator[bytes]:
    """Yield the bytes of ``source`` in blocks of whole lines: each ends with ``\\n``, except
    perhaps the last; a line over ``max_line`` comes as a ``LongLine`` block of its own. A
    byte-order mark at the start is dropped.

    Raises ``NotText`` when decompressed input starts with binary data, and a truncated or
    corrupt gzip stream yields what was read before the damage (the last block cut where it
    broke), then raises ``TruncatedInput``.
    """
    stream = source.stream
    read = getattr(stream, "read1", stream.read)
    wait = on_wait if (on_wait is not None and source.interactive) else None
    compression = getattr(source, "compression", None)
    splitter = LineSplitter(max_line, binary_check=compression or source.compressed)
    feed = splitter.feed
    size = splitter.read_size(size)
    try:
        while True:
            if wait is not None:
                wait()
            chunk = read(size)
            if not chunk:
                break
            for block in feed(chunk):
                yield block
    except (EOFError, gzip.BadGzipFile, zlib.error, TruncatedInput) as exc:
        # Compressed inputs raise TruncatedInput (compressed.ReadAhead); a bare gzip stream
        # its own errors.
        rest = splitter.rest()
        if rest:
            yield rest
        if isinstance(exc, TruncatedInput):
            raise
        raise TruncatedInput(_gzip_reason(exc)) from None
    rest = splitter.rest()
    if rest:
        yield rest


def _gzip_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "gzip data ends early (truncated file?)"
    return f"corrupt gzip data ({exc})"
