"""The human view: a rich table of messages, printed in batches so rows appear as input arrives."""

from __future__ import annotations

import os
import time
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from wkcli.model import CMD, Message
from wkcli.output.records import channel_type_name
from wkcli.output.terminal import Terminal
from wkcli.payload import decode_payload, preview
from wkcli.recipients import UNKNOWN, recipients
from wkcli.text import display
from wkcli.times import format_time

KIND_STYLES = {"cmd": "bold magenta", "chat": "green"}
EVENT_LABELS = {"msg.notify": "notify", "msg.offline": "offline"}
_BATCH_ROWS = 100
_BATCH_SECONDS = 0.25

# (header, width or None for flexible, minimum width)
_COLUMNS = (
    ("time", 19, 19),
    ("event", 7, 7),
    ("kind", 5, 5),
    ("channel", None, 10),
    ("from", None, 8),
    ("to", 4, 2),  # msg.offline recipients: a count, "?" unknown (v1/v2 gzip), "!" unreadable
    ("message id", 20, 12),
    ("payload", None, 16),
)
_TO_WIDTH = 4 + 2  # the "to" column and its gap


def make_console(terminal: Terminal, stderr: bool = False) -> Console:
    stream = terminal.stderr if stderr else terminal.stdout
    isatty = terminal.stderr_isatty if stderr else terminal.stdout_isatty
    return Console(
        file=stream,
        force_terminal=terminal.color or None,
        no_color=not terminal.color,
        color_system="auto" if terminal.color else None,
        highlight=False,
        markup=False,
        emoji=False,
        # A pipe has no width: honour COLUMNS if set, else leave room for the whole table.
        width=terminal.width or (None if isatty or os.environ.get("COLUMNS") else 160),
        soft_wrap=False,
    )


class TableWriter:
    """Prints messages as aligned table rows, a batch at a time, with the header once."""

    def __init__(self, terminal: Terminal, utc: bool = False) -> None:
        self.console = make_console(terminal)
        self.utc = utc
        self._rows: list[list[Any]] = []
        self._header_done = False
        self._last_flush = time.monotonic()
        self._widths = _fit_widths(self.console.width)

    def write(self, message: Message) -> None:
        self._rows.append(_cells(message, self.utc))
        if len(self._rows) >= _BATCH_ROWS or time.monotonic() - self._last_flush > _BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self._rows or not self._header_done:
            if self._rows:
                self._print(self._rows)
                self._rows = []
        self._last_flush = time.monotonic()
        self.console.file.flush()

    def close(self) -> None:
        if not self._header_done:
            self._print(self._rows)
        elif self._rows:
            self._print(self._rows)
        self._rows = []
        self.console.file.flush()

    def _print(self, rows: list[list[Any]]) -> None:
        table = Table(
            box=None,
            show_header=not self._header_done,
            header_style="bold",
            pad_edge=False,
            padding=(0, 1),
            expand=False,
        )
        for (name, _, _), width in zip(_COLUMNS, self._widths):
            table.add_column(name, width=width, no_wrap=True, overflow="ellipsis")
        for row in rows:
            table.add_row(*row)
        self._header_done = True
        self.console.print(table)


def _fit_widths(total: int) -> list[int]:
    """Fixed column widths so every batch lines up with the first."""
    fixed = sum(width for _, width, _ in _COLUMNS if width) + 2 * (len(_COLUMNS) - 1)
    # The narrow "to" column is paid for by the payload column alone.
    spare = max(total - fixed + _TO_WIDTH, 0)
    # Share the rest between channel, from and payload (1 : 1 : 2), each at least its minimum.
    shares = {"channel": 0.22, "from": 0.22, "payload": 0.56}
    widths = []
    for name, width, minimum in _COLUMNS:
        if width:
            widths.append(width)
        else:
            paid = _TO_WIDTH if name == "payload" else 0
            widths.append(max(minimum, int(spare * shares[name]) - paid))
    return widths


def _cells(message: Message, utc: bool) -> list[Any]:
    data = message.data
    kind = message.kind
    kind_text = Text(kind + ("!" if message.anomaly else ""), style=KIND_STYLES[kind])
    if message.anomaly:
        kind_text.stylize("bold red")
    channel = display(data.get("channel_id"))
    ctype = data.get("channel_type")
    if ctype is not None:
        channel = f"{channel} ({channel_type_name(ctype)})"
    decoded = decode_payload(data)
    hint = display(preview(decoded))
    payload = Text(hint, style="magenta" if decoded.cmd else "")
    event = message.event
    return [
        Text(format_time(message.time, utc), style="dim"),
        Text(EVENT_LABELS.get(event, display(event) if event else "?"), style="cyan"),
        kind_text,
        Text(channel),
        Text(display(data.get("from_uid"))),
        recipient_count(data),
        Text(message.id_text, style="dim" if kind != CMD else ""),
        payload,
    ]


def recipient_count(data: dict[str, Any]) -> Text:
    if "to_uids" not in data and "compress_to_uids" not in data:
        return Text("")
    found = recipients(data)
    if found.count is not None:
        return Text(str(found.count), justify="right")
    return Text("?" if found.status == UNKNOWN else "!", style="yellow", justify="right")
