"""``wkcli report`` on a terminal: panels of block-character bars and sparklines that fit its width."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text

from wkcli.output.style import role
from wkcli.output.terminal import Terminal
from wkcli.output.wrap import text_width, wrap_units
from wkcli.text import display

BLOCKS = " ▁▂▃▄▅▆▇█"
EIGHTHS = " ▏▎▍▌▋▊▉█"
CHART_ROWS = 6
SIDE_BY_SIDE = 160  # from this width, top lists are drawn two to a row
MAX_BAR = 60


def write(terminal: Terminal, render_at: Callable[[int], list[Text]]) -> None:
    from wkcli.output.console import make_console

    console = make_console(terminal)
    lines = render_at(max(text_width(terminal), 40))
    console.print(Text("\n").join(lines), overflow="ignore", crop=False)


def live_renderable(terminal: Terminal, state: Any, stats: Any, title: str, utc: bool) -> Any:
    """The panels for ``--follow``'s redraw, at the terminal's current width."""
    from wkcli.output.console import make_console

    width = max(make_console(terminal).width, 40)
    lines = render(state, stats, width, terminal.color, title, utc)
    lines.append(Text("following; Ctrl-C to stop", style="dim"))
    return Text("\n").join(lines)


def render(state: Any, stats: Any, width: int, color: bool, title: str, utc: bool) -> list[Text]:
    """Every panel as lines of at most ``width`` cells; styles only when ``color``."""
    margin = 9
    result = state.result(stats, max_bars=max(width - margin - 1, 8))
    paint = _Painter(color)
    lines: list[Text] = []
    buckets = result["timeline"]["buckets"]
    span = f"{buckets[0]['label']} – {buckets[-1]['label']}{' UTC' if utc else ''}" if buckets else ""
    head = paint.join([paint("wkcli report", "bold"), Text(" " + display(title))])
    if head.cell_len + 2 + len(span) <= width:
        lines.append(paint.join([head, Text("  "), paint(span, "dim")]))
    else:
        lines += [head, paint(span, "dim")]
    lines += _totals(result["totals"], width, paint)
    lines += _timeline(result, width, margin, paint)
    pairs = [("Top channels", result["channels"]), ("Top senders", result["senders"]),
             ("Top CMD names", result["cmd_names"]), ("Content types", result["content_types"])]  # fmt: skip
    if width >= SIDE_BY_SIDE:
        half = (width - 3) // 2
        for (left_name, left), (right_name, right) in zip(pairs[::2], pairs[1::2], strict=True):
            lines += _beside(_top(left_name, left, half, paint), _top(right_name, right, half, paint), half)
    else:
        for name, top in pairs:
            lines += _top(name, top, width, paint)
    if width >= SIDE_BY_SIDE:
        half = (width - 3) // 2
        lag = _lag(result["lag"], half, margin, paint)
        lines += _beside(_fanout(result["fanout"], half, paint), lag, half)
    else:
        lines += _fanout(result["fanout"], width, paint)
        lines += _lag(result["lag"], width, margin, paint)
    lines += _presence(result["presence"], width, paint)
    lines += _findings(result["findings"], width, paint)
    for line in lines:
        line.rstrip()
        line.truncate(width, overflow="ellipsis")
    return lines


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, style: str = "") -> Text:
        return Text(text, style=role(style) if self.color else "")

    def join(self, parts: list[Text]) -> Text:
        return Text("").join(parts)


def _heading(name: str, note: str, width: int, paint: _Painter) -> list[Text]:
    head = paint.join([paint(f"── {name} ", "bold"), paint(f"· {note} " if note else "", "dim")])
    head.append("─" * max(width - head.cell_len, 0), style="dim" if paint.color else "")
    return [Text(""), head]


def _flow(parts: list[Text], width: int) -> list[Text]:
    """Lay ``parts`` out on as few lines as fit, three spaces apart."""
    lines: list[Text] = []
    current = Text("  ")
    for part in parts:
        if current.cell_len > 2 and current.cell_len + 3 + part.cell_len > width:
            lines.append(current)
            current = Text("  ")
        if current.cell_len > 2:
            current.append("   ")
        current.append_text(part)
    lines.append(current)
    return lines


def _totals(totals: dict[str, Any], width: int, paint: _Painter) -> list[Text]:
    messages = totals["messages"]

    def item(name: str, value: int, style: str = "", share: int | None = None) -> Text:
        text = paint.join([paint(name + " ", style), paint(f"{value:,}", "bold")])
        if share:
            text.append_text(paint(f" ({value / share:.1%})", "dim"))
        return text

    parts = [item("records", totals["records"]), item("messages", messages),
             item("cmd", totals["cmd"], "cmd", messages), item("chat", totals["chat"], "chat", messages),
             item("presence entries", totals["presence"]),
             item("malformed", totals["malformed"], "warning" if totals["malformed"] else ""),
             item("anomalies", totals["anomalies"], "offline" if totals["anomalies"] else ""),
             item("warnings", totals["warnings"], "warning" if totals["warnings"] else ""),
             item("info", totals["info"])]  # fmt: skip
    events = [item(display(e["event"]) if e["event"] is not None else "(no event)", e["count"], "dim")
              for e in totals["events"]]  # fmt: skip
    lines = _heading("Totals", "", width, paint) + _flow(parts, width)
    return lines + _flow(events, width) if events else lines


def _bars(values: list[int], top: int, rows: int) -> list[list[int]]:
    """Per row (bottom first), each column's fill in eighths of a cell."""
    scale = rows * 8 / top if top else 0
    heights = [0 if not v else max(1, round(v * scale)) for v in values]
    return [[min(max(h - row * 8, 0), 8) for h in heights] for row in range(rows)]


