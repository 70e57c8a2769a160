"""Damaged and unusual input read as far as it goes: cut or corrupt gzip, folders that cannot be
listed, bytes that are not UTF-8, integers too long for Python to convert."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import random
import shutil
import subprocess
import tempfile
import time
import zlib

import orjson
import pytest
from conftest import wkcli_executable
from test_fastpath import _dump, _read, _same

from wkcli.read.gunzip import Gunzip
from wkcli.read.jsontext import NOT_JSON, BigNumber, dumps, loads_fallback
from wkcli.read.reader import Reader

# -- gzip: every byte before the damage


def _lines(count: int, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    return b"".join(
        orjson.dumps(
            {
                "header": {"sync_once": n % 7 == 0 and 1 or 0},
                "message_id": 1877505633805643776 + n,
                "to_uids": [f"u{rng.randrange(10**6)}"],
                "from_uid": f"u{rng.randrange(10**6)}",
                "payload": "".join(rng.choice("abcdefghij") for _ in range(rng.randrange(20, 200))),
            }
        )
        + b"\n"
        for n in range(count)
    )


def _most_zlib_gives(blob: bytes) -> bytes:
    """Every byte zlib inflates from ``blob`` before its damage, fed a byte at a time."""
    out: list[bytes] = []
    obj = zlib.decompressobj(31)
    rest = blob
    while rest:
        for i in range(len(rest)):
            try:
                out.append(obj.decompress(rest[i : i + 1]))
            except zlib.error:
                return b"".join(out)
            if obj.eof:
                rest = (obj.unused_data + rest[i + 1 :]).lstrip(b"\0")
                obj = zlib.decompressobj(31)
                break
        else:
            break
    return b"".join(out)


class _Pipe(io.BufferedReader):
    def seekable(self) -> bool:
        return False


def _inflate(blob: bytes, module: object, seekable: bool) -> tuple[bytes, BaseException | None]:
    raw = io.BytesIO(blob) if seekable else _Pipe(io.BytesIO(blob))  # type: ignore[arg-type]
    stream = Gunzip(raw, module)
    out: list[bytes] = []
    try:
        while piece := stream.read(1 << 17):
            out.append(piece)
    except Exception as exc:  # noqa: BLE001 - the damage, returned to be looked at
        return b"".join(out), exc
    return b"".join(out), None


def _modules() -> list[object]:
    found: list[object] = [gzip]
    try:
        from isal import igzip

        found.append(igzip)
    except ImportError:
        pass
    return found


@pytest.mark.parametrize("seekable", [True, False], ids=["file", "pipe"])
@pytest.mark.parametrize("module", _modules(), ids=lambda m: m.__name__)  # type: ignore[attr-defined]
def test_gzip_damage_loses_no_byte_zlib_could_inflate(module, seekable):
    data = _lines(1500)
    packed = gzip.compress(data) + gzip.compress(data[:4000])  # two members
    rng = random.Random(11)
    for trial in range(24):
        blob = bytearray(packed)
        if trial % 3 == 0:  # cut anywhere
            blob = blob[: rng.randrange(1, len(blob))]
        elif trial % 3 == 1:  # a run of random bytes
            at = rng.randrange(len(blob))
            blob[at : at + 6] = bytes(rng.randrange(256) for _ in range(6))
        else:  # one bit flipped
            blob[rng.randrange(len(blob))] ^= 1 << rng.randrange(8)
        want = _most_zlib_gives(bytes(blob))
        got, error = _inflate(bytes(blob), module, seekable)
        assert got == want
        if len(want) < len(data) + 4000:
            assert error is not None


def test_gzip_whole_members_zero_padding_and_trailing_garbage():
    data = _lines(400)
    two = gzip.compress(data) + gzip.compress(data)
    for module in _modules():
        assert _inflate(two + b"\0" * 9, module, True) == (data + data, None)
        got, error = _inflate(two + b"garbage", module, True)
        assert got == data + data
        assert error is not None


def _count_cli(path: str, *, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([wkcli_executable(), "count", path], input=stdin, capture_output=True, timeout=60)


@pytest.mark.parametrize("cut", [4, 200, 30_000], ids=["trailer", "200-bytes", "middle"])
@pytest.mark.parametrize("how", ["file", "stdin"])
def test_a_cut_gzip_file_reads_every_line_zcat_gives(tmp_path, cut, how):
    data = _lines(3000)
    packed = gzip.compress(data)
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[:-cut])
    inflated = _most_zlib_gives(packed[:-cut])
    whole = inflated.count(b"\n")
    proc = _count_cli(
        "-" if how == "stdin" else str(path), stdin=path.read_bytes() if how == "stdin" else None
    )
    counts = orjson.loads(proc.stdout)
    name = "<stdin>" if how == "stdin" else str(path)
    assert counts["messages"] == whole
    errors = proc.stderr.decode().splitlines()
    if inflated.endswith(b"\n"):  # the cut fell after the data (the trailer): every line is whole
        assert counts["records"] == whole == 3000
        assert errors[0] == f"wkcli: {name}: error: gzip data ends early (truncated file?)"
    else:  # the last line is cut: an error naming it, then the damage
        assert counts["records"] == whole + 1
        assert errors[0].startswith(f"wkcli: {name}:{whole + 1}: error: invalid JSON")
        assert errors[1] == f"wkcli: {name}: error: gzip data ends early (truncated file?)"
    assert proc.returncode == 1


def test_a_small_gzip_cut_short_still_gives_its_lines(tmp_path):
    data = _lines(6)
    path = tmp_path / "small.gz"
    path.write_bytes(gzip.compress(data)[:-4])  # the length field cut off: all data is there
    proc = _count_cli(str(path))
    assert orjson.loads(proc.stdout)["messages"] == 6
    assert b"gzip data ends early" in proc.stderr


def test_a_wrong_crc_reads_every_line_then_says_so(tmp_path):
    data = _lines(3000)
    packed = bytearray(gzip.compress(data))
    packed[-6] ^= 0xFF  # in the CRC: every byte of data is intact
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(packed))
    for proc in (_count_cli(str(path)), _count_cli("-", stdin=bytes(packed))):
        counts = orjson.loads(proc.stdout)
        assert counts["messages"] == counts["records"] == 3000
        assert counts["malformed"] == 1
        assert b"error: corrupt gzip data" in proc.stderr
        assert proc.returncode == 1


def test_a_cut_gzip_reads_as_the_bytes_zcat_gives_would(tmp_path, monkeypatch):
    data = _dump("mixed", 2000, seed=4)
    packed = gzip.compress(data)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) - 7])
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(_most_zlib_gives(packed[: len(packed) - 7]))
    assert plain.read_bytes() == data  # only the trailer was cut
    got = _read(str(path), True, "jsonl", monkeypatch)
    want = _read(str(plain), True, "jsonl", monkeypatch)
    assert got[0] == want[0]  # every message, in the same bytes
    assert got[1] == {**want[1], "malformed": want[1]["malformed"] + 1}
    said = got[4].replace(str(path), "F").splitlines()
    assert said[:-1] == want[4].replace(str(plain), "F").splitlines()
    assert said[-1] == "wkcli: F: error: gzip data ends early (truncated file?)"


# -- folders that cannot be listed


def _locked_tree(root: str) -> None:
    sample = os.path.join(os.path.dirname(__file__), "..", "samples", "webhooks.jsonl")
    os.makedirs(os.path.join(root, "locked"))
    shutil.copy(sample, os.path.join(root, "a.jsonl"))
    shutil.copy(sample, os.path.join(root, "locked", "b.jsonl"))


def test_a_folder_that_cannot_be_listed_is_an_unreadable_input(tmp_path, monkeypatch, run):
    root = str(tmp_path / "d2")
    _locked_tree(root)
    locked = os.path.join(root, "locked")
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path) in (locked, "d2/locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    reader = Reader([root])
    assert reader.paths == [os.path.join(root, "a.jsonl"), locked]
    list(reader)
    assert reader.stats.unreadable == 1 and reader.stats.files == 1
    monkeypatch.chdir(tmp_path)
    result = run("count", "d2")
    assert result.exit_code == 2
    assert "d2: 1 file found, 1 folder that cannot be listed" in result.stderr
    assert "error: d2/locked: cannot list this folder: Permission denied" in result.stderr
    assert "1 unreadable" in result.stderr


def test_a_top_folder_that_cannot_be_listed_is_reported(tmp_path, monkeypatch, run):
    root = str(tmp_path / "d2")
    _locked_tree(root)
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path) == root:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run("count", root)
    assert result.exit_code == 2
    assert f"error: {root}: cannot list this folder: Permission denied" in result.stderr


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to read as another user",
)
@pytest.mark.parametrize("mode", [0o700, 0o000], ids=["inner", "top"])
def test_a_folder_another_user_cannot_list_for_real(mode):
    base = tempfile.mkdtemp(prefix="wkcli-locked-", dir="/tmp")
    try:
        os.chmod(base, 0o755)
        root = os.path.join(base, "d2")
        _locked_tree(root)
        os.chmod(os.path.join(root, "locked"), 0o700)
        os.chmod(root, 0o755 if mode == 0o700 else 0o000)
        proc = subprocess.run(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                wkcli_executable(),
                "count",
                "d2",
            ],
            cwd=base,
            capture_output=True,
            timeout=60,
        )
        if b"No module named" in proc.stderr or proc.returncode == 126:
            pytest.skip("wkcli cannot run as another user here")
        assert proc.returncode == 2
        where = "d2/locked" if mode == 0o700 else "d2"
        assert f"error: {where}: cannot list this folder: Permission denied".encode() in proc.stderr
    finally:
        with contextlib.suppress(OSError):
            os.chmod(os.path.join(base, "d2"), 0o755)
        shutil.rmtree(base)


# -- invalid UTF-8: the bad byte's column


def test_invalid_utf8_names_the_bad_bytes_column(tmp_path, run):
    path = tmp_path / "bu.jsonl"
    line = b'{"header":{"sync_once":0},"message_id":5,"to_uids":["a"],"from_uid":"u\xff1"}'
    path.write_bytes(line + b"\n")
    result = run("count", str(path))
    assert line.index(b"\xff") == 70  # the 71st byte
    assert f"{path}:1: error: invalid UTF-8 at column 71\n" in result.stderr


def test_the_utf8_column_counts_as_json_errors_do(tmp_path, run):
    """orjson counts its columns in characters: a bad byte after "é" is placed the same way."""
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes('{"a":"éé","b":'.encode() + b"\xff}\n")
    other = tmp_path / "other.jsonl"
    other.write_bytes('{"a":"éé","b":x}\n'.encode())  # a JSON error where the bad byte is
    said = run("count", str(bad)).stderr
    json_error = run("count", str(other)).stderr
    assert "error: invalid JSON: unexpected character" in json_error
    assert " at column 15\n" in json_error
    assert "error: invalid UTF-8 at column 15\n" in said


@pytest.mark.parametrize("mode", ["count", "jsonl", "check", "report"])
def test_invalid_utf8_is_said_the_same_on_the_fast_path(tmp_path, monkeypatch, mode):
    data = _lines(300).splitlines(keepends=True)
    data.insert(150, b'{"header":{"sync_once":0},"message_id":5,"to_uids":["a"],"from_uid":"u\xff1"}\n')
    data.insert(40, b'2026-07-30 10:00:00 INFO webhook body={"a":"\xff"}\n')
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"".join(data))
    reader = _same(str(path), mode, monkeypatch)
    assert reader.stats.malformed == 2
    said = _read(str(path), True, mode, monkeypatch)[4]
    assert ":152: error: invalid UTF-8 at column 71" in said
    assert ":41: error: invalid UTF-8 at column 45" in said


# -- integers longer than Python converts


def _long_lines() -> list[bytes]:
    digits = b"7" * 5000
    return [
        b'{"header":{"sync_once":1},"message_id":5,"to_uids":["a"],"x":' + digits + b"}",
        b'{"header":{"sync_once":0},"message_id":6,"to_uids":["a"],"x":-' + digits + b"}",
        b'{"event":"msg.offline","data":{"header":{"sync_once":0},"message_id":7,"to_uids":["a"],"y":'
        + digits
        + b"}}",
        b'2026-07-30 10:00:00 INFO webhook body={"header":{"sync_once":0},"message_id":8,'
        b'"to_uids":["a"],"z":' + digits + b"} took=3ms",
    ]


@pytest.mark.parametrize("mode", ["count", "count-by", "jsonl", "check", "report"])
def test_integers_over_4300_digits_are_read_alike_on_both_paths(tmp_path, monkeypatch, mode):
    data = _lines(1000).splitlines(keepends=True)
    for at, line in zip((100, 400, 700, 900), _long_lines(), strict=True):
        data.insert(at, line + b"\n")
    path = tmp_path / "long.jsonl"
    path.write_bytes(b"".join(data))
    reader = _same(str(path), mode, monkeypatch)
    assert reader.stats.as_dict()["malformed"] == 0
    assert reader.stats.as_dict()["messages"] == 1004
    if mode == "jsonl":
        out = _read(str(path), True, mode, monkeypatch)[0]
        assert out.count(b"7" * 5000) == 4  # kept exactly, digit for digit
        assert b"-" + b"7" * 5000 in out


def test_counting_a_dump_with_long_integers(tmp_path, monkeypatch, run):
    path = tmp_path / "big5k.jsonl"
    path.write_bytes(_lines(300) + _long_lines()[0] + b"\n")
    said = []
    for fast in ("1", "0"):
        monkeypatch.setenv("WKCLI_FASTPATH", fast)
        result = run("count", str(path))
        assert result.exit_code == 0
        assert orjson.loads(result.stdout)["messages"] == 301
        said.append((result.stdout, result.stderr))
    assert said[0] == said[1]
    assert said[0][1].endswith("0 malformed\n")


def test_a_number_of_millions_of_digits_is_kept_in_linear_time():
    digits = "9" * 3_000_000
    started = time.perf_counter()
    value = loads_fallback(('{"x":[' + digits + ",-1]}").encode())
    assert time.perf_counter() - started < 5  # int() of 3 million digits takes minutes
    assert value is not NOT_JSON
    assert type(value["x"][0]) is BigNumber and str(value["x"][0]) == digits
    assert dumps(value) == ('{"x":[' + digits + ",-1]}").encode()
    assert loads_fallback(b"[1" + b"0" * 5000 + b",") is NOT_JSON  # still not JSON when cut
