"""``wkcli report``: panels checked against count, classify, check and presence; the HTML; the terminal."""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import orjson
import pytest
from conftest import SAMPLES
from rich.cells import cell_len

NAMES = ("webhooks.jsonl", "capture.jsonl", "problems.jsonl", "envelopes.jsonl")
INPUTS = [str(SAMPLES / name) for name in NAMES]
ALL = INPUTS + [str(SAMPLES / "broken.jsonl"), str(SAMPLES / "offline.json.gz")]


def report(run, *args: str) -> dict:
    result = run("report", *args, "-o", "json", "--top", "1000")
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def groups(run, *args: str) -> dict:
    found = json.loads(run("count", *args, "-o", "json").stdout)
    by = found.get("by", [])
    return {tuple(g[name] for name in by) if len(by) > 1 else g[by[0]]: g["count"]
            for g in found.get("groups", [])}  # fmt: skip


def rows(panel: dict) -> dict:
    return {row["key"]: row["count"] for row in panel["rows"]}


@pytest.mark.parametrize("path", ALL)
def test_totals_and_top_lists_match_count(run, path: str) -> None:
    data = report(run, path)
    totals = data["totals"]
    counted = json.loads(run("count", path, "-o", "json").stdout)
    for name in ("cmd", "chat", "messages", "presence", "records", "malformed", "anomalies"):
        assert totals[name] == counted[name], name
    assert rows(data["channels"]) == groups(run, path, "--by", "channel_id")
    assert rows(data["senders"]) == groups(run, path, "--by", "from_uid")
    assert {e["event"]: e["count"] for e in totals["events"]} == groups(run, path, "--by", "event")
    assert data["channels"]["exact"] and data["channels"]["total"] == counted["messages"]


def test_filters_apply_as_for_count(run) -> None:
    path = str(SAMPLES / "webhooks.jsonl")
    for args in (["--kind", "cmd"], ["--channel", "g1"], ["--event", "msg.offline"], ["--from", "u1001"]):
        data = report(run, path, *args)
        counted = json.loads(run("count", path, *args, "-o", "json").stdout)
        assert (data["totals"]["cmd"], data["totals"]["chat"]) == (counted["cmd"], counted["chat"]), args
        assert rows(data["channels"]) == groups(run, path, *args, "--by", "channel_id")


@pytest.mark.parametrize(("bucket", "by"), [("1m", "minute"), ("1h", "hour"), ("1d", "day")])
def test_timeline_buckets_match_count_by_time(run, bucket: str, by: str) -> None:
    paths = INPUTS
    data = report(run, *paths, "--bucket", bucket)
    expected = groups(run, *paths, "--by", by, "--by", "kind")
    drawn = {}
    for b in data["timeline"]["buckets"]:
        for kind in ("cmd", "chat"):
            if b[kind]:
                drawn[(b["label"], kind)] = b[kind]
    assert drawn == {key: n for key, n in expected.items() if key[1] != "presence" and key[0] is not None}
    assert data["timeline"]["bucket_seconds"] == {"1m": 60, "1h": 3600, "1d": 86400}[bucket]


def test_automatic_buckets_hold_every_timed_message(run) -> None:
    data = report(run, *INPUTS)
    timeline = data["timeline"]
    drawn = sum(b["cmd"] + b["chat"] for b in timeline["buckets"])
    assert drawn + timeline["untimed"] == data["totals"]["messages"]
    assert 1 < len(timeline["buckets"]) <= 96


