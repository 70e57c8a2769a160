"""--follow: reading a file that is appended to, rotated and truncated while it is read."""

from __future__ import annotations

import gzip
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

import orjson
from conftest import wkcli_executable

from wkcli.read.follow import follow_lines
from wkcli.read.source import RESTART, open_input


def record(tag: str, sync_once: int = 0) -> bytes:
    body = [{"header": {"sync_once": sync_once}, "message_id": 1, "client_msg_no": tag, "channel_id": "g1"}]
    return orjson.dumps({"received_at": "2026-11-28T10:00:00Z", "event": "msg.notify", "body": body}) + b"\n"


class Follower:
    """Runs follow_lines on a thread and hands each line over a queue."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.waits = 0
        self._stop = threading.Event()
        self.source = open_input(str(path))
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _on_wait(self) -> None:
        self.waits += 1

    def _run(self) -> None:
        with self.source:
            for line in follow_lines(
                str(self.path), self.source, self._on_wait, poll=0.01, stop=self._stop.is_set
            ):
                self.lines.put(b"<restart>" if line is RESTART else line)

    def take(self, count: int, timeout: float = 10.0) -> list[bytes]:
        return [self.lines.get(timeout=timeout) for _ in range(count)]

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


def test_follow_reads_appends_partial_lines_rotation_and_truncation(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl"
    path.write_bytes(b"one\ntwo\nthr")
    follower = Follower(path)
    try:
        assert follower.take(2) == [b"one", b"two"]
        # The cut-off line is held back until its newline arrives.
        time.sleep(0.05)
        assert follower.lines.empty()
        assert follower.waits > 0
        with open(path, "ab") as handle:
            handle.write(b"ee\nfour\n")
        assert follower.take(2) == [b"three", b"four"]

        # Rotation: renamed away (a last line written before the rename is still read), then a new file.
        with open(path, "ab") as handle:
            handle.write(b"five\n")
        os.rename(path, tmp_path / "dump.1.jsonl")
        time.sleep(0.05)  # a while with no file at the path at all
        path.write_bytes(b"six\n")
        assert follower.take(3) == [b"five", b"<restart>", b"six"]

        # Truncation in place (copytruncate): read again from the top.
        with open(path, "r+b") as handle:
            handle.truncate(0)
        time.sleep(0.05)
        with open(path, "ab") as handle:
            handle.write(b"7\n")
        assert follower.take(2) == [b"<restart>", b"7"]
    finally:
        follower.stop()
    assert follower.lines.empty()


def test_gzip_and_stdin_are_read_to_their_end(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl.gz"
    path.write_bytes(gzip.compress(b"a\nb\n"))
    with open_input(str(path)) as source:
        assert list(follow_lines(str(path), source, None, poll=0.01)) == [b"a", b"b"]


def _start(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [wkcli_executable(), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )


def _read_lines(stream, count: int, timeout: float = 15.0) -> list[bytes]:
    got: queue.Queue[bytes] = queue.Queue()

    def pump() -> None:
        for _ in range(count):
            line = stream.readline()
            if not line:
                return
            got.put(line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    thread.join(timeout)
    return [got.get_nowait() for _ in range(got.qsize())]


def test_classify_follow_prints_each_record_as_it_arrives(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_bytes(record("a"))
    proc = _start(tmp_path, "classify", "--follow", "-o", "jsonl", str(path))
    try:
        assert proc.stdout is not None
        first = _read_lines(proc.stdout, 1)
        assert [orjson.loads(line)["client_msg_no"] for line in first] == ["a"]
        with open(path, "ab") as handle:
            handle.write(record("b", sync_once=1))
        second = _read_lines(proc.stdout, 1)
        assert [(orjson.loads(x)["client_msg_no"], orjson.loads(x)["kind"]) for x in second] == [("b", "cmd")]
        os.rename(path, tmp_path / "live.1.jsonl")
        path.write_bytes(record("c"))
        third = _read_lines(proc.stdout, 1)
        assert [orjson.loads(line)["client_msg_no"] for line in third] == ["c"]
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert code == 130
    assert "Traceback" not in stderr


def test_count_follow_prints_a_json_line_when_totals_change(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_bytes(record("a") + record("b", sync_once=1))
    proc = _start(tmp_path, "count", "--follow", str(path))
    try:
        assert proc.stdout is not None
        (first,) = _read_lines(proc.stdout, 1)
        assert (orjson.loads(first)["cmd"], orjson.loads(first)["chat"]) == (1, 1)
        with open(path, "ab") as handle:
            handle.write(record("c", sync_once=1) + b"not json\n")
        (second,) = _read_lines(proc.stdout, 1)
        totals = orjson.loads(second)
        assert (totals["cmd"], totals["chat"], totals["malformed"]) == (2, 1, 1)
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert code == 130
    assert "live.jsonl:4: error" in stderr
    assert "Traceback" not in stderr


def test_count_follow_refuses_csv(run, tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_bytes(record("a"))
    result = run("count", "--follow", "-o", "csv", str(path))
    assert result.exit_code == 2
    assert "--follow" in result.stderr


def test_presence_follow_prints_entries_as_they_arrive(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_bytes(b'["u1-1-1-11-1-1"]\n')
    proc = _start(tmp_path, "presence", "--follow", str(path))
    try:
        assert proc.stdout is not None
        (first,) = _read_lines(proc.stdout, 1)
        assert (orjson.loads(first)["uid"], orjson.loads(first)["status"]) == ("u1", "online")
        with open(path, "ab") as handle:
            handle.write(b'["7c9e6679-7425-40de-944b-e07fc1f90ae7-0-0-88-0-0"]\n')
        (second,) = _read_lines(proc.stdout, 1)
        assert orjson.loads(second)["uid"] == "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
    assert code == 130


def test_line_numbers_start_again_in_a_rotated_file(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_bytes(record("a") + b"broken {\n")
    proc = _start(tmp_path, "classify", "--follow", "-o", "jsonl", str(path))
    try:
        assert proc.stdout is not None
        assert len(_read_lines(proc.stdout, 1)) == 1
        os.rename(path, tmp_path / "live.1.jsonl")
        path.write_bytes(b"also broken\n" + record("b"))
        (second,) = _read_lines(proc.stdout, 1)
        assert orjson.loads(second)["client_msg_no"] == "b"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert "live.jsonl:2: error" in stderr  # in the first file
    assert "live.jsonl:1: error" in stderr  # line 1 of the new file, not line 3


def test_follow_reads_every_path_and_waits_for_one_not_there_yet(tmp_path: Path) -> None:
    first = tmp_path / "a.jsonl"
    later = tmp_path / "b.jsonl"
    first.write_bytes(record("a1"))
    proc = _start(tmp_path, "classify", "-F", "-o", "jsonl", "--provenance", str(first), str(later))
    try:
        assert proc.stdout is not None
        got = _read_lines(proc.stdout, 1)
        assert [orjson.loads(line)["client_msg_no"] for line in got] == ["a1"]
        later.write_bytes(record("b1"))
        got = _read_lines(proc.stdout, 1)
        assert [orjson.loads(line)["source"] for line in got] == [f"{later}:1"]
        with open(first, "ab") as handle:
            handle.write(record("a2"))
        got = _read_lines(proc.stdout, 1)
        assert [orjson.loads(line)["source"] for line in got] == [f"{first}:2"]
        with open(later, "ab") as handle:
            handle.write(record("b2"))
        got = _read_lines(proc.stdout, 1)
        assert [orjson.loads(line)["client_msg_no"] for line in got] == ["b2"]
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert code == 130
    assert stderr.count("does not exist yet; waiting for it to appear") == 1
    assert "Traceback" not in stderr


def test_followed_counts_erase_their_frame_before_a_message() -> None:
    import io

    from wkcli.output.live import FollowedCounts
    from wkcli.output.terminal import Terminal

    out, err = io.StringIO(), io.StringIO()
    terminal = Terminal(io.StringIO(), out, err, False, True, True, True, width=80)  # colour: a terminal
    frame = ["rows"]
    view = FollowedCounts(terminal, lambda: "\n".join(frame), lambda: {}, live=True)
    with view:
        view.refresh(force=True)
        render = view._live._live_render
        assert render._shape is not None  # a frame on the screen, to be moved over at the next redraw
        view.clear()
        assert render._shape is None  # erased: the next frame starts below the message
        view.refresh(force=True)
        assert render._shape is not None


def test_follow_caps_long_lines(tmp_path: Path) -> None:
    from wkcli.read.lines import LongLine

    path = tmp_path / "dump.jsonl"
    path.write_bytes(b"one\n" + b"x" * 5000 + b"\n" + b"ab" * 300 + b"\n" + b"y" * 3000)
    with open_input(str(path)) as source:
        lines = list(follow_lines(str(path), source, poll=0.01, stop=lambda: True, max_line=1024))
    assert [(type(ln) is LongLine, len(ln) if type(ln) is not LongLine else ln.size) for ln in lines] == [
        (False, 3),
        (True, 5000),
        (False, 600),
        (True, 3000),
    ]
