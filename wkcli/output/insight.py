"""Rendering ``check`` findings, ``presence`` rows and ``show``'s one-message view."""

from __future__ import annotations

import time
from typing import Any, TextIO

import orjson

from wkcli.webhook.checks import INFO, WARNING, Finding
from wkcli.output.messages import dumps
from wkcli.output.terminal import Painter, Terminal
from wkcli.text import display, sanitize
from wkcli.webhook.times import format_time

_LEVEL_STYLE = {WARNING: "bold red", INFO: "cyan"}


# -- check ---------------------------------------------------------------------------------


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


# -- presence ------------------------------------------------------------------------------

PRESENCE_COLUMNS = ("received", "uid", "device", "status", "conn id", "device n", "total n", "source")


class PresenceJsonl:
    """One JSON object per presence entry."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def write(self, row: dict[str, Any]) -> None:
        self.out.write(dumps(row) + b"\n")

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class PresenceTable:
    """Presence entries as aligned rows, printed in batches so they appear as input arrives."""

    def __init__(self, terminal: Terminal, utc: bool = False) -> None:
        from wkcli.output.console import make_console

        self.console = make_console(terminal)
        self.color = terminal.color
        self.utc = utc
        self._rows: list[list[Any]] = []
        self._header_done = False
        self._last_flush = time.monotonic()

    def write(self, row: dict[str, Any]) -> None:
        from rich.text import Text

        status = row["status"]
        style = "green" if status == "online" else "dim"
        self._rows.append(
            [
                Text(format_time(row.get("received_ts"), self.utc), style="dim"),
                Text(display(row["uid"])),
                Text(display(row["device"])),
                Text(status, style=style),
                Text(display(row["conn_id"])),
                Text(display(row["device_online_count"])),
                Text(display(row["total_online_count"])),
                Text(display(row["source"]), style="dim"),
            ]
        )
        if len(self._rows) >= 100 or time.monotonic() - self._last_flush > 0.25:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self._print()
        self._last_flush = time.monotonic()
        self.console.file.flush()

    def close(self) -> None:
        if self._rows or not self._header_done:
            self._print()
        self.console.file.flush()

    def _print(self) -> None:
        from rich.table import Table

        table = Table(box=None, show_header=not self._header_done, header_style="bold", pad_edge=False)
        widths = (19, None, 7, 7, None, 8, 7, None)
        for name, width in zip(PRESENCE_COLUMNS, widths):
            table.add_column(name, min_width=width, no_wrap=True, overflow="ellipsis")
        for row in self._rows:
            table.add_row(*row)
        self._rows = []
        self._header_done = True
        self.console.print(table)


# -- show ----------------------------------------------------------------------------------


def write_show_text(out: TextIO, views: list[dict[str, Any]], color: bool) -> None:
    """Each matching message in full: deliveries, header, fields, setting bits, payload, recipients."""
    # Each line is made by paint.line, which escapes every piece: all of it quotes the dump.
    paint = Painter(color)
    for number, view in enumerate(views):
        if number:
            out.write("\n")
        deliveries = view["deliveries"]
        events: dict[str, int] = {}
        for delivery in deliveries:
            name = delivery["event"] or "unknown event"
            events[name] = events.get(name, 0) + 1
        seen = ", ".join(f"{name} ×{n}" for name, n in events.items())
        times = "once" if len(deliveries) == 1 else f"{len(deliveries)} times"
        out.write(paint.line((f"message {view['id']}", "bold"), f"  (seen {times}: {seen})"))
        if view["anomaly"]:
            why = view["anomaly"]
        elif view["kind"] == "cmd":
            why = "header.sync_once is 1"
        else:
            why = "header.sync_once is not 1"
        out.write(paint.line(f"  kind      {view['kind']}  ({why})"))
        out.write(paint.line("  arrived in:"))
        for delivery in deliveries:
            line = f"    {display(delivery['event'] or '?'):<17} {delivery['source']}"
            if delivery.get("received"):
                line += f"  received {delivery['received']}"
            if "recipients" in delivery:
                line += f"  recipients: {_recipients_text(delivery)}"
            out.write(paint.line(line))
        out.write(paint.line("  fields:"))
        decoded = view["decoded"]
        for key, value in view["message"].items():
            out.write(paint.line(f"    {display(key):<17} {_field_text(key, value, decoded)}"))
        out.write(paint.line(f"  payload   {_payload_heading(decoded)}"))
        body = decoded.get("payload")
        if decoded["payload_status"] == "json":
            text = orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
            for line in text.splitlines():
                out.write(paint.line(f"    {line}"))
        elif isinstance(body, str):
            out.write(paint.line(f"    {body}"))


def _payload_heading(decoded: dict[str, Any]) -> str:
    status = decoded["payload_status"]
    if status != "json":
        return f"({status})"
    parts = []
    if decoded.get("content_type") is not None:
        parts.append(f"type {display(decoded['content_type'])} ({display(decoded['content_type_name'])})")
    if decoded.get("cmd"):
        parts.append(f"cmd {decoded['cmd']}")
    return ", ".join(parts) or "JSON"


def _recipients_text(delivery: dict[str, Any]) -> str:
    status = delivery["recipients"]
    uids = delivery.get("to_uids")
    if uids is None:
        note = delivery.get("recipients_note")
        return f"{status}" + (f" ({note})" if note else "")
    shown = ", ".join(str(uid) for uid in uids[:20])
    if len(uids) > 20:
        shown += f", … ({len(uids) - 20:,} more)"
    return f"{len(uids):,} ({status}) {shown}".rstrip()


def _field_text(key: str, value: Any, decoded: dict[str, Any]) -> str:
    if key == "header" and type(value) is dict:
        return "  ".join(f"{sanitize(str(k))}={_json(v)}" for k, v in value.items()) or "{}"
    text = _json(value)
    if key == "setting" and decoded.get("setting_flags"):
        text += f"  ({', '.join(decoded['setting_flags'])})"
    elif key == "channel_type" and decoded.get("channel_type_name"):
        text += f"  ({decoded['channel_type_name']})"
    elif key == "timestamp" and decoded.get("time_text"):
        text += f"  ({decoded['time_text']})"
    if len(text) > 100:
        text = text[:99] + "…"
    return text


def _json(value: Any) -> str:
    # Escaped already here (as well as where the line is written) so the 100-character cut
    # counts what will be shown.
    if isinstance(value, str):
        return sanitize(value) if value else '""'
    return sanitize(dumps(value).decode())
