"""``count``'s report: the one totals table (for ``count`` and ``count --follow``), JSON and CSV."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any, NamedTuple

from wkcli.output.console import Cell, Table, group
from wkcli.output.fields import column_for
from wkcli.output.layout import Cell as Layout
from wkcli.output.layout import Column, Grid, table_lines, terminal_width
from wkcli.output.messages import dumps
from wkcli.output.style import KIND_STYLES
from wkcli.output.terminal import Terminal
from wkcli.read.accounting import Stats
from wkcli.text import display
from wkcli.webhook.tally import Tally

if TYPE_CHECKING:
    from rich.console import RenderableType

    from wkcli.output.base import Options

_FOLLOW_GROUPS = 30  # groups a live view has room for


class Counted(NamedTuple):
    """What ``count`` has counted, and the account of the input it read."""

    tally: Tally
    stats: Stats

    def report(self) -> dict[str, Any]:
        return count_report(self.tally, self.stats)


def count_report(tally: Tally, stats: Stats) -> dict[str, Any]:
    """Totals of what matched, the input's account, and groups when ``--by`` was given."""
    report: dict[str, Any] = {
        "cmd": tally.cmd,
        "chat": tally.chat,
        "messages": tally.messages,
        "presence": tally.presence,
        "records": stats.records,
        "empty": stats.empty,
        "skipped": stats.skipped,
        "malformed": stats.malformed,
        "anomalies": stats.anomalies,
    }
    if tally.by:
        report["by"] = tally.by
        report["groups"] = [
            {**dict(zip(tally.by, key, strict=True)), "count": count} for key, count in tally.rows()
        ]
    return report


def groups_table(tally: Tally, live: bool = False) -> Table:
    """One row per group, largest first; a live view shows the first few, unstyled."""
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2))
    for name in tally.by:
        table.add_column(name, overflow="fold")
    table.add_column("count", justify="right")
    rows = tally.rows()
    for key, count in rows[:_FOLLOW_GROUPS] if live else rows:
        pairs = zip(tally.by, key, strict=True)
        cells = [display(value) if live else _group_cell(name, value) for name, value in pairs]
        table.add_row(*cells, f"{count:,}")
    return table


def _group_cell(name: str, value: object) -> Cell:
    if value is None or value == "":
        return ("(none)" if value is None else "(empty)", "dim")
    return (display(value), KIND_STYLES.get(str(value), "") if name == "kind" else "")


def totals_table(report: dict[str, Any], live: bool = False) -> Table:
    """cmd, chat, messages, presence and malformed; then anomalies with shares, or records when live."""
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2))
    table.add_column("what")
    table.add_column("count", justify="right")
    if not live:
        table.add_column("share", justify="right", style="dim")
    messages = report["messages"]

    def row(what: Cell, count: int, share: bool = False) -> None:
        cells: list[Cell] = [what, f"{count:,}"]
        if not live:
            cells.append(f"{count / messages:6.1%}" if share and messages else "")
        table.add_row(*cells)

    row(("cmd", KIND_STYLES["cmd"]), report["cmd"], share=True)
    row(("chat", KIND_STYLES["chat"]), report["chat"], share=True)
    row(("messages", "bold"), messages)
    row("presence entries", report["presence"])
    row(("malformed", "red" if report["malformed"] else ""), report["malformed"])
    if live:
        row("records", report["records"])
    else:
        row(("anomalies", "yellow" if report["anomalies"] else ""), report["anomalies"])
    return table


def follow_view(counted: Counted) -> RenderableType:
    """``count --follow`` on a terminal: the groups and totals so far, redrawn in place."""
    parts: list[Table | Cell] = []
    if counted.tally.by:
        parts += [groups_table(counted.tally, live=True), ""]
    parts += [totals_table(counted.report(), live=True), ("following; Ctrl-C to stop", "dim")]
    return group(*parts)


def groups_lines(tally: Tally, width: int, color: bool) -> list[str]:
    """One row per group, largest first, fitted to ``width`` (the count kept longest)."""
    columns = [column_for(name, index + 1) for index, name in enumerate(tally.by)]
    columns.append(Column("count", 0, whole=True, right=True))
    rows = []
    for key, count in tally.rows():
        cells = [_group_cell(name, value) for name, value in zip(tally.by, key, strict=True)]
        pairs = [cell if isinstance(cell, tuple) else (cell, "") for cell in cells]
        rows.append([*pairs, (f"{count:,}", "")])
    return table_lines(columns, rows, width, color)


def totals_lines(report: dict[str, Any], width: int, color: bool) -> list[str]:
    """The totals with each kind's share of the messages; no trailing spaces."""
    messages = report["messages"]

    def share(count: int) -> Layout:
        return (f"{count / messages:.1%}" if messages else "", "dim")

    def row(what: Layout, count: int, shared: bool = False) -> list[Layout]:
        return [what, (f"{count:,}", ""), share(count) if shared else ("", "")]

    rows = [
        row(("cmd", KIND_STYLES["cmd"]), report["cmd"], True),
        row(("chat", KIND_STYLES["chat"]), report["chat"], True),
        row(("messages", "bold"), messages),
        row(("presence entries", ""), report["presence"]),
        row(("malformed", "red" if report["malformed"] else ""), report["malformed"]),
        row(("anomalies", "yellow" if report["anomalies"] else ""), report["anomalies"]),
    ]
    columns = [Column("", 0, whole=True), Column("", 1, whole=True, right=True),
               Column("", 2, whole=True, right=True)]  # fmt: skip
    return Grid(columns, width, color).lines(rows)


class CountTable:
    """The groups (with ``--by``) and the totals, fitted to the terminal."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal

    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> CountTable:
        return cls(terminal)

    def write(self, counted: Counted) -> None:
        width, color = terminal_width(self.terminal), self.terminal.color
        lines = []
        if counted.tally.by:
            lines += groups_lines(counted.tally, width, color) + [""]
        lines += totals_lines(counted.report(), width, color)
        self.terminal.stdout.write("\n".join(lines) + "\n")

    def flush(self) -> None:
        self.terminal.stdout.flush()

    def close(self) -> None:
        self.flush()


class CountJson(CountTable):
    """The report as one JSON object."""

    def write(self, counted: Counted) -> None:
        out = self.terminal.stdout_bytes
        out.write(dumps(counted.report()) + b"\n")
        out.flush()


class CountCsv(CountTable):
    """The groups (or the totals by kind) as CSV rows."""

    delimiter = ","

    def write(self, counted: Counted) -> None:
        tally = counted.tally
        writer = csv.writer(self.terminal.stdout, delimiter=self.delimiter, lineterminator="\n")
        if tally.by:
            writer.writerow([*tally.by, "count"])
            for key, count in tally.rows():
                writer.writerow([*(display(value) for value in key), count])
        else:
            report = counted.report()
            writer.writerow(["kind", "count"])
            for name in ("cmd", "chat", "presence", "malformed", "anomalies"):
                writer.writerow([name, report[name]])
        self.terminal.stdout.flush()


class CountTsv(CountCsv):
    delimiter = "\t"