def _axis(label: str, margin: int) -> str:
    return f"{label:>{margin - 1}} "


def _timeline(result: dict[str, Any], width: int, margin: int, paint: _Painter) -> list[Text]:
    timeline = result["timeline"]
    buckets = timeline["buckets"]
    step = timeline["bucket_seconds"]
    note = f"per {_duration(step)}" if step else "no times"
    room = width - margin
    shown = buckets[-room:]
    if len(shown) < len(buckets):
        note += f", the last {len(shown)} of {len(buckets)}"
    lines = _heading("Messages over time", note + (" · cmd and chat stacked" if step else ""), width, paint)
    if not buckets:
        untimed = timeline["untimed"]
        lines.append(Text(f"  no message has a time ({untimed:,} without one)"))
        return lines
    # Few buckets are drawn wider, so a short dump still fills the panel.
    cell = max(1, min(3, room // len(shown)))
    totals = [b["cmd"] + b["chat"] for b in shown]
    top = max(totals) or 1
    filled = _bars(totals, top, CHART_ROWS)
    scale = CHART_ROWS * 8 / top
    heights = [0 if not t else max(1, round(t * scale)) for t in totals]
    cmd_heights = [min(h, max(1, round(b["cmd"] * scale)) if b["cmd"] else 0)
                   for b, h in zip(shown, heights, strict=True)]  # fmt: skip
    for row in range(CHART_ROWS - 1, -1, -1):
        label = f"{top:,}" if row == CHART_ROWS - 1 else "0" if row == 0 else ""
        line = paint(_axis(label, margin), "dim")
        for column, level in enumerate(filled[row]):
            # A cell is drawn as cmd when most of its filled part lies below the cmd height.
            is_cmd = level > 0 and cmd_heights[column] * 2 > row * 16 + level
            char = BLOCKS[level]
            if not paint.color and not is_cmd and level == 8:
                char = "▒"  # without colour, full chat cells are shaded so the stack still shows
            line.append_text(paint(char * cell, "cmd" if is_cmd else "chat"))
        lines.append(line)
    lines.append(paint(" " * margin + _time_axis(shown, cell), "dim"))
    legend = paint.join([Text(" " * margin), paint("█ cmd", "cmd"), Text("  "),
                         paint("█ chat" if paint.color else "▒ chat", "chat")])  # fmt: skip
    if timeline["untimed"]:
        legend.append_text(paint(f"   {timeline['untimed']:,} messages without a time", "dim"))
    lines.append(legend)
    retries = result["retries"]
    lines += _heading("Retries", _retry_note(retries), width, paint)
    lines.append(_spark("retries", [b["retries"] for b in shown], margin, paint, cell))
    if retries["retries"]:
        lines += _flow([Text(f"{retries['retries']:,} deliveries of a message already delivered"),
                        paint("WuKongIM resends until it gets HTTP 200 in time", "dim")], width)  # fmt: skip
    presence = result["presence"]
    if presence["online"] or presence["offline"]:
        lines += _heading("Presence over time", "online and offline entries", width, paint)
        lines.append(_spark("online", [b["online"] for b in shown], margin, paint, cell))
        lines.append(_spark("offline", [b["offline"] for b in shown], margin, paint, cell))
    return lines


def _retry_note(retries: dict[str, Any]) -> str:
    if retries["forgotten"]:
        return f"repeats among the last {retries['remembered'] // 2:,}+ messages per event"
    return "the same message again in the same event"


def _time_axis(buckets: list[dict[str, Any]], cell: int) -> str:
    """The first and last bucket's times under the chart; the date once when both share it."""
    first, last = buckets[0]["label"], buckets[-1]["label"]
    if first[:10] == last[:10] and len(last) > 10:
        last = last[11:]
    room = len(buckets) * cell
    if room >= len(first) + len(last) + 2:
        return first + " " * (room - len(first) - len(last)) + last
    return first


def _spark(name: str, values: list[int], margin: int, paint: _Painter, cell: int = 1) -> Text:
    top = max(values) if values else 0
    line = paint(_axis(name, margin), "dim")
    for value in values:
        level = 0 if not value else max(1, round(value / top * 8))
        line.append_text(paint(BLOCKS[level] * cell, name))
    line.append_text(paint(f"  max {top:,}", "dim"))
    return line


def _duration(seconds: int) -> str:
    for size, unit in ((604800, "week"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            n = seconds // size
            return unit if n == 1 else f"{n} {unit}s"
    return "second" if seconds == 1 else f"{seconds} seconds"


def _label(key: Any) -> str:
    if key is None:
        return "(none)"
    if key == "":
        return "(empty)"
    return display(key)


def _rows(
    rows: list[tuple[str, int]], total: int, width: int, paint: _Painter, style: str = "bar"
) -> list[Text]:
    """``label  count  share  bar`` rows; bars scaled to the largest count."""
    if not rows:
        return [paint("  (none)", "dim")]
    numbers = max(len(f"{count:,}") for _, count in rows)
    # Labels are uids and channel ids: they take the room they need, the bar gives way to them.
    fixed = 2 + 2 + numbers + 8 + 1
    name_width = min(max(Text(name).cell_len for name, _ in rows), max(width - fixed - 4, 12))
    # Bars longer than MAX_BAR cells are harder to compare, not easier.
    bar_width = min(max(width - fixed - name_width, 4), MAX_BAR)
    top = max(count for _, count in rows) or 1
    lines = []
    for name, count in rows:
        label = Text(name)
        label.truncate(name_width, overflow="ellipsis", pad=True)
        line = paint.join([Text("  "), label, Text(f"  {count:>{numbers},}")])
        line.append_text(paint(f" {count / total:6.1%} " if total else "        ", "dim"))
        line.append_text(paint(_hbar(count / top * bar_width), style))
        lines.append(line)
    return lines


def _hbar(cells: float) -> str:
    eighths = max(1, round(cells * 8)) if cells > 0 else 0
    return "█" * (eighths // 8) + (EIGHTHS[eighths % 8] if eighths % 8 else "")


def _top(name: str, top: dict[str, Any], width: int, paint: _Painter) -> list[Text]:
    if top["exact"]:
        note = f"{top['distinct']:,} distinct"
    else:
        note = f"approximate: counts may be low by up to {top['max_error']:,}"
    rows = [(_label(row["key"]), row["count"]) for row in top["rows"]]
    return _heading(name, note, width, paint) + _rows(rows, top["total"], width, paint)


def _beside(left: list[Text], right: list[Text], half: int) -> list[Text]:
    lines = []
    for index in range(max(len(left), len(right))):
        a = left[index].copy() if index < len(left) else Text("")
        a.truncate(half, overflow="ellipsis", pad=True)
        b = right[index] if index < len(right) else Text("")
        lines.append(Text("").join([a, Text("   "), b]))
    return lines


def _fanout(fanout: dict[str, Any], width: int, paint: _Painter) -> list[Text]:
    note = f"recipients per msg.offline delivery ({fanout['deliveries']:,})"
    lines = _heading("Offline fan-out", note, width, paint)
    if not fanout["deliveries"]:
        return lines + [paint("  no msg.offline messages", "dim")]
    bins = [b for b in fanout["bins"] if b["count"]]
    rows = [(b["label"], b["count"]) for b in bins]
    if fanout["unknown"]:
        rows.append(("unknown", fanout["unknown"]))
    if fanout["unreadable"]:
        rows.append(("unreadable", fanout["unreadable"]))
    lines += _rows(rows, fanout["deliveries"], width, paint)
    largest = fanout["largest"][:3]
    if largest:
        lines.append(paint("  largest deliveries: recipients, message, channel, sender, where", "dim"))
    for entry in largest:
        # Wrapped between its fields, so an id or a uid is never cut at the terminal's edge.
        units = [("", f"{entry['recipients']:>7,}"), ("  ", display(entry["message_id"])),
                 ("  ", _label(entry["channel_id"])), ("  ", _label(entry["from_uid"])),
                 ("  ", display(entry["source"]))]  # fmt: skip
        lines += [Text(line) for line in wrap_units(units, width, " " * 11, "  ")]
    return lines


def _lag(lag: dict[str, Any], width: int, margin: int, paint: _Painter) -> list[Text]:
    note = f"receive time minus message timestamp ({lag['measured']:,} capture records)"
    lines = _heading("Delivery lag", note, width, paint)
    if not lag["measured"]:
        return lines + [paint("  no receive times: lag needs capture records (wkcli capture)", "dim")]
    parts = [paint.join([paint(name + " ≤ "), paint(_seconds(lag[name]), "bold")])
             for name in ("p50", "p90", "p99")]  # fmt: skip
    if lag["negative"]:
        parts.append(paint(f"{lag['negative']:,} received before their timestamp (clock skew)", "offline"))
    lines += _flow(parts, width)
    lines += _rows([(b["label"], b["count"]) for b in lag["bins"]], lag["measured"], width, paint)
    return lines


def _seconds(value: float | None) -> str:
    if value is None:
        return "?"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.2g}s"


def _presence(presence: dict[str, Any], width: int, paint: _Painter) -> list[Text]:
    lines = _heading("Presence", "user.onlinestatus entries", width, paint)
    if not presence["entries"]:
        return lines + [paint("  no presence entries", "dim")]
    parts = [paint.join([paint(f"{name} ", name), paint(f"{presence[name]:,}", "bold")])
             for name in ("online", "offline")]  # fmt: skip
    if presence["malformed"]:
        parts.append(paint(f"{presence['malformed']:,} unreadable", "warning"))
    lines += _flow(parts, width)
    flappers = presence["flappers"]
    if flappers["rows"]:
        lines.append(paint("  users whose status changed most (online ↔ offline, per device)", "dim"))
        rows = [(_label(row["key"]), row["count"]) for row in flappers["rows"]]
        lines += _rows(rows, flappers["total"], width, paint, "offline")
    return lines


def _findings(findings: list[dict[str, Any]], width: int, paint: _Painter) -> list[Text]:
    lines = _heading("Findings", "wkcli check for the details", width, paint)
    if not findings:
        return lines + [Text("  no problems found")]
    numbers = max(len(f"{f['count']:,}") for f in findings)
    codes = max(len(f["code"]) for f in findings)
    for finding in findings:
        # The code first: it is what to look up (wkcli check), and a narrow terminal cuts the title.
        lines.append(paint.join([Text("  "), paint(f"{finding['level']:<7}", finding["level"]),
                                 Text(f" {finding['count']:>{numbers},}  "),
                                 paint(f"{finding['code']:<{codes}}", "dim"),
                                 Text(f"  {finding['title']}")]))  # fmt: skip
    return lines
