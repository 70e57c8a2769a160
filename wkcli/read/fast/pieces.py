"""Pieces of input for the fast path: whole lines with the bytes they came from, from blocks or byte ranges.

Blocks from ``lines.iter_blocks`` serve one process. Byte ranges of a regular file, for forked
workers, are read with ``os.pread`` instead, each range starting after a newline
(``cut_points``); both are cut into lines by the same ``lines.LineSplitter``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

from wkcli.read.lines import BOM, MAX_LINE, LineSplitter, LongLine, block_lines

# A piece of input: its whole lines, the bytes to check as UTF-8, and how many bytes it used.
Piece = tuple[list[bytes], bytes, int]


def pieces(blocks: Iterable[bytes]) -> Iterator[Piece]:
    """Pieces of blocks of whole lines (``lines.iter_blocks``)."""
    for block in blocks:
        if type(block) is LongLine:
            yield [block], b"", block.size
        else:
            yield block_lines(block), block, len(block)


class LineFeed:
    """Pieces, taken whole by the fast path or line by line by the general path (iterating
    gives lines), which may stop anywhere: the fast path takes over at ``lines[i]`` of the
    piece it stopped in. The general path reads on into the pieces of ``after()`` if it must.

    ``crossed`` says the pieces of ``after()`` were started.
    """

    def __init__(self, todo: Iterator[Piece], after: Callable[[], Iterator[Piece]] | None = None) -> None:
        self._todo = todo
        self._after = after
        self.crossed = False
        self.lines: list[bytes] = []  # the piece being read
        self.text = b""
        self.i = 0  # its next line
        self.taken = 0  # lines given by iterating since ``start_at``

    def next_piece(self, cross: bool = False) -> bool:
        """Move to the next piece (False: there is none). Only the general path, reading a
        value to its end (``cross``), starts the pieces of ``after()``; the fast path then
        reads on in them."""
        piece = next(self._todo, None)
        if piece is None and cross and self._after is not None and not self.crossed:
            self.crossed = True
            self._todo = self._after()
            piece = next(self._todo, None)
        if piece is None:
            return False
        self.lines, self.text, _ = piece
        self.i = 0
        return True

    def start_at(self, i: int) -> None:
        """Give lines from ``lines[i]`` on, counting them in ``taken``."""
        self.i = i
        self.taken = 0

    def read_all(self) -> Iterator[bytes]:
        """Every line left, from the start of the piece being read."""
        self.start_at(0)
        return self

    def __iter__(self) -> LineFeed:
        return self

    def __next__(self) -> bytes:
        while self.i >= len(self.lines):
            if not self.next_piece(cross=True):
                raise StopIteration
        line = self.lines[self.i]
        self.i += 1
        self.taken += 1
        return line


def starts_multiline(input_format: str, line: bytes) -> bool:
    """True for a line after which the general reader gathers the following lines."""
    # Only a lone "{" or "[" does (auto format); in JSONL and log formats every line stands alone.
    return input_format == "auto" and line.strip() in (b"{", b"[")


def file_pieces(
    fd: int, start: int, end: int, block: int, max_line: int = MAX_LINE, track: list[int] | None = None
) -> Iterator[Piece]:
    """The lines from byte ``start`` to ``end`` of a regular file (``end`` is a line end, or
    the file's end), read with pread ``block`` bytes at a time and cut by a ``LineSplitter``
    (a line over ``max_line`` is a ``LongLine``, counted but never held). Each piece's
    ``used`` is the bytes it stands for, so a range can be resumed at any piece's start.
    ``track[0]`` follows the position."""
    pos = start
    if start == 0 and os.pread(fd, len(BOM), 0) == BOM:
        pos = len(BOM)  # as the line splitter drops it
    splitter = LineSplitter(max_line, at_start=False)
    feed = splitter.feed
    size = splitter.read_size(block)
    read_at = pos
    while read_at < end:
        chunk = os.pread(fd, min(size, end - read_at), read_at)
        if not chunk:
            break  # the file shrank while read: what is there ends it
        read_at += len(chunk)
        for done in feed(chunk):
            if type(done) is LongLine:
                pos += done.size + 1
                piece: Piece = ([done], b"", done.size + 1)
            else:
                pos += len(done)
                piece = (block_lines(done), done, len(done))
            if track is not None:
                track[0] = pos
            yield piece
    last = splitter.rest()  # the last line of the file, with no newline after it
    if last:
        used = last.size if type(last) is LongLine else len(last)
        pos += used
        if track is not None:
            track[0] = pos
        yield [last], (b"" if type(last) is LongLine else last), used


def cut_points(fd: int, size: int, parts: int, first: float = 1.0) -> list[int]:
    """Offsets just after a newline that split the file into about ``parts`` ranges, the first
    ``first`` times the size of each of the others."""
    return cut_points_at(lambda pos, n: os.pread(fd, n, pos), size, parts, first)


def cut_points_at(
    read_at: Callable[[int, int], bytes], size: int, parts: int, first: float = 1.0
) -> list[int]:
    """``cut_points`` of a file read through ``read_at(offset, n)`` (a remote file, say)."""
    points = [0]
    whole = first + parts - 1
    for i in range(1, parts):
        pos = max(int(size * (first + i - 1) / whole), points[-1])
        while pos < size:
            chunk = read_at(pos, 1 << 16)
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
