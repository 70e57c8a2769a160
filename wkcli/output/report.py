"""The report's writers: its panels as text fitted to the terminal, or its numbers as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wkcli.output.terminal import Terminal
from wkcli.read.jsontext import dumps

if TYPE_CHECKING:
    from wkcli.output.base import Options
    from wkcli.read.accounting import Stats
    from wkcli.webhook.report import Report

# Timeline bars in the HTML page and in -o json, so that their numbers agree.
HTML_BARS = 96


@dataclass
class Reported:
    """One finished report: the gathered panels, the account of the input, and how to label it."""

    state: Report
    stats: Stats
    title: str
    utc: bool

    def result(self) -> dict[str, object]:
        return self.state.result(self.stats, HTML_BARS)


class ReportText:
    """The panels with block-character bars and sparklines, as wide as the terminal."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal

    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> ReportText:
        return cls(terminal)

    def write(self, item: Reported) -> None:
        from wkcli.output.report_terminal import render, write

        color = self.terminal.color
        write(self.terminal, lambda width: render(item.state, item.stats, width, color, item.title, item.utc))

    def flush(self) -> None:
        self.terminal.stdout.flush()

    def close(self) -> None:
        self.flush()


class ReportJson:
    """The same numbers as one JSON object."""

    def __init__(self, terminal: Terminal) -> None:
        self.out = terminal.stdout_bytes

    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> ReportJson:
        return cls(terminal)

    def write(self, item: Reported) -> None:
        self.out.write(dumps(item.result()) + b"\n")

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        self.flush()
