"""export's fast path (``read/fast/rows.py``) writes exactly the rows the general path writes.

Each message line is either taken by the fast path, with the very bytes ``message_row`` and the
loader give, or handed to the general path; through ``wkcli export`` the tables read back are
the same with ``WKCLI_FASTPATH=0`` and without, also when forked workers read byte ranges.
"""

from __future__ import annotations

import base64
import io
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wk_fixtures import TRUNCATED_GZIP, b64, cmd, gzip_uids, text

from wkcli.read.fast.counts import FAILED, Counts
from wkcli.read.fast.rows import FastRows
from wkcli.read.options import ReadOptions, Tuning
from wkcli.read.values import Value
from wkcli.webhook.filters import Criteria
from wkcli.webhook.model import Message, Origin, infer_event
from wkcli.webhook.rows import message_row, row_line

duckdb = pytest.importorskip("duckdb")

U64 = 1 << 64
IDS = [0, 1, 2**53 + 1, 2**63 - 1, 2**63, 2**63 + 1, U64 - 2, U64 - 1, U64, U64 + 1, -1, -(2**63), 10**30]
PAYLOADS = [
    text("hello  world\tagain"),
    text("x" * 200),
    cmd("typing", channel_id="g1", channel_type=2),
    cmd("unreadClear"),
    b64({"type": 2, "width": 10, "height": 20}),
    b64({"type": 8, "name": "a.pdf"}),
    b64({"type": "custom", "content": "c"}),
    b64({"cmd": 5}),
    b64([1, 2, 3]),
    b64(b"plain text, not json"),
    b64(b"\x00\x01\xff binary"),
    b64(b""),
    "",
    "not base64!",
    "YQ",  # bad padding
    None,
    {"type": 1, "content": "already decoded"},
    7,
]
UIDS = [["u1", "u2"], [], None, ["u1", 3], "u1", ["caf\u00e9", "\u2603"]]
PACKED = [
    gzip_uids(["u7", "u8"]),
    gzip_uids(["u9"], newline=False),
    TRUNCATED_GZIP,
    "%%%",
    b64(b"not gzip"),
    5,
]
SYNC_ONCE = [0, 1, None, "1", True, 2, 1.0, 0.0]
TIMESTAMPS = [1785398400, 1785398400.25, 1785398400123, -5, 10**15, "2026-07-30", None, 1e300, 2**70]
TEXTS = ["g1", "", "caf\u00e9", "\u2603\U0001f600", None, 5, ["x"], "a\u0000b"]
SMALL_INTS = [1, 2, 77, 0, -1, 2**31, "2", None, 1.5, True]


def _message(rng: random.Random) -> dict:
    """A message with each field drawn from plain, odd and broken values (or left out)."""
    msg: dict = {}

    def maybe(key: str, values: list, p: float = 0.85, into: dict | None = None) -> None:
        # Mostly one of the first (plain) values; now and then anything.
        if rng.random() < p:
            pool = values[:3] if rng.random() < 0.95 else values
            (msg if into is None else into)[key] = rng.choice(pool)

    header: dict = {}
    maybe("sync_once", SYNC_ONCE, 0.9, header)
    maybe("no_persist", [0, 1, None, 1.0, "0", 2**40], 0.7, header)
    maybe("red_dot", [0, 1, True], 0.7, header)
    choice = rng.random()
    if choice < 0.94:
        msg["header"] = header
    elif choice < 0.97:
        msg["header"] = None
        maybe("sync_once", SYNC_ONCE, 0.5)
    elif choice < 0.99:
        msg["header"] = rng.choice(["x", [1], 3])
    maybe("setting", [0, 64, 0x20, 0x80 | 0x40 | 0x2, -3, 2**33, "1"], 0.6)
    maybe("message_id", IDS, 0.9)
    maybe("message_idstr", ["", "123", str(U64 - 1), str(U64), "12a", "\u0661", 5, None], 0.6)
    maybe("client_msg_no", TEXTS, 0.6)
    maybe("message_seq", [1, 0, 2**63, -(2**63) - 1, "3", 2.0], 0.6)
    maybe("from_uid", TEXTS)
    maybe("channel_id", TEXTS)
    maybe("channel_type", SMALL_INTS)
    maybe("timestamp", TIMESTAMPS)
    maybe("payload", PAYLOADS)
    maybe("to_uids", UIDS, 0.4)
    if rng.random() < 0.1:
        msg["compress_to_uids"] = rng.choice(PACKED)
        maybe("compress", ["gzip", "zstd", "", None], 0.8)
    elif rng.random() < 0.02:
        msg["compress"] = "gzip"
    maybe("source_id", [1001, None, "s"], 0.3)
    maybe("expire", [0, 2**70], 0.3)
    return msg


