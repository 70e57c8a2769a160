"""Feed what a Reader yields into a loader as rows: messages, presence entries, and problems found."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from wkcli.read.accounting import Diagnostics
from wkcli.webhook.checks import Known
from wkcli.webhook.dedupe import Deduper
from wkcli.webhook.model import PresenceEntry
from wkcli.webhook.rows import RowChecker, malformed_row, message_row, presence_row

if TYPE_CHECKING:
    from wkcli.read.reader import Reader


class Loader(Protocol):
    counts: dict[str, int]

    def add(self, table: str, row: dict[str, Any]) -> None: ...


def record_errors(diagnostics: Diagnostics, loader: Loader) -> None:
    """Make every input error the reader reports also a ``problems`` row.

    The reader needs to know nothing about tables; every error is recorded, also those past the
    number shown on stderr.
    """
    diagnostics.on_error(lambda where, reason: loader.add("problems", malformed_row(where, reason)))


def feed(reader: Reader, loader: Loader, dedupe: bool = False, checks: bool = True) -> None:
    """Add a row for every item ``reader`` yields; with ``checks``, run ``wkcli check``'s rules
    and add what they find; with ``dedupe``, only a message's first delivery is a row.

    The checks see every delivery, also those ``dedupe`` keeps out of ``messages``. Without
    ``dedupe``, and where the loader takes serialised rows (``row_writer``: DuckDB, not SQLite),
    plain lines' rows (and their checks) are made on the reader's fast path and written there.
    """
    add = loader.add
    # Each finding's row is added as it is made, in its place among the reader's error rows
    # (a fast path's findings are made while the reader reads, between the items it yields).
    checker = RowChecker(lambda row: add("problems", row)) if checks else None
    row_writer = getattr(loader, "row_writer", None)
    if row_writer is not None and not dedupe:
        reader.pass_rows(row_writer("messages"), checker, row_writer("presence"))
    deduper = Deduper() if dedupe else None
    for item in reader:
        known = None
        row = None
        if type(item) is PresenceEntry:
            table = "presence"
            row = presence_row(item)
        else:
            table = "messages"
            if deduper is None or deduper.first(item):  # type: ignore[arg-type]
                known = Known()
                row = message_row(item, known)  # type: ignore[arg-type]
        if checker is not None:
            # The checker reuses what the row decoded: decoding is most of either's work.
            checker.add(item, known)
        if row is not None:
            add(table, row)
