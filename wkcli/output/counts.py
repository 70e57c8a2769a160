"""Rendering ``count`` results as a table, JSON or CSV."""

from __future__ import annotations

import csv
from typing import Any

from wkcli.output.messages import dumps
from wkcli.output.terminal import Terminal
from wkcli.read.reader import Stats
from wkcli.webhook.tally import Tally
from wkcli.text import display


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
            {**dict(zip(tally.by, key)), "count": count} for key, count in tally.rows()
        ]
    return report


def write_json(terminal: Terminal, report: dict[str, Any]) -> None:
    out = terminal.stdout_bytes
    out.write(dumps(report) + b"\n")
    out.flush()


def write_csv(terminal: Terminal, tally: Tally, report: dict[str, Any], delimiter: str = ",") -> None:
    writer = csv.writer(terminal.stdout, delimiter=delimiter, lineterminator="\n")
    if tally.by:
        writer.writerow([*tally.by, "count"])
        for key, count in tally.rows():
            writer.writerow([*(display(value) for value in key), count])
    else:
        writer.writerow(["kind", "count"])
        for name in ("cmd", "chat", "presence", "malformed", "anomalies"):
            writer.writerow([name, report[name]])
    terminal.stdout.flush()


def write_table(terminal: Terminal, tally: Tally, report: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    from wkcli.output.console import make_console
    from wkcli.output.style import KIND_STYLES

    console = make_console(terminal)
    if tally.by:
        table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2))
        for name in tally.by:
            table.add_column(name, overflow="fold")
        table.add_column("count", justify="right")
        for key, count in tally.rows():
            cells = []
            for name, value in zip(tally.by, key):
                if value is None or value == "":
                    cells.append(Text("(none)" if value is None else "(empty)", style="dim"))
                    continue
                style = KIND_STYLES.get(str(value), "") if name == "kind" else ""
                cells.append(Text(display(value), style=style))
            table.add_row(*cells, f"{count:,}")
        console.print(table)
        console.print()
    totals = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2))
    totals.add_column("what")
    totals.add_column("count", justify="right")
    messages = report["messages"]

    def share(part: int) -> str:
        return f"{part / messages:6.1%}" if messages else ""

    totals.add_column("share", justify="right", style="dim")
    totals.add_row(Text("cmd", style=KIND_STYLES["cmd"]), f"{report['cmd']:,}", share(report["cmd"]))
    totals.add_row(Text("chat", style=KIND_STYLES["chat"]), f"{report['chat']:,}", share(report["chat"]))
    totals.add_row(Text("messages", style="bold"), f"{messages:,}", "")
    totals.add_row("presence entries", f"{report['presence']:,}", "")
    totals.add_row(
        Text("malformed", style="red" if report["malformed"] else ""), f"{report['malformed']:,}", ""
    )
    totals.add_row(
        Text("anomalies", style="yellow" if report["anomalies"] else ""),
        f"{report['anomalies']:,}",
        "",
    )
    console.print(totals)