def _lines(seed: int, n: int) -> list[bytes]:
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        msg = _message(rng)
        keys = list(msg)
        rng.shuffle(keys)
        lines.append(json.dumps({key: msg[key] for key in keys}, ensure_ascii=rng.random() < 0.5).encode())
    # What JSON allows and Python's json does not write: escapes, spacing, a lone surrogate.
    lines += [
        b'{"header":{"sync_once":1},"channel_id":"\\u00e9\\ud83d\\ude00","payload":'
        + json.dumps(text("a")).encode()
        + b"}",
        b'{"header":{"sync_once":0},"from_uid":"\\ud800","message_id":1}',
        b'  {"header" : {"sync_once" : 0} , "message_id" : 9 }  ',
        b'{"header":{"sync_once":0},"message_id":1,"message_id":2}',
        b'{"header":{"sync_once":1},"header":{"sync_once":0}}',
        b'{"header":{"sync_once":1},"timestamp":1e3}',
        b'{"header":{"sync_once":1},"x":1e999}',
        b'{"header":{"sync_once":0},"payload":"'
        + base64.b64encode(b'{"type":1,"content":"\\ud800"}')
        + b'"}',
    ]
    return lines


def _general_line(line: bytes, name: str, number: int) -> bytes | None:
    """What the general path writes for a line holding one message object (None: something else)."""
    from wkcli.read.values import read_values

    values = list(read_values(iter([line]), "auto", 1 << 20))
    if len(values) != 1 or type(values[0]) is not Value or type(values[0].value) is not dict:
        return None
    data = values[0].value
    message = Message(data, infer_event(data), Origin(name, number))
    return row_line(message_row(message))


def _fast(lines: list[bytes], line0: int = 0) -> list[tuple[int, bytes | None]]:
    """Each line through ``FastRows.take_lines``: its row bytes, or None where it fails."""
    scan = FastRows(None, Criteria(), ReadOptions())  # type: ignore[arg-type]
    scan.prepare()
    scan.source_name = "d.jsonl"
    scan.line0 = line0
    out = []
    i = 0
    while i < len(lines):
        j, value = scan.take_lines(lines, i, Counts(), True)
        rows = iter(scan.pending)
        out.extend((k, next(rows) if lines[k] else None) for k in range(i, j))
        scan.pending.clear()
        if j < len(lines):
            assert value is FAILED
            out.append((j, None))
        i = j + 1
    return out


@pytest.mark.parametrize("seed", range(4))
def test_every_row_taken_is_the_general_paths_row(seed):
    lines = _lines(seed, 400)
    taken = 0
    for k, row in _fast(lines, line0=1000):
        if row is not None:
            taken += 1
            assert row == _general_line(lines[k], "d.jsonl", 1000 + k + 1), lines[k]
    assert 0.2 * len(lines) < taken < len(lines)  # both paths are exercised


@settings(max_examples=300, deadline=None)
@given(st.randoms(use_true_random=False))
def test_any_message_drawn_gives_the_general_row_or_none(rng):
    msg = _message(rng)
    line = json.dumps(msg).encode()
    ((_, row),) = _fast([line])
    if row is not None:
        assert row == _general_line(line, "d.jsonl", 1)


