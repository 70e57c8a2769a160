"""The human view of messages: a table fitted to the terminal, printed in batches as input arrives."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wkcli.output.layout import Cell, Column, Grid, terminal_width
from wkcli.output.style import KIND_STYLES
from wkcli.output.terminal import Painter, Terminal
from wkcli.output.wrap import wrap_words
from wkcli.text import display
from wkcli.webhook.model import CMD, Message, channel_type_name
from wkcli.webhook.payload import decode_payload, preview
from wkcli.webhook.recipients import UNKNOWN, recipients
from wkcli.webhook.times import format_time

if TYPE_CHECKING:
    from wkcli.output.base import Options

EVENT_LABELS = {"msg.notify": "notify", "msg.offline": "offline"}
_BATCH_ROWS = 100
_BATCH_SECONDS = 0.25
_PREVIEW = 400  # the preview column is cut to fit the terminal, not before

# Kept longest first: kind, message id, channel, from; the payload preview shrinks first and takes
# what room is left; the time goes before it, then the recipient count and the event.
COLUMNS = (
    Column("time", 5, whole=True),
    Column("event", 7, min=6),
    Column("kind", 0, whole=True),
    Column("channel", 2, whole=True),
    Column("from", 3, whole=True),
    Column("to", 6, whole=True, right=True),
    Column("message id", 1, whole=True),
    Column("payload", 4, min=16, grow=True),
)
LEGEND = "kind! an odd header.sync_once · to: offline recipients, ? unknown, ! unreadable"


class TableWriter:
    """Prints messages as rows fitted to the terminal, a batch at a time, with the header once."""

    def __init__(
        self, terminal: Terminal, utc: bool = False, fields: list[str] | None = None, legend: bool = True
    ) -> None:
        self.terminal = terminal
        self.out = terminal.stdout
        self.utc = utc
        self.width = terminal_width(terminal)
        self.cells: Callable[[Message], list[Cell]]
        if fields:
            from wkcli.output.fields import column_for, message_getter
            from wkcli.output.messages import flat_row

            columns = [column_for(name, index) for index, name in enumerate(fields)]
            values = message_getter(fields, lambda message: flat_row(message, utc), utc)
            kinds = [name == "kind" for name in fields]

            def picked(message: Message) -> list[Cell]:
                return [
                    (text, KIND_STYLES.get(text, "") if is_kind else "")
                    for text, is_kind in zip(values(message), kinds, strict=True)
                ]

            self.cells = picked
        else:
            columns = list(COLUMNS)
            self.cells = lambda message: _cells(message, utc)
        # The legend explains the default columns' markers, to a person: never into a pipe.
        self.legend = legend and not fields and terminal.stdout_isatty
        self.grid = Grid(columns, self.width, terminal.color)
        self._rows: list[list[Cell]] = []
        self._header_done = False
        self._last_flush = time.monotonic()

    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> TableWriter:
        return cls(terminal, utc=options.utc, fields=options.fields)

    def write(self, message: Message) -> None:
        self._rows.append(self.cells(message))
        if len(self._rows) >= _BATCH_ROWS or time.monotonic() - self._last_flush > _BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self._rows:  # the first rows, not an early flush, decide the columns' widths
            self._print()
        self._last_flush = time.monotonic()
        self.out.flush()

    def close(self) -> None:
        self._print()
        if self.legend:
            paint = Painter(self.terminal.color)
            self.out.write("".join(paint.line((line, "dim")) for line in wrap_words(LEGEND, self.width)))
        self.out.flush()

    def _print(self) -> None:
        if not self._rows and self._header_done:
            return
        lines = self.grid.lines(self._rows, header=not self._header_done)
        self._header_done = True
        self._rows = []
        if lines:
            self.out.write("\n".join(lines) + "\n")


def _cells(message: Message, utc: bool) -> list[Cell]:
    data = message.data
    kind = message.kind
    channel = display(data.get("channel_id"))
    ctype = data.get("channel_type")
    if ctype is not None:
        channel = f"{channel} ({channel_type_name(ctype)})"
    decoded = decode_payload(data)
    event = message.event
    to, to_style = recipient_count(data)
    return [
        (format_time(message.time, utc), "dim"),
        (EVENT_LABELS.get(event or "", display(event) if event else "?"), "cyan"),
        (kind + "!", "bold red") if message.anomaly else (kind, KIND_STYLES[kind]),
        (channel, ""),
        (display(data.get("from_uid")), ""),
        (to, to_style),
        (message.id_text, "dim" if kind != CMD else ""),
        (display(preview(decoded, _PREVIEW)), "magenta" if decoded.cmd else ""),
    ]


def message_cells(message: Message, utc: bool = False) -> list[Cell]:
    """A message's cells for ``COLUMNS``, as the table prints them (``wkcli browse`` shows the same)."""
    return _cells(message, utc)


def recipient_count(data: dict[str, Any]) -> tuple[str, str]:
    """msg.offline recipients: a count, "?" when unknown (v1/v2 gzip), "!" when unreadable."""
    if "to_uids" not in data and "compress_to_uids" not in data:
        return ("", "")
    found = recipients(data)
    if found.count is not None:
        return (str(found.count), "")
    return ("?" if found.status == UNKNOWN else "!", "yellow")
