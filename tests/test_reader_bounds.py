"""The reader stays bounded and loses nothing on hostile input: stray brackets, huge lines, binary."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys

import pytest
from conftest import wkcli_executable
from wk_fixtures import message

from wkcli.read.fast.pieces import file_pieces
from wkcli.read.lines import LongLine, iter_blocks, iter_lines, parse_size
from wkcli.read.options import Tuning
from wkcli.read.values import Bad, Skip, Value, read_values

OFFLINE = json.dumps(message(1877505884968357888, sync_once=0) | {"to_uids": ["u2"]})
LOG = "2026-07-30 10:00:00 INFO webhook event=msg.offline body=" + OFFLINE


class _Stream:
    def __init__(self, data: bytes, compressed: bool = False) -> None:
        self.stream = io.BytesIO(data)
        self.interactive = False
        self.compressed = compressed


def _values(data: bytes, **kw):
    return list(read_values(iter(data.split(b"\n")), **kw))


def _count(run, path, *args):
    result = run("count", str(path), "-o", "json", *args)
    return result.exit_code, json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("fast", ["1", "0"])
@pytest.mark.parametrize("opener", ["{", "["])
@pytest.mark.parametrize("body", [OFFLINE, LOG, "  " + OFFLINE])
def test_a_stray_opening_bracket_loses_only_its_own_line(run, tmp_path, monkeypatch, fast, opener, body):
    monkeypatch.setenv("WKCLI_FASTPATH", fast)
    path = tmp_path / "dump.jsonl"
    path.write_text(opener + "\n" + (body + "\n") * 50)
    code, counts, err = _count(run, path, "--by", "event")
    assert code == 1
    assert counts["messages"] == 50 and counts["malformed"] == 1
    assert {(g["event"], g["count"]) for g in counts["groups"]} == {("msg.offline", 50)}
    assert "dump.jsonl:1: error" in err


def test_a_real_pretty_array_is_still_one_value():
    data = b'[\n{"a": 1},\n{"b": 2}\n]\n[\n  {\n    "c": 3\n  }\n]\n'
    got = [(v.line, v.value, v.element) for v in _values(data)]
    assert got == [(2, {"a": 1}, True), (3, {"b": 2}, True), (6, {"c": 3}, True)]


def test_a_pretty_value_is_given_up_when_a_log_line_follows():
    data = b'{\n  "a": 1,\n' + LOG.encode() + b"\n2026-07-30 10:00:01 INFO nothing\n"
    got = _values(data)
    assert isinstance(got[0], Bad) and got[0].line == 1
    assert isinstance(got[1], Value) and got[1].line == 3 and got[1].hint == "msg.offline"
    assert isinstance(got[2], Skip) and got[2].line == 4


def test_a_multi_line_value_has_a_bound_and_reading_goes_on():
    big = b"{\n" + b'  "k": "xxxxxxxxxx",\n' * 20 + b'  "z": 1\n}\n{"after": 1}\n'
    got = _values(big, max_value=100)
    assert isinstance(got[0], Bad) and got[0].line == 1 and "over" in got[0].reason
    assert [(v.line, v.value) for v in got[1:]] == [(24, {"after": 1})]
    got = _values(big, max_value_lines=5)
    assert isinstance(got[0], Bad) and "5 lines" in got[0].reason
    assert len(got) == 2


@pytest.mark.parametrize("size", [1 << 10, 5000, 1 << 16, (1 << 16) + 7])
def test_lines_are_cut_right_at_every_read_size(size):
    lines = [b"a" * n for n in (0, 1, 10, 999, 1000, 1001, 4096, 70000, 3)]
    data = b"\n".join(lines)
    got = list(iter_lines(_Stream(data), max_line=size))
    want = [ln if len(ln) <= size else ("long", len(ln)) for ln in lines]
    assert [("long", g.size) if type(g) is LongLine else g for g in got] == want


def test_an_over_long_line_is_reported_and_the_rest_read(run, tmp_path):
    path = tmp_path / "dump.jsonl"
    path.write_text(OFFLINE + "\n" + '["' + "x" * 5000 + '"]\n' + OFFLINE + "\n")
    code, counts, err = _count(run, path, "--max-line", "1K")
    assert (code, counts["messages"], counts["malformed"]) == (1, 2, 1)
    assert "dump.jsonl:2: error: line is 5,004 bytes, over the --max-line limit of 1K" in err


def test_max_line_takes_sizes_and_refuses_nonsense(run, tmp_path):
    assert parse_size("16M") == 16 << 20 and parse_size("512k") == 512 << 10
    assert parse_size("1GiB") == 1 << 30 and parse_size("4096") == 4096
    path = tmp_path / "d.jsonl"
    path.write_text(OFFLINE + "\n")
    result = run("count", str(path), "--max-line", "lots")
    assert result.exit_code == 2 and "--max-line" in result.stderr


def test_pread_ranges_skip_a_long_line_without_reading_it(tmp_path):
    path = tmp_path / "d"
    path.write_bytes(b"ab\n" + b"x" * 300_000 + b"\ncd\n" + b"y" * 200_000)
    fd = os.open(path, os.O_RDONLY)
    try:
        pieces = list(file_pieces(fd, 0, os.path.getsize(path), Tuning().block, max_line=100_000))
    finally:
        os.close(fd)
    lines = [ln for piece in pieces for ln in piece[0]]
    assert [("long", ln.size) if type(ln) is LongLine else ln for ln in lines] == [
        b"ab",
        ("long", 300_000),
        b"cd",
        ("long", 200_000),
    ]
    assert sum(piece[2] for piece in pieces) == os.path.getsize(path)


def test_binary_inside_gzip_is_reported_not_read(run, tmp_path):
    path = tmp_path / "zeros.gz"
    path.write_bytes(gzip.compress(b"\0" * (1 << 20)))
    result = run("count", str(path), "-o", "json")
    assert result.exit_code == 1
    assert "zeros.gz: error: binary data after gzip decompression" in result.stderr


def test_gzip_checks_only_its_first_bytes():
    with pytest.raises(Exception, match="binary"):
        list(iter_blocks(_Stream(b'\0{"a":1}\n', compressed=True)))
    late = b'{"a":1}\n' * 100 + b"\0"
    assert b"".join(iter_blocks(_Stream(late, compressed=True))) == late


def test_a_utf16_mark_is_invalid_utf8_not_a_log_prefix():
    got = _values(b'\xff\xfe{"a": 1}')
    assert isinstance(got[0], Bad) and got[0].reason == "invalid UTF-8 at column 1"


def _max_rss_kb(args: list[str]) -> int:
    """Max RSS of ``wkcli ARGS`` alone: measured in a fresh process that only runs it."""
    probe = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, wkcli_executable(), *args], capture_output=True, text=True, timeout=120
    )
    return int(done.stdout)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_memory_stays_flat_on_a_huge_line_and_a_stray_bracket(tmp_path, jobs):
    path = tmp_path / "huge.jsonl"
    with open(path, "wb") as out:
        out.write(b"{\n")
        out.write(b'["' + b"x" * (80 << 20) + b'"]\n')
        for _ in range(2000):
            out.write(LOG.encode() + b"\n")
    rss = _max_rss_kb(["count", str(path), "--max-line", "1M", "--jobs", jobs])
    assert rss < 80_000, f"max RSS {rss} KB"


def test_a_value_over_its_bound_then_cut_off_is_reported_once():
    data = b"{\n" + b'  "k": "xxxxxxxxxx",\n' * 20 + b'{"after": 1}\n{\n  "small": 1\n}\n'
    got = _values(data, max_value=100)
    assert [(type(v).__name__, v.line) for v in got] == [("Bad", 1), ("Value", 22), ("Value", 23)]


WIDE = [2**64, 2**70, -(2**63) - 1, 2**64 - 1, -(2**63)]


@pytest.mark.parametrize("fast", ["1", "0"])
@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "table"])
def test_integers_wider_than_64_bits_come_out_exactly(run, tmp_path, monkeypatch, fast, fmt):
    monkeypatch.setenv("WKCLI_FASTPATH", fast)
    lines = [
        f'{{"header":{{"sync_once":0}},"message_id":{n},"message_seq":{n},"to_uids":["u1"]}}' for n in WIDE
    ]
    lines.append(f'2026-07-30 INFO body=[{{"header":{{"sync_once":1}},"message_id":{2**70}}}]')
    lines.append(
        json.dumps({"event": "msg.notify", "body": json.dumps([{"message_id": 2**64, "header": {}}])})
    )
    path = tmp_path / "wide.jsonl"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("COLUMNS", "400")
    result = run("classify", str(path), "-o", fmt, "--color", "never")
    assert result.exit_code == 0, result.stderr
    for n in WIDE + [2**70, 2**64]:
        if fmt != "table" or len(str(n)) <= 20:  # the table's id column is 20 wide
            assert str(n) in result.stdout
    assert "e+" not in result.stdout
    if fmt == "jsonl":
        ids = [json.loads(line)["message_id"] for line in result.stdout.splitlines()]
        assert ids == WIDE + [2**70, 2**64]


def test_lines_of_a_pretty_value_cost_no_tokenising(monkeypatch):
    """Only lines that hold a bracket are tokenised, and only lines at column 0 are asked whether
    they start a record: a large pretty-printed value reads as fast as before its bounds."""
    from wkcli.read import values

    calls = {"nest": 0, "starts": 0}
    nest, starts = values._nest, values._starts_record

    def counted_nest(*args):
        calls["nest"] += 1
        return nest(*args)

    def counted_starts(*args):
        calls["starts"] += 1
        return starts(*args)

    monkeypatch.setattr(values, "_nest", counted_nest)
    monkeypatch.setattr(values, "_starts_record", counted_starts)
    inner = b"".join(b'    "k%d": "v %d",\n' % (i, i) for i in range(5000)) + b'    "s": "{[",\n'
    data = b'{\n  "data": {\n' + inner + b'    "last": 1\n  }\n}\n'
    got = _values(data)
    assert [(type(v).__name__, v.line) for v in got] == [("Value", 1)]
    assert len(got[0].value["data"]) == 5002 and got[0].value["data"]["s"] == "{["
    assert calls["starts"] <= 2 and calls["nest"] <= 5


@pytest.mark.parametrize("fast", ["1", "0"])
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_numbers_beyond_double_range_come_out_as_they_went_in(run, tmp_path, monkeypatch, fast, fmt):
    monkeypatch.setenv("WKCLI_FASTPATH", fast)
    lines = [
        '{"header":{"sync_once":0},"message_id":1,"f":1e400,"g":-1.5E+999,"to_uids":["u1"]}',
        f'{{"header":{{"sync_once":0}},"message_id":{2**64},"f":1e400,"to_uids":["u1"]}}',
        '2026-07-30 INFO body={"header":{"sync_once":1},"message_id":3,"f":[2e308]}',
        json.dumps({"event": "msg.notify", "body": '[{"header":{},"message_id":4,"f":1e400}]'}),
    ]
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run("classify", str(path), "-o", fmt, "--color", "never")
    assert result.exit_code == 0, result.stderr
    assert "Infinity" not in result.stdout and "inf" not in result.stdout
    for text in ("1e400", "-1.5E+999", "2e308"):
        assert text in result.stdout
    if fmt == "jsonl":
        rows = [json.loads(line, parse_float=str) for line in result.stdout.splitlines()]
        assert [row["f"] for row in rows] == ["1e400", "1e400", ["2e308"], "1e400"]
        assert rows[0]["g"] == "-1.5E+999"
    stamp = tmp_path / "stamp.jsonl"
    stamp.write_text('{"header":{"sync_once":0},"message_id":1,"timestamp":1e400,"to_uids":["u1"]}\n')
    result = run("classify", str(stamp), "-o", "csv")
    assert ",1e400," in result.stdout and "timestamp 1e400 is not a usable time" in result.stderr


def test_pause_marks_each_point_where_nothing_is_held_open():
    from wkcli.read.values import BETWEEN, value_lines

    lines = [b"{", b'{"a": 1}', b"{", b'  "b": 2', b"}", b"[", b'{"c": 3},', b"]", b'{"d": 4}']
    got = list(read_values(iter(lines), pause=True))
    shape = ["|" if item is BETWEEN else (type(item).__name__, item.line) for item in got]
    # A stray "{" is cut off by the record after it; a pretty value and a pretty array are read
    # whole; after each, and after each plain line, nothing is held open.
    assert shape == [
        ("Bad", 1),
        ("Value", 2),
        "|",
        ("Value", 3),
        "|",
        ("Value", 7),
        "|",
        ("Value", 9),
        "|",
    ]

    def seen(items):
        return [(type(v).__name__, v.line, getattr(v, "value", None)) for v in items if v is not BETWEEN]

    assert seen(got) == seen(read_values(iter(lines)))  # pausing changes nothing else
    assert value_lines(lines, 0, "auto") == 2
    assert value_lines(lines, 2, "auto") == 3
    assert value_lines(lines, 5, "auto") == 3
    assert value_lines(lines[:4], 2, "auto") == 0  # still open at the end
    assert value_lines(lines, 8, "jsonl") == 1