def test_plain_message_is_taken():
    line = (
        b'{"header":{"sync_once":1},"message_id":18446744073709551615,"payload":'
        + json.dumps(cmd("x")).encode()
        + b"}"
    )
    ((_, row),) = _fast([line])
    assert row is not None
    assert json.loads(row)["message_id"] == U64 - 1
    assert row == _general_line(line, "d.jsonl", 1)


# -- through wkcli export --------------------------------------------------------------------


@pytest.fixture
def dump_file(tmp_path: Path) -> Path:
    lines = _lines(7, 2500)
    # Something that is no message, and a value over several lines, on the way.
    lines[100:100] = [b'{"event":"user.onlinestatus","data":["u1-1-1-1-1-1"]}', b"{oops", b""]
    lines[2000:2000] = [b"{", b'"header": {"sync_once": 1}, "message_id": 5', b"}"]
    path = tmp_path / "dump.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert path.stat().st_size > Tuning().fast_min_bytes
    return path


def _tables(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect()
    stem = str(path)[: -len(".parquet")]
    out = {}
    for table, file in (
        ("messages", str(path)),
        ("presence", stem + ".presence.parquet"),
        ("problems", stem + ".problems.parquet"),
    ):
        if Path(file).exists():
            out[table] = con.execute(f"SELECT * FROM '{file}'").fetchall()  # in the order written
    return out


def _export(run, monkeypatch, dump: Path, dest: Path, fast: bool, *extra: str, checks: bool = False):
    """Export; returns the exit code, stderr, and how many messages and presence rows the
    general path made."""
    from wkcli.store import feed

    made: list[int] = []
    present: list[int] = []
    real, real_presence = feed.message_row, feed.presence_row
    monkeypatch.setattr(feed, "message_row", lambda *a: made.append(1) or real(*a))
    monkeypatch.setattr(feed, "presence_row", lambda *a: present.append(1) or real_presence(*a))
    monkeypatch.setenv("WKCLI_FASTPATH", "1" if fast else "0")
    result = run("export", str(dump), "--to", str(dest), *([] if checks else ["--no-checks"]), *extra)
    return result.exit_code, result.stderr.replace(str(dest), "DEST"), len(made), len(present)


def _generated(
    tmp_path: Path, shape: str, n: int, seed: int, broken: float, odd: list[bytes], at: int
) -> Path:
    """A generated dump of ``n`` messages in ``shape`` with ``odd`` lines inserted at line ``at``."""
    from test_fastpath import generate

    out = io.BytesIO()
    generate.write(out, shape, n, seed=seed, anomalies=0.002, broken=broken)
    lines = out.getvalue().split(b"\n")
    lines[at:at] = odd
    dump = tmp_path / f"{shape}.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")
    return dump


def _both_ways(run, monkeypatch, tmp_path: Path, dump: Path, jobs: str, *extra: str, checks: bool = False):
    """Export ``dump`` without the fast paths and with them (with 2 jobs, on small ranges and
    blocks: workers, lines left to the main process, a worker that stops); returns each run's
    ``_export`` result and its tables, the general path's first."""
    if jobs == "2":
        defaults = list(Tuning.__init__.__defaults__)  # type: ignore[misc]
        defaults[0:2] = [4096, 0]  # block, parallel_min_bytes
        monkeypatch.setattr(Tuning.__init__, "__defaults__", tuple(defaults))
    slow = _export(
        run, monkeypatch, dump, tmp_path / "slow.parquet", False, "--jobs", jobs, *extra, checks=checks
    )
    fast = _export(
        run, monkeypatch, dump, tmp_path / "fast.parquet", True, "--jobs", jobs, *extra, checks=checks
    )
    return slow, fast, _tables(tmp_path / "slow.parquet"), _tables(tmp_path / "fast.parquet")