def test_content_types_cmd_names_and_fanout_match_classify_decode(run) -> None:
    paths = INPUTS
    data = report(run, *paths)
    out = run("classify", *paths, "--decode", "-o", "jsonl").stdout
    decoded = [json.loads(line) for line in out.splitlines()]
    types = Counter()
    names = Counter()
    fanout = Counter()
    for row in decoded:
        view = row["decoded"]
        status = view["payload_status"]
        name = (view["content_type_name"] or "(no type)") if status == "json" else f"({status})"
        types[name] += 1
        if row["kind"] == "cmd":
            names[view["cmd"] or f"({name.strip('()')})"] += 1
        if row.get("event") == "msg.offline":
            uids = view.get("to_uids")
            fanout["unknown" if view.get("recipients") == "unknown" else
                   "unreadable" if uids is None else len(uids)] += 1  # fmt: skip
    assert rows(data["content_types"]) == dict(types)
    assert rows(data["cmd_names"]) == dict(names)
    panel = data["fanout"]
    assert panel["deliveries"] == sum(fanout.values())
    assert (panel["unknown"], panel["unreadable"]) == (fanout["unknown"], fanout["unreadable"])
    for b in panel["bins"]:
        high = b["high"] if b["high"] is not None else 10**9
        assert b["count"] == sum(n for k, n in fanout.items() if type(k) is int and b["low"] <= k <= high)
    largest = max(k for k in fanout if type(k) is int)
    assert panel["largest"][0]["recipients"] == largest


def test_retries_and_findings_match_check(run) -> None:
    path = str(SAMPLES / "problems.jsonl")
    data = report(run, path)
    checked = json.loads(run("check", path, "-o", "json").stdout)
    found = {f["code"]: f["count"] for f in checked["findings"]}
    assert {f["code"]: f["count"] for f in data["findings"]} == found
    assert data["totals"]["warnings"] == checked["warnings"] and data["totals"]["info"] == checked["info"]
    assert data["retries"]["retries"] == found["duplicate"]
    assert sum(b["retries"] for b in data["timeline"]["buckets"]) == found["duplicate"]


def test_presence_matches_the_presence_command(run) -> None:
    paths = INPUTS
    data = report(run, *paths)["presence"]
    entries = [json.loads(line) for line in run("presence", *paths, "-o", "jsonl").stdout.splitlines()]
    statuses = Counter(entry["status"] for entry in entries)
    assert (data["online"], data["offline"]) == (statuses["online"], statuses["offline"])
    assert data["entries"] == json.loads(run("count", *paths, "-o", "json").stdout)["presence"]


def capture(received: str, body: object, event: str) -> bytes:
    return orjson.dumps({"received_at": received, "event": event, "body": body}) + b"\n"


def message(ident: int, ts: int, **extra: object) -> dict:
    return {"header": {"sync_once": 0}, "message_id": ident, "message_idstr": str(ident), "from_uid": "u1",
            "channel_id": "g1", "channel_type": 2, "timestamp": ts, **extra}  # fmt: skip


def test_lag_flaps_and_retries_from_captures(run, tmp_path: Path) -> None:
    base = 1785398400  # 2026-07-30T08:00:00Z
    lines = [
        capture("2026-07-30T08:00:00.05Z", [message(1, base)], "msg.notify"),  # 0.05 s
        capture("2026-07-30T08:00:03Z", [message(2, base)], "msg.notify"),  # 3 s
        capture("2026-07-30T08:00:04Z", [message(2, base)], "msg.notify"),  # retry, 4 s
        capture("2026-07-30T08:10:00Z", [message(3, base)], "msg.notify"),  # 600 s
        capture("2026-07-30T07:59:58Z", [message(4, base)], "msg.notify"),  # -2 s: clock skew
        capture("2026-07-30T08:00:01Z", ["u9-1-1-9-1-1", "u8-0-1-8-1-1"], "user.onlinestatus"),
        capture("2026-07-30T08:00:02Z", ["u9-1-0-9-0-0"], "user.onlinestatus"),
        capture("2026-07-30T08:00:03Z", ["u9-1-1-10-1-1", "u8-1-0-11-0-1"], "user.onlinestatus"),
    ]
    path = tmp_path / "cap.jsonl"
    path.write_bytes(b"".join(lines))
    data = report(run, str(path))
    lag = data["lag"]
    assert (lag["measured"], lag["negative"]) == (5, 1)
    assert 3 <= lag["p50"] < 3 * 1.6 and lag["p99"] >= 600
    assert sum(b["count"] for b in lag["bins"]) == 4
    assert data["retries"]["retries"] == 1
    assert [b["retries"] for b in data["timeline"]["buckets"] if b["retries"]] == [1]
    presence = data["presence"]
    assert (presence["online"], presence["offline"]) == (3, 2)
    # u9 web went online, offline, online: two changes; u8 changed device, so no change is seen.
    assert rows(presence["flappers"]) == {"u9": 2}


