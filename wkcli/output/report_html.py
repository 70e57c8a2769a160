"""``wkcli report --html``: one self-contained page, charts drawn as inline SVG, nothing fetched."""

from __future__ import annotations

import html
from typing import Any
from unicodedata import east_asian_width

from wkcli import __version__
from wkcli.text import display

# SVG widths in CSS pixels: drawn at that size on a wide window (text stays 12px), shrunk to fit
# a narrower one, never stretched.
HALF = 560
WIDE = 1180
ROW = 22
LABEL = 190

CSS = """
:root { --bg: #fff; --fg: #1d2330; --muted: #667085; --panel: #f6f7f9; --grid: #d9dde3;
  --cmd: #a23bc4; --chat: #2f9e5a; --bar: #2b7bb9; --retries: #d43f3a; --online: #2f9e5a;
  --offline: #d98a00; --warning: #d43f3a; --info: #2b7bb9; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171c; --fg: #e4e7ec; --muted: #98a2b3; --panel: #1d2129; --grid: #363c47;
    --cmd: #d27ef0; --chat: #5ccf8a; --bar: #62a8e5; --retries: #ff6b66; --online: #5ccf8a;
    --offline: #f2b84b; --warning: #ff6b66; --info: #62a8e5; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 0 0 2px; }
h1, h2, .sub, .note, .stat span, td, footer { overflow-wrap: anywhere; }
.sub, .note { color: var(--muted); font-size: 12px; margin: 0 0 10px; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(520px, 100%), 1fr)); gap: 16px; }
.panel { background: var(--panel); border-radius: 8px; padding: 14px 16px; min-width: 0;
  break-inside: avoid; page-break-inside: avoid; }
.wide { grid-column: 1 / -1; }
svg { max-width: 100%; height: auto; display: block; overflow: visible; }
.chart { max-width: 100%; } .chart svg { width: 100%; }
.ticks { position: relative; height: 18px; color: var(--muted); font-size: 11px; white-space: nowrap; }
.ticks span { position: absolute; top: 2px; } .ticks .mid { transform: translateX(-50%); }
.ticks .end { transform: translateX(-100%); }
svg text { fill: var(--fg); font-size: 12px; font-family: inherit; }
svg text.muted { fill: var(--muted); font-size: 11px; }
.grid { stroke: var(--grid); stroke-width: 1; }
.cmd { fill: var(--cmd); } .chat { fill: var(--chat); } .bar { fill: var(--bar); }
.retries { fill: var(--retries); } .online { fill: var(--online); } .offline { fill: var(--offline); }
.warning { fill: var(--warning); } .info { fill: var(--info); } .presence { fill: var(--muted); }
rect:hover { opacity: .75; }
table { border-collapse: collapse; font-size: 13px; margin-top: 8px; }
.scroll { overflow-x: auto; max-width: 100%; } .scroll td { white-space: nowrap; }
td, th { padding: 2px 10px 2px 0; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.legend { white-space: nowrap; }
.key { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px; }
.key.cmd { background: var(--cmd); } .key.chat { background: var(--chat); }
.key.online { background: var(--online); } .key.offline { background: var(--offline); }
.key.presence { background: var(--muted); }
.stats { display: flex; flex-wrap: wrap; gap: 8px 28px; margin-bottom: 12px; }
.stat b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; }
.stat span { color: var(--muted); font-size: 12px; }
footer { color: var(--muted); font-size: 12px; margin-top: 20px; }
@media (max-width: 560px) {
  body { padding: 12px 10px; } main { gap: 10px; } .panel { padding: 10px; }
  .stats { gap: 6px 18px; } .stat b { font-size: 17px; } .ticks .mid { display: none; } }
@media print {
  :root { --bg: #fff; --fg: #000; --muted: #444; --panel: #fff; --grid: #bbb; }
  body { padding: 0; } main { display: block; } .panel { border: 1px solid #bbb; margin-bottom: 12px; }
  rect:hover { opacity: 1; } }
"""


def _e(value: Any) -> str:
    """Text from a dump, made visible (control characters escaped) and HTML-escaped."""
    return html.escape(display(value), quote=True)


def _key(value: Any) -> str:
    if value is None:
        return "(none)"
    if value == "":
        return "(empty)"
    return display(value)


def _share(part: int, total: int) -> str:
    return f" ({part / total:.1%})" if total else ""


