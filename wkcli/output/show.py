"""``show``'s view of one message: every field, the decoded payload, and every delivery it arrived in."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from wkcli.output.messages import dumps
from wkcli.output.terminal import Painter, Terminal
from wkcli.output.wrap import text_width, wrap_units, wrap_words
from wkcli.text import display, sanitize

if TYPE_CHECKING:
    from wkcli.output.base import Options


_MOST_LINES = 8  # of one field or delivery: a 512-recipient list is summed up, not printed


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
        write_view(out, view, self.terminal.color, text_width(self.terminal))

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


def write_view(out: TextIO, view: dict[str, Any], color: bool, width: int = 100) -> None:
    """One message's view, wrapped at ``width`` between words: ids, uids and sources stay whole."""
    # Each line is made by paint.line, which escapes every piece: all of it quotes the dump.
    paint = Painter(color)

    def wrapped(text: str, first: str, indent: str, most: int = _MOST_LINES) -> None:
        # Only the start of a huge value is shown: the rest is not wrapped just to be counted.
        cut = len(text) > most * width * 2
        lines = wrap_words(text[: most * width * 2] if cut else text, width, indent, first)
        if cut:
            lines = lines[: most - 1] + [f"{indent}… ({len(text):,} characters in all)"]
        elif len(lines) > most:
            lines = lines[: most - 1] + [f"{indent}… ({len(lines) - most + 1:,} more lines)"]
        for line in lines:
            out.write(paint.line(line))

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
    wrapped(f"{view['kind']}  ({why})", "  kind      ", " " * 12)
    out.write(paint.line("  arrived in:"))
    for delivery in deliveries:
        units = [("", sanitize(str(delivery["source"])))]
        if delivery.get("received"):
            units.append(("  ", f"received {delivery['received']}"))
        if "recipients" in delivery:
            units.append(("  ", "recipients:"))
            units += [(" ", word) for word in _recipients_text(delivery).split(" ") if word]
        first = f"    {display(delivery['event'] or '?'):<17} "
        for line in wrap_units(units, width, " " * 22, first)[:_MOST_LINES]:
            out.write(paint.line(line))
    out.write(paint.line("  fields:"))
    decoded = view["decoded"]
    for key, value in view["message"].items():
        wrapped(_field_text(key, value, decoded), f"    {display(key):<17} ", " " * 22)
    out.write(paint.line(f"  payload   {_payload_heading(decoded)}"))
    body = decoded.get("payload")
    if decoded["payload_status"] == "json":
        text = orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
        for line in text.splitlines():
            inner = line[: len(line) - len(line.lstrip())]
            wrapped(line.lstrip(), "    " + inner, "    " + inner + "  ")
    elif isinstance(body, str):
        wrapped(body, "    ", "    ")


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
    return text


def _json(value: Any) -> str:
    # Arrays and objects get a space after each comma, so they wrap between their items.
    if isinstance(value, str):
        return sanitize(value) if value else '""'
    if isinstance(value, (list, dict)):
        return sanitize(json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str))
    return sanitize(dumps(value).decode())