# -- the bounded structures ---------------------------------------------------------------


def test_top_n_is_exact_under_its_capacity_and_marked_approximate_beyond() -> None:
    import random

    from wkcli.webhook.topn import TopN

    rng = random.Random(7)
    keys = [f"k{int(rng.paretovariate(1.2))}" for _ in range(20_000)]
    truth = Counter(keys)
    exact = TopN(capacity=len(truth))
    for key in keys:
        exact.add(key)
    assert exact.exact and exact.error == 0 and dict(exact.counts) == dict(truth)
    assert exact.top(5) == sorted(truth.items(), key=lambda kv: (-kv[1], kv[0]))[:5]

    small = TopN(capacity=50)
    for key in keys:
        small.add(key)
    assert not small.exact and small.error > 0 and small.total == len(keys)
    assert len(small.counts) <= 50
    for key, count in small.counts.items():
        assert count <= truth[key] <= count + small.error
    for key, count in truth.items():
        if count > small.error:
            assert key in small.counts  # heavy hitters are never lost


def test_recent_stays_bounded_and_says_what_it_forgot() -> None:
    from wkcli.webhook.topn import Recent

    recent = Recent(capacity=100)
    for number in range(1000):
        assert recent.swap(number, "a") is None
        assert len(recent.young) + len(recent.old) <= 101
    assert recent.swap(999, "b") == "a" and recent.swap(999, "c") == "b" and recent.forgotten > 0
    assert recent.swap(0, "b") is None  # long forgotten: seen as new


def test_report_json_says_when_top_lists_are_approximate(run, tmp_path: Path, monkeypatch) -> None:
    import wkcli.webhook.report as core

    monkeypatch.setattr(core, "TOP_CAPACITY", 4)
    bodies = [[message(n, 1785398400 + n, channel_id=f"c{n % 9}", from_uid="u1")] for n in range(1, 200)]
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"".join(orjson.dumps(body) + b"\n" for body in bodies))
    data = report(run, str(path))
    assert not data["channels"]["exact"] and data["channels"]["distinct"] is None
    assert data["channels"]["max_error"] > 0 and data["channels"]["total"] == 199
    assert data["senders"]["exact"] and rows(data["senders"]) == {"u1": 199}
    text = run("report", str(path), "-o", "text").stdout
    assert "approximate" in text


# -- the HTML page ------------------------------------------------------------------------


class Page(HTMLParser):
    """Collects each panel's charts and the titles (hover texts) of its bars."""

    def __init__(self) -> None:
        super().__init__()
        self.panels: list[dict] = []
        self.stack: list[str] = []
        self.attrs_seen: list[tuple[str, str | None]] = []
        self._text: list[str] | None = None
        self._heading = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.stack.append(tag)
        self.attrs_seen += attrs
        if tag == "section":
            self.panels.append({"name": "", "svg": 0, "titles": []})
        elif tag == "svg":
            self.panels[-1]["svg"] += 1
        elif tag == "title" and "svg" in self.stack:
            self._text = []
        elif tag == "h2":
            self._heading = True

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass
        if tag == "title" and self._text is not None:
            self.panels[-1]["titles"].append("".join(self._text))
            self._text = None
        elif tag == "h2":
            self._heading = False

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        elif self._heading:
            self.panels[-1]["name"] += data


