"""The fast paths' driver (``Scan``): plain lines taken fast, the rest handed to the general path in order.

A subclass (``count.FastCount``, ``jsonl.FastJsonl``...) provides the hot loop, ``take_lines``:
it takes lines from index ``i`` until one needs the general path, and returns ``(index of that
line or len(lines), its parsed value or FAILED)``. The driver hands that line (or a value over
several lines) to the general path in order, so counts, output bytes and ``file:line`` reports
are the same either way.

Large regular files are cut into byte ranges at line ends and read by forked workers
(``workers``), one per core. The main process reads the first range, then adds each worker's
counts (and copies its output) in order, and reads on itself from where a worker stopped. So
the general path, and every message it prints, runs in the main process in file order, with
line numbers counted from the start of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import IO, Any, BinaryIO

from wkcli.read.accounting import BulkTally, Item, Ledger
from wkcli.read.fast.counts import FAILED, Counts, CountsState, valid_utf8
from wkcli.read.fast.pieces import LineFeed, Piece, cut_points, file_pieces, pieces, starts_multiline
from wkcli.read.fast.workers import (
    NOTHING,
    Leave,
    LeftLine,
    Worker,
    WorkerResult,
    copy_parked,
    default_jobs,
    fork,
)
from wkcli.read.lines import CHUNK, iter_blocks
from wkcli.read.options import ReadOptions
from wkcli.read.source import Input, progress_reporter
from wkcli.read.values import BETWEEN, Value, read_values
from wkcli.webhook.filters import Criteria

# ``_scan_blocks`` yields the kept items the general path gives, then returns the line number
# reached and whether the general path read everything to the end of the input.
Scanned = Generator[Item, None, tuple[int, bool]]


class OutputFailed(Exception):
    """Writing the fast path's output failed; ``error`` is the OSError (e.g. a closed pipe)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class Scan:
    """What both fast paths share: blocks, workers, and handing lines to the general path.

    ``forked``, ``workers_stopped`` and ``lines_left`` say how the last reads went: workers
    started, workers that stopped before the end of their range, lines (or values over several
    lines) they left to the main process; ``fast_lines`` counts the lines the main process read
    fast, ``general_lines`` those it handed to the general path (a value over several lines
    counts as its first line: the fast path tried only that one).
    """

    tally: BulkTally | None = None
    out: BinaryIO | None = None
    render: Any = None  # what turns grouped counts' keys into the tally's (groups.FastGroups)

    # Whether its ranges can be read in other processes and merged (``fast/ranges.py``, a cluster).
    ranges_ok = True
    # About how many bytes of output a byte of input makes, for the bound on what workers park
    # in temporary files (``Tuning.parallel_output_max_bytes``).
    output_share = 1.0
    # The size of the range the main process reads, beside a worker's: below 1 when it also has
    # the workers' output to take in (check's records), so that all end about together.
    first_share = 1.0
    # Whether ``take_lines`` needs line numbers: then ``line0`` is the number of lines before
    # ``lines[0]`` in the file (a worker counts those before its range), and ``source_name`` the
    # file's name.
    numbered = False
    line0 = 0
    source_name = ""

    def __init__(self, criteria: Criteria, options: ReadOptions) -> None:
        self.options = options
        self.tuning = options.tuning
        self.keep = criteria.kind_event_test()
        self.pending: list[bytes] = []  # JSONL output not yet written
        self.forked = 0
        self._merging: tuple[int, int] | None = None  # the byte range of the worker being merged
        self.workers_stopped = 0
        self.lines_left = 0

    # -- what subclasses provide

    def prepare(self) -> None:
        """Called when a scan starts (imports what only a scan needs)."""

    def take_lines(self, lines: list[bytes], i: int, counts: Counts, text_ok: bool) -> tuple[int, Any]:
        raise NotImplementedError

    any_text = False  # whether take_lines reads lines of a block that may not be UTF-8

    def text_ok(self, block: bytes) -> bool:
        # msgspec does not check the UTF-8 of strings it skips; the general path rejects bad UTF-8.
        return block.isascii() or valid_utf8(block)

    def take(self, lines: list[bytes], i: int, counts: Counts, text_ok: bool) -> tuple[int, Any]:
        """``take_lines``; for a block that may not be UTF-8 (unless ``any_text``), only its blank
        lines, the next one being the general path's."""
        if text_ok or self.any_text:
            return self.take_lines(lines, i, counts, text_ok)
        while i < len(lines) and not lines[i]:
            i += 1
        return i, FAILED

    def fold_facts(self, facts: Any) -> None:
        """Take what ``take_lines`` worked out in ``Counts.facts``: after the output before it,
        before the general path reads a line, and at the end (not after every block)."""

    # -- the driver

    def scan(self, source: Input, ledger: Ledger) -> Iterator[Item]:
        """The kept items of ``source`` that need the general path; the rest is counted or written."""
        self.prepare()
        self._ledger = ledger
        self._counts = Counts()
        self.pending = []
        self.source_name = source.name
        plan = self._plan(source)
        self._pos = [0]  # where the main process is reading (parallel plan), for progress
        self.fast_lines = self.general_lines = 0
        self._report = self._reporter(source, plan is not None)
        try:
            if plan is None:
                size = CHUNK if source.interactive else self.tuning.block
                blocks = iter_blocks(source, self.options.on_wait, size, self.options.max_line)
                yield from self._scan_blocks(source.name, pieces(blocks), 0, None)
            else:
                yield from self._scan_parallel(source, *plan)
        except KeyboardInterrupt:
            if not self.pending:  # the account of what was read counts what waited to be counted
                self._counts.fold(self._ledger, self.keep, self.tally, self.render, True)
            raise
        # Only on success: after Ctrl-C, --strict or a closed pipe, writing more output would
        # replace that exception with another.
        self._flush()

    def _reporter(self, source: Input, parallel: bool) -> Callable[[], None] | None:
        """A callable that tells ``options.progress`` how far reading is, for large regular files."""
        progress = self.options.progress
        if not parallel:
            return progress_reporter(source, progress, self.tuning.progress_min_bytes)
        if progress is None or source.size is None or source.size < self.tuning.progress_min_bytes:
            return None
        name, total, pos = source.name, source.size, self._pos
        return lambda: progress(name, pos[0], total)

    def _plan(self, source: Input) -> tuple[int, list[int]] | None:
        jobs = self.options.jobs if self.options.jobs is not None else default_jobs()
        if jobs < 2 or source.interactive or source.compressed:
            return None
        size = source.size
        if size is None or size < self.tuning.parallel_min_bytes or source.raw.tell() != 0:
            return None
        try:
            fd = source.raw.fileno()
        except (OSError, ValueError):
            return None
        huge = size * self.output_share > self.tuning.parallel_output_max_bytes
        if self.out is not None and self.options.jobs is None and huge:
            # Workers hold their output in temporary files until its turn: for a huge file that
            # is a lot of disk (or memory, on a tmpfs), so only when asked for with --jobs.
            return None
        points = cut_points(fd, size, jobs, self.first_share)
        if len(points) < 3:
            return None
        return fd, points

    def _flush(self, settle: bool = True) -> None:
        """Write pending output, then add pending counts to the ledger (before the general path
        runs); grouped counts only when ``settle`` (not after every block)."""
        if self.pending:
            data = b"".join(self.pending)
            self.pending = []
            try:
                self.out.write(data)  # type: ignore[union-attr]
            except OSError as exc:
                raise OutputFailed(exc) from None
        facts = self._counts.facts
        if facts is not None and settle:
            self._counts.facts = None
            self.fold_facts(facts)
        self._counts.fold(self._ledger, self.keep, self.tally, self.render, settle)

    def _general(self, name: str, lines: Iterator[bytes], lineno: int) -> Iterator[Item]:
        """The general path for everything from line ``lineno`` (the first of ``lines``) on."""
        offset = lineno - 1
        take = self._ledger.take
        for value in read_values(lines, self.options.input_format, self.options.max_line):
            value.line += offset
            yield from take(value, name)

    def _general_value(self, name: str, feed: LineFeed, lineno: int) -> Generator[Item, None, bool]:
        """The general path from line ``lineno`` (``feed``'s next) until it holds nothing open
        again (a value over several lines read, or a stray bracket reported): the fast path
        takes over from the next line. Returns True when it read to the end of the input."""
        offset = lineno - 1
        take = self._ledger.take
        values = read_values(feed, self.options.input_format, self.options.max_line, pause=True)
        for value in values:
            if value is BETWEEN:
                values.close()
                return False
            value.line += offset
            yield from take(value, name)
        return True

    def _scan_blocks(
        self,
        name: str,
        todo: Iterator[Piece],
        lineno: int,
        after: Callable[[], Iterator[Piece]] | None,
    ) -> Scanned:
        """Read ``todo`` (fast, and general where needed), then, if the general path read into
        them, ``after()``'s pieces. Returns ``(lineno, switched)``: switched means everything
        to the end of the input was read here."""
        acc = self._counts
        hot = self.take
        text_ok = self.text_ok
        input_format = self.options.input_format
        give_up = self.tuning.give_up_lines
        feed = LineFeed(todo, after)
        while feed.next_piece():
            lines = feed.lines
            ok = text_ok(feed.text)
            i = 0
            self.line0 = lineno
            if self.general_lines > give_up and self.general_lines > 4 * self.fast_lines:
                # Nearly every line needs the general path (capture records with string bodies,
                # pretty-printed values, log lines...): reading them twice costs more than it
                # saves. The general path reads the rest, as it would have.
                self._flush()
                yield from self._general(name, feed.read_all(), lineno + 1)
                return lineno, True
            while True:
                j, value = hot(lines, i, acc, ok)
                self.fast_lines += j - i
                lineno += j - i
                if j >= len(lines):
                    break
                line = lines[j]
                lineno += 1
                self.general_lines += 1
                self._flush()
                if value is FAILED:
                    if starts_multiline(input_format, line):
                        # A value over several lines, or a stray bracket: the general path
                        # reads from here until it holds nothing open, then the fast path goes on.
                        feed.start_at(j)
                        ended = yield from self._general_value(name, feed, lineno)
                        lineno += feed.taken - 1
                        if ended:
                            return lineno, True
                        self._flush()
                        if feed.lines is not lines:  # it read on into later pieces
                            lines = feed.lines
                            ok = text_ok(feed.text)
                            self.line0 = lineno - feed.i
                        i = feed.i
                        continue
                    yield from self._general(name, iter((line,)), lineno)
                else:
                    yield from self._ledger.take(Value(lineno, value), name)
                i = j + 1
            self._flush(settle=False)
            if self._report is not None:
                self._report()
        return lineno, feed.crossed

    def _scan_parallel(self, source: Input, fd: int, points: list[int]) -> Iterator[Item]:
        name = source.name
        size = points[-1]
        block = self.tuning.block
        max_line = self.options.max_line
        workers: list[Worker] = []
        leave = NOTHING if self.options.strict else Leave(self.tuning.left_lines, self.tuning.left_bytes)
        try:
            for start, end in zip(points[1:-1], points[2:], strict=True):
                workers.append(
                    fork(
                        self,
                        fd,
                        start,
                        end,
                        self.out is not None,
                        leave,
                        self.options.input_format,
                        block,
                        max_line,
                    )
                )
                self.forked += 1
            first_end = points[1]
            lineno, switched = yield from self._scan_blocks(
                name,
                file_pieces(fd, 0, first_end, block, max_line, track=self._pos),
                0,
                lambda: file_pieces(fd, first_end, size, block, max_line, track=self._pos),
            )
            for worker in workers:
                if switched:
                    break
                end = worker.end

                def read_on(start: int, stop: int) -> Iterator[Piece]:
                    return file_pieces(fd, start, stop, block, max_line, track=self._pos)

                self._merging = (worker.start, end)  # for progress while its output is taken in
                lineno, switched = yield from self.merge_range(
                    name, worker.result(), lineno, read_on, end, size
                )
                self._merging = None
                self._pos[0] = max(self._pos[0], end)
                if self._report is not None:
                    self._report()
        finally:
            for worker in workers:
                worker.close()

    def start_merge(self, ledger: Ledger) -> None:
        """Get ready to merge range results read elsewhere (``merge_range``), as ``scan`` gets
        ready for its own workers' results."""
        self.prepare()
        self._ledger = ledger
        self._counts = Counts()
        self.pending = []
        self._pos = [0]
        self.fast_lines = self.general_lines = 0
        self._report = None

    def finish_merge(self) -> None:
        """Write what is pending and settle the counts, once every range was merged."""
        self._flush()

    def merge_range(
        self,
        name: str,
        result: WorkerResult | tuple[CountsState, int, int | None, list[LeftLine], bytes],
        lineno: int,
        read_on: Callable[[int, int], Iterator[Piece]],
        end: int,
        size: int,
    ) -> Generator[Item, None, tuple[int, bool]]:
        """Merge one range's result (a forked worker's, or one read in another process) in file
        order: its counts, its output with the lines it left read by the general path in their
        places, and, where it stopped, the rest of the range read here (``read_on(start, stop)``).

        Returns the line number reached and whether the general path read on to the end of the
        file (a value spanning lines), after which later ranges are not merged.
        """
        state, lines, stop, left, output = result
        if isinstance(output, bytes) and not output:
            output = None  # a range read elsewhere that wrote nothing (counting, or nothing kept)
        self.lines_left += len(left)
        self._flush()  # what was read before this range, on its own (facts count lines their own way)
        self._counts.merge(Counts.from_state(state))
        self._flush()
        done = 0  # bytes of the range's output written
        for offset, line, at in left:
            if output is not None:
                self._write_parked(output, done, at)
                done = at
            yield from self._general(name, iter(line if isinstance(line, list) else [line]), lineno + offset)
            self._flush()
        if output is not None:
            self._write_parked(output, done, None)
        lineno += lines
        if stop is None:
            return lineno, False
        self.workers_stopped += 1
        return (yield from self._scan_blocks(name, read_on(stop, end), lineno, lambda: read_on(end, size)))

    def _write_parked(self, output: IO[bytes] | bytes, start: int, end: int | None) -> None:
        """Write out bytes ``start..end`` (None: to the end) of a range's output."""
        moved = None
        merging = self._merging if self._report is not None else None
        if merging is not None:
            # Progress moves across the worker's range as its output is taken in (for check's
            # records, that is most of the main process's work on the range).
            low, high = merging
            report = self._report

            def moved(share: float) -> None:
                self._pos[0] = max(self._pos[0], low + int((high - low) * share))
                report()  # type: ignore[misc]

        try:
            copy_parked(output, self.out, start, end, self.tuning.block, moved)  # type: ignore[arg-type]
        except OSError as exc:
            raise OutputFailed(exc) from None
