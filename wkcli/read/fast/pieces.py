"""Pieces of input for the fast path: whole lines with the bytes they came from, from blocks or byte ranges.

Blocks from ``source.iter_blocks`` (the shared line splitter) serve one process. Byte ranges of
a regular file, for forked workers, are read with ``os.pread`` instead: each range starts after
a newline (``cut_points``), and a line cut by a block's end is read again with the next block
rather than copied, which is what keeps the parallel plan as quick as the file can be read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from wkcli.read.source import BOM, block_lines

# A piece of input: its whole lines, the bytes to check as UTF-8, and how many bytes it used.
Piece = tuple[list[bytes], bytes, int]


def pieces(blocks: Iterable[bytes]) -> Iterator[Piece]:
    """Pieces of blocks of whole lines (``source.iter_blocks``)."""
    for block in blocks:
        yield block_lines(block), block, len(block)


def lines_of(pieces: Iterable[Piece]) -> Iterator[bytes]:
    """The lines of what is left of ``pieces``, for the general path."""
    for lines, _, _ in pieces:
        yield from lines


def starts_multiline(input_format: str, line: bytes) -> bool:
    """True for a line after which the general reader gathers the following lines."""
    # Only a lone "{" or "[" does (auto format); in JSONL and log formats every line stands alone.
    return input_format == "auto" and line.strip() in (b"{", b"[")


def file_pieces(
    fd: int, start: int, end: int, block: int, track: list[int] | None = None
) -> Iterator[Piece]:
    """The lines from byte ``start`` to ``end`` of a regular file (``end`` is a line end, or
    the file's end), read with pread ``block`` bytes at a time. A line cut by the block's end is
    read again with the next block rather than copied. ``track[0]`` follows the position."""
    size = block
    pos = start
    if start == 0 and os.pread(fd, len(BOM), 0) == BOM:
        pos = len(BOM)  # as the line splitter drops it
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


def cut_points(fd: int, size: int, parts: int) -> list[int]:
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
