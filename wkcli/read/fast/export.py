"""``FastExport``: export's rows (``rows.FastRows``) with check's findings (``check.FastCheck``).

Each plain line gets its rows as ``FastRows`` makes them, and is judged by ``FastCheck``: the
rows are followed in the output by the records of its messages and presence entries (their
findings, and deliveries for duplicate detection), marked by a NUL byte (never in a row: JSON
escapes it). ``records.Demux`` sends the rows to the loader and the records to the checker, in
order, so every finding becomes a ``problems`` row where and as the general path makes it.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from wkcli.read.fast.check import FastCheck, Found
from wkcli.read.fast.counts import Counts
from wkcli.read.fast.records import MARK, Demux
from wkcli.read.fast.rows import FastRows
from wkcli.read.options import ReadOptions
from wkcli.webhook.checks import Checker
from wkcli.webhook.filters import Criteria


class FastExport(FastRows):
    """``export`` with checks: rows for plain messages, their findings and deliveries as records."""

    first_share = 0.8  # the main process also takes in every record (as ``FastCheck``'s)

    def __init__(
        self,
        rows: BinaryIO,
        presence: BinaryIO | None,
        checker: Checker,
        criteria: Criteria,
        options: ReadOptions,
    ) -> None:
        self.check = FastCheck(checker, criteria, options)
        super().__init__(Demux(rows, presence, self.check.replay), criteria, options)  # type: ignore[arg-type]
        self.takes_presence = presence is not None
        self.check.replay.scan = self  # the records are of the file this scan reads

    def prepare(self) -> None:
        super().prepare()
        self.check.prepare()
        self.also = self._also
        self.also_presence = self._also_presence

    def _also(self, line: bytes, number: int) -> bytes | None:
        """The records that follow the rows of the messages on this line (b"": none), or None
        when the general path must read it."""
        judged = self.check.check_line(line, number)
        if judged is None:
            return None
        kept, records = judged
        self._found.checked += kept
        return MARK + records if records else b""

    def _also_presence(self, entries: list[str], received: float | None, number: int) -> bytes:
        """The records that follow the rows of a line's kept presence entries (b"": none)."""
        records = self.check.presence_records(entries, received, number, self._found)
        return MARK + b"".join(records) if records else b""

    def take_lines(self, lines: list[bytes], i: int, acc: Counts, text_ok: bool) -> tuple[int, Any]:
        if acc.facts is None:
            acc.facts = Found()
        self._found: Found = acc.facts
        return super().take_lines(lines, i, acc, text_ok)

    def fold_facts(self, facts: Found) -> None:
        self.check.fold_facts(facts)
