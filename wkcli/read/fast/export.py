"""``FastExport``: export's rows (``rows.FastRows``) with check's findings (``check.FastCheck``).

Each plain message line gets its ``messages`` row as ``FastRows`` makes it, and is judged by
``FastCheck``: a message with any finding goes to the general path (``problems`` keeps every
finding, with its detail, as the general path writes it), and every other one is followed in
the output by its record for duplicate detection, marked by a NUL byte (never in a row: JSON
escapes it). ``Demux`` sends the rows to the loader and the records to the checker, in order.
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO

from wkcli.read.fast.check import CHECKED, FastCheck, Found, Replay, record_size
from wkcli.read.fast.counts import Counts
from wkcli.read.fast.rows import FastRows
from wkcli.read.options import ReadOptions
from wkcli.webhook.checks import Checker
from wkcli.webhook.filters import Criteria

MARK = b"\0"


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
            pos = mark
            size = record_size(data, mark + 1)
            if size < 0 or mark + 1 + size > end:
                break  # the rest of this record comes with the next write
            records.append(data[mark + 1 : mark + 1 + size])
            pos = mark + 1 + size
        self._rest = data[pos:]
        if rows:
            self.rows.write(b"".join(rows))
        if records:
            self.replay.write(b"".join(records))
        return len(data)

    def flush(self) -> None:
        pass


class FastExport(FastRows):
    """``export`` with checks: rows for plain messages, findings as the general path's."""

    # Messages with a finding are read by the general path: in a dump of CMDs in msg.offline,
    # that can be one in six; a worker leaves up to 100,000 lines (some 50 MB) before it stops.
    left_factor = 100

    def __init__(self, rows: BinaryIO, checker: Checker, criteria: Criteria, options: ReadOptions) -> None:
        self.check = FastCheck(checker, criteria, options)
        super().__init__(Demux(rows, self.check.replay), criteria, options)  # type: ignore[arg-type]

    def prepare(self) -> None:
        super().prepare()
        self.check.prepare()
        self.also = self._also

    def scan(self, source: Any, ledger: Any) -> Any:
        self.check.replay.name = source.name
        return super().scan(source, ledger)

    def _also(self, line: bytes, number: int) -> bytes | None:
        """The record that follows the row of the message on this line (b"" for none), or None."""
        judged = self.check.check_line(line, number, self._in_worker)
        if judged is None:
            return None
        _, codes, record, _ = judged
        if codes:
            return None  # every finding is a row of its own, with its detail: the general path's
        if codes is not None:
            self._found.counts[CHECKED] += 1
        return MARK + record if record is not None else b""

    def take_lines(self, lines: list[bytes], i: int, acc: Counts, text_ok: bool) -> tuple[int, Any]:
        if acc.facts is None:
            acc.facts = Found()
        self._found: Found = acc.facts
        self._in_worker = os.getpid() != self.check.main_pid
        return super().take_lines(lines, i, acc, text_ok)

    def fold_facts(self, facts: Found) -> None:
        self.check.fold_facts(facts)
