"""The fast paths give exactly what the general path gives: counts, stats, output bytes, errors.

Each case reads the same dump twice, once with the fast path and once without
(``WKCLI_FASTPATH=0``), and compares everything a user can see.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
from pathlib import Path

import pytest

from wkcli.output.messages import JsonlWriter
from wkcli.read.accounting import Diagnostics
from wkcli.read.options import ReadOptions, Tuning
from wkcli.read.reader import Reader
from wkcli.webhook.filters import Criteria
from wkcli.webhook.tally import Tally

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("wk_generate", ROOT / "bench" / "generate.py")
generate = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(generate)  # type: ignore[union-attr]


# Small files normally take the general path; here every file is big enough.
SMALL = Tuning(fast_min_bytes=0)
# Large files are cut into byte ranges for workers; here every file is, in many blocks.
RANGES = Tuning(fast_min_bytes=0, parallel_min_bytes=0, block=4096)


SHAPES = ("offline", "notify", "presence", "envelope", "capture", "wkcapture", "mixed")

# Lines the fast path must hand to the general path, or treat exactly as it would.
ODD_LINES = [
    b'{"header":{"no_persist":0,"red_dot":1,"sync_once":"1"},"message_id":1,"message_idstr":"1"}',
    b'{"header":{"sync_once":true},"message_id":2}',
    b'{"header":{"sync_once":2},"message_id":3}',
    b'{"header":{"sync_once":1.0},"message_id":4}',
    b'{"header":{"sync_once":0.0},"message_id":4}',
    b'{"header":{"sync_once":null},"message_id":5}',
    b'{"header":{},"message_id":6}',
    b'{"header":null,"sync_once":1,"message_id":7}',
    b'{"header":"x","message_id":8}',
    b'{"header":[1],"message_id":8}',
    b'{"sync_once":1,"channel_id":"g1"}',
    b'{"header":{"sync_once":1},"message_id":18446744073709551615,"message_idstr":"18446744073709551615"}',
    b'{"header":{"sync_once":1},"message_id":18446744073709551621}',
    b'{"header":{"sync_once":1},"message_id":-9223372036854775809}',
    b'{"header":{"sync_once":0},"message_id":18446744073709551616,"to_uids":["u1"]}',
    b'{"header":{"sync_once":0},"message_id":1180591620717411303424,"message_seq":-9223372036854775809}',
    b'[{"header":{"sync_once":1},"message_id":18446744073709551616},{"header":{"sync_once":0}}]',
    b'{"event":"msg.notify","data":[{"header":{"sync_once":0},"message_id":1180591620717411303424}]}',
    b'{"header":{"sync_once":1},"header":{"sync_once":0},"message_id":9}',
    b'{"header":{"sync_once":1,"sync_once":0}}',
    b'{"header":{"sync_once":1},"kind":"x"}',
    b'{"header":{"sync_once":1},"event":"msg.offline"}',
    b'{"header":{"sync_once":0},"to_uids":null}',
    b'{"header":{"sync_once":0},"compress":"gzip","compress_to_uids":"H4sIAAAAAAAA/w==","to_uids":[]}',
    b'{"header":{"sync_once":1},"from_uid":"\xff"}',
    b'{"header":{"sync_once":1},"from_uid":"\xed\xa0\x80"}',
    b'{"header":{"sync_once":1},"from_uid":"caf\xc3\xa9 \xe2\x80\xae"}',
    b'{"header":{"sync_once":1},"from_uid":"\\ud800"}',
    b'{"header":{"sync_once":1},"x":1e999}',
    b'{"header":{"sync_once":1},"x":0.1000000000000000055511151231257827021181583404541015625}',
    b'{"header":{"sync_once":0},"x":123456789012345678901234567890e-10,"y":1.7976931348623157e308}',
    b'{"header":{"sync_once":1},"x":2.4703282292062328e-324,"y":2.4703282292062327e-324,"z":-0.0}',
    b'{"header":{"sync_once":1},"x":[1,{"y":18446744073709551616}]}',
    b'{"header":{"sync_once":0},"x":-9223372036854775808,"y":18446744073709551615}',
    b'{"event":"msg.offline","data":{"header":{"sync_once":1},"to_uids":["a"],"n":-18446744073709551616}}',
    b'{"header":{"sync_once":1},"x":NaN}',
    b'  {"header":{"sync_once":1}}  ',
    b'\x0c{"header":{"sync_once":1}}',
    b'{"header":{"sync_once":1}}{"header":{"sync_once":0}}',
    b'{"header":{"sync_once":1}} {"header":{"sync_once":0}}',
    b"[]",
    b"[1, 2]",
    b'[{"header":{"sync_once":1}}, "u1-1-1-1-1-1"]',
    b'["u1-1-1-1-1-1", 3]',
    b'[{"header":{"sync_once":1}}, {"nope":1}]',
    b'[{"event":"msg.notify","data":[{"header":{"sync_once":1}}]}]',
    b'{"event":"msg.notify","data":[]}',
    b'{"event":"msg.notify","data":[{"header":{"sync_once":1}},"x"]}',
    b'{"event":"user.onlinestatus","data":["a-1-1-1-1-1"]}',
    b'["u1-1-1-1-1-1","nope",""]',
    b'{"event":"user.onlinestatus","data":["u2-0-1-5-1-0","u3-9-x"]}',
    b'{"received_at":"2026-07-30T10:00:02Z","event":"user.onlinestatus","body":["u4-1-1-7-1-0","bad"]}',
    b'{"received_at":"2026-07-30T10:00:02Z","event":"user.onlinestatus","body":[]}',
    b'{"received_at":"2026-07-30T10:00:02Z","event":"msg.notify","body":["u4-1-1-7-1-0"]}',
    b'{"received_at":"2026-07-30T10:00:02Z","event":"msg.notify","body":[{"header":{"sync_once":1}},"u4"]}',
    b'{"event":"user.onlinestatus","data":["u4-1-1-7-1-0",{"header":{"sync_once":1}}]}',
    b'{"received_at":"2026-07-30T10:00:00Z","method":"POST","url":"/w?event=msg.notify","headers":{},"body":"[{\\"header\\":{\\"sync_once\\":1}}]"}',
    b'{"received_at":1785398401,"url":"/w?token=x?event=msg%2Eoffline",'
    b'"body":" {\\"header\\":{\\"sync_once\\":0},\\"to_uids\\":[\\"a\\"]} "}',
    b'{"url":"/w?event=user.onlinestatus","body":"[\\"u1-1-1-1-1-1\\",\\"bad\\"]"}',
    b'{"url":"/w","body":"[{\\"header\\":{\\"sync_once\\":1}}]"}',
    b'{"url":"/w?event=msg.notify","body":"W3siaGVhZGVyIjp7InN5bmNfb25jZSI6MX19XQ=="}',
    b'{"url":"/w?event=msg.notify","body":"\\f[{\\"header\\":{\\"sync_once\\":1}}]"}',
    b'{"url":"/w?event=msg.notify","body":"\\"[{\\\\\\"header\\\\\\":{}}]\\""}',
    b'{"url":"/w?event=msg.notify","body":"[{\\"header\\":{\\"sync_once\\":1},\\"message_id\\":18446744073709551616}]"}',
    b'{"url":"/w?event=msg.notify","body":"[]","isBase64Encoded":false}',
    b'{"url":"/w?event=msg.weird","body":"[{\\"header\\":{\\"sync_once\\":1}}]"}',
    b'{"received_at":"2026-07-30T10:00:03Z","url":"/w?event=msg.notify","body":[{"header":{"sync_once":1}}]}',
    b'{"url":"/w?event=msg.offline","method":"POST","body":{"header":{"sync_once":0},"to_uids":["a"]}}',
    b'{"url":"/w?event=user.onlinestatus","body":["u1-1-1-1-1-1"]}',
    b'{"url":"/w?event=msg.notify","body":null}',
    b'{"url":"/w?event=msg.notify","body":42}',
    b'{"event":"user.onlinestatus","data":{"header":{"sync_once":1}}}',
    b'{"event":"user.onlinestatus","data":[{"header":{"sync_once":1}}]}',
    b'{"event":"msg.offline","data":{"header":{"sync_once":1},"to_uids":["a"]}}',
    b'{"event":"msg.weird","data":[{"header":{"sync_once":1}}]}',
    b'{"event":"","data":[{"header":{"sync_once":1}}]}',
    b'{"event":"msg.notify","data":[{"header":{"sync_once":1}}],"received_at":"2026-07-30T10:00:00Z"}',
    b'{"event":"msg.notify","data":"[{\\"header\\":{\\"sync_once\\":1}}]"}',
    b'{"event":"msg.notify","data":null}',
    b'{"event":"msg.notify","body":[],"data":[{"header":{"sync_once":1}}]}',
    b'{"event":"msg.notify","data":[{"header":{"sync_once":1}}],"header":{"sync_once":0}}',
    # Lines that open as records do but are not (or not the one their opening suggests).
    b'{"event":"msg.offline","header":{"sync_once":1},"channel_id":"o1","to_uids":["a"]}',
    b'{"event":"msg.notify","body":[{"header":{"sync_once":1},"channel_id":"o2"}]}',
    b'{"received_at":"2026-07-30T10:00:00Z","header":{"sync_once":1},"channel_id":"o3"}',
    b'{"url":"/w?event=msg.notify","header":{"sync_once":0},"channel_id":"o4"}',
    b'{"event":"msg.notify","data":[{"header":{"sync_once":1},"channel_id":"o5"}]',
    b'{"received_at":"2026-07-30T10:00:00Z","event":"msg.notify","body":[{"header":{"sync_once":1}}],"x":1}',
    b'{"received_at":"2026-07-30T10:00:00Z","event":"msg.notify","path":"/webhook","body":[{"header":{"sync_once":1}}]}',
    b'{"received_at":"2026-07-30T10:00:00Z","event":"msg.offline","remote":"x","body":{"header":{"sync_once":0}}}',
    b'{"received_at":"2026-07-30T10:00:00Z","event":null,"query":"event=msg.notify","body":[{"header":{"sync_once":1}}]}',
    b'{"received_at":"2026-07-30T10:00:00Z","event":"msg.notify","body":"[{\\"header\\":{\\"sync_once\\":1}}]"}',
    b'{"received_at":"2026-07-30T10:00:00Z","event":"msg.notify","body":[],"body_raw":"[ ]"}',
    b'{"received_at":"2026-07-30T10:00:00Z","event":"user.onlinestatus","body":["u1-1-1-1-1-1"]}',
    b'{"event":"msg.notify","body":[{"header":{"sync_once":1}}],"isBase64Encoded":true}',
    b'{"event":"msg.notify","body":[{"header":{"sync_once":1}}],"data":[]}',
    b'{"event":"msg.notify","body":[{"header":{"sync_once":1}}],"message_id":1}',
    b'{"event":"msg.notify","body":[{"header":{"sync_once":1},"kind":"x"}]}',
    b'{"event":"msg.notify","body":null}',
    b'2026-07-30 10:00:00 INFO webhook event=msg.notify body=[{"header":{"sync_once":1}}]',
    b"2026-07-30 10:00:00 INFO nothing here",
    b'"just a string"',
    b"42",
    b"",
    b"   ",
    b"\t",
    b'{"header":{"sync_once":1},"payload":"abc"',
    b"{",
    b'"header": {"sync_once": 1}',
    b"}",
    b"[",
    b'  {"header": {"sync_once": 1}},',
    b"]",
]


def _dump(shape: str, n: int, seed: int, crlf: bool = False, bom: bool = False, odd: bool = True) -> bytes:
    out = io.BytesIO()
    generate.write(out, shape, n, seed=seed, anomalies=0.02, broken=0.01, crlf=crlf, bom=bom)
    data = out.getvalue()
    if odd:
        end = b"\r\n" if crlf else b"\n"
        lines = data.split(end)
        # Sprinkle the odd lines through the dump, keeping the pretty-printed ones together.
        step = max(1, len(lines) // (len(ODD_LINES) + 1))
        for i, odd_line in enumerate(ODD_LINES):
            lines.insert(min(len(lines), (i + 1) * step + i), odd_line)
        data = end.join(lines)
    return data


def _read(
    path: str,
    fast: bool,
    mode: str,
    monkeypatch: pytest.MonkeyPatch,
    criteria=None,
    jobs=1,
    tuning=SMALL,
    **kw,
):
    """Run a reader over ``path``; returns everything it produced, and the reader."""
    monkeypatch.setenv("WKCLI_FASTPATH", "1" if fast else "0")
    errors = io.StringIO()
    diagnostics = Diagnostics(errors, max_shown=10**9)
    out = io.BytesIO()
    if mode == "report":
        from wkcli.webhook.report import Report

        reader = Reader([path], criteria, diagnostics, ReadOptions(jobs=jobs, tuning=tuning, **kw))
        report = Report(top=5)
        for item in reader.report_into(report):
            report.add(item)
        produced = report.result(reader.stats)
    elif mode.startswith("check") or mode == "rows":
        from wkcli.webhook.checks import Checker
        from wkcli.webhook.rows import RowChecker

        examples = int(mode.split(":", 1)[1]) if ":" in mode else 3
        reader = Reader([path], criteria, diagnostics, ReadOptions(jobs=jobs, tuning=tuning, **kw))
        checker = RowChecker() if mode == "rows" else Checker(max_examples=examples)
        rows: list = []
        kept = getattr(checker, "rows", [])  # notes, as they are made (RowChecker)
        for item in reader.check_into(checker):
            checker.add(item)
            rows.extend(kept)
            kept.clear()
        rows.extend(kept)  # those of the fast path's last records
        produced = (checker.report(), checker.forgotten, rows)
    elif mode.startswith("count"):
        reader = Reader([path], criteria, diagnostics, ReadOptions(jobs=jobs, tuning=tuning, **kw))
        if mode.startswith("count-field:"):
            tally = Tally(mode.split(":", 1)[1].split(","))
        else:
            tally = Tally(["event", "kind"] if mode == "count-by" else None)
        reader.count_into(tally)
        produced = (tally.cmd, tally.chat, tally.presence, tally.rows())
    else:
        reader = Reader(
            [path], criteria, diagnostics, ReadOptions(presence=False, jobs=jobs, tuning=tuning, **kw)
        )
        writer = JsonlWriter(out)
        reader.pass_plain_jsonl(out)
        for message in reader:
            writer.write(message)
        writer.close()
        produced = out.getvalue()
    stats = reader.stats
    return produced, stats.as_dict(), stats.matched, dict(stats.events), errors.getvalue(), reader


def _same(path: str, mode: str, monkeypatch: pytest.MonkeyPatch, criteria=None, jobs=1, **kw) -> Reader:
    """Read ``path`` with and without the fast path, compare; returns the fast path's reader."""
    fast = _read(path, True, mode, monkeypatch, criteria, jobs, **kw)
    slow = _read(path, False, mode, monkeypatch, criteria, 1, **kw)
    assert fast[0] == slow[0]
    assert fast[1] == slow[1]
    assert fast[2] == slow[2]
    assert fast[3] == slow[3]
    assert fast[4].splitlines() == slow[4].splitlines()
    return fast[5]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["count", "count-by", "jsonl", "check", "report"])
