"""``FastExport``: export's rows (``rows.FastRows``) with check's findings (``check.FastCheck``).

Each plain message line gets its ``messages`` row as ``FastRows`` makes it, and is judged by
``FastCheck``: the row is followed in the output by the message's records (its findings, and
its delivery for duplicate detection), marked by a NUL byte (never in a row: JSON escapes it).
``Demux`` sends the rows to the loader and the records to the checker, in order, so every
finding becomes a ``problems`` row where and as the general path makes it.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from wkcli.read.fast.check import FastCheck, Found
from wkcli.read.fast.counts import Counts
from wkcli.read.fast.records import Replay, record_size
from wkcli.read.fast.rows import FastRows
from wkcli.read.options import ReadOptions
from wkcli.webhook.checks import Checker
from wkcli.webhook.filters import Criteria

MARK = b"\0"
_ROW = ord("{")


class Demux:
    """Where ``FastExport`` writes: rows to ``rows``, the records between them to ``replay``."""

    def __init__(self, rows: BinaryIO, replay: Replay) -> None:
        self.rows = rows
        self.replay = replay
        self._rest = b""  # a record cut short by the end of a write

    def write(self, data: bytes) -> int:
        if self._rest:
            data = self._rest + data
            self._rest = b""
        rows: list[bytes] = []
        records: list[bytes] = []
        pos, end = 0, len(data)
        find = data.find
        while pos < end:
            mark = find(MARK, pos)
            if mark < 0:
                rows.append(data[pos:])
                pos = end
                break
            if mark > pos:
                rows.append(data[pos:mark])
            pos = mark + 1
            # One or more records follow the mark, up to the next row or mark. At the end of
            # the data, more may come with the next write: it goes on from a mark.
            while pos < end and data[pos] != _ROW and data[pos] != 0:
                size = record_size(data, pos)
                if size < 0 or pos + size > end:
                    break
                records.append(data[pos : pos + size])
                pos += size
            if pos >= end or (data[pos] != _ROW and data[pos] != 0):
                self._rest = MARK + data[pos:]
                pos = end
        if rows:
            self.rows.write(b"".join(rows))
        if records:
            self.replay.write(b"".join(records))
        return len(data)

    def flush(self) -> None:
        pass


class FastExport(FastRows):
    """``export`` with checks: rows for plain messages, their findings and deliveries as records."""

    def __init__(self, rows: BinaryIO, checker: Checker, criteria: Criteria, options: ReadOptions) -> None:
        self.check = FastCheck(checker, criteria, options)
        super().__init__(Demux(rows, self.check.replay), criteria, options)  # type: ignore[arg-type]
        self.check.replay.scan = self  # the records are of the file this scan reads

    def prepare(self) -> None:
        super().prepare()
        self.check.prepare()
        self.also = self._also

    def _also(self, line: bytes, number: int) -> bytes | None:
        """The records that follow the rows of the messages on this line (b"": none), or None
        when the general path must read it."""
        judged = self.check.check_line(line, number)
        if judged is None:
            return None
        kept, records = judged
        self._found.checked += kept
        return MARK + records if records else b""

    def take_lines(self, lines: list[bytes], i: int, acc: Counts, text_ok: bool) -> tuple[int, Any]:
        if acc.facts is None:
            acc.facts = Found()
        self._found: Found = acc.facts
        return super().take_lines(lines, i, acc, text_ok)

    def fold_facts(self, facts: Found) -> None:
        self.check.fold_facts(facts)