def page(result: dict[str, Any], title: str, utc: bool) -> str:
    """The whole report as one HTML document."""
    totals = result["totals"]
    buckets = result["timeline"]["buckets"]
    span = f"{buckets[0]['label']} – {buckets[-1]['label']}{' UTC' if utc else ''}" if buckets else ""
    panels = [
        _totals(totals),
        _timeline(result["timeline"]),
        _top("Top channels", "channel_id", result["channels"]),
        _top("Top senders", "from_uid", result["senders"]),
        _top("Top CMD names", "the payload's cmd, for CMD messages", result["cmd_names"]),
        _top("Content types", "the payload's type", result["content_types"]),
        _fanout(result["fanout"]),
        _lag(result["lag"]),
        _retries(result["retries"], buckets),
        _presence(result["presence"], buckets),
        _findings(result["findings"]),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>wkcli report: {_e(title)}</title><style>{CSS}</style></head><body>"
        f'<h1>wkcli report: {_e(title)}</h1><p class="sub">{_e(span)}</p><main>'
        + "".join(panels)
        + f"</main><footer>wkcli {_e(__version__)} · hover a bar for its exact numbers</footer>"
        "</body></html>\n"
    )


def _panel(name: str, note: str, body: str, wide: bool = False) -> str:
    cls = "panel wide" if wide else "panel"
    return f'<section class="{cls}"><h2>{_e(name)}</h2><p class="note">{note}</p>{body}</section>'


def _svg(width: int, height: int, inner: str) -> str:
    # Inline SVG in HTML needs no xmlns: the page names nothing outside itself.
    return f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">{inner}</svg>'


def _rect(x: float, y: float, w: float, h: float, cls: str, title: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
            f'class="{cls}"><title>{title}</title></rect>')  # fmt: skip


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{text}</text>'


def _hbars(
    rows: list[tuple[str, int, str]], total: int, cls: str = "bar", label: int = LABEL, width: int = HALF
) -> str:
    """Horizontal bars: (label, count, class) per row, each with its exact numbers in a title."""
    if not rows:
        return _svg(width, ROW, _text(0, 15, "nothing to show", "muted"))
    top = max(count for _, count, _ in rows) or 1
    numbers = [f"{count:,}{_share(count, total)}" for _, count, _ in rows]
    # The longest bar leaves room for its numbers (about 7px a character, 11px for "%"), so
    # that they stay inside the chart when it is shrunk to a narrow window.
    room = width - label - max(110, max(len(text) * 7 + 12 for text in numbers))
    parts = []
    for index, (name, count, row_cls) in enumerate(rows):
        y = index * ROW
        title = f"{html.escape(name)}: {count:,}{_share(count, total)}"
        parts.append(_text(0, y + 15, html.escape(_fitted(name, label))))
        parts.append(_rect(label, y + 3, count / top * room, ROW - 6, row_cls or cls, title))
        parts.append(_text(label + count / top * room + 6, y + 15, numbers[index], "muted"))
    return _svg(width, len(rows) * ROW, "".join(parts))


def _fitted(name: str, width: int) -> str:
    """``name`` cut with "…" to about ``width`` pixels: 7 a character, 14 a wide (CJK) one."""
    used = 0
    for index, char in enumerate(name):
        used += 14 if east_asian_width(char) in "WF" else 7
        if used > width:
            return name[: max(index - 1, 0)] + "…"
    return name