def test_every_shape_with_odd_and_broken_lines(tmp_path, monkeypatch, shape, mode):
    path = tmp_path / f"{shape}.jsonl"
    path.write_bytes(_dump(shape, 1500, seed=len(shape)))
    _same(str(path), mode, monkeypatch)


@pytest.mark.parametrize("mode", ["count", "jsonl", "check", "report"])
@pytest.mark.parametrize("variant", ["crlf", "bom", "gzip", "jsonl-format", "log-format"])
def test_line_endings_bom_gzip_and_formats(tmp_path, monkeypatch, mode, variant):
    data = _dump("mixed", 1200, seed=7, crlf=variant == "crlf", bom=variant in ("bom", "gzip"))
    path = tmp_path / "dump"
    path.write_bytes(gzip.compress(data) if variant == "gzip" else data)
    fmt = {"jsonl-format": "jsonl", "log-format": "log"}.get(variant, "auto")
    _same(str(path), mode, monkeypatch, input_format=fmt)


@pytest.mark.parametrize("mode", ["count", "jsonl", "check", "report"])
@pytest.mark.parametrize(
    "kinds,events",
    [
        (["cmd"], []),
        (["chat"], []),
        ([], ["msg.offline"]),
        ([], ["user.onlinestatus"]),
        (["cmd"], ["msg.notify", "msg.weird"]),
    ],
)
def test_kind_and_event_filters(tmp_path, monkeypatch, mode, kinds, events):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(_dump("mixed", 1500, seed=3))
    _same(str(path), mode, monkeypatch, Criteria(kinds=kinds, events=events))


