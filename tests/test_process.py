"""How the wkcli process meets its surroundings: a full disk, its own output as input, SIGTERM."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import SAMPLES, wkcli_executable

WEBHOOKS = str(SAMPLES / "webhooks.jsonl")
PROBLEMS = str(SAMPLES / "problems.jsonl")
FULL_DISK = b"wkcli: error: cannot write to standard output: No space left on device\n"

needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")


@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        ["classify", WEBHOOKS],
        ["classify", "-o", "table", WEBHOOKS],
        ["classify", "-o", "csv", WEBHOOKS],
        ["classify", "-o", "json", "--decode", WEBHOOKS],
        ["count", WEBHOOKS],
        ["count", "-o", "table", "--by", "event", WEBHOOKS],
        ["presence", WEBHOOKS],
        ["presence", "-o", "table", WEBHOOKS],
        ["show", "1877505633803067392", WEBHOOKS],
        ["show", "-o", "text", "1877505633803067392", WEBHOOKS],
        ["check", PROBLEMS],
        ["check", "-o", "text", PROBLEMS],
        ["replay", "--dry-run", "--to", "http://127.0.0.1:9/", WEBHOOKS],
    ],
    ids=lambda args: " ".join(a for a in args if "/" not in a),
)
def test_a_full_disk_is_one_line_and_exit_4(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([wkcli_executable(), *args], stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert proc.stderr == FULL_DISK
    assert proc.returncode == 4


@needs_dev_full
def test_capture_to_a_full_stdout_says_so_and_exits_4() -> None:
    with open("/dev/full", "wb") as full:
        proc = subprocess.Popen(
            [wkcli_executable(), "capture", "--listen", "127.0.0.1:0", "--out", "-", "--quiet"],
            stdin=subprocess.DEVNULL, stdout=full, stderr=subprocess.PIPE,
        )  # fmt: skip
    try:
        assert proc.stderr is not None
        port = int(re.search(rb"127\.0\.0\.1:(\d+)/", proc.stderr.readline()).group(1))  # type: ignore[union-attr]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/?event=user.onlinestatus", b'["u1-1-1-1-1-1"]')
        assert connection.getresponse().status == 500
        connection.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert b"cannot write to standard output: No space left on device" in err
    assert b"Traceback" not in err
    assert proc.returncode == 4


@pytest.mark.parametrize(
    "args",
    [["classify", "{f}"], ["count", "--by", "event", "{f}"], ["classify", "--follow", "{f}"],
     ["show", "x", "{f}"], ["classify", WEBHOOKS, "-"]],
    ids=["classify", "count", "follow", "show", "stdin"],
)  # fmt: skip
def test_an_input_that_is_the_output_file_is_refused_before_reading(tmp_path: Path, args: list[str]) -> None:
    dump = tmp_path / "dump.jsonl"
    original = (SAMPLES / "webhooks.jsonl").read_bytes()
    dump.write_bytes(original)
    with open(dump, "ab") as out, open(dump, "rb") as stdin:
        proc = subprocess.run(
            [wkcli_executable(), *(a.format(f=dump) for a in args)],
            stdin=stdin, stdout=out, stderr=subprocess.PIPE, timeout=10,
        )  # fmt: skip
    name = "standard input" if args[-1] == "-" else str(dump)
    assert proc.stderr == f"wkcli: error: {name}: input file is output file\n".encode()
    assert proc.returncode == 2
    assert dump.read_bytes() == original


@pytest.mark.parametrize(
    "args",
    [["report", "{d}", "--html", "{f}"], ["report", "{f}", "--html", "{f}"],
     ["export", "{f}", "--as", "csv", "--to", "{f}"], ["classify", "{d}", ">"]],
    ids=["report-dir", "report-file", "export", "stdout-dir"],
)  # fmt: skip
def test_a_written_file_is_no_input_even_inside_a_directory(tmp_path: Path, args: list[str]) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    dump = folder / "dump.jsonl"
    original = (SAMPLES / "webhooks.jsonl").read_bytes()
    dump.write_bytes(original)
    to_stdout = args[-1] == ">"
    argv = [a.format(f=dump, d=folder) for a in (args[:-1] if to_stdout else args)]
    with open(dump, "ab") as out:
        proc = subprocess.run(
            [wkcli_executable(), *argv], stdin=subprocess.DEVNULL,
            stdout=out if to_stdout else subprocess.PIPE, stderr=subprocess.PIPE, timeout=20,
        )  # fmt: skip
    assert proc.stderr.decode().endswith(f"wkcli: error: {dump}: input file is output file\n")
    assert proc.returncode == 2
    assert dump.read_bytes() == original


def test_another_file_on_stdout_is_fine(tmp_path: Path) -> None:
    out_path = tmp_path / "out.jsonl"
    with open(out_path, "ab") as out:
        proc = subprocess.run(
            [wkcli_executable(), "classify", WEBHOOKS], stdout=out, stderr=subprocess.PIPE, timeout=30
        )
    assert proc.returncode == 0, proc.stderr
    assert len(out_path.read_bytes().splitlines()) == 14


@pytest.mark.parametrize(
    ("args", "signum", "status"),
    [
        (["classify", "-"], signal.SIGTERM, 143),
        (["classify", "-o", "table", "-"], signal.SIGTERM, 143),
        (["presence", "-"], signal.SIGTERM, 143),
        (["count", "--follow", "-"], signal.SIGTERM, 143),
        (["classify", "-"], signal.SIGINT, 130),
    ],
    ids=["classify", "table", "presence", "count-follow", "classify-ctrl-c"],
)
def test_a_signal_stops_a_reading_command_cleanly_with_its_account(args, signum, status) -> None:
    proc = subprocess.Popen(
        [wkcli_executable(), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((SAMPLES / "webhooks.jsonl").read_bytes())
    proc.stdin.flush()  # and the pipe stays open: wkcli is waiting for more when the signal comes
    first = proc.stdout.readline()
    assert first.endswith(b"\n")
    proc.send_signal(signum)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == status
    how = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
    assert re.match(rf"wkcli: stopped by {how}: \d+ records? from 1 file: ", err.decode().splitlines()[-1])
    assert b"Traceback" not in err
    assert rest == b"" or rest.endswith(b"\n")  # whole lines only


@pytest.mark.parametrize("by", [[], ["--by", "channel_id"]], ids=["count", "count-by"])
def test_an_interrupted_count_accounts_for_the_messages_it_read(by: list[str]) -> None:
    line = (SAMPLES / "webhooks.jsonl").read_bytes().splitlines()[1]  # a msg.notify body of messages
    proc = subprocess.Popen(
        [wkcli_executable(), "count", *by, "-o", "json"], stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert proc.stdin is not None
    chunk = (line + b"\n") * 2000
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        proc.stdin.write(chunk)  # an endless stream, read as it comes
    proc.send_signal(signal.SIGINT)
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.close()
    assert proc.wait(timeout=30) == 130
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    found = re.search(r"stopped by Ctrl-C: ([\d,]+) records from 1 file: ([\d,]+) messages", err)
    assert found is not None, err
    records, messages = (int(n.replace(",", "")) for n in found.groups())
    assert records > 1000 and messages >= records  # every record read holds messages
