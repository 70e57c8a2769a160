"""The writer interface every view implements, and the one registry of output formats."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from wkcli.errors import BadValue
from wkcli.output.terminal import Terminal

if TYPE_CHECKING:
    from wkcli.output.counts import Counted
    from wkcli.output.findings import Checked
    from wkcli.output.report import Reported
    from wkcli.output.results import Results
    from wkcli.webhook.inspect import MessageView
    from wkcli.webhook.model import Message
    from wkcli.webhook.presence import PresenceRow

Item = TypeVar("Item", contravariant=True)
T = TypeVar("T")


class Writer(Protocol[Item]):
    """Takes items one at a time; ``flush`` pushes out what is complete, ``close`` ends the output."""

    def write(self, item: Item) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Options:
    """What a writer may need besides the terminal."""

    utc: bool = False
    # Fields added to each JSON record of a message (``--decode``).
    extra: Callable[[Message], dict[str, Any]] | None = None
    # The columns picked with ``--fields`` (table, CSV, TSV); None for the usual ones.
    fields: list[str] | None = None


# A registered writer class: ``open(terminal, options)`` makes a writer on the terminal's stdout.
Opener = Callable[[Terminal, Options], Writer[Any]]

# The one rule for defaults. Rows: a table to read on a terminal, one JSON object per line in a
# pipe (for jq, grep, head). Totals: a table, or one JSON object. Reports are read by a person
# wherever they go (``wkcli check dump | less``): text on a terminal and in a pipe; -o json for data.
ROWS = ("table", "jsonl")  # one row per item, as it arrives
TOTALS = ("table", "json")  # one report of totals
REPORT = ("text", "text")  # one report to read


@dataclass(frozen=True)
class Output(Generic[T]):
    """One kind of output: the formats it offers (defaults first) and the writer class of each.

    Writers are named ``module:Class`` and imported only when chosen, so that a pipe never loads rich.
    """

    what: str
    defaults: tuple[str, str]  # (on a terminal, in a pipe)
    writers: dict[str, str] = field(default_factory=dict)

    @property
    def formats(self) -> tuple[str, ...]:
        return ("auto", *self.writers)

    def help(self, note: str = "") -> str:
        """The ``--format`` help: every format, the defaults named."""
        on_terminal, in_pipe = self.defaults
        rest = "".join(f", {name}" for name in self.writers if name not in self.defaults)
        if on_terminal == in_pipe:
            return f"{on_terminal} (the default, on a terminal and in a pipe){rest}{note}."
        return f"{on_terminal} (default on a terminal), {in_pipe} (default in a pipe){rest}{note}."

    def open(self, fmt: str, terminal: Terminal, options: Options | None = None) -> Writer[T]:
        """The writer for ``fmt`` (already picked: not ``auto``) on ``terminal``."""
        module, name = self.writers[fmt].split(":")
        opener: Opener = getattr(importlib.import_module(module), name).open
        return opener(terminal, options or Options())


def pick_format(output: Output[Any], fmt: str, terminal: Terminal) -> str:
    """Check ``--format`` against what ``output`` offers and resolve ``auto`` by where stdout goes."""
    if fmt not in output.formats:
        raise BadValue("fmt", f"must be one of {', '.join(output.formats)}, not {fmt!r}")
    if fmt == "auto":
        on_terminal, in_pipe = output.defaults
        return on_terminal if terminal.stdout_isatty else in_pipe
    return fmt


MESSAGES: Output[Message] = Output("messages", ROWS, {
    "table": "wkcli.output.table:TableWriter",
    "jsonl": "wkcli.output.messages:JsonlWriter",
    "json": "wkcli.output.messages:JsonWriter",
    "csv": "wkcli.output.messages:CsvWriter",
    "tsv": "wkcli.output.messages:TsvWriter",
})  # fmt: skip
PRESENCE: Output[PresenceRow] = Output("presence rows", ROWS, {
    "table": "wkcli.output.presence:PresenceTable",
    "jsonl": "wkcli.output.presence:PresenceJsonl",
    "json": "wkcli.output.presence:PresenceJson",
    "csv": "wkcli.output.presence:PresenceCsv",
    "tsv": "wkcli.output.presence:PresenceTsv",
})  # fmt: skip
COUNTS: Output[Counted] = Output("count report", TOTALS, {
    "table": "wkcli.output.counts:CountTable",
    "json": "wkcli.output.counts:CountJson",
    "csv": "wkcli.output.counts:CountCsv",
    "tsv": "wkcli.output.counts:CountTsv",
})  # fmt: skip
FINDINGS: Output[Checked] = Output("check findings", REPORT, {
    "text": "wkcli.output.findings:FindingsText",
    "json": "wkcli.output.findings:FindingsJson",
})  # fmt: skip
SHOW: Output[MessageView] = Output("show views", REPORT, {
    "text": "wkcli.output.show:ShowText",
    "json": "wkcli.output.show:ShowJson",
})  # fmt: skip
REPORTS: Output[Reported] = Output("report", REPORT, {
    "text": "wkcli.output.report:ReportText",
    "json": "wkcli.output.report:ReportJson",
})  # fmt: skip
RESULTS: Output[Results] = Output("query results", ROWS, {
    "table": "wkcli.output.results:ResultsTable",
    "jsonl": "wkcli.output.results:ResultsJsonl",
    "json": "wkcli.output.results:ResultsJson",
    "csv": "wkcli.output.results:ResultsCsv",
    "tsv": "wkcli.output.results:ResultsTsv",
})  # fmt: skip
