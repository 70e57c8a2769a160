"""Read dumps end to end: paths -> values -> messages and presence entries, with an account of every record.

``Reader`` is the one loop every command runs. Its ``Ledger`` counts what it reads (``Stats``),
reports bad records on the diagnostics stream as ``file:line: reason`` and keeps going (or
stops, with ``strict``); the reader yields only the items that pass the filter.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from wkcli.errors import StrictStop, UnreadableInput
from wkcli.read import fast
from wkcli.read.accounting import BulkTally, Diagnostics, Item, Ledger, Stats
from wkcli.read.lines import NotText, TruncatedInput, iter_lines
from wkcli.read.options import ReadOptions
from wkcli.read.source import Input, is_remote, open_input, progress_reporter
from wkcli.read.values import Bad, Skip, Value, read_values
from wkcli.webhook.filters import Criteria, Seen, build
from wkcli.webhook.model import Message

if TYPE_CHECKING:
    from wkcli.webhook.checks import Checker
    from wkcli.webhook.report import Report


class Reader:
    """Iterate over the messages and presence entries of ``paths`` that ``criteria`` keeps."""

    def __init__(
        self,
        paths: list[str],
        criteria: Criteria | None = None,
        diagnostics: Diagnostics | None = None,
        options: ReadOptions | None = None,
    ) -> None:
        self.criteria = criteria or Criteria()
        self.diagnostics = diagnostics
        self.options = options or ReadOptions()
        # Paths that could not be expanded (a remote glob, a folder that cannot be listed): why.
        self._unexpanded: dict[str, str] = {}
        self.paths = self._expand(paths or ["-"])
        self.seen = Seen()  # what the time window saw, to say why nothing matched
        self._keep = build(self.criteria, self.seen)
        self.ledger = Ledger(diagnostics, self._keep, self.options.strict, self.options.presence)
        self.stats: Stats = self.ledger.stats
        self.fast: fast.Scan | None = None  # the fast path set by count_into / pass_plain_jsonl

    def count_into(self, tally: BulkTally) -> None:
        """Add every kept item to ``tally`` (``tally.add``).

        Totals, counts grouped by event and kind, and by top-level or header fields, take a fast
        path where one applies.
        """
        paths = getattr(tally, "paths", None)
        if fast.usable(self.criteria, self.options):
            if tally.bulk:
                self.fast = fast.FastCount(tally, self.criteria, self.options)
            elif paths is not None and fast.groups_usable(paths):
                self.fast = fast.FastGroups(tally, paths, self.criteria, self.options)
        for item in self:
            tally.add(item)

    def check_into(self, checker: Checker) -> Iterator[Item]:
        """The kept items, with plain messages checked by ``checker`` on a fast path where one
        applies (``fast.FastCheck``): give every item yielded to ``checker.add``."""
        if fast.usable(self.criteria, self.options):
            from wkcli.read.fast.check import FastCheck  # only for the commands that check

            self.fast = FastCheck(checker, self.criteria, self.options)
        return iter(self)

    def report_into(self, report: Report) -> Iterator[Item]:
        """The kept items, with plain messages counted into ``report`` (and checked by its
        checker) on a fast path where one applies (``fast.FastReport``): give every item
        yielded to ``report.add``."""
        if fast.usable(self.criteria, self.options):
            from wkcli.read.fast.report import FastReport  # only for report

            self.fast = FastReport(report, self.criteria, self.options)
        return iter(self)

    def pass_plain_jsonl(self, out: BinaryIO) -> None:
        """Let iteration write plain messages straight to ``out`` as the JSONL writer would.

        Only messages that need nothing but ``kind`` and ``event`` added are written this way;
        the rest are yielded as usual, in order, after what was written so far reached ``out``.
        """
        if fast.usable(self.criteria, self.options):
            self.fast = fast.FastJsonl(out, self.criteria, self.options)

    def pass_rows(
        self, out: BinaryIO, checker: Checker | None = None, presence: BinaryIO | None = None
    ) -> None:
        """Let iteration write plain messages' ``messages`` rows straight to ``out``, and plain
        presence entries' rows to ``presence`` (None: those are yielded), as JSON lines
        (``webhook.rows.row_line``); the rest are yielded as usual, in order, after what was
        written so far reached ``out``. For ``export``: with ``checker``, plain messages are also
        checked by it (``fast.FastExport``), and every item yielded must go to ``checker.add``."""
        if fast.usable(self.criteria, self.options):
            if checker is not None:
                from wkcli.read.fast.export import FastExport  # the row and check code: only export's

                self.fast = FastExport(out, presence, checker, self.criteria, self.options)
            else:
                from wkcli.read.fast.rows import FastRows  # the row code: only export needs it

                self.fast = FastRows(out, self.criteria, self.options, presence)

    def __iter__(self) -> Iterator[Item]:
        limit = self.criteria.limit
        if limit == 0:
            self.stats.stopped_at_limit = True
            return
        # --limit counts messages, the main kind of every command that passes it here (presence
        # counts its entries itself): presence entries met on the way do not use it up.
        shown = 0
        for item in self._items():
            self.stats.matched += 1
            yield item
            if limit is not None and type(item) is Message:
                shown += 1
                if shown >= limit:
                    self.stats.stopped_at_limit = True
                    return

    def _items(self) -> Iterator[Item]:
        """The kept items of every path: one after another, interleaved as they grow (--follow),
        or merged by time (--merge)."""
        options = self.options
        if options.follow and "-" not in self.paths:
            from wkcli.read.several import follow_all

            yield from follow_all(self, options.on_wait)
        elif options.merge and len(self.paths) > 1:
            from wkcli.read.several import merged

            yield from merged(self)
        else:
            for path in self.paths:
                yield from self.read_path(path)

    def _expand(self, paths: list[str]) -> list[str]:
        """Directories become the files under them, in name order (hidden ones left out); a remote
        glob (``s3://bucket/dumps/*.jsonl``) the files it matches."""
        from wkcli.read.several import files_under

        out: list[str] = []
        for path in paths:
            if is_remote(path):
                out.extend(self._expand_remote(path))
            elif path != "-" and os.path.isdir(path):
                found, unlisted = files_under(path)
                self._unexpanded.update(unlisted)  # reported in their turn, as unreadable files
                if self.diagnostics is not None:
                    count, bad = len(found) - len(unlisted), len(unlisted)
                    note = f"{path}: {count:,} file{'s' if count != 1 else ''} found"
                    if bad:
                        note += f", {bad:,} folder{'s' if bad != 1 else ''} that cannot be listed"
                    self.diagnostics.note(note)
                out.extend(found)
            else:
                out.append(path)
        return out

    def _expand_remote(self, path: str) -> list[str]:
        from wkcli.read.remote import expand  # fsspec, only when a remote path is named

        try:
            return expand(path)
        except UnreadableInput as exc:
            self._unexpanded[path] = str(exc)  # reported in its turn, as an unreadable file
            return [path]

    def records(self) -> Iterator[tuple[Value, list[Item]]]:
        """Each webhook record read, with all its messages and presence entries (kept or not).

        For tools that work a whole body at a time (replay). Accounting, diagnostics and
        ``strict`` are as for iteration; the filters are not applied (use ``keeps``), nor
        ``--limit``, and the fast paths are not used.
        """
        for path in self.paths:
            yield from self.read_path(path, self._record)

    def keeps(self, item: Item) -> bool:
        """True when the filters keep ``item``."""
        return self._keep(item)

    def _record(self, value: Value | Bad | Skip, name: str) -> Iterator[tuple[Value, list[Item]]]:
        items = self.ledger.account(value, name)
        if type(value) is Value:
            yield value, items

    def read_path(
        self, path: str, per_value: Callable[[Value | Bad | Skip, str], Iterator[Any]] | None = None
    ) -> Iterator[Any]:
        """Open ``path`` and read it, handling what can go wrong with the file as a whole.

        Each value goes to ``per_value`` when given; otherwise its kept items are yielded (by a
        fast path when one applies).
        """
        stats = self.stats
        ledger = self.ledger
        strict = self.options.strict
        input_format = self.options.input_format
        max_line = self.options.max_line
        try:
            source = self.open_path(path)
        except UnreadableInput as exc:
            stats.unreadable += 1
            ledger.error("", str(exc), count=False)
            if strict:
                raise
            return
        stats.files += 1
        with source:
            if source.binary:
                stats.malformed += 1
                binary = "binary data, not JSON text (a binary file, or UTF-16?)"
                ledger.error(source.name, binary, count=False)
                return
            try:
                scan = self.fast
                name = source.name
                if per_value is not None:
                    for value in read_values(self._lines(path, source), input_format, max_line):
                        yield from per_value(value, name)
                elif scan is not None and self.options.ranges is not None and scan.ranges_ok:
                    yield from self.options.ranges.read(self.paths, path, source, scan, ledger, self.criteria)
                elif scan is not None and fast.worth_it(source, self.options.tuning):
                    yield from scan.scan(source, ledger)
                else:
                    take = ledger.take
                    for value in read_values(self._lines(path, source), input_format, max_line):
                        yield from take(value, name)
            except fast.OutputFailed as exc:
                raise exc.error from None  # writing failed (e.g. a closed pipe), not reading
            except NotText as exc:
                stats.malformed += 1
                ledger.error(source.name, f"{exc} (a binary file, or UTF-16?)", count=False)
            except TruncatedInput as exc:
                stats.malformed += 1
                ledger.error(source.name, str(exc), count=False)
                if strict:
                    raise StrictStop(f"{source.name}: {exc}") from None
            except BrokenPipeError:
                raise  # our reader went away (flushing output before a read): not an input error
            except OSError as exc:
                stats.unreadable += 1
                ledger.error(source.name, f"read failed: {exc.strerror or exc}", count=False)

    def open_path(self, path: str) -> Input:
        """Open one of ``paths``; one that could not be expanded raises ``UnreadableInput``."""
        if path in self._unexpanded:
            raise UnreadableInput(self._unexpanded[path])
        return open_input(path)

    def _lines(self, path: str, source: Input) -> Iterator[bytes]:
        options = self.options
        if options.follow:
            from wkcli.read.follow import follow_lines  # only needed for --follow

            return follow_lines(path, source, options.on_wait, max_line=options.max_line)
        report = progress_reporter(source, options.progress, options.tuning.progress_min_bytes)
        return iter_lines(source, options.on_wait, report, options.max_line)
