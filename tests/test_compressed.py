"""Compressed dumps: gzip, zstd, bzip2 and xz are recognised by magic bytes and read like the plain file."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import sys

import pytest
import zstandard
from test_fastpath import _dump, _read

from wkcli.read.compressed import ZSTD_FEED, Inflater, ReadAhead, _Zstd, detect, gzip_module
from wkcli.read.source import TruncatedInput, iter_lines, open_input

COMPRESS = {
    "gzip": gzip.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
    "bzip2": bz2.compress,
    "xz": lzma.compress,
}


@pytest.mark.parametrize("fmt", list(COMPRESS))
@pytest.mark.parametrize("mode", ["count", "jsonl"])
def test_each_format_reads_as_the_plain_file(tmp_path, monkeypatch, fmt, mode):
    data = _dump("mixed", 1200, seed=5)
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(data)
    packed = tmp_path / "dump.log"  # no telling name: the magic bytes decide
    packed.write_bytes(COMPRESS[fmt](data))
    for fast in (True, False):
        got = _read(str(packed), fast, mode, monkeypatch)
        want = _read(str(plain), fast, mode, monkeypatch)
        assert got[:4] == want[:4]
        assert got[4].replace(str(packed), "F") == want[4].replace(str(plain), "F")


@pytest.mark.parametrize("fmt", list(COMPRESS))
@pytest.mark.parametrize("mode", ["count", "jsonl"])
def test_truncated_streams_keep_what_was_read_then_say_so(tmp_path, monkeypatch, fmt, mode):
    data = _dump("offline", 1500, seed=8, odd=False)
    packed = COMPRESS[fmt](data)
    path = tmp_path / "cut"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    fast = _read(str(path), True, mode, monkeypatch)
    slow = _read(str(path), False, mode, monkeypatch)
    assert fast[:4] == slow[:4]
    assert fast[4] == slow[4]
    assert f"{fmt} data ends early" in fast[4]
    if fmt != "bzip2":  # bzip2 inflates whole blocks of up to 900 kB: this dump is one
        assert fast[1]["messages"] > 0  # what came before the cut was read


@pytest.mark.parametrize("fmt", list(COMPRESS))
def test_binary_data_inside_is_reported(tmp_path, fmt):
    path = tmp_path / "zeros"
    path.write_bytes(COMPRESS[fmt](b"\0" * 5000))
    from wkcli.read.source import NotText

    with open_input(str(path)) as source, pytest.raises(NotText, match=f"after {fmt} decompression"):
        list(iter_lines(source))


def test_several_zstd_frames_and_corrupt_data(tmp_path):
    one = zstandard.ZstdCompressor().compress(b'{"header":{"sync_once":1}}\n')
    path = tmp_path / "two.zst"
    path.write_bytes(one + one)
    with open_input(str(path)) as source:
        assert source.compression == "zstd"
        assert len(list(iter_lines(source))) == 2
    path.write_bytes(one[:8] + b"\xff" * 8 + one[16:])
    with open_input(str(path)) as source, pytest.raises(TruncatedInput, match="corrupt zstd data"):
        list(iter_lines(source))


def test_a_zstd_bomb_inflates_a_bounded_piece_at_a_time():
    bomb = zstandard.ZstdCompressor(level=19).compress(b"a" * (64 << 20))
    reader = _Zstd(io.BytesIO(bomb))
    total = 0
    while True:
        piece = reader.read(1 << 17)
        if not piece:
            break
        # One feed of ZSTD_FEED bytes inflates to at most 128 KiB per input byte.
        assert len(piece) <= (1 << 17) + ZSTD_FEED * (128 << 10)
        total += len(piece)
    assert total == 64 << 20


def test_text_that_starts_like_a_magic_number_is_text():
    assert detect(b"BZh9") == "bzip2"
    assert detect(b"BZhello") is None
    assert detect(b"\x1f\x8b\x08") == "gzip"
    assert detect(b'{"a":1}') is None


def test_read_ahead_never_returns_more_than_asked_and_stops_early():
    data = b"x" * 1_000_000
    stream = ReadAhead(gzip_module().GzipFile(fileobj=io.BytesIO(gzip.compress(data))), "gzip")
    got = []
    while True:
        piece = stream.read(1000)
        if not piece:
            break
        assert len(piece) <= 1000
        got.append(piece)
    assert b"".join(got) == data
    early = ReadAhead(gzip_module().GzipFile(fileobj=io.BytesIO(gzip.compress(data))), "gzip")
    early.read(10)
    early.close()  # the inflating thread ends though its queue is full


def test_closing_does_not_wait_for_a_quiet_pipe():
    import os
    import time

    read_end, write_end = os.pipe()
    os.write(write_end, gzip.compress(b'{"a":1}\n' * 10)[:20])  # a gzip stream not ended yet
    raw = open(read_end, "rb")  # noqa: SIM115 - closed once the writer is gone
    stream = ReadAhead(gzip_module().GzipFile(fileobj=raw), "gzip")
    started = time.monotonic()
    stream.close()
    assert time.monotonic() - started < 30
    os.close(write_end)  # the inflating thread sees the end, and goes
    stream._thread.join(timeout=30)
    assert not stream._thread.is_alive()
    raw.close()


@pytest.mark.parametrize("size", [1000, 1 << 17, 1 << 20])
def test_a_local_file_is_inflated_by_another_process_and_it_is_reaped(tmp_path, size):
    import os

    data = b"".join(b'{"n":%d}\n' % i for i in range(300_000))
    path = tmp_path / "d.jsonl.gz"
    path.write_bytes(gzip.compress(data))
    source = open_input(str(path))
    stream = source.stream
    assert isinstance(stream, Inflater)  # the main process parses while the other inflates
    got = []
    while piece := stream.read(size):
        assert len(piece) <= size
        got.append(piece)
    assert b"".join(got) == data
    assert stream._pid is None  # waited for at the end
    source.close()
    early = open_input(str(path))
    early.stream.read(10)
    pid = early.stream._pid
    early.close()  # stops it mid-way, its pipe full
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # and it was reaped: no zombie left


def test_the_inflating_process_says_where_the_stream_broke(tmp_path):
    data = b"".join(b'{"n":%d}\n' % i for i in range(100_000))
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(data)[:-5000])
    stream = open_input(str(path)).stream
    got = bytearray()
    with pytest.raises(TruncatedInput, match="ends early|corrupt"):
        while piece := stream.read(1 << 16):
            got += piece
    assert len(got) > len(data) // 2 and data.startswith(bytes(got))


def test_without_a_process_to_be_had_a_thread_inflates(tmp_path, monkeypatch):
    import os

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    data = b'{"n":1}\n' * 50_000
    path = tmp_path / "d.jsonl.gz"
    path.write_bytes(gzip.compress(data))
    source = open_input(str(path))
    assert isinstance(source.stream, ReadAhead)
    assert b"".join(iter(lambda: source.stream.read(1 << 16), b"")) == data
    source.close()


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's"
)
def test_the_inflating_process_ends_with_wkcli_even_on_a_quiet_pipe(tmp_path):
    """wkcli killed outright while its input pipe is quiet: the inflating process, blocked on
    that pipe, goes too (it would wait for the producer for ever)."""
    import os
    import signal
    import subprocess
    import time

    from conftest import wkcli_executable

    proc = subprocess.Popen(
        [wkcli_executable(), "count", "-q"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    data = gzip.compress(b'{"header":{"sync_once":1}}\n' * 100_000)
    proc.stdin.write(data[: len(data) // 2])  # type: ignore[union-attr]
    proc.stdin.flush()  # type: ignore[union-attr]

    def children() -> list[int]:
        path = f"/proc/{proc.pid}/task/{proc.pid}/children"
        try:
            return [int(pid) for pid in open(path).read().split()]
        except OSError:
            return []

    deadline = time.monotonic() + 30
    while not children() and time.monotonic() < deadline:
        time.sleep(0.05)
    (child,) = children()
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert not alive(child)
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        if alive(child):
            os.kill(child, signal.SIGKILL)
