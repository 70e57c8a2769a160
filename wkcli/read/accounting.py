"""The account of every record read: ``Stats``, ``Diagnostics``, and ``Ledger``, where each value is counted.

Both ways of reading end here: the general path hands each value to ``Ledger.take``; the fast
path adds what it counted in bulk with ``Ledger.add_bulk``. So the rules of the account (which
bucket a record goes in, what is reported, what ``--strict`` stops at) are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from wkcli.errors import ExitCode, StrictStop
from wkcli.read.unwrap import Empty, Problem, unwrap
from wkcli.read.values import Bad, Skip, Value
from wkcli.text import hide_credentials, sanitize
from wkcli.webhook.model import CHAT, CMD, KNOWN_EVENTS, Message, PresenceEntry

Item = Message | PresenceEntry
# keep(kind, event): the filters' test for an item of that kind (None: a presence entry) and event.
KindEventTest = Callable[[str | None, str | None], bool]
# (event, chat messages, cmd messages, presence entries) counted without building items.
BulkGroup = tuple[str | None, int, int, int]


class BulkTally(Protocol):
    """A tally that can take counts by event and kind at once (``webhook.tally.Tally``)."""

    @property
    def bulk(self) -> bool: ...

    def add(self, item: Item) -> None: ...

    def add_many(self, event: str | None, kind: str | None, count: int) -> None: ...


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
    events: dict[str | None, int] = field(default_factory=dict)  # None: no event named or inferred

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
        self,
        stream: TextIO,
        quiet: bool = False,
        max_shown: int = 50,
        warnings: bool = True,
        before_emit: Callable[[], None] | None = None,
    ) -> None:
        self.stream = stream
        self.quiet = quiet
        self.warnings = warnings  # False: only errors (a command that reports warnings its own way)
        self.max_shown = max_shown
        self._shown = {"error": 0, "warning": 0}
        self._hidden = {"error": 0, "warning": 0}
        self._once: set[str] = set()
        # Run before each line is written: flush pending output, so a warning shows next to the
        # rows it is about; clear a progress line.
        self._before_emit: list[Callable[[], None]] = [before_emit] if before_emit is not None else []
        self._error_listeners: list[Callable[[str, str], None]] = []

    def on_error(self, listener: Callable[[str, str], None]) -> None:
        """Tell ``listener(where, reason)`` of every error, also those past the number shown."""
        self._error_listeners.append(listener)

    def error(self, where: str, reason: str) -> None:
        for listener in self._error_listeners:
            listener(where, reason)
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
        for hook in self._before_emit:
            hook()
        prefix = f"{sanitize(where)}: " if where else ""
        self._write(f"wkcli: {prefix}{level}: {sanitize(reason)}")

    def hidden_note(self) -> str | None:
        parts = [f"{n} more {level}s" for level, n in self._hidden.items() if n]
        return " and ".join(parts) + " not shown" if parts else None

    def _write(self, line: str) -> None:
        line = hide_credentials(line)  # a remote path's password or token never reaches a log
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            pass


class Ledger:
    """Counts every value read into ``stats``, reports what is wrong with it, and says what is kept.

    ``keep`` is the filters' test; with ``presence`` false, presence entries are counted but
    never kept. With ``strict``, the first error raises ``StrictStop``.
    """

    def __init__(
        self,
        diagnostics: Diagnostics | None,
        keep: Callable[[Item], bool],
        strict: bool = False,
        presence: bool = True,
    ) -> None:
        self.stats = Stats()
        self.diagnostics = diagnostics
        self.keep = keep
        self.strict = strict
        self.presence = presence

    def take(self, value: Value | Bad | Skip, name: str) -> list[Item]:
        """Account for one value read from ``name``; return the items it holds that are kept."""
        items = self.account(value, name)
        if not items:
            return items
        keep = self.keep
        presence = self.presence
        return [item for item in items if (presence or type(item) is Message) and keep(item)]

    def account(self, value: Value | Bad | Skip, name: str) -> list[Item]:
        """Count one value read from ``name``, report what is wrong with it, return all its items."""
        stats = self.stats
        if type(value) is Skip:
            stats.skipped += 1
            return []
        stats.records += 1
        if type(value) is Bad:
            self.error(f"{name}:{value.line}", value.reason)
            return []
        events = stats.events
        found: list[Message | PresenceEntry] = []
        for item in unwrap(value, name):  # type: ignore[arg-type]
            if type(item) is Message:
                stats.messages += 1
                if item.kind == CMD:
                    stats.cmd += 1
                else:
                    stats.chat += 1
                if item.anomaly is not None:
                    stats.anomalies += 1
                    self._warn(item.origin, item.anomaly, item)
            elif type(item) is PresenceEntry:
                stats.presence += 1
            elif type(item) is Empty:
                stats.empty += 1
                continue
            else:
                self._problem(item)  # type: ignore[arg-type]
                continue
            event = item.event
            events[event] = events.get(event, 0) + 1
            if event is not None and event not in KNOWN_EVENTS:
                self._unknown_event(item)
            found.append(item)
        return found

    def add_bulk(
        self,
        records: int,
        empty: int,
        matched: int,
        groups: Iterable[BulkGroup],
        tally: BulkTally | None = None,
        keep: KindEventTest | None = None,
    ) -> None:
        """Add what the fast path counted without building items.

        ``matched`` counts items already kept (and handled) by the caller. With a ``tally``,
        the items of ``groups`` that ``keep`` keeps are added to it and to ``matched``.
        """
        stats = self.stats
        events = stats.events
        stats.records += records
        stats.empty += empty
        stats.matched += matched
        presence = self.presence
        for event, chat, cmd, entries in groups:
            if entries:
                stats.presence += entries
                events[event] = events.get(event, 0) + entries
                if tally is not None and keep is not None and presence and keep(None, event):
                    stats.matched += entries
                    tally.add_many(event, None, entries)
            if chat or cmd:
                stats.messages += chat + cmd
                stats.chat += chat
                stats.cmd += cmd
                events[event] = events.get(event, 0) + chat + cmd
                if tally is not None and keep is not None:
                    if chat and keep(CHAT, event):
                        stats.matched += chat
                        tally.add_many(event, CHAT, chat)
                    if cmd and keep(CMD, event):
                        stats.matched += cmd
                        tally.add_many(event, CMD, cmd)

    def error(self, where: str, reason: str, count: bool = True) -> None:
        """Report an error; ``count`` adds it to ``malformed``. Raises ``StrictStop`` with ``strict``."""
        if count:
            self.stats.malformed += 1
        if self.diagnostics is not None:
            self.diagnostics.error(where, reason)
        if self.strict:
            raise StrictStop(f"{where}: {reason}" if where else reason, reported=self.diagnostics is not None)

    def _problem(self, problem: Problem) -> None:
        if problem.malformed:
            self.error(str(problem.origin), problem.reason)
        elif self.diagnostics is not None:
            self.diagnostics.warning(str(problem.origin), problem.reason)

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