@pytest.mark.parametrize("mode", ["count", "count-by", "jsonl", "check", "report"])
@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize("variant", ["mixed", "plain", "crlf-bom", "pretty-late"])
def test_workers_on_byte_ranges_give_the_same(tmp_path, monkeypatch, mode, jobs, variant):
    """Large files are cut into ranges read by forked workers: same output, order and line numbers."""
    if variant == "plain":
        out = io.BytesIO()
        generate.write(out, "offline", 3000, seed=9)
        data = out.getvalue()
    elif variant == "pretty-late":
        out = io.BytesIO()
        generate.write(out, "notify", 3000, seed=9)
        data = out.getvalue() + b"{\n" + b'  "header": {"sync_once": 1}\n' + b"}\n" + out.getvalue()[:5000]
        data = data.rsplit(b"\n", 1)[0] + b"\n"
    else:
        data = _dump("mixed", 3000, seed=4, crlf=variant == "crlf-bom", bom=variant == "crlf-bom")
    path = tmp_path / "big.jsonl"
    path.write_bytes(data)
    readers = [
        _same(str(path), mode, monkeypatch, jobs=jobs, tuning=RANGES),
        _same(str(path), mode, monkeypatch, Criteria(kinds=["cmd"]), jobs=jobs, tuning=RANGES),
    ]
    assert sum(reader.fast.forked for reader in readers) == 2 * (jobs - 1)


