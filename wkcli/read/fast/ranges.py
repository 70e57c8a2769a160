"""A byte range read by the fast path in any process (``read_range``), results merged in order (``merge``).

The fork protocol (``workers``) reads ranges in children of this process; this module lets
any process read one (a cluster's worker: ``wkcli.cluster``) from a plain description
(``RangeSpec``), and lets the main process merge the results exactly as ``Scan`` merges its
forked workers' results: counts added, output copied and left lines read by the general path in
order, and from where a range stopped the main process reads on itself.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from wkcli.read.accounting import Item, Ledger
from wkcli.read.fast.counts import Counts, CountsState
from wkcli.read.fast.pieces import Piece
from wkcli.read.fast.scan import Scan
from wkcli.read.fast.workers import NOTHING, Leave, LeftLine, work
from wkcli.read.lines import BOM, LineSplitter, LongLine, block_lines
from wkcli.read.options import ReadOptions
from wkcli.webhook.filters import Criteria

# (counts, lines read, offset where it stopped (from the file's start) or None, lines left,
# the JSONL output)
RangeResult = tuple[CountsState, int, "int | None", list[LeftLine], bytes]
# read_at(offset, size): up to ``size`` bytes of a file from ``offset`` (fewer only at its end).
ReadAt = Callable[[int, int], bytes]


class _NoTally:
    """Counting in a range never touches the tally: counts go to the main process's ledger."""

    bulk = True

    def add(self, item: object) -> None:
        raise AssertionError("a range reader builds no items")

    def add_many(self, event: str | None, kind: str | None, count: int) -> None:
        raise AssertionError("a range reader folds no counts")


@dataclass(frozen=True)
class RangeSpec:
    """All a process needs to read ranges as ``scan`` would: small and picklable (no callables)."""

    writes: bool  # classify -o jsonl (FastJsonl) rather than count (FastCount)
    kinds: tuple[str, ...]
    events: tuple[str, ...]
    presence: bool
    input_format: str
    block: int
    max_line: int
    leave: Leave  # what a counting range leaves to the main process before it stops

    @classmethod
    def of(cls, scan: Scan, criteria: Criteria) -> RangeSpec:
        options = scan.options
        writes = scan.out is not None
        tuning = scan.tuning
        return cls(
            writes=writes,
            kinds=tuple(criteria.kinds),
            events=tuple(criteria.events),
            presence=options.presence,
            input_format=options.input_format,
            block=tuning.block,
            max_line=options.max_line,
            leave=NOTHING
            if writes or options.strict
            else Leave(scan.tuning.left_lines, scan.tuning.left_bytes),
        )

    def reader(self) -> Scan:
        """A fast path set up as the main process's is (``prepare`` done)."""
        from wkcli.read.fast.count import FastCount
        from wkcli.read.fast.jsonl import FastJsonl

        criteria = Criteria(kinds=list(self.kinds), events=list(self.events))
        options = ReadOptions(input_format=self.input_format, presence=self.presence, max_line=self.max_line)
        scan: Scan
        if self.writes:
            scan = FastJsonl(_Discard(), criteria, options)  # type: ignore[arg-type]
        else:
            scan = FastCount(_NoTally(), criteria, options)
        scan.prepare()
        return scan


class _Discard:
    def write(self, data: bytes) -> int:
        raise AssertionError("a range reader parks its output")


def read_range(spec: RangeSpec, fd: int, start: int, end: int, base: int = 0) -> RangeResult:
    """The fast path over bytes ``start..end`` of ``fd`` until a block needs the general path.

    ``base`` is where ``fd``'s byte 0 sits in the real file (a range copied into a temporary
    file), so the stop offset returned counts from the real file's start.
    """
    if base and start == 0 and os.pread(fd, len(BOM), 0) == BOM:
        # pieces drop a byte-order mark at a file's start, not in its middle: the general path's to read
        return Counts().state(), 0, base, [], b""
    reader = spec.reader()
    output = tempfile.TemporaryFile() if spec.writes else None  # noqa: SIM115 - closed below
    try:
        state, lines, stop, left = work(
            reader, fd, start, end, output, spec.leave, spec.input_format, spec.block, spec.max_line
        )
        data = b""
        if output is not None:
            output.seek(0)
            data = output.read()
    finally:
        if output is not None:
            output.close()
    return state, lines, (None if stop is None else stop + base), left, data


def pieces_at(read_at: ReadAt, start: int, end: int, block: int, max_line: int) -> Iterator[Piece]:
    """As ``pieces.file_pieces``, through ``read_at`` (a remote file) instead of ``os.pread``."""
    pos = start
    if start == 0 and read_at(0, len(BOM)) == BOM:
        pos = len(BOM)
    splitter = LineSplitter(max_line, at_start=False)
    size = splitter.read_size(block)
    read_from = pos
    while read_from < end:
        chunk = read_at(read_from, min(size, end - read_from))
        if not chunk:
            break
        read_from += len(chunk)
        for done in splitter.feed(chunk):
            if type(done) is LongLine:
                yield [done], b"", done.size + 1
            else:
                yield block_lines(done), done, len(done)
    last = splitter.rest()
    if last:
        used = last.size if type(last) is LongLine else len(last)
        yield [last], (b"" if type(last) is LongLine else last), used


def merge(
    scan: Scan,
    ledger: Ledger,
    name: str,
    results: Iterable[tuple[int, int, RangeResult]],
    pieces_from: Callable[[int, int], Iterator[Piece]],
    size: int,
    on_range: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """The kept items the general path gives, merging ``(start, end, result)`` of ranges in file order.

    As ``Scan`` merges its forked workers: ``pieces_from(start, end)`` reads on from where a
    range stopped, and once the general path has read to the end of the file (a value spanning
    lines) the remaining results are dropped. ``on_range(end)`` is told each range merged.
    """
    scan.start_merge(ledger)
    lineno = 0
    for _start, end, result in results:
        lineno, switched = yield from scan.merge_range(name, result, lineno, pieces_from, end, size)
        if switched:
            break
        if on_range is not None:
            on_range(end)
    scan.finish_merge()