@pytest.mark.parametrize(
    ("jobs", "kept"), [("1", ()), ("2", ()), ("2", ("--kind", "cmd")), ("1", ("--event", "msg.offline"))]
)
def test_export_tables_are_the_same_either_way(run, monkeypatch, tmp_path, dump_file, jobs, kept):
    slow, fast, one, other = _both_ways(run, monkeypatch, tmp_path, dump_file, jobs, *kept)
    assert fast[:2] == slow[:2]
    assert slow[0] == 1  # malformed lines were reported
    assert slow[2] - fast[2] > (100 if kept else 500)  # rows from the fast path
    assert len(one["messages"]) > (200 if kept else 2000)
    if kept:
        assert len(one["messages"]) < 2000
    assert one == other


def _retries_dump(tmp_path: Path) -> Path:
    """Plain messages with retries, v3 chunks and odd lines among them."""
    rng = random.Random(3)
    plain = b'{"header":{"sync_once":0},"message_id":%d,"message_idstr":"%d","from_uid":"u%d",' \
        b'"channel_id":"g1","timestamp":1785398400,"payload":"%s","to_uids":["a%d","b"]}'  # fmt: skip
    hello = base64.b64encode(b'{"type":1,"content":"hello"}')
    lines = [plain % (n, n, n % 50, hello, n % 7) for n in range(1, 3001)]
    odd = _lines(11, 600)
    for at, line in enumerate(odd):
        lines.insert(at * 5, line)
    for at in range(300, len(lines), 97):
        lines.insert(at, lines[at - rng.randrange(1, 250)])  # a retry of a recent delivery
    chunk = b'{"header":{"sync_once":0},"message_id":77,"message_idstr":"77","from_uid":"u9","to_uids":%s}'
    lines[1800:1800] = [chunk % b'["a"]', chunk % b'["b"]', chunk % b'["a","c"]', chunk % b'["u9"]']
    dump = tmp_path / "retries.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")
    return dump


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_export_with_checks_is_the_same_either_way(run, monkeypatch, tmp_path, jobs):
    """With check's findings (the default): the same messages and problems rows, in the same
    order, retries across workers' ranges included; plain messages' rows from the fast path."""
    dump = _retries_dump(tmp_path)
    slow, fast, one, other = _both_ways(run, monkeypatch, tmp_path, dump, jobs, checks=True)
    assert fast[:2] == slow[:2]
    assert slow[2] - fast[2] > 500  # rows from the fast path
    assert one == other
    kinds = {row[0] for row in one["problems"]}
    assert {"duplicate", "offline-chunks", "sender-in-recipients"} <= kinds


@pytest.mark.parametrize("checks", [(), ("--no-checks",)])
def test_sql_tables_are_the_same_either_way(run, monkeypatch, tmp_path, checks):
    """wkcli sql loads its tables on the same fast path: the same rows in every table."""
    dump = _retries_dump(tmp_path)
    answers = []
    for fast in ("0", "1"):
        monkeypatch.setenv("WKCLI_FASTPATH", fast)
        got = []
        for query in (
            "SELECT * FROM messages ORDER BY source_line, batch_index",
            "SELECT * FROM problems ORDER BY source_line, kind, detail",
            "SELECT count(*) FROM presence",
        ):
            result = run("sql", query, str(dump), "-o", "json", *checks)
            got.append((result.exit_code, result.stdout))
        answers.append(got)
    assert answers[0] == answers[1]
    assert len(json.loads(answers[0][0][1])) > 3000
    assert ("duplicate" in answers[0][1][1]) == (not checks)  # findings only with checks


