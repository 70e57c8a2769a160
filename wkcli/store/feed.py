"""Feed what a Reader yields into a loader as rows: messages, presence entries, and problems found."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from wkcli.read.accounting import Diagnostics
from wkcli.webhook.checks import Known
from wkcli.webhook.dedupe import Deduper
from wkcli.webhook.model import Message, PresenceEntry
from wkcli.webhook.rows import RowChecker, malformed_row, message_row, presence_row


class Loader(Protocol):
    counts: dict[str, int]

    def add(self, table: str, row: dict[str, Any]) -> None: ...


def record_errors(diagnostics: Diagnostics, loader: Loader) -> None:
    """Make every input error the reader reports also a ``problems`` row.

    The reader needs to know nothing about tables; every error is recorded, also those past the
    number shown on stderr.
    """
    diagnostics.on_error(lambda where, reason: loader.add("problems", malformed_row(where, reason)))


def feed(
    items: Iterable[Message | PresenceEntry], loader: Loader, deduper: Deduper | None = None,
    checks: bool = True, checker: RowChecker | None = None,
) -> None:  # fmt: skip
    """Add a row for every item; with ``checks``, run ``wkcli check``'s rules and add what they find.

    The checks see every delivery, also those ``deduper`` keeps out of ``messages``. ``checker``
    is the one a fast path also checks plain messages with (``Reader.pass_rows``).
    """
    if checker is None and checks:
        checker = RowChecker()
    problems = checker.rows if checker is not None else []
    add = loader.add
    for item in items:
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
            if problems:
                for problem in problems:
                    add("problems", problem)
                problems.clear()
        if row is not None:
            add(table, row)
    for problem in problems:  # found after the last item (a fast path's last duplicates)
        add("problems", problem)
    problems.clear()
