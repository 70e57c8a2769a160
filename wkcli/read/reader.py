"""Read dumps end to end: paths -> values -> messages and presence entries, with an account of every record.

``Reader`` is the one loop every command runs. It counts what it reads (``Stats``), reports bad
records on the diagnostics stream as ``file:line: reason`` and keeps going (or stops, with
``strict``), and yields only the items that pass the filter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO

from wkcli.errors import ExitCode, StrictStop, UnreadableInput
from wkcli.read.fast.scan import FastCount, FastJsonl, OutputFailed, progress_reporter
from wkcli.read.fast.scan import usable as fastpath_usable
from wkcli.read.fast.scan import worth_it as fastpath_worth_it
from wkcli.read.source import Input, TruncatedInput, iter_lines, open_input
from wkcli.read.unwrap import Empty, Problem, unwrap
from wkcli.read.values import Bad, Skip, Value, read_values
from wkcli.text import sanitize
from wkcli.webhook.filters import Criteria, build
from wkcli.webhook.model import CMD, KNOWN_EVENTS, Message, PresenceEntry


@dataclass
class Stats:
    """An account of everything read: every record ends up in exactly one bucket or more."""

    files: int = 0
    unreadable: int = 0
    records: int = 0
    messages: int = 0
    cmd: int = 0
    chat: int = 0
    presence: int = 0
    empty: int = 0
    skipped: int = 0  # log lines with no JSON in them
    malformed: int = 0
    anomalies: int = 0
    matched: int = 0
    stopped_at_limit: bool = False
    events: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> ExitCode:
        if self.unreadable:
            return ExitCode.USAGE
        if self.malformed:
            return ExitCode.MALFORMED
        return ExitCode.OK

    def as_dict(self) -> dict[str, object]:
        return {
            "cmd": self.cmd,
            "chat": self.chat,
            "messages": self.messages,
            "presence": self.presence,
            "records": self.records,
            "empty": self.empty,
            "skipped": self.skipped,
            "malformed": self.malformed,
            "anomalies": self.anomalies,
            "files": self.files,
            "unreadable": self.unreadable,
        }


class Diagnostics:
    """Writes warnings and errors about the input as ``wkcli: file:line: ...`` lines.

    Shows the first ``max_shown`` of each sort; the final summary counts them all.
    """

    def __init__(
        self, stream: TextIO, quiet: bool = False, max_shown: int = 50, warnings: bool = True
    ) -> None:
        self.stream = stream
        self.quiet = quiet
        self.warnings = warnings  # False: only errors (a command that reports warnings its own way)
        self.max_shown = max_shown
        self._shown = {"error": 0, "warning": 0}
        self._hidden = {"error": 0, "warning": 0}
        self._once: set[str] = set()
        # Flushes pending output first, so a warning shows next to the rows it is about.
        self.before_emit: Callable[[], None] | None = None

    def error(self, where: str, reason: str) -> None:
        self._emit("error", where, reason)

    def warning(self, where: str, reason: str, once_key: str | None = None) -> None:
        if self.quiet or not self.warnings:
            return
        if once_key is not None:
            if once_key in self._once:
                return
            self._once.add(once_key)
        self._emit("warning", where, reason)

    def note(self, text: str) -> None:
        if not self.quiet:
            self._write(f"wkcli: {text}")

    def _emit(self, level: str, where: str, reason: str) -> None:
        if self._shown[level] >= self.max_shown:
            self._hidden[level] += 1
            return
        self._shown[level] += 1
        if self.before_emit is not None:
            self.before_emit()
        prefix = f"{sanitize(where)}: " if where else ""
        self._write(f"wkcli: {prefix}{level}: {sanitize(reason)}")

    def hidden_note(self) -> str | None:
        parts = [f"{n} more {level}s" for level, n in self._hidden.items() if n]
        return " and ".join(parts) + " not shown" if parts else None

    def _write(self, line: str) -> None:
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            pass


class Reader:
    """Iterate over the messages and presence entries of ``paths`` that ``criteria`` keeps."""

    def __init__(
        self,
        paths: list[str],
        criteria: Criteria | None = None,
        diagnostics: Diagnostics | None = None,
        input_format: str = "auto",
        strict: bool = False,
        on_wait: Callable[[], None] | None = None,
        presence: bool = True,
        follow: bool = False,
    ) -> None:
        self.paths = paths or ["-"]
        self.presence = presence  # False: count presence entries but yield only messages
        self.follow = follow  # keep reading as files grow (tail -F)
        self.criteria = criteria or Criteria()
        self.diagnostics = diagnostics
        self.input_format = input_format
        self.strict = strict
        self.on_wait = on_wait
        self.stats = Stats()
        self._keep = build(self.criteria)
        self._fast: FastCount | FastJsonl | None = None  # set by count_into / pass_plain_jsonl
        self.jobs: int | None = None  # processes for a large regular file (None: one per core)
        # Told (name, bytes read, size) now and then while a large regular file is read.
        self.progress: Callable[[str, int, int], None] | None = None

    def count_into(self, tally: Any) -> None:
        """Add every kept item to ``tally`` (``tally.add``).

        Totals, and counts grouped by event and kind only, take a fast path where one applies.
        """
        if tally.bulk and fastpath_usable(self):
            self._fast = FastCount(tally, self.jobs)
        for item in self:
            tally.add(item)

    def pass_plain_jsonl(self, out: BinaryIO) -> None:
        """Let iteration write plain messages straight to ``out`` as the JSONL writer would.

        Only messages that need nothing but ``kind`` and ``event`` added are written this way;
        the rest are yielded as usual, in order, after what was written so far reached ``out``.
        """
        if fastpath_usable(self):
            self._fast = FastJsonl(out, self.jobs)

    def __iter__(self) -> Iterator[Message | PresenceEntry]:
        limit = self.criteria.limit
        if limit == 0:
            self.stats.stopped_at_limit = True
            return
        for path in self.paths:
            for item in self._read_path(path):
                self.stats.matched += 1
                yield item
                if limit is not None and self.stats.matched >= limit:
                    self.stats.stopped_at_limit = True
                    return

    def records(self) -> Iterator[tuple[Value, list[Message | PresenceEntry]]]:
        """Each webhook record read, with all its messages and presence entries (kept or not).

        For tools that work a whole body at a time (replay). Accounting, diagnostics and
        ``strict`` are as for iteration; the filters are not applied (use ``keeps``), nor
        ``--limit``, and the fast paths are not used.
        """
        for path in self.paths:
            yield from self._read_path(path, self._record)

    def keeps(self, item: Message | PresenceEntry) -> bool:
        """True when the filters keep ``item``."""
        return self._keep(item)

    def _record(
        self, value: Value | Bad | Skip, name: str
    ) -> Iterator[tuple[Value, list[Message | PresenceEntry]]]:
        items = self._account(value, name)
        if type(value) is Value:
            yield value, items

    def _read_path(
        self, path: str, per_value: Callable[[Value | Bad | Skip, str], Iterator[Any]] | None = None
    ) -> Iterator[Any]:
        """Open ``path`` and read it, handling what can go wrong with the file as a whole.

        Each value goes to ``per_value`` when given; otherwise its kept items are yielded (by a
        fast path when one applies).
        """
        stats = self.stats
        try:
            source = open_input(path)
        except UnreadableInput as exc:
            stats.unreadable += 1
            self._error("", str(exc), count=False)
            if self.strict:
                raise
            return
        stats.files += 1
        with source:
            if source.binary:
                stats.malformed += 1
                self._error(
                    source.name, "binary data, not JSON text (a binary file, or UTF-16?)", count=False
                )
                return
            try:
                fast = self._fast
                if per_value is not None:
                    for value in read_values(self._lines(path, source), self.input_format):
                        yield from per_value(value, source.name)
                elif fast is not None and fastpath_usable(self) and fastpath_worth_it(source):
                    yield from fast.scan(self, source)
                else:
                    for value in read_values(self._lines(path, source), self.input_format):
                        yield from self._take(value, source.name)
            except OutputFailed as exc:
                raise exc.error from None  # writing failed (e.g. a closed pipe), not reading
            except TruncatedInput as exc:
                stats.malformed += 1
                self._error(source.name, str(exc), count=False)
                if self.strict:
                    raise StrictStop(f"{source.name}: {exc}") from None
            except BrokenPipeError:
                raise  # our reader went away (flushing output before a read): not an input error
            except OSError as exc:
                stats.unreadable += 1
                self._error(source.name, f"read failed: {exc.strerror or exc}", count=False)

    def _take(self, value: Value | Bad | Skip, name: str) -> Iterator[Message | PresenceEntry]:
        """Account for one value read from ``name`` and yield the items it holds that are kept."""
        keep = self._keep
        presence = self.presence
        for item in self._account(value, name):
            if (presence or type(item) is Message) and keep(item):
                yield item

    def _account(self, value: Value | Bad | Skip, name: str) -> list[Message | PresenceEntry]:
        """Count one value read from ``name``, report what is wrong with it, return its items."""
        stats = self.stats
        if type(value) is Skip:
            stats.skipped += 1
            return []
        stats.records += 1
        if type(value) is Bad:
            self._error(f"{name}:{value.line}", value.reason)
            return []
        events = stats.events
        found: list[Message | PresenceEntry] = []
        for item in unwrap(value, name):  # type: ignore[arg-type]
            kind = type(item)
            if kind is Message:
                stats.messages += 1
                if item.kind == CMD:
                    stats.cmd += 1
                else:
                    stats.chat += 1
                if item.anomaly is not None:
                    stats.anomalies += 1
                    self._warn(item.origin, item.anomaly, item)
            elif kind is PresenceEntry:
                stats.presence += 1
            elif kind is Empty:
                stats.empty += 1
                continue
            else:
                self._problem(item)  # type: ignore[arg-type]
                continue
            event = item.event
            events[event] = events.get(event, 0) + 1  # type: ignore[index]
            if event is not None and event not in KNOWN_EVENTS:
                self._unknown_event(item)
            found.append(item)  # type: ignore[arg-type]
        return found

    def _lines(self, path: str, source: Input) -> Iterator[bytes]:
        if self.follow:
            from wkcli.read.follow import follow_lines  # only needed for --follow

            return follow_lines(path, source, self.on_wait)
        return iter_lines(source, self.on_wait, progress_reporter(self, source))

    def _problem(self, problem: Problem) -> None:
        if problem.malformed:
            self._error(str(problem.origin), problem.reason)
        elif self.diagnostics is not None:
            self.diagnostics.warning(str(problem.origin), problem.reason)

    def _error(self, where: str, reason: str, count: bool = True) -> None:
        if count:
            self.stats.malformed += 1
        if self.diagnostics is not None:
            self.diagnostics.error(where, reason)
        if self.strict:
            raise StrictStop(f"{where}: {reason}" if where else reason)

    def _warn(self, origin: object, reason: str, message: Message) -> None:
        if self.diagnostics is not None:
            ident = message.id_text
            suffix = f" (message {ident})" if ident else ""
            self.diagnostics.warning(str(origin), reason + suffix)

    def _unknown_event(self, item: Message | PresenceEntry) -> None:
        if self.diagnostics is not None:
            event = str(item.event)
            self.diagnostics.warning(
                str(item.origin),
                f"unknown event {event!r}: WuKongIM sends msg.notify, msg.offline and "
                "user.onlinestatus (read by the body's shape)",
                once_key="event:" + event,
            )


def summary_line(stats: Stats, filtered: bool = False) -> str:
    """One line accounting for every record read."""
    parts = [f"{plural(stats.messages, 'message')} ({stats.cmd:,} cmd, {stats.chat:,} chat)"]
    parts.append(plural(stats.presence, "presence entry", "presence entries"))
    if stats.empty:
        parts.append(plural(stats.empty, "empty body", "empty bodies"))
    parts.append(f"{stats.malformed:,} malformed")
    if stats.anomalies:
        parts.append(plural(stats.anomalies, "anomaly", "anomalies"))
    line = f"{plural(stats.records, 'record')} from {plural(stats.files, 'file')}: " + ", ".join(parts)
    if stats.skipped:
        line += f"; {plural(stats.skipped, 'log line')} without JSON skipped"
    if stats.unreadable:
        line += f"; {stats.unreadable} unreadable"
    if filtered:
        line += f"; {stats.matched:,} matched the filters"
    if stats.stopped_at_limit:
        line += " (stopped at --limit)"
    return line


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 record``, ``2 records``, ``1,204 presence entries``."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"