def parse_page(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def titled(titles: list[str]) -> dict[str, int]:
    out = {}
    for title in titles:
        name, _, numbers = title.rpartition(": ")
        out[name] = int(numbers.split()[0].replace(",", ""))
    return out


def test_html_is_one_self_contained_page_whose_numbers_match_json(run, tmp_path: Path) -> None:
    paths = INPUTS
    target = tmp_path / "report.html"
    result = run("report", *paths, "--html", str(target), "--top", "1000")
    assert result.exit_code == 0 and result.stdout == "" and "wrote" in result.stderr
    text = target.read_text(encoding="utf-8")
    assert not re.search(r"https?://", text)
    assert not re.search(r"\b(src|href)\s*=", text, re.I)
    assert "@import" not in text and "url(" not in text
    assert "prefers-color-scheme: dark" in text and "@media print" in text
    page = parse_page(text)
    assert len(page.panels) == 11
    assert all(panel["svg"] == 1 for panel in page.panels), [(p["name"], p["svg"]) for p in page.panels]
    data = report(run, *paths)
    panels = {panel["name"]: panel["titles"] for panel in page.panels}
    for name, key in (("Top channels", "channels"), ("Top senders", "senders"),
                      ("Top CMD names", "cmd_names"), ("Content types", "content_types")):  # fmt: skip
        expected = {"(none)" if k is None else "(empty)" if k == "" else str(k): n
                    for k, n in rows(data[key]).items()}  # fmt: skip
        assert titled(panels[name]) == expected, name
    buckets = data["timeline"]["buckets"]
    drawn = Counter()
    for title in panels["Messages over time"]:
        label, _, rest = title.rpartition(": ")
        count, kind = rest.split()[:2]
        drawn[(label, kind)] += int(count.replace(",", ""))
    assert drawn == Counter({(b["label"], k): b[k] for b in buckets for k in ("cmd", "chat") if b[k]})
    assert titled(panels["Totals"]) == {k: data["totals"][k] for k in ("cmd", "chat", "presence")}
    findings = {t.rpartition(" [")[2].split("]")[0]: int(t.rpartition(": ")[2].split()[0])
                for t in panels["Findings"]}  # fmt: skip
    assert findings == {f["code"]: f["count"] for f in data["findings"]}
    assert sum(titled(panels["Retries"]).values()) == data["retries"]["retries"]


HOSTILE = "<script>alert(1)</script>\x1b[31mred\x07\u202e"


def hostile_dump(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.jsonl"
    body = [message(7, 1785398400, channel_id=HOSTILE, from_uid='"><img src=x onerror=alert(1)>')]
    path.write_bytes(orjson.dumps(body) + b"\n" + orjson.dumps([HOSTILE + "-1-1-1-1-1"]) + b"\n")
    return path


def test_html_escapes_everything_from_the_dump(run, tmp_path: Path) -> None:
    result = run("report", str(hostile_dump(tmp_path)), "--html", "-")
    text = result.stdout
    assert "<script>" not in text and "<img" not in text and "\x1b" not in text and "\u202e" not in text
    assert "&lt;script&gt;" in text and "\\x1b[31m" in text


# -- the terminal view --------------------------------------------------------------------

SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("columns", [80, 120, 200])
@pytest.mark.parametrize("color", ["never", "always"])
def test_terminal_report_fits_the_width(run, monkeypatch, columns: int, color: str) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    result = run("report", *ALL, "-o", "text", "--color", color)
    lines = result.stdout.splitlines()
    assert len(lines) > 40
    widest = max(cell_len(SGR.sub("", line)) for line in lines)
    assert widest <= columns
    assert widest >= min(columns, 160) - 2  # headings run to the edge: the width was used
    if color == "never":
        assert "\x1b" not in result.stdout
    else:
        assert "\x1b[" in result.stdout


def test_terminal_report_shows_data_as_text_never_as_control(run, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    for color in ("never", "always"):
        out = run("report", str(hostile_dump(tmp_path)), "-o", "text", "--color", color).stdout
        assert "\x07" not in out and "\u202e" not in out
        assert "\x1b" not in SGR.sub("", out)  # only our own colour codes
        assert "<script>alert(1)</script>\\x1b" in out  # shown literally, not as markup or control


def test_no_color_and_dumb_terminals_get_no_colour(run, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in run("report", INPUTS[0], "-o", "text").stdout
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert "\x1b" not in run("report", INPUTS[0], "-o", "text").stdout


def test_usage_errors_are_one_line(run) -> None:
    result = run("report", INPUTS[0], "--bucket", "7m")
    assert result.exit_code == 2 and "--bucket" in result.stderr and "Traceback" not in result.stderr
    assert run("report", INPUTS[0], "--top", "0").exit_code == 2


def test_checker_can_remember_a_bounded_number_of_messages() -> None:
    from wkcli.webhook.checks import Checker
    from wkcli.webhook.model import Message, Origin

    def delivery(ident: int) -> Message:
        return Message(message(ident, 1785398400), "msg.notify", Origin("x", ident))

    checker = Checker(remember=10)
    for ident in range(100):
        checker.add(delivery(ident))
    checker.add(delivery(99))  # recent: still a duplicate
    checker.add(delivery(0))  # long forgotten: not one
    assert {f.code: f.count for f in checker.findings()} == {"duplicate": 1}
    assert len(checker._deliveries["msg.notify"]) <= 10 and checker.forgotten >= 90


def test_follow_in_a_pipe_prints_the_report_again_when_it_changes(tmp_path: Path) -> None:
    import signal

    from test_follow import _read_lines, _start, record

    path = tmp_path / "live.jsonl"
    path.write_bytes(record("a") + record("b", sync_once=1))
    proc = _start(tmp_path, "report", "--follow", str(path))
    try:
        assert proc.stdout is not None
        (first,) = _read_lines(proc.stdout, 1)
        assert (orjson.loads(first)["totals"]["cmd"], orjson.loads(first)["totals"]["chat"]) == (1, 1)
        with open(path, "ab") as handle:
            handle.write(record("c", sync_once=1))
        (second,) = _read_lines(proc.stdout, 1)
        assert orjson.loads(second)["totals"]["cmd"] == 2
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
    assert code == 130 and b"Traceback" not in (proc.stderr.read() if proc.stderr else b"")


def test_a_whole_file_is_replaced_only_when_written_whole(tmp_path):
    from wkcli.output.files import replacing, write_whole

    page = tmp_path / "report.html"
    write_whole(str(page), b"old page")
    with pytest.raises(RuntimeError), replacing(str(page)) as out:
        out.write(b"half a new pa")
        raise RuntimeError("interrupted")
    assert page.read_bytes() == b"old page"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left
    write_whole(str(page), b"new page")
    assert page.read_bytes() == b"new page"


def screen_of(output: str) -> list[str]:
    """The lines a terminal shows after ``output``: text, CR, LF, cursor up, erase line (what
    rich's live redraw writes); colours and other controls ignored. Never scrolls off."""
    lines, row, col = [""], 0, 0
    for piece in re.split(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)", output):
        if piece == "\n":
            row, col = row + 1, 0
            if row == len(lines):
                lines.append("")
        elif piece == "\r":
            col = 0
        elif piece.startswith("\x1b["):
            if piece.endswith("A"):
                row = max(row - int(piece[2:-1] or 1), 0)
            elif piece == "\x1b[2K":
                lines[row] = ""
        elif piece:
            line = lines[row].ljust(col)
            lines[row] = line[:col] + piece + line[col + len(piece) :]
            col += len(piece)
    return lines


def test_follow_on_a_terminal_keeps_lines_about_the_input_above_the_panels(tmp_path: Path) -> None:
    import fcntl
    import os
    import signal
    import struct
    import subprocess
    import termios
    import threading
    import time

    from conftest import wkcli_executable

    path = tmp_path / "f.jsonl"
    path.write_bytes((SAMPLES / "broken.jsonl").read_bytes())
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 200, 100, 0, 0))
    env = {**os.environ, "COLUMNS": "100", "LINES": "200", "NO_COLOR": "1"}
    proc = subprocess.Popen([wkcli_executable(), "report", "-F", path.name], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, cwd=tmp_path, env=env)  # fmt: skip
    os.close(slave)
    chunks: list[bytes] = []

    def pump() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    def shown(text: str, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in b"".join(chunks).decode(errors="replace"):
                return True
            time.sleep(0.05)
        return False

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        assert shown("malformed 3")
        with open(path, "ab") as handle:
            handle.write(b"garbage\n")
        assert shown("malformed 4")  # the panels were drawn again after the line about line 9
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
        reader.join(5)
        os.close(master)
    screen = screen_of(b"".join(chunks).decode(errors="replace"))
    assert code == 130
    errors = [line for line in screen if ": error: " in line]
    assert [line.split(": error")[0] for line in errors] == [f"wkcli: f.jsonl:{n}" for n in (2, 4, 7, 9)]
    title = [number for number, line in enumerate(screen) if line.startswith("wkcli report")]
    assert len(title) == 1 and title[0] > screen.index(errors[-1])  # the panels once, below the lines


# -- long keys ----------------------------------------------------------------------------


def test_top_n_keeps_long_keys_cut_distinct_and_exactly_counted() -> None:
    from wkcli.webhook.topn import KEY_CHARS, Cut, TopN, cut

    long_a, long_b = "p" * 300 + "a" * 5000, "p" * 300 + "b" * 5000  # the same first 300 characters
    top = TopN(capacity=100)
    for key in [long_a] * 3 + [long_b] * 2 + ["short"]:
        top.add(key)
    assert top.top(3) == [(cut(long_a), 3), (cut(long_b), 2), ("short", 1)]
    assert cut(long_a) != cut(long_b) and cut(long_a) == cut("p" * 300 + "a" * 5000)  # a digest, not id()
    assert all(len(key) < KEY_CHARS + 60 for key in top.counts)
    kept = top.top(1)[0][0]
    assert type(kept) is Cut and kept.startswith("p" * KEY_CHARS + "…") and "5,300 characters" in kept
    again = TopN(capacity=100)
    again.merge(top)  # a cut key is not cut again
    assert again.top(3) == top.top(3)


def test_report_memory_does_not_grow_with_key_length() -> None:
    import tracemalloc

    from wkcli.webhook.model import Message, Origin
    from wkcli.webhook.report import Report

    state = Report()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(300):  # 300 distinct 50 KB channel ids and senders: 30 MB if kept whole
            long = f"{n:05d}" + "c" * 50_000
            data = message(n, 1785398400 + n, channel_id=long, from_uid=long.replace("c", "u"))
            state.add(Message(data, "msg.notify", Origin("x", n + 1)))
            del data, long
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 3_000_000, held
    assert len(state.channels.counts) == len(state.senders.counts) == 300 and state.channels.exact


@pytest.mark.parametrize("fast", ["1", "0"])
def test_long_keys_are_shown_cut_and_marked_in_json(run, tmp_path: Path, monkeypatch, fast: str) -> None:
    import base64

    monkeypatch.setenv("WKCLI_FASTPATH", fast)
    long_a, long_b = "p" * 300 + "a" * 4700, "p" * 300 + "b" * 4700
    sender, name, ctype = "s" * 1000, "c" * 600, "t" * 700

    def payload(value: dict) -> str:
        return base64.b64encode(orjson.dumps(value)).decode()

    typed = payload({"type": ctype})
    bodies = [[message(n, 1785398400 + n, channel_id=channel, from_uid=sender, payload=typed)]
              for n, channel in enumerate([long_a] * 3 + [long_b] * 2 + ["g1"], start=1)]  # fmt: skip
    cmd = payload({"type": 99, "cmd": name})
    bodies.append([message(7, 1785398407, header={"sync_once": 1}, channel_id="g2", payload=cmd)])
    path = tmp_path / "long.jsonl"
    path.write_bytes(b"".join(orjson.dumps(body) + b"\n" for body in bodies))
    data = report(run, str(path))
    channels = data["channels"]
    assert channels["distinct"] == 4 and channels["exact"] and channels["total"] == 7
    a, b, g1, g2 = channels["rows"]
    assert (a["count"], b["count"], g1, g2) == (3, 2, {"key": "g1", "count": 1}, {"key": "g2", "count": 1})
    for row, whole in ((a, long_a), (b, long_b)):
        assert row["cut"] is True and row["key"].startswith(whole[:200] + "… (5,000 characters, #")
    assert a["key"] != b["key"]
    senders = [(row["key"][:200], row["count"], row.get("cut")) for row in data["senders"]["rows"]]
    assert senders == [("s" * 200, 6, True), ("u1", 1, None)]
    assert [(row["key"][:200], row.get("cut")) for row in data["cmd_names"]["rows"]] == [("c" * 200, True)]
    assert [row["key"][:200] for row in data["content_types"]["rows"]] == ["t" * 200, "cmd"]
    whole = json.dumps(data)
    assert "a" * 300 not in whole and "s" * 300 not in whole and "c" * 300 not in whole
    if fast == "1":
        monkeypatch.setenv("WKCLI_FASTPATH", "0")
        assert report(run, str(path)) == data  # the fast path counts as the general one


# -- the HTML page in a browser -----------------------------------------------------------

# Measures the page in an iframe as wide as a narrow window (a headless browser's own window
# is never narrower than about 500 px): what sticks out of the page, or out of its chart.
PROBE = """<script>
addEventListener("load", () => {
  const doc = document.querySelector("iframe").contentDocument, width = doc.documentElement.clientWidth;
  const out = ["scroll " + doc.documentElement.scrollWidth + " " + width];
  for (const el of doc.querySelectorAll("body *")) {
    if (el.closest(".scroll")) continue;  // a table scrolls on its own, inside its panel
    const r = el.getBoundingClientRect(), what = el.outerHTML.slice(0, 80);
    if (r.width && (r.right > width + 1 || r.left < -1)) out.push("outside the page: " + what);
  }
  for (const text of doc.querySelectorAll("svg text")) {
    const box = text.closest("svg").getBoundingClientRect(), r = text.getBoundingClientRect();
    if (r.right > box.right + 1 || r.left < box.left - 1) out.push("outside its chart: " + text.textContent);
  }
  const pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = out.join("\\n");
  document.body.append(pre);
});
</script>"""


@pytest.mark.parametrize("width", [320, 360, 420, 1280])
def test_html_fits_narrow_windows(run, tmp_path: Path, width: int) -> None:
    import html
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no Chromium to lay the page out")
    long_name = tmp_path / ("a_dump_whose_name_has_no_space_to_wrap_at_" * 3 + ".jsonl")
    long_name.write_bytes(hostile_dump(tmp_path).read_bytes() + (SAMPLES / "webhooks.jsonl").read_bytes())
    text = run("report", str(long_name), *INPUTS, "--html", "-").stdout
    wrapper = tmp_path / "wrapper.html"
    frame = f'<iframe width="{width}" height="1500" srcdoc="{html.escape(text, quote=True)}"></iframe>'
    wrapper.write_text(f'<!DOCTYPE html><html><body style="margin:0">{frame}{PROBE}</body></html>')
    dumped = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1600", "--virtual-time-budget=5000",
         "--dump-dom", wrapper.as_uri()],
        capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    found = re.search(r'<pre id="probe">(.*?)</pre>', dumped, re.S)
    assert found is not None, dumped[-500:]
    scroll, *outside = html.unescape(found.group(1)).splitlines()
    _, scrolled, shown = scroll.split()
    assert width - 20 <= int(shown) <= width  # less a vertical scroll bar
    assert int(scrolled) == int(shown), "the page scrolls sideways"
    assert outside == []
