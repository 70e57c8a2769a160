"""The detail of one row: what ``wkcli show`` prints about its message, and the check findings about it."""

from __future__ import annotations

import io
from typing import Any

from wkcli.output.show import write_view
from wkcli.read.index import MALFORMED, Index
from wkcli.read.values import Value
from wkcli.text import sanitize
from wkcli.webhook import inspect
from wkcli.webhook.checks import Checker
from wkcli.webhook.model import Message, PresenceEntry


def detail_lines(index: Index, row: int, utc: bool = False) -> list[str]:
    """Plain, escaped lines: the message in full, every delivery of it in the dump, the findings."""
    if index.kinds[row] & 15 == MALFORMED:
        where, reason = index.errors.get(row, ("?", "?"))
        return [sanitize(f"malformed record at {where}"), "", sanitize(reason)]
    found = [item for item in (index.item(r) for r in index.deliveries(row)) if type(item) is Message]
    first = index.item(row)
    if type(first) is not Message:
        return ["(not a message)"]
    # The selected delivery first: its fields are the ones shown in full.
    found = [first] + [m for m in found if m is not first and str(m.origin) != str(first.origin)]
    out = io.StringIO()
    write_view(out, inspect.view(found, utc), color=False)
    lines = out.getvalue().splitlines()
    checker = Checker(max_examples=1)
    for message in found:
        checker.add(message)
    findings = checker.findings()
    lines.append("  check:")
    if not findings:
        lines.append("    nothing found")
    for finding in findings:
        times = f" ×{finding.count}" if finding.count > 1 else ""
        lines.append(sanitize(f"    {finding.level:<8} {finding.code}{times}: {finding.rule.title}"))
        example = finding.examples[0] if finding.examples else None
        if example is not None and example.detail:
            lines.append(sanitize(f"             {example.detail}"))
    return lines


class OneRecord:
    """What ``live.replay.Planner`` reads: the one record of a row, with only that row's item kept."""

    def __init__(self, value: Value, items: list[Message | PresenceEntry], chosen: Any) -> None:
        from wkcli.read.accounting import Stats
        from wkcli.webhook.filters import Criteria

        self.criteria = Criteria()
        self.diagnostics = None
        self.stats = Stats()
        self._value = value
        self._items = items
        self._chosen = chosen

    def records(self) -> Any:
        yield self._value, self._items

    def keeps(self, item: Any) -> bool:
        return item is self._chosen
