"""``show``'s view of one message: every field, the decoded payload, and every delivery it arrived in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

import orjson

from wkcli.output.messages import dumps
from wkcli.output.terminal import Painter, Terminal
from wkcli.text import display, sanitize

if TYPE_CHECKING:
    from wkcli.output.base import Options


class ShowText:
    """Each matching message in full: deliveries, header, fields, setting bits, payload, recipients."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self._shown = 0

    @classmethod
    def open(cls, terminal: Terminal, options: Options) -> ShowText:
        return cls(terminal)

    def write(self, view: dict[str, Any]) -> None:
        out = self.terminal.stdout
        if self._shown:
            out.write("\n")
        self._shown += 1
        write_view(out, view, self.terminal.color)

    def flush(self) -> None:
        self.terminal.stdout.flush()

    def close(self) -> None:
        self.flush()


class ShowJson(ShowText):
    """The views as one JSON array, written when the last is known."""

    def __init__(self, terminal: Terminal) -> None:
        super().__init__(terminal)
        self._views: list[dict[str, Any]] = []

    def write(self, view: dict[str, Any]) -> None:
        self._views.append(view)

    def close(self) -> None:
        out = self.terminal.stdout_bytes
        out.write(dumps(self._views) + b"\n")
        out.flush()


def write_view(out: TextIO, view: dict[str, Any], color: bool) -> None:
    """One message's view."""
    # Each line is made by paint.line, which escapes every piece: all of it quotes the dump.
    paint = Painter(color)
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
