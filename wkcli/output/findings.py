"""``check``'s findings: a text report to read, or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, TextIO

from wkcli.output.messages import dumps
from wkcli.output.terminal import Painter, Terminal
from wkcli.read.reader import Stats
from wkcli.webhook.checks import INFO, WARNING, Checker, Finding

if TYPE_CHECKING:
    from wkcli.output.base import Options

_LEVEL_STYLE = {WARNING: "bold red", INFO: "cyan"}


class Checked(NamedTuple):
    """What ``check`` found, and the account of the input it read."""

    checker: Checker
    stats: Stats


class FindingsText:
    """The findings as text to read, warnings first."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal

    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> FindingsText:
        return cls(terminal)

    def write(self, checked: Checked) -> None:
        write_findings_text(self.terminal.stdout, checked.checker.findings(), self.terminal.color)

    def flush(self) -> None:
        self.terminal.stdout.flush()

    def close(self) -> None:
        self.flush()


class FindingsJson(FindingsText):
    """The findings as data: one JSON object, with the account of the input under "input"."""

    def write(self, checked: Checked) -> None:
        report = checked.checker.report()
        report["input"] = checked.stats.as_dict()
        out = self.terminal.stdout_bytes
        out.write(dumps(report) + b"\n")
        out.flush()


def write_findings_text(out: TextIO, findings: list[Finding], color: bool, width: int = 100) -> None:
    """Findings grouped and counted, warnings first, each with what it means and examples."""
    # Each line is made by paint.line, which escapes every piece: sources, ids and details
    # quote the dump.
    paint = Painter(color)
    if not findings:
        out.write(paint.line("No problems found."))
        return
    for number, finding in enumerate(findings):
        if number:
            out.write("\n")
        level = finding.level
        noun = "time" if finding.count == 1 else "times"
        out.write(
            paint.line(
                (f"{level:<7}", _LEVEL_STYLE[level]),
                f" {finding.rule.title} ({finding.count:,} {noun}) [{finding.code}]",
            )
        )
        for line in _wrap(finding.rule.meaning, width - 10):
            out.write(paint.line(f"          {line}"))
        for example in finding.examples:
            parts = [example.source]
            if example.message_id:
                parts.append(f"message {example.message_id}")
            if example.event:
                parts.append(example.event)
            line = "  ".join(parts)
            if example.detail:
                line += f": {example.detail}"
            out.write(paint.line(f"    e.g. {line}"))
        more = finding.count - len(finding.examples)
        if more > 0:
            out.write(paint.line(f"    … and {more:,} more"))


def findings_summary(warnings: int, infos: int) -> str:
    return (
        f"{warnings:,} warning{'' if warnings == 1 else 's'}, "
        f"{infos:,} informational finding{'' if infos == 1 else 's'}"
    )


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines
