"""``check``'s findings: a text report to read, or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, TextIO

from wkcli.output.messages import dumps
from wkcli.output.terminal import Painter, Terminal
from wkcli.output.wrap import text_width, wrap_units, wrap_words
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
        findings = checked.checker.findings()
        write_findings_text(self.terminal.stdout, findings, self.terminal.color, text_width(self.terminal))

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
        title = f"{finding.rule.title} ({finding.count:,} {noun}) [{finding.code}]"
        head, *rest = wrap_words(title, width, " " * 8, f"{level:<7} ")
        out.write(paint.line((head[:7], _LEVEL_STYLE[level]), head[7:]))
        for line in rest + wrap_words(finding.rule.meaning, width, " " * 10):
            out.write(paint.line(line))
        for example in finding.examples:
            # The source, the message id and the event are never broken; the detail is, between words.
            units = [("", example.source)]
            if example.message_id:
                units.append(("  ", f"message {example.message_id}"))
            if example.event:
                units.append(("  ", example.event))
            if example.detail:
                sep, word = units[-1]
                units[-1] = (sep, word + ":")
                units += [(" ", word) for word in example.detail.split(" ") if word]
            for piece in wrap_units(units, width, " " * 9, "    e.g. "):
                out.write(paint.line(piece))
        more = finding.count - len(finding.examples)
        if more > 0:
            out.write(paint.line(f"    … and {more:,} more"))


def findings_summary(warnings: int, infos: int) -> str:
    return (
        f"{warnings:,} warning{'' if warnings == 1 else 's'}, "
        f"{infos:,} informational finding{'' if infos == 1 else 's'}"
    )