def test_demux_takes_its_input_cut_anywhere():
    """Rows, presence rows and records reach their places whole and in order, however the
    stream is cut (records hold any byte, the presence mark's and a NUL's among them)."""
    from wkcli.read.fast.records import MARK, PRESENCE_ROW, RECORD, Demux

    def record(n: int) -> bytes:
        ident, blob = str(n).encode(), b'["a","b"]' if n % 2 else b""
        return RECORD.pack(1, n, 30, 0x1E00, 2 if blob else 0, 1.5, 2.5, len(ident), len(blob)) + ident + blob

    def records(n: int) -> bytes:  # none, one, or two (a finding's and a delivery's)
        return b"" if n % 3 == 0 else record(n) + (record(n + 100) if n % 3 == 2 else b"")

    def presence(n: int) -> bytes:  # none, or one or two presence rows
        return b"".join(b'{"p":%d,"i":%d}\n' % (n, i) for i in range(n % 4 // 2 + (n % 4 == 3)))

    def marked(rows: bytes) -> bytes:
        return b"".join(PRESENCE_ROW + line + b"\n" for line in rows.split(b"\n") if line)

    stream = b"".join(
        b'{"n":%d}\n' % n + marked(presence(n)) + (MARK + records(n) if records(n) else b"")
        for n in range(40)
    )
    want_rows = b"".join(b'{"n":%d}\n' % n for n in range(40))
    want_presence = b"".join(presence(n) for n in range(40))
    want_records = b"".join(records(n) for n in range(40))
    assert want_presence and MARK in want_records and PRESENCE_ROW in want_records

    class Sink:
        def __init__(self) -> None:
            self.data = b""

        def write(self, data: bytes) -> int:
            self.data += data
            return len(data)

    for cut in range(1, 60, 7):
        rows, present, records = Sink(), Sink(), Sink()
        demux = Demux(rows, present, records)  # type: ignore[arg-type]
        for start in range(0, len(stream), cut):
            demux.write(stream[start : start + cut])
        assert rows.data == want_rows
        assert present.data == want_presence
        assert records.data == want_records


def test_export_to_duckdb_is_the_same_either_way(run, monkeypatch, tmp_path, dump_file):
    results = []
    made = []
    for fast in (False, True):
        dest = tmp_path / f"{fast}.duckdb"
        code, _, general_rows, _ = _export(run, monkeypatch, dump_file, dest, fast)
        assert code == 1
        made.append(general_rows)
        con = duckdb.connect(str(dest), read_only=True)
        results.append(
            [
                con.execute(f"SELECT * FROM {t} ORDER BY source_line").fetchall()
                for t in ("messages", "presence", "problems")
            ]
        )
        con.close()
    assert results[0] == results[1]
    assert made[0] - made[1] > 500


def test_memo_remembers_a_bounded_number_of_keys():
    from wkcli.read.fast.rows import Memo

    made = []
    memo = Memo(lambda key: made.append(key) or key * 2, 3)
    for key in [1, 2, 1, 3, 4, 5, 1]:
        got = memo.seen.get(key) or memo.fill(key)
        assert got == key * 2
        assert len(memo.seen) <= 3
    assert made == [1, 2, 3, 4, 5, 1]


def test_reading_imports_no_row_code_until_export_asks():
    import subprocess
    import sys

    names = "{'wkcli.webhook.rows', 'msgspec'}"
    code = f"import sys, wkcli.read.reader; print(sorted({names} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(("jobs", "checks"), [("1", False), ("2", False), ("2", True)])
def test_export_of_notify_bodies_is_the_same_either_way(run, monkeypatch, tmp_path, jobs, checks):
    """msg.notify bodies (an array of messages a line, as WuKongIM posts them): a row per message
    with its index, from the fast path, and the same tables either way; odd arrays among them."""
    odd = [
        b"[]",
        b'["u1-1-1-1-1-1"]',
        b'[{"header":{"sync_once":1},"message_id":5},{"header":{"sync_once":"1"},"message_id":6}]',
        b'[{"header":{"sync_once":0},"message_id":18446744073709551616},{"header":{"sync_once":1}}]',
        b'[{"header":{"sync_once":1},"message_id":7,"to_uids":["a"]},{"header":{"sync_once":0}}]',
    ]
    dump = _generated(tmp_path, "notify", 2500, 5, 0.01, odd, at=300)
    slow, fast, one, other = _both_ways(run, monkeypatch, tmp_path, dump, jobs, checks=checks)
    assert fast[:2] == slow[:2]
    assert slow[2] - fast[2] > 2000  # rows from the fast path
    assert one == other


def test_a_finding_last_in_the_record_stream_is_noted():
    """A finding's record is shorter than a delivery's: one that ends the stream (a message with
    no id, so no delivery record after it) still reaches the checker."""
    from wkcli.read.fast.records import CODE_INDEX, FINDING, FINDING_TYPE, NO_DETAIL, Replay
    from wkcli.webhook.checks import Checker

    checker = Checker()
    replay = Replay(checker)
    nan = float("nan")
    finding = FINDING.pack(FINDING_TYPE, CODE_INDEX["cmd-in-offline"], 1, 7, nan, 1785398400.0, 0, NO_DETAIL)
    assert len(finding) < 40
    replay.write(finding)
    found = checker.report()["findings"]
    assert [(f["code"], f["count"]) for f in found] == [("cmd-in-offline", 1)]


@pytest.mark.parametrize("shape", ["wkcapture", "envelope"])
@pytest.mark.parametrize("checks", [False, True])
def test_export_of_capture_records_and_envelopes_is_the_same_either_way(
    run, monkeypatch, tmp_path, shape, checks
):
    """Records of msg.offline and msg.notify bodies: rows from the fast path, with the receive
    time of a capture record in ``received`` (and in ``time`` where a message has none)."""
    odd = [
        b'{"received_at":"2026-07-30T10:00:01Z","event":"msg.notify","body":[{"header":{"sync_once":1}}]}',
        b'{"received_at":1785398401.5,"event":"msg.offline","body":{"header":{"sync_once":0},"to_uids":["a"]}}',
        b'{"received_at":"later","event":"msg.notify","body":[]}',
        b'{"event":"msg.notify","data":[{"header":{"sync_once":1}}],"extra":1}',
        b'{"event":"msg.weird","data":[{"header":{"sync_once":1}}]}',
    ]
    dump = _generated(tmp_path, shape, 3000, 8, 0.005, odd, at=40)
    slow, fast, one, other = _both_ways(run, monkeypatch, tmp_path, dump, "2", checks=checks)
    assert fast[:2] == slow[:2]
    assert slow[2] - fast[2] > 2000  # rows from the fast path
    assert slow[3] > 200 and fast[3] < slow[3] / 10  # presence rows too
    assert one == other


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_problems_keep_their_order_among_malformed_records(run, monkeypatch, tmp_path, jobs):
    """A finding the fast path makes (a CMD inside msg.offline) and a malformed record a few lines
    later: their ``problems`` rows come in file order, as on the general path."""
    message = b'{"header":{"sync_once":%d},"message_id":%d,"message_idstr":"%d","to_uids":["a"],' \
        b'"timestamp":1785398400}'  # fmt: skip
    lines = []
    for n in range(1, 4001):
        lines.append(message % (n % 50 == 0, n, n))
        if n % 50 == 3:
            lines.append(b'{"header":{"sync_once":0},"message_id":')  # cut off
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(b"\n".join(lines) + b"\n")
    slow, fast, one, other = _both_ways(run, monkeypatch, tmp_path, dump, jobs, checks=True)
    assert fast[:2] == slow[:2]
    kinds = [row[0] for row in one["problems"]]
    assert kinds.count("malformed") == 80 and kinds.count("cmd-in-offline") == 80
    assert one["problems"] == other["problems"]


@pytest.mark.parametrize("shape", ["mixed", "wkcapture", "envelope", "notify"])
@pytest.mark.parametrize("checks", [False, True])
def test_export_of_every_shape_with_odd_lines_is_the_same_either_way(
    run, monkeypatch, tmp_path, shape, checks
):
    """Every input shape, with the lines the fast paths must hand on or read exactly as the
    general path would (test_fastpath's ODD_LINES: odd ids, strings among messages, messages
    among presence entries, values over several lines...): the same tables and stderr."""
    from test_fastpath import _dump

    dump = tmp_path / f"{shape}.jsonl"
    dump.write_bytes(_dump(shape, 2000, seed=3))
    slow, fast, one, other = _both_ways(run, monkeypatch, tmp_path, dump, "2", checks=checks)
    assert fast[:2] == slow[:2]
    assert slow[2] > fast[2]  # some rows from the fast path
    assert one == other