def _redelivered(n: int, seed: int) -> bytes:
    """A dump with what check looks for among deliveries: retries (the same line again, later),
    v3 chunks (the same message, other recipients), overlapping recipients, ids only in
    client_msg_no, and CMDs and senders among recipients the per-message rules find."""
    import random

    rng = random.Random(seed)
    offline, notify = io.BytesIO(), io.BytesIO()
    generate.write(offline, "offline", n, seed=seed, cmd_ratio=0.3)
    generate.write(notify, "notify", n // 4, seed=seed + 1)
    lines = offline.getvalue().splitlines() + notify.getvalue().splitlines()
    rng.shuffle(lines)
    lines[len(lines) // 3 : len(lines) // 3] = ODD_LINES[:20]  # a few for the general path
    out: list[bytes] = []
    late = len(lines) // 2  # most findings start in a worker's range: their examples come from there
    for index, line in enumerate(lines):
        out.append(line)
        if index > late and rng.random() < 0.08:
            out.append(lines[rng.randrange(index - 300, index)])  # a retry of a recent one
        if index > late and rng.random() < 0.05:
            mid = 7_000_000 + index
            head = b'{"header":{"sync_once":%d},"message_id":%d,"message_idstr":"%d","from_uid":"u1"' % (
                rng.random() < 0.3, mid, mid)  # fmt: skip
            for uids in (b'["a","b"]', b'["c"]', b'["b","d"]', b'["u1","e"]', b'["c"]'):
                if rng.random() < 0.8:
                    out.append(head + b',"timestamp":1785398400,"to_uids":' + uids + b"}")
        if rng.random() < 0.02:
            no_id = b'{"header":{"sync_once":0},"message_id":0,"client_msg_no":"c%d","to_uids":[]}'
            out.append(no_id % (index % 7))
        if index > late and rng.random() < 0.02:
            out.append(b'[{"header":{"sync_once":0},"message_id":%d,"channel_id":"x____cmd"},'
                       b'{"header":{"sync_once":1},"message_id":%d}]' % (index % 11, index % 13))  # fmt: skip
    return b"\n".join(out)


@pytest.mark.parametrize("examples", [0, 1, 3, 50])
@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_check_finds_the_same_duplicates_and_examples(tmp_path, monkeypatch, examples, jobs):
    """check's fast path: the same findings, counts and examples (file:line, id, detail) as the
    general path, with workers on byte ranges and duplicates across their borders."""
    path = tmp_path / "retries.jsonl"
    path.write_bytes(_redelivered(2500, seed=examples + jobs))
    reader = _same(str(path), f"check:{examples}", monkeypatch, jobs=jobs, tuning=RANGES)
    assert reader.fast is not None and reader.fast.forked == jobs - 1
    report = _read(str(path), True, f"check:{examples}", monkeypatch, jobs=jobs, tuning=RANGES)[0][0]
    codes = {finding["code"] for finding in report["findings"]}
    assert {"duplicate", "offline-chunks", "cmd-in-offline", "sender-in-recipients"} <= codes


def test_every_rule_has_its_place_in_checks_fast_path():
    """A new finding must be judged by the fast path too, or be one it never meets."""
    from wkcli.read.fast import check
    from wkcli.webhook.rules import RULES

    places = [check.JUDGED, check.FROM_RECORDS, check.NEVER_PLAIN]
    assert set().union(*places) == set(RULES)
    assert sum(len(place) for place in places) == len(RULES)


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_report_panels_are_the_same(tmp_path, monkeypatch, jobs):
    """report's fast path: every panel the same as the general path's (retries, fan-out and its
    largest, timeline, top lists), with workers on byte ranges."""
    path = tmp_path / "retries.jsonl"
    path.write_bytes(_redelivered(2500, seed=jobs))
    reader = _same(str(path), "report", monkeypatch, jobs=jobs, tuning=RANGES)
    assert reader.fast is not None and reader.fast.forked == jobs - 1
    result = _read(str(path), True, "report", monkeypatch, jobs=jobs, tuning=RANGES)[0]
    assert result["retries"]["retries"] > 0
    assert result["fanout"]["largest"] and result["timeline"]["buckets"]


@pytest.mark.parametrize("mode", ["check", "report"])
def test_check_and_report_take_ids_of_any_length(tmp_path, monkeypatch, mode):
    """A message id longer than a record holds goes to the general path (no error, nothing lost)."""
    message = b'{"header":{"sync_once":0},"message_idstr":"%s","timestamp":1785398400,"to_uids":["a"]}'
    lines = [message % str(i).encode() for i in range(3000)]
    lines[1500] = message % (b"x" * 70_000)
    lines[2500] = lines[1500]  # a duplicate of it
    path = tmp_path / "ids.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    for jobs in (1, 2):
        _same(str(path), mode, monkeypatch, jobs=jobs, tuning=RANGES)
    assert _read(str(path), True, "check", monkeypatch, jobs=2, tuning=RANGES)[0][0]["warnings"] == 1


def test_check_rows_keep_every_finding(tmp_path, monkeypatch):
    """A checker that keeps every finding (export's problems table) gets each one, in order, with
    the fast path too: messages with a finding are left to the general path."""
    path = tmp_path / "retries.jsonl"
    path.write_bytes(_redelivered(2000, seed=5))
    _same(str(path), "rows", monkeypatch, jobs=2, tuning=RANGES)


def test_the_fast_path_is_taken_and_counts_right(tmp_path, monkeypatch):
    """A plain dump is counted without building a Message for each line."""
    path = tmp_path / "offline.jsonl"
    out = io.BytesIO()
    generate.write(out, "offline", 2000, seed=5, cmd_ratio=0.25)
    path.write_bytes(out.getvalue())
    monkeypatch.setenv("WKCLI_FASTPATH", "1")
    import wkcli.read.accounting as accounting

    built = []
    original = accounting.unwrap
    monkeypatch.setattr(accounting, "unwrap", lambda *a: built.append(1) or original(*a))
    reader = Reader([str(path)], None, Diagnostics(io.StringIO()), ReadOptions(tuning=SMALL))
    tally = Tally()
    reader.count_into(tally)
    assert built == []
    expected = sum(1 for line in out.getvalue().splitlines() if b'"sync_once":1' in line)
    assert tally.cmd == expected
    assert tally.cmd + tally.chat == 2000
    assert reader.stats.events == {"msg.offline": 2000}


def test_error_lines_name_the_same_file_and_line(tmp_path, monkeypatch):
    path = tmp_path / "d.jsonl"
    good = b'{"header":{"sync_once":1},"message_id":1}'
    path.write_bytes(b"\n".join([good] * 5000 + [b'{"header":', good, b"{", b'"a": 1', b"}", good]) + b"\n")
    for mode, jobs in (("count", 1), ("jsonl", 1), ("count", 2), ("jsonl", 4)):
        fast = _read(str(path), True, mode, monkeypatch, jobs=jobs, tuning=RANGES)
        assert f"{path}:5001: error: invalid JSON" in fast[4]
        assert f"{path}:5003: error: not a webhook body" in fast[4]  # {"a": 1}, lines 5003-5005
        assert fast[1]["malformed"] == 2
        assert fast[1]["records"] == 5004
        _same(str(path), mode, monkeypatch, jobs=jobs, tuning=RANGES)


def test_cli_count_and_classify_match_the_general_path(tmp_path, wkcli_proc):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(_dump("mixed", 800, seed=11))
    for args in (["count", "-o", "json"], ["classify", "-o", "jsonl"], ["classify", "--kind", "cmd"]):
        fast = wkcli_proc(*args, str(path), env={"WKCLI_FASTPATH": "1"})
        slow = wkcli_proc(*args, str(path), env={"WKCLI_FASTPATH": "0"})
        assert fast.returncode == slow.returncode == 1  # the dump has broken lines
        assert fast.stdout == slow.stdout
        assert fast.stderr == slow.stderr


def test_cli_check_and_report_match_the_general_path(tmp_path, wkcli_proc):
    path = tmp_path / "retries.jsonl"
    path.write_bytes(_redelivered(1500, seed=8))
    assert path.stat().st_size > 256 << 10  # large enough for the fast path
    for args in (["check", "-o", "json"], ["check", "-j", "1"], ["report", "-o", "json"]):
        fast = wkcli_proc(*args, str(path), env={"WKCLI_FASTPATH": "1"})
        slow = wkcli_proc(*args, str(path), env={"WKCLI_FASTPATH": "0"})
        assert fast.returncode == slow.returncode
        assert fast.stdout == slow.stdout and fast.stdout
        assert fast.stderr == slow.stderr


def test_stdin_matches(tmp_path, wkcli_proc):
    data = _dump("notify", 600, seed=2)
    fast = wkcli_proc("count", "-o", "json", "-", input=data, env={"WKCLI_FASTPATH": "1"})
    slow = wkcli_proc("count", "-o", "json", "-", input=data, env={"WKCLI_FASTPATH": "0"})
    assert fast.stdout == slow.stdout
    assert fast.stderr == slow.stderr


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_is_reported_for_large_files(tmp_path, monkeypatch, jobs):
    tuning = Tuning(fast_min_bytes=0, progress_min_bytes=0, parallel_min_bytes=0, block=8192)
    path = tmp_path / "d.jsonl"
    out = io.BytesIO()
    generate.write(out, "offline", 1000, seed=1)
    path.write_bytes(out.getvalue())
    seen: list[tuple[str, int, int]] = []
    options = ReadOptions(jobs=jobs, progress=lambda *report: seen.append(report), tuning=tuning)
    reader = Reader([str(path)], None, Diagnostics(io.StringIO()), options)
    reader.count_into(Tally())
    size = path.stat().st_size
    assert len(seen) > 3
    assert all(name == str(path) and total == size for name, _, total in seen)
    done = [d for _, d, _ in seen]
    assert done == sorted(done)
    assert done[-1] == size


def test_progress_moves_while_a_workers_records_are_taken_in(tmp_path):
    """check's main process takes in a worker's records after reading its own range: the
    progress line moves across the worker's range meanwhile, not all at once at its end."""
    from wkcli.webhook.checks import Checker

    tuning = Tuning(fast_min_bytes=0, progress_min_bytes=0, parallel_min_bytes=0, block=8192)
    path = tmp_path / "d.jsonl"
    out = io.BytesIO()
    generate.write(out, "offline", 3000, seed=1)
    path.write_bytes(out.getvalue())
    seen: list[int] = []
    options = ReadOptions(jobs=2, progress=lambda _, done, __: seen.append(done), tuning=tuning)
    reader = Reader([str(path)], None, Diagnostics(io.StringIO()), options)
    checker = Checker()
    for item in reader.check_into(checker):
        checker.add(item)
    size = path.stat().st_size
    assert reader.fast is not None and reader.fast.forked == 1
    assert seen == sorted(seen) and seen[-1] == size
    first_range_end = max(d for d in seen if d < size * 0.5)  # the main process reads 44%
    inside = [d for d in seen if first_range_end < d < size]
    assert len(inside) >= 3  # steps while the worker's records were taken in


def test_cut_points_give_the_main_process_its_share(tmp_path):
    from wkcli.read.fast.pieces import cut_points

    path = tmp_path / "lines"
    path.write_bytes((b"x" * 99 + b"\n") * 1000)
    with open(path, "rb") as f:
        equal = cut_points(f.fileno(), 100_000, 2)
        smaller = cut_points(f.fileno(), 100_000, 3, first=0.5)
    # Each cut is just after the first newline at or after its share (lines of 100 bytes).
    assert equal == [0, 50_100, 100_000]
    assert smaller == [0, 20_100, 60_100, 100_000]  # 0.5 : 1 : 1


def test_progress_line_draws_then_clears():
    from wkcli.output.progress import ProgressLine

    stream = io.StringIO()
    bar = ProgressLine(stream, interval=0)
    bar.update("dump.jsonl", 50_000_000, 200_000_000)
    assert stream.getvalue() == "\rwkcli: dump.jsonl [######------------------]  25% 50/200 MB\x1b[K"
    bar.clear()
    assert stream.getvalue().endswith("\r\x1b[K")
    bar.clear()  # nothing shown: nothing to clear
    assert stream.getvalue().count("\r") == 2
    bar.say("writing o.parquet")  # what happens after the reading, in the line's place
    assert stream.getvalue().endswith("\rwkcli: writing o.parquet\x1b[K")
    bar.clear()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_no_progress_line_in_pipes(tmp_path, wkcli_proc):
    path = tmp_path / "d.jsonl"
    out = io.BytesIO()
    generate.write(out, "offline", 2000, seed=1)
    path.write_bytes(out.getvalue())
    proc = wkcli_proc("count", str(path))
    assert b"\r" not in proc.stderr
    assert proc.stderr.count(b"\n") == 1  # the summary line only


@pytest.mark.parametrize("mode", ["count", "jsonl"])
def test_truncated_gzip_is_reported_the_same(tmp_path, monkeypatch, mode):
    data = gzip.compress(_dump("offline", 1500, seed=8, odd=False))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    fast = _read(str(path), True, mode, monkeypatch)
    assert "gzip data ends early" in fast[4]
    _same(str(path), mode, monkeypatch)


@pytest.mark.parametrize("mode", ["count", "jsonl"])
@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("shape", ["capture", "mixed"])
def test_giving_up_on_a_dump_the_fast_path_cannot_take(tmp_path, monkeypatch, mode, jobs, shape):
    """When nearly every line needs the general path, it reads the rest: same results."""
    tuning = Tuning(fast_min_bytes=0, give_up_lines=5, parallel_min_bytes=0, block=4096)
    path = tmp_path / f"{shape}.jsonl"
    path.write_bytes(_dump(shape, 1500, seed=12))
    _same(str(path), mode, monkeypatch, jobs=jobs, tuning=tuning)


@pytest.mark.parametrize("mode", ["count", "jsonl"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_strict_stops_at_the_same_record_with_the_same_output(tmp_path, monkeypatch, mode, jobs):
    from wkcli.errors import StrictStop

    out = io.BytesIO()
    generate.write(out, "offline", 1200, seed=3)
    lines = out.getvalue().split(b"\n")
    lines.insert(900, b'{"header":{"sync_once":1},"message_id":')
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join(lines))
    results = []
    for fast in (True, False):
        monkeypatch.setenv("WKCLI_FASTPATH", "1" if fast else "0")
        sink = io.BytesIO()
        tally = Tally()
        options = ReadOptions(strict=True, presence=mode == "count", jobs=jobs if fast else 1, tuning=RANGES)
        reader = Reader([str(path)], None, Diagnostics(io.StringIO()), options)
        with pytest.raises(StrictStop) as stopped:
            if mode == "count":
                reader.count_into(tally)
            else:
                writer = JsonlWriter(sink)
                reader.pass_plain_jsonl(sink)
                for message in reader:
                    writer.write(message)
        results.append((str(stopped.value), sink.getvalue(), reader.stats.as_dict()))
    assert results[0] == results[1]
    assert f"{path}:901: invalid JSON" in results[0][0]
    if mode == "jsonl":
        assert results[0][1].count(b"\n") == 900  # every message before the bad line, written


def test_progress_is_reported_on_the_general_path_too(tmp_path, monkeypatch):
    """count --by a message field reads with the general path: it reports progress all the same."""
    path = tmp_path / "d.jsonl"
    out = io.BytesIO()
    generate.write(out, "offline", 1000, seed=1)
    path.write_bytes(out.getvalue())
    seen: list[tuple[str, int, int]] = []
    tuning = Tuning(fast_min_bytes=0, progress_min_bytes=0)
    options = ReadOptions(progress=lambda *report: seen.append(report), tuning=tuning)
    reader = Reader([str(path)], None, Diagnostics(io.StringIO()), options)
    tally = Tally(["channel_id"])
    reader.count_into(tally)
    size = path.stat().st_size
    assert tally.messages == 1000
    assert len(seen) > 3
    done = [d for _, d, _ in seen]
    assert done == sorted(done) and done[-1] == size


def test_a_counting_worker_leaves_bad_lines_to_the_main_process_and_goes_on(tmp_path, monkeypatch):
    """A few bad lines in a big dump must not cost the second core: same results, worker not stopped."""
    out = io.BytesIO()
    generate.write(out, "offline", 3000, seed=11)
    lines = out.getvalue().split(b"\n")
    for at in (2900, 2500, 2000, 1700):  # all in the worker's half
        lines.insert(at, b'{"header":{"sync_once":1},"message_id":')
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join(lines))
    scan = _same(str(path), "count", monkeypatch, jobs=2, tuning=RANGES).fast
    assert scan.forked == 1
    assert scan.workers_stopped == 0
    assert scan.lines_left == 4


# Group keys the fast path for count --by fields must render as the general path does, or leave to it.
FIELD_LINES = [
    b'{"header":{"sync_once":1,"red_dot":1},"channel_id":"g1","channel_type":2,"from_uid":"u1"}',
    b'{"header":{"sync_once":0},"channel_id":3.5,"channel_type":2.0}',
    b'{"header":{"sync_once":0},"channel_id":-0,"channel_type":1e2}',
    b'{"header":{"sync_once":0},"channel_id":18446744073709551616,"channel_type":-9223372036854775809}',
    b'{"header":{"sync_once":0},"channel_id":9223372036854775807,"channel_type":18446744073709551615}',
    b'{"header":{"sync_once":1,"red_dot":true},"channel_id":true,"channel_type":false}',
    b'{"header":{"sync_once":1,"red_dot":null},"channel_id":null,"channel_type":null}',
    b'{"header":{"sync_once":1,"red_dot":{"a":1}},"channel_id":{"b":[1,2]},"channel_type":[]}',
    b'{"header":{"sync_once":1,"red_dot":"x","red_dot":"y"},"channel_id":"a","channel_id":"b"}',
    b'{"header":{"sync_once":1},"channel_id":"caf\\u00e9 \\ud83d\\ude00","from_uid":"\\ud800"}',
    b'{"header":{"sync_once":1},"channel_id":"\xe4\xbd\xa0\xe5\xa5\xbd"}',
    b'{"header":{"sync_once":1},"from_uid":"u2"}',
    b'{"header":null,"channel_id":"g9"}',
    b'[{"header":{"sync_once":1},"channel_id":"n1"},{"header":{"sync_once":0},"channel_id":7}]',
    b'[{"header":{"sync_once":1},"channel_id":"n1"},{"header":{"sync_once":0},"channel_id":7.5}]',
    b'["u1-1-1-1-1-1","u2-1-1-1-1-1"]',
    b'{"event":"msg.notify","data":[{"header":{"sync_once":1},"channel_id":"e1"}]}',
]

BY_FIELDS = [
    "channel_id",
    "channel_type,kind",
    "event,header.red_dot",
    "from_uid,channel_id,kind,event",
    "header.no_persist",
    "received_at,kind",  # a record's key: records are read as messages first (decode.records_first)
]


@pytest.mark.parametrize("by", BY_FIELDS)
@pytest.mark.parametrize("shape", ["offline", "notify", "mixed", "envelope", "wkcapture"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_count_by_fields_matches_the_general_path(tmp_path, monkeypatch, by, shape, jobs):
    from wkcli.read.fast import counts

    # Values wait in lists and are counted a batch at a time: small batches, so that both
    # counted and waiting values are merged, from blocks and from workers.
    monkeypatch.setattr(counts, "GROUP_BATCH", 7)
    data = _dump(shape, 1500, seed=len(by))
    lines = data.split(b"\n")
    for i, line in enumerate(FIELD_LINES):
        lines.insert((i + 1) * len(lines) // (len(FIELD_LINES) + 2), line)
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join(lines))
    reader = _same(str(path), f"count-field:{by}", monkeypatch, jobs=jobs, tuning=RANGES)
    assert type(reader.fast).__name__ == "FastGroups"
    _same(str(path), f"count-field:{by}", monkeypatch, Criteria(kinds=["cmd"]), jobs=jobs, tuning=RANGES)


@pytest.mark.parametrize("by", ["header", "minute", "channel_id,day", "payload.x", "timestamp", "file"])
def test_count_by_other_fields_takes_the_general_path(tmp_path, monkeypatch, by):
    path = tmp_path / "d.jsonl"
    path.write_bytes(_dump("offline", 300, seed=1))
    reader = _same(str(path), f"count-field:{by}", monkeypatch)
    assert reader.fast is None


def test_count_by_fields_strict_stops_with_the_same_account(tmp_path, monkeypatch):
    from wkcli.errors import StrictStop

    out = io.BytesIO()
    generate.write(out, "offline", 1200, seed=3)
    lines = out.getvalue().split(b"\n")
    lines.insert(900, b'{"header":{"sync_once":1},"message_id":')
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join(lines))
    results = []
    for fast in (True, False):
        monkeypatch.setenv("WKCLI_FASTPATH", "1" if fast else "0")
        tally = Tally(["channel_id"])
        options = ReadOptions(strict=True, jobs=2 if fast else 1, tuning=RANGES)
        reader = Reader([str(path)], None, Diagnostics(io.StringIO()), options)
        with pytest.raises(StrictStop) as stopped:
            reader.count_into(tally)
        results.append((str(stopped.value), reader.stats.as_dict(), tally.rows()))
    assert results[0] == results[1]


@pytest.mark.parametrize("kinds", [[], ["cmd"]])
def test_a_writing_worker_leaves_bad_lines_to_the_main_process_and_goes_on(tmp_path, monkeypatch, kinds):
    """classify -o jsonl: the worker's output is cut around the lines it left, in exact order."""
    out = io.BytesIO()
    generate.write(out, "offline", 3000, seed=11)
    lines = out.getvalue().split(b"\n")
    for at in (2900, 2500, 2499, 2000, 1700):  # all in the worker's half
        lines.insert(at, b'{"header":{"sync_once":"1"},"message_id":5}')
    lines.insert(2200, b'{"header":{"sync_once":1},"message_id":')
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join(lines))
    scan = _same(str(path), "jsonl", monkeypatch, Criteria(kinds=kinds), jobs=2, tuning=RANGES).fast
    assert scan.forked == 1
    assert scan.workers_stopped == 0
    assert scan.lines_left == 6


def test_a_writing_worker_that_leaves_too_many_lines_stops_with_its_block_taken_back(tmp_path, monkeypatch):
    out = io.BytesIO()
    generate.write(out, "offline", 3000, seed=11)
    lines = out.getvalue().split(b"\n")
    for at in range(2990, 1600, -40):
        lines.insert(at, b'{"header":{"sync_once":"1"},"message_id":5}')
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join(lines))
    tuning = Tuning(fast_min_bytes=0, parallel_min_bytes=0, block=4096, left_lines=7)
    scan = _same(str(path), "jsonl", monkeypatch, jobs=2, tuning=tuning).fast
    assert scan.workers_stopped == 1


# What breaks a JSONL dump's flow over several lines: the fast path hands these to the general
# path and takes over again after them.
MULTILINE = [
    [b"{"],  # a stray bracket: cut off by the record after it
    [b"["],
    [b"{", b'  "header": {"sync_once": 1},', b'  "message_id": 77', b"}"],
    [b"[", b'  {"header": {"sync_once": 0}, "channel_id": "p1"},', b'  {"header": {"sync_once": 1}}', b"]"],
    [b"{", b'  "header": {"sync_once": 1},'],  # cut off
    [b"{", b'  "event": "msg.notify",', b'  "data": [', b'    {"header": {"sync_once": 1}}', b"  ]", b"}"],
]


def _with_multiline(n: int, every: int, seed: int) -> bytes:
    out = io.BytesIO()
    generate.write(out, "offline", n, seed=seed)
    lines = out.getvalue().split(b"\n")
    at = len(lines) - every
    k = 0
    while at > 0:
        lines[at:at] = MULTILINE[k % len(MULTILINE)]
        at -= every
        k += 1
    return b"\n".join(lines)


@pytest.mark.parametrize("mode", ["count", "count-by", "jsonl", "check", "report"])
def test_the_fast_path_takes_over_again_after_a_value_over_several_lines(tmp_path, monkeypatch, mode):
    """A stray "{" or a pretty-printed value in a JSONL dump costs the general path only its
    own lines, not the rest of the file."""
    path = tmp_path / "d.jsonl"
    path.write_bytes(_with_multiline(3000, 250, seed=5))
    scan = _same(str(path), mode, monkeypatch, tuning=Tuning(fast_min_bytes=0, block=4096)).fast
    assert scan.fast_lines > 2900
    assert scan.general_lines < 100


@pytest.mark.parametrize("mode", ["count", "jsonl", "check", "report"])
@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize("block", [4096, 1 << 20])
def test_workers_leave_values_over_several_lines_to_the_main_process(
    tmp_path, monkeypatch, mode, jobs, block
):
    """Workers leave such values to the main process and go on; one that runs past the end of
    the worker's piece of input stops it (and the main process reads on, fast). Small blocks put
    values across piece and range borders."""
    path = tmp_path / "d.jsonl"
    path.write_bytes(_with_multiline(3000, 97, seed=6))
    tuning = Tuning(fast_min_bytes=0, parallel_min_bytes=0, block=block)
    scan = _same(str(path), mode, monkeypatch, jobs=jobs, tuning=tuning).fast
    assert scan.forked == jobs - 1
    if block > path.stat().st_size:  # each range one piece: no value crosses a piece's end
        assert scan.workers_stopped == 0
        assert scan.lines_left > 10
    _same(str(path), mode, monkeypatch, Criteria(kinds=["cmd"]), jobs=jobs, tuning=tuning)


def test_a_value_read_across_a_workers_range_is_read_once(tmp_path, monkeypatch):
    """A value that starts in the main process's range and ends in a worker's: the main process
    reads on past its range (fast again after the value), and that worker's result is not used."""
    from wkcli.read.fast.pieces import cut_points

    out = io.BytesIO()
    generate.write(out, "offline", 2000, seed=8)
    data = out.getvalue()
    pretty = b"{\n" + b'  "k": "abcdefghijklmnopqrstuvwxyz",\n' * 4000 + b'  "header": {"sync_once": 1}\n}\n'
    size = len(data) + len(pretty)
    start = data.rindex(b"\n", 0, int(size * 0.38)) + 1
    path = tmp_path / "d.jsonl"
    path.write_bytes(data[:start] + pretty + data[start:])
    with open(path, "rb") as f:
        for share in (0.8, 1.0):  # check's first range, and the others'
            cut = cut_points(f.fileno(), size, 2, share)[1]
            assert start < cut < start + len(pretty)
    for mode in ("count", "jsonl", "check", "report"):
        scan = _same(str(path), mode, monkeypatch, jobs=2, tuning=RANGES).fast
        assert scan.forked == 1
        assert scan.fast_lines >= 2000


@pytest.mark.parametrize("mode", ["count", "jsonl"])
def test_a_worker_holds_a_bounded_size_of_lines_left(tmp_path, monkeypatch, mode):
    """Long bad lines are left to the main process only up to a size: then the worker stops
    (and the main process reads on), so a dump of huge bad lines cannot fill a worker's memory."""
    out = io.BytesIO()
    generate.write(out, "offline", 3000, seed=12)
    lines = out.getvalue().split(b"\n")
    for at in range(2900, 1700, -100):  # in the worker's half
        lines.insert(at, b'{"header":{"sync_once":"1"},"pad":"' + b"x" * 3000 + b'"}')
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join(lines))
    roomy = Tuning(fast_min_bytes=0, parallel_min_bytes=0, block=4096)
    scan = _same(str(path), mode, monkeypatch, jobs=2, tuning=roomy).fast
    assert scan.workers_stopped == 0 and scan.lines_left == 12
    tight = Tuning(fast_min_bytes=0, parallel_min_bytes=0, block=4096, left_bytes=10_000)
    scan = _same(str(path), mode, monkeypatch, jobs=2, tuning=tight).fast
    assert scan.workers_stopped == 1 and scan.lines_left == 4