def _vbars(
    columns: list[tuple[str, list[tuple[int, str, str]]]], height: int = 170, width: int = WIDE
) -> str:
    """Vertical bars, stacked: (label, [(count, class, title)]) per column; time labels under them.

    The time labels are HTML under the chart, placed in percent of its width: they keep their
    size when the chart is shrunk to a narrow window (where only the first and last are shown).
    """
    if not columns:
        return _svg(width, 30, _text(0, 15, "nothing to show", "muted"))
    left, bottom = 54, 34  # bottom: 8 under the axis here, the time labels under the chart
    plot = height - bottom - 8
    top = max(sum(c for c, _, _ in stack) for _, stack in columns) or 1
    step = (width - left) / len(columns)
    gap = 1 if step > 3 else 0
    parts = [
        f'<line x1="{left}" y1="{8 + plot}" x2="{width}" y2="{8 + plot}" class="grid"/>',
        f'<line x1="{left}" y1="8" x2="{width}" y2="8" class="grid"/>',
        _text(left - 6, 12, f"{top:,}", "muted", "end"),
        _text(left - 6, 8 + plot, "0", "muted", "end"),
    ]
    for index, (_, stack) in enumerate(columns):
        x = left + index * step
        y: float = 8 + plot
        for count, cls, title in stack:
            h = count / top * plot
            if count:
                parts.append(_rect(x + gap / 2, y - h, step - gap, h, cls, title))
            y -= h
    # As many time labels as fit side by side without touching.
    longest = max(len(label) for label, _ in columns) * 7 + 24
    ticks = max(1, min(len(columns), int((width - left) // (longest * 1.5)) + 1))
    labels = []
    for tick in range(ticks):
        index = round(tick * (len(columns) - 1) / max(ticks - 1, 1))
        anchor = "start" if tick == 0 else "end" if tick == ticks - 1 else "mid"
        x = left + index * step + (step / 2 if anchor == "mid" else step if anchor == "end" else 0)
        labels.append(f'<span class="{anchor}" style="left:{x / width:.3%}">{_e(columns[index][0])}</span>')
    return (
        f'<div class="chart" style="width:{width}px">{_svg(width, height - 26, "".join(parts))}'
        f'<div class="ticks">{"".join(labels)}</div></div>'
    )


def _legend(*names: str) -> str:
    # A legend entry wraps as one: its colour never ends a line apart from its name.
    return "".join(f'<span class="legend"><span class="key {n}"></span>{_e(n)}</span>' for n in names)


def _totals(totals: dict[str, Any]) -> str:
    messages = totals["messages"]
    whole = messages + totals["presence"] or 1
    x = 0.0
    parts = []
    for name, count in (("cmd", totals["cmd"]), ("chat", totals["chat"]), ("presence", totals["presence"])):
        w = count / whole * WIDE
        parts.append(_rect(x, 0, w, 22, name, f"{name}: {count:,}{_share(count, whole)}"))
        x += w
    stats = [("records", totals["records"]), ("messages", messages),
             ("cmd", totals["cmd"]), ("chat", totals["chat"]), ("presence entries", totals["presence"]),
             ("malformed", totals["malformed"]), ("anomalies", totals["anomalies"]),
             ("warnings", totals["warnings"]), ("info", totals["info"])]  # fmt: skip
    stats += [(_key(e["event"]) if e["event"] is not None else "(no event)", e["count"])
              for e in totals["events"]]  # fmt: skip
    boxes = "".join(f'<div class="stat"><b>{count:,}</b><span>{_e(name)}</span></div>'
                    for name, count in stats)  # fmt: skip
    body = f'<div class="stats">{boxes}</div>' + _svg(WIDE, 22, "".join(parts))
    note = "what was read, and what matched: messages by kind and presence entries"
    note += _legend("cmd", "chat", "presence")
    return _panel("Totals", note, body, wide=True)


def _timeline(timeline: dict[str, Any]) -> str:
    buckets = timeline["buckets"]
    step = timeline["bucket_seconds"]
    columns = []
    for b in buckets:
        label, cmd, chat = _e(b["label"]), b["cmd"], b["chat"]
        stack = [
            (cmd, "cmd", f"{label}: {cmd:,} cmd of {cmd + chat:,}"),
            (chat, "chat", f"{label}: {chat:,} chat of {cmd + chat:,}"),
        ]
        columns.append((b["label"], stack))
    note = f"messages per {_duration(step)}, cmd and chat stacked" if step else "no message has a time"
    if timeline["untimed"]:
        note += f"; {timeline['untimed']:,} messages without a time are not drawn"
    return _panel("Messages over time", _e(note) + _legend("cmd", "chat"), _vbars(columns, 190), wide=True)


def _top(name: str, what: str, top: dict[str, Any]) -> str:
    if top["exact"]:
        note = f"{_e(what)} · {top['distinct']:,} distinct, exact"
    else:
        note = f"{_e(what)} · approximate: counts may be low by up to {top['max_error']:,}"
    rows = [(_key(row["key"]), row["count"], "") for row in top["rows"]]
    return _panel(name, note, _hbars(rows, top["total"]))


def _fanout(fanout: dict[str, Any]) -> str:
    rows = [(f"{b['label']} recipient{'' if b['label'] == '1' else 's'}", b["count"], "")
            for b in fanout["bins"] if b["count"]]  # fmt: skip
    if fanout["unknown"]:
        rows.append(("unknown (v1/v2 gzip)", fanout["unknown"], "offline"))
    if fanout["unreadable"]:
        rows.append(("unreadable", fanout["unreadable"], "warning"))
    body = _hbars(rows, fanout["deliveries"])
    if fanout["largest"]:
        cells = "".join(
            f'<tr><td class="n">{e["recipients"]:,}</td><td>{_e(e["message_id"])}</td>'
            f"<td>{_e(_key(e['channel_id']))}</td><td>{_e(_key(e['from_uid']))}</td><td>{_e(e['source'])}</td></tr>"
            for e in fanout["largest"][:5]
        )
        body += ('<div class="scroll"><table><tr><th>recipients</th><th>message</th><th>channel</th>'
                 f"<th>from</th><th>where</th></tr>{cells}</table></div>")  # fmt: skip
    note = f"recipients per msg.offline delivery ({fanout['deliveries']:,} deliveries)"
    return _panel("Offline fan-out", note, body)


def _duration(seconds: int) -> str:
    for size, unit in ((604800, "week"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            n = seconds // size
            return unit if n == 1 else f"{n} {unit}s"
    return "second" if seconds == 1 else f"{seconds} seconds"


def _seconds(value: float | None) -> str:
    if value is None:
        return "?"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.2g}s"


def _lag(lag: dict[str, Any]) -> str:
    measured = lag["measured"]
    columns = [(b["label"], [(b["count"], "bar", f"{_e(b['label'])}: {b['count']:,}"
                                       f"{_share(b['count'], measured)}")])
               for b in lag["bins"]]  # fmt: skip
    if lag["negative"]:
        skew = lag["negative"]
        columns.insert(0, ("<0", [(skew, "offline", f"<0 (clock skew): {skew:,}{_share(skew, measured)}")]))
    if measured:
        note = " · ".join(f"{name} ≤ {_seconds(lag[name])}" for name in ("p50", "p90", "p99"))
        note += f" · receive time minus timestamp, {measured:,} capture records"
        if lag["negative"]:
            note += f" · {lag['negative']:,} received before their timestamp (clock skew)"
    else:
        note = "no receive times: lag needs capture records"
    return _panel("Delivery lag", _e(note), _vbars(columns, 150, HALF))


def _retries(retries: dict[str, Any], buckets: list[dict[str, Any]]) -> str:
    columns = [(b["label"], [(b["retries"], "retries", f"{_e(b['label'])}: {b['retries']:,} retries")])
               for b in buckets]  # fmt: skip
    if retries["retries"]:
        note = (
            f"{retries['retries']:,} deliveries of a message already delivered in the same event: "
            "a receiver not answering HTTP 200 in time"
        )
    else:
        note = "no message was delivered twice in the same event"
    if retries["forgotten"]:
        note += (
            f"; repeats are spotted among the last {retries['remembered'] // 2:,} or more messages per event"
        )
    return _panel("Retries", _e(note), _vbars(columns, 130), wide=True)


def _presence(presence: dict[str, Any], buckets: list[dict[str, Any]]) -> str:
    columns = [(b["label"], [(b["online"], "online", f"{_e(b['label'])}: {b['online']:,} online"),
                             (b["offline"], "offline", f"{_e(b['label'])}: {b['offline']:,} offline")])
               for b in buckets]  # fmt: skip
    note = f"{presence['online']:,} online and {presence['offline']:,} offline entries"
    if presence["malformed"]:
        note += f", {presence['malformed']:,} unreadable"
    note += "; entries without a receive time are counted, not drawn"
    body = _vbars(columns, 130)
    flappers = presence["flappers"]["rows"]
    if flappers:
        cells = "".join(f'<tr><td>{_e(_key(r["key"]))}</td><td class="n">{r["count"]:,}</td></tr>'
                        for r in flappers)  # fmt: skip
        body += f"<table><tr><th>user (most status changes)</th><th>changes</th></tr>{cells}</table>"
    return _panel("Presence", _e(note) + _legend("online", "offline"), body, wide=True)


def _findings(findings: list[dict[str, Any]]) -> str:
    rows = [(f"{f['title']} [{f['code']}]", f["count"], f["level"]) for f in findings]
    total = sum(f["count"] for f in findings)
    note = "what wkcli check finds, counted (run it for the details and examples)"
    return _panel("Findings", note, _hbars(rows, total, label=620, width=WIDE), wide=True)