@pytest.mark.parametrize("shape", ["envelope", "wkcapture", "capture", "notify", "presence"])
@pytest.mark.parametrize("mode", ["check", "report", "rows", "count-field:channel_id,kind", "count", "jsonl"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_envelopes_and_capture_records_take_the_fast_path(tmp_path, monkeypatch, shape, mode, jobs):
    """What WuKongIM posts (msg.notify arrays) and what wkcli capture writes (records with a
    receive time, which the report's lag and retries use) are read fast, with the same results,
    presence entries too (the report's flapping users are counted in file order, across workers)."""
    out = io.BytesIO()
    generate.write(out, shape, 3000, seed=2, anomalies=0.001, broken=0.002)
    path = tmp_path / f"{shape}.jsonl"
    lines = out.getvalue().split(b"\n")
    if shape == "presence":  # many states of few users: flaps, across the workers' ranges
        lines = [b'["u%d-1-%d-7-%d-1"]' % (n % 37, n % 2, (n // 37) % 2) for n in range(6000)] + lines
    path.write_bytes(b"\n".join(lines))
    scan = _same(str(path), mode, monkeypatch, jobs=jobs, tuning=RANGES if jobs > 1 else SMALL).fast
    assert scan.general_lines * 20 < scan.fast_lines
    if mode == "report" and shape == "wkcapture":
        report = _read(str(path), True, mode, monkeypatch, jobs=jobs, tuning=SMALL)[0]
        assert report["lag"]["measured"] > 2000
    if mode == "report" and shape == "presence":
        report = _read(str(path), True, mode, monkeypatch, jobs=jobs, tuning=SMALL)[0]
        assert report["presence"]["flappers"]["total"] > 5000


def test_grouped_counts_are_the_same_however_they_wait_and_merge(monkeypatch):
    """``Counts.add_groups`` keeps values in lists, counted a batch at a time; merging, sending
    (``state``) and folding give the counts of every value added, whichever way they went."""
    from collections import Counter

    from wkcli.read.fast import counts

    monkeypatch.setattr(counts, "GROUP_BATCH", 5)
    added: Counter = Counter()
    total = counts.Counts()
    for block in range(40):
        part = counts.Counts()
        for call in range(block % 4):
            values = [f"c{(block * 7 + call * 3 + i) % 11}" for i in range(block % 9)]
            added.update((2 + call % 2, value) for value in values)
            part.add_groups(2 + call % 2, values)
        if block % 3 == 0:
            part = counts.Counts.from_state(part.state())  # as a worker's counts arrive
        total.merge(part)
    total.count_groups()
    assert {(slot, value): n for slot, c in total.groups.items() for value, n in c.items()} == added
    assert total.group_values == {}
