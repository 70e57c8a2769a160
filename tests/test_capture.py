"""wkcli capture: a real HTTP server on a free loopback port, real requests, the records on disk."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import http.server
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import orjson
import pytest
from conftest import wkcli_executable

from wkcli.errors import UsageError
from wkcli.live.capture import CaptureOptions, CaptureServer, event_from_query, parse_listen, parse_size

NOTIFY = (
    b'[{"header":{"no_persist":0,"red_dot":1,"sync_once":0},"setting":0,"message_id":1877505633800945664,'
    b'"message_idstr":"1877505633800945664","client_msg_no":"c1","message_seq":12,"from_uid":"u1001",'
    b'"channel_id":"g1","channel_type":2,"timestamp":1785398400,"payload":"eyJjb250ZW50IjoiaGkiLCJ0eXBlIjoxfQ=="},'
    b'{"header":{"no_persist":1,"red_dot":0,"sync_once":1},"setting":64,"message_id":1877505633800945665,'
    b'"message_idstr":"1877505633800945665","client_msg_no":"c2","message_seq":0,"from_uid":"u1001",'
    b'"channel_id":"g1","channel_type":2,"timestamp":1785398401,"payload":"e30="}]'
)
OFFLINE = (
    b'{"header":{"no_persist":1,"red_dot":0,"sync_once":1},"setting":64,"message_id":1877505884968357888,'
    b'"message_idstr":"1877505884968357888","client_msg_no":"c3","from_uid":"____system","channel_id":"g1",'
    b'"channel_type":2,"timestamp":1736467260,"payload":"e30=","to_uids":["u1002","u1003"],"source_id":1001}'
)
PRESENCE = b'["u1001-1-1-1001-1-1","7c9e6679-7425-40de-944b-e07fc1f90ae7-0-0-88-0-0"]'


@contextlib.contextmanager
def capture_server(tmp_path: Path, **overrides):
    """A CaptureServer on a free loopback port, run by a thread; yields (server, port, out path)."""
    out = overrides.pop("out", str(tmp_path / "capture.jsonl"))
    observer = overrides.pop("observer", None)
    options = CaptureOptions(host="127.0.0.1", port=0, out=out, **overrides)
    seen: list = []
    server = CaptureServer(options, observer=observer or seen.append)
    server.seen = seen  # type: ignore[attr-defined]
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve_until_stopped(lambda address: ready.set()))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failure.append(exc)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10), "capture server did not start"
    if failure:
        raise failure[0]
    try:
        yield server, server.address[1], out
    finally:
        if not loop.is_closed():
            loop.call_soon_threadsafe(server.request_stop)
        thread.join(15)
        assert not thread.is_alive(), "capture server did not stop"


def post(port: int, target: str, body: bytes, headers: dict[str, str] | None = None, method: str = "POST"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            method, target, body=body, headers={"Content-Type": "application/json", **(headers or {})}
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def records(path: str | Path) -> list[dict]:
    with open(path, "rb") as handle:
        data = handle.read()
    assert data == b"" or data.endswith(b"\n")
    return [orjson.loads(line) for line in data.splitlines()]


def test_each_request_becomes_a_record_that_wkcli_reads(tmp_path: Path, run) -> None:
    with capture_server(tmp_path) as (server, port, out):
        assert post(port, "/webhook?event=msg.notify", NOTIFY)[0] == 200
        # v1/v2 glue the event onto an existing query string.
        assert post(port, "/webhook?token=abc?event=msg.offline", OFFLINE)[0] == 200
        assert post(port, "/webhook?event=user.onlinestatus", PRESENCE)[0] == 200
    got = records(out)
    assert [r["event"] for r in got] == ["msg.notify", "msg.offline", "user.onlinestatus"]
    assert got[0]["path"] == "/webhook" and got[0]["query"] == "event=msg.notify"
    assert got[1]["query"] == "token=abc?event=msg.offline"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", got[0]["remote"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", got[0]["received_at"])
    # Compact JSON bodies are kept byte for byte inside the record.
    raw = Path(out).read_bytes().splitlines()
    assert raw[0].endswith(b',"body":' + NOTIFY + b"}")
    assert got[0]["body"][0]["message_id"] == 1877505633800945664

    result = run("classify", "-o", "jsonl", out)
    assert result.exit_code == 0, result.stderr
    rows = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [(r["event"], r["kind"], r["client_msg_no"]) for r in rows] == [
        ("msg.notify", "chat", "c1"),
        ("msg.notify", "cmd", "c2"),
        ("msg.offline", "cmd", "c3"),
    ]
    assert "2 presence entries" in result.stderr
    seen = server.seen
    assert [(s.event, s.messages, s.cmd, s.chat, s.presence) for s in seen] == [
        ("msg.notify", 2, 1, 1, 0),
        ("msg.offline", 1, 1, 0, 0),
        ("user.onlinestatus", 0, 0, 0, 2),
    ]


def test_a_body_that_is_not_json_is_recorded_and_reported_as_malformed(tmp_path: Path, run) -> None:
    with capture_server(tmp_path) as (server, port, out):
        assert post(port, "/?event=msg.notify", NOTIFY)[0] == 200
        assert post(port, "/?event=msg.notify", b"<html>oops")[0] == 200
        assert post(port, "/?event=msg.offline", b"\xff\xfe not utf-8")[0] == 200
        assert post(port, "/?event=msg.offline", b"")[0] == 200
    got = records(out)
    assert got[1]["body"] == "<html>oops" and "not JSON" in got[1]["body_error"]
    assert base64.b64decode(got[2]["body_base64"]) == b"\xff\xfe not utf-8"
    assert got[3]["body_error"] == "empty body"
    assert [s.error is not None for s in server.seen] == [False, True, True, True]

    result = run("count", "-o", "json", out)
    assert result.exit_code == 1
    assert orjson.loads(result.stdout)["malformed"] == 3
    for line in (2, 3, 4):
        assert f"capture.jsonl:{line}: error:" in result.stderr


def test_pretty_json_body_keeps_its_exact_bytes(tmp_path: Path) -> None:
    pretty = b'[\n  "u1-1-1-1-1-1"\n]\n'
    with capture_server(tmp_path) as (_, port, out):
        assert post(port, "/?event=user.onlinestatus", pretty)[0] == 200
    (record,) = records(out)
    assert record["body"] == ["u1-1-1-1-1-1"]
    assert record["body_raw"].encode() == pretty


def test_refusals_method_size_and_token(tmp_path: Path) -> None:
    with capture_server(tmp_path, max_body=1000, token="s3cret") as (server, port, out):
        assert post(port, "/?event=msg.notify&token=s3cret", b"", method="GET")[0] == 405
        assert post(port, "/?event=msg.notify", NOTIFY)[0] == 401
        assert post(port, "/?event=msg.notify&token=wrong", NOTIFY)[0] == 401
        assert post(port, "/?event=msg.notify&token=s3cret", b"[" + b"1," * 1000 + b"1]")[0] == 413
        assert post(port, "/?event=msg.notify&token=s3cret", NOTIFY)[0] == 200
        assert post(port, "/hook?token=s3cret?event=msg.offline", OFFLINE)[0] == 200
        assert post(port, "/?event=msg.notify", NOTIFY, {"X-Wkcli-Token": "s3cret"})[0] == 200
        assert post(port, "/?event=msg.notify", NOTIFY, {"Authorization": "Bearer s3cret"})[0] == 200
    assert len(records(out)) == 4
    assert server.stats.refused == 4 and server.stats.recorded == 4
    assert [s.status for s in server.seen][:4] == [405, 401, 401, 413]


def test_a_slow_body_times_out(tmp_path: Path) -> None:
    import socket

    with capture_server(tmp_path, timeout=0.5) as (_, port, out):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"POST /?event=msg.notify HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[")
            answer = sock.recv(200)
        assert answer.startswith(b"HTTP/1.1 408")
    assert records(out) == []


def test_concurrent_keep_alive_posts_never_tear_lines(tmp_path: Path) -> None:
    senders, per_sender = 8, 40
    failures: list[object] = []

    def send(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            for seq in range(per_sender):
                body = NOTIFY.replace(b'"c1"', f'"s{index}-{seq}"'.encode())
                conn.request("POST", "/?event=msg.notify", body=body)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failures.append(response.status)
        except OSError as exc:
            failures.append(exc)
        finally:
            conn.close()

    with capture_server(tmp_path) as (server, port, out):
        threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert failures == []
    got = records(out)
    tags = sorted(r["body"][0]["client_msg_no"] for r in got)
    assert tags == sorted(f"s{i}-{n}" for i in range(senders) for n in range(per_sender))


def test_rotation_by_size_and_reopen_lose_nothing(tmp_path: Path) -> None:
    out = tmp_path / "dump.jsonl"
    with capture_server(tmp_path, out=str(out), rotate_bytes=2000) as (server, port, _):
        for seq in range(30):
            body = NOTIFY.replace(b'"c1"', f'"r{seq}"'.encode())
            assert post(port, "/?event=msg.notify", body)[0] == 200
        rotated = list(server.journal.rotated)
        assert rotated
        # logrotate style: the file is renamed away, then SIGHUP asks for a reopen by name.
        os.rename(out, tmp_path / "moved.jsonl")
        server.journal.reopen()
        for seq in range(30, 32):  # fewer bytes than --rotate: stays in the reopened file
            body = NOTIFY.replace(b'"c1"', f'"r{seq}"'.encode())
            assert post(port, "/?event=msg.notify", body)[0] == 200
    files = sorted(tmp_path.glob("*.jsonl"))
    assert len(files) >= 3
    for name in rotated:
        assert re.search(r"dump\.\d{8}T\d{6}\.\d{6}Z\.jsonl$", name)
    assert rotated == sorted(rotated)  # many rotations a second: the names still sort in write order
    tags = [r["body"][0]["client_msg_no"] for path in files for r in records(path)]
    assert sorted(tags) == sorted(f"r{n}" for n in range(32))
    assert [r["body"][0]["client_msg_no"] for r in records(out)] == [f"r{n}" for n in range(30, 32)]


class _Business(http.server.BaseHTTPRequestHandler):
    status = 200
    received: list[tuple[str, bytes, str | None]] = []

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append((self.path, body, self.headers.get("Content-Type")))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"no")

    def log_message(self, *args: object) -> None:
        pass


def test_forward_relays_and_answers_with_the_business_status(tmp_path: Path) -> None:
    business = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Business)
    threading.Thread(target=business.serve_forever, daemon=True).start()
    _Business.received = []
    try:
        url = f"http://127.0.0.1:{business.server_address[1]}/hook"
        with capture_server(tmp_path, forward=url) as (server, port, out):
            _Business.status = 200
            assert post(port, "/w?event=msg.notify", NOTIFY) == (200, b"no")
            _Business.status = 500
            assert post(port, "/w?event=msg.offline", OFFLINE)[0] == 500
        got = records(out)
        assert [r["forward"]["status"] for r in got] == [200, 500]
        assert _Business.received[0] == ("/hook?event=msg.notify", NOTIFY, "application/json")
        assert _Business.received[1][1] == OFFLINE
    finally:
        business.shutdown()
        business.server_close()

    # Nobody listening: WuKongIM is answered 502 (so it retries) and the record says why.
    with capture_server(tmp_path, out=str(tmp_path / "b.jsonl"), forward=url, timeout=5) as (_, port, out):
        assert post(port, "/w?event=msg.notify", NOTIFY)[0] == 502
    (record,) = records(out)
    assert "error" in record["forward"]


def test_helpers_read_listen_addresses_sizes_and_glued_events() -> None:
    assert parse_listen("8080") == ("127.0.0.1", 8080)
    assert parse_listen("0.0.0.0:9000") == ("0.0.0.0", 9000)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    with pytest.raises(UsageError):
        parse_listen("localhost:http")
    assert parse_size("100M", "--rotate") == 100 << 20
    assert parse_size("512k", "--rotate") == 512 << 10
    assert parse_size("1GiB", "--rotate") == 1 << 30
    with pytest.raises(UsageError):
        parse_size("lots", "--rotate")
    assert event_from_query("event=msg.notify") == "msg.notify"
    assert event_from_query("token=x?event=msg.offline") == "msg.offline"
    assert event_from_query("a=1&event=user.onlinestatus&b=2") == "user.onlinestatus"
    assert event_from_query("eventual=1") is None


def test_usage_errors(run, tmp_path: Path) -> None:
    result = run("capture", "--listen", "127.0.0.1:0")
    assert result.exit_code == 2 and "--out" in result.stderr
    result = run("capture", "--listen", "nowhere:port", "--out", str(tmp_path / "x.jsonl"))
    assert result.exit_code == 2 and "--listen" in result.stderr
    result = run("capture", "--out", str(tmp_path / "x.jsonl"), "--forward", "ftp://x")
    assert result.exit_code == 2 and "--forward" in result.stderr
    with capture_server(tmp_path) as (_, port, _):
        result = run("capture", "--listen", f"127.0.0.1:{port}", "--out", str(tmp_path / "y.jsonl"))
        assert result.exit_code == 2 and "cannot listen" in result.stderr


def _start_process(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, int, Path]:
    out = tmp_path / "proc.jsonl"
    proc = subprocess.Popen(
        [wkcli_executable(), "capture", "--listen", "127.0.0.1:0", "--out", str(out), *extra],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline().decode()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
    if not match:
        proc.kill()
        pytest.fail(f"capture did not start: {first!r}")
    # Keep reading the live view, so a full stderr pipe can never stall the server.
    lines: list[bytes] = []
    proc.err_lines = lines  # type: ignore[attr-defined]
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, b"")), daemon=True)
    reader.start()
    proc.err_reader = reader  # type: ignore[attr-defined]
    return proc, int(match.group(1)), out


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_mid_load_keeps_every_acknowledged_record(tmp_path: Path, signum: int) -> None:
    proc, port, out = _start_process(tmp_path)
    acked: list[str] = []
    stop = threading.Event()

    def send(index: int) -> None:
        seq = 0
        while not stop.is_set() and seq < 5000:
            tag = f"k{index}-{seq}"
            seq += 1
            try:
                status, _ = post(port, "/?event=msg.notify", NOTIFY.replace(b'"c1"', f'"{tag}"'.encode()))
            except OSError:
                return  # the server has stopped listening
            if status == 200:
                acked.append(tag)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(acked) < 100 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signum)
    try:
        code = proc.wait(timeout=20)
    finally:
        stop.set()
        for thread in threads:
            thread.join(20)
        if proc.poll() is None:
            proc.kill()
    proc.err_reader.join(10)  # type: ignore[attr-defined]  # stderr is closed once the process is gone
    stderr = b"".join(proc.err_lines).decode()  # type: ignore[attr-defined]
    assert code == 0, stderr
    assert "requests recorded" in stderr
    assert len(acked) >= 100
    on_disk = [r["body"][0]["client_msg_no"] for r in records(out)]
    assert set(acked) <= set(on_disk)
    assert len(on_disk) == len(set(on_disk))


def test_out_dash_writes_records_to_stdout(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [wkcli_executable(), "capture", "--listen", "127.0.0.1:0", "--out", "-", "--quiet"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None and proc.stdout is not None
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", proc.stderr.readline().decode())
    assert match
    try:
        assert post(int(match.group(1)), "/?event=msg.notify", NOTIFY)[0] == 200
        line = proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    record = orjson.loads(line)
    assert record["event"] == "msg.notify" and len(record["body"]) == 2


def test_sighup_reopens_the_file_by_name(tmp_path: Path) -> None:
    proc, port, out = _start_process(tmp_path, "--quiet")
    try:
        assert post(port, "/?event=msg.notify", NOTIFY)[0] == 200
        os.rename(out, tmp_path / "old.jsonl")
        proc.send_signal(signal.SIGHUP)
        # The reopen happens before the next batch is written, whenever the signal arrives.
        deadline = time.monotonic() + 10
        while not out.exists() and time.monotonic() < deadline:
            assert post(port, "/?event=msg.offline", OFFLINE)[0] == 200
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    assert code == 0
    old = records(tmp_path / "old.jsonl")
    new = records(out)
    assert old[0]["event"] == "msg.notify"
    assert new and all(r["event"] == "msg.offline" for r in new)
    assert len(old) + len(new) >= 2


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_failed_write_is_answered_500_so_wukongim_retries(tmp_path: Path) -> None:
    with capture_server(tmp_path, out="/dev/full") as (server, port, _):
        status, body = post(port, "/?event=msg.notify", NOTIFY)
    assert status == 500
    assert b"could not write" in body
    assert server.stats.write_errors == 1 and server.stats.recorded == 0


class _StuckStream:
    """A terminal that stopped reading (Ctrl-S): every write blocks until released."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.text: list[str] = []

    def write(self, text: str) -> int:
        self.released.wait(30)
        self.text.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_a_stalled_terminal_never_holds_up_the_capture(tmp_path: Path) -> None:
    from wkcli.output.live import CaptureView

    stream = _StuckStream()
    view = CaptureView(stream, color=False, max_queued=5)  # type: ignore[arg-type]
    with capture_server(tmp_path, observer=view) as (_, port, out):
        for seq in range(20):
            assert post(port, "/?event=msg.notify", NOTIFY.replace(b'"c1"', f'"v{seq}"'.encode()))[0] == 200
        stream.released.set()
    assert len(records(out)) == 20
    shown = "".join(stream.text)
    assert "msg.notify" in shown
    assert "lines not shown: the terminal was not keeping up" in shown


def test_odd_requests_never_crash_the_server_and_the_token_is_not_recorded(tmp_path: Path) -> None:
    with capture_server(tmp_path, token="s3cret") as (server, port, out):
        # A header that is not UTF-8 is a wrong token, not a traceback.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.putrequest("POST", "/?event=msg.notify")
        conn.putheader("X-Wkcli-Token", b"\xff\xfe")
        conn.putheader("Content-Length", str(len(NOTIFY)))
        conn.endheaders(NOTIFY)
        assert conn.getresponse().status == 401
        conn.close()
        # A lone surrogate is valid JSON: recorded, not refused.
        assert post(port, "/?event=user.onlinestatus&token=s3cret", b'["\\ud800-1-1-1-1-1"]')[0] == 200
        # The query is kept as sent (not decoded twice), less the token.
        assert post(port, "/?token=s3cret&event=msg.notify&tag=a%2526b", NOTIFY)[0] == 200
        assert post(port, "/hook?token=s3cret?event=msg.offline", OFFLINE)[0] == 200
    import json  # the lone surrogate is JSON that orjson will not read

    saved = [json.loads(line) for line in Path(out).read_bytes().splitlines()]
    assert saved[0]["body"] == ["\ud800-1-1-1-1-1"]
    assert [r["query"] for r in saved] == [
        "event=user.onlinestatus",
        "event=msg.notify&tag=a%2526b",
        "event=msg.offline",
    ]
    assert saved[1]["event"] == "msg.notify" and saved[2]["event"] == "msg.offline"
    assert b"s3cret" not in Path(out).read_bytes()
    assert server.stats.recorded == 3 and server.stats.refused == 1


def test_a_failed_rotation_keeps_the_batch_and_tries_again(tmp_path: Path, monkeypatch) -> None:
    from wkcli.live import journal as journal_module

    path = tmp_path / "dump.jsonl"
    real_rename = os.rename
    calls = []

    def flaky_rename(src, dst):
        calls.append(dst)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(journal_module.os, "rename", flaky_rename)

    async def write() -> None:
        journal = journal_module.Journal(str(path), fsync=False, rotate_bytes=10)
        journal.open()
        journal.start()
        await journal.append(b'{"n":1}\n' * 2)  # over the limit: rotation fails, the batch stands
        await journal.append(b'{"n":2}\n')  # rotation is tried again, and works
        await journal.close()
        assert len(journal.rotated) == 1

    asyncio.run(write())
    assert len(calls) == 2
    rotated = Path(calls[1]).read_bytes()
    assert rotated == b'{"n":1}\n{"n":1}\n{"n":2}\n'


def test_a_failed_reopen_keeps_the_old_file_and_says_so_once(tmp_path: Path) -> None:
    from wkcli.live.journal import Journal

    folder = tmp_path / "logs"
    folder.mkdir()
    path = folder / "dump.jsonl"
    said: list[tuple[str, str]] = []

    async def write() -> None:
        journal = Journal(str(path), fsync=False, report=lambda kind, text: said.append((kind, text)))
        journal.open()
        journal.start()
        await journal.append(b'{"n":1}\n')
        os.rename(folder, tmp_path / "gone")  # SIGHUP while the directory is missing
        journal.reopen()
        await journal.append(b'{"n":2}\n')  # still written: to the file open before
        await journal.append(b'{"n":3}\n')
        folder.mkdir()
        await journal.append(b'{"n":4}\n')  # the reopen is tried again, and works
        await journal.close()

    asyncio.run(write())
    assert (tmp_path / "gone" / "dump.jsonl").read_bytes() == b'{"n":1}\n{"n":2}\n{"n":3}\n'
    assert path.read_bytes() == b'{"n":4}\n'
    assert [kind for kind, _ in said] == ["reopen-failed", "reopened"]
    assert "No such file" in said[0][1]


def test_rotated_names_sort_in_the_order_they_were_written(tmp_path: Path) -> None:
    from wkcli.live.journal import _stamp_micros, rotated_name

    path = str(tmp_path / "cap.jsonl")
    names: list[str] = []
    last = 0
    for _ in range(12):  # all within one second, as with a small --rotate under load
        name = rotated_name(path, now=1_800_000_000.0, after=last)
        Path(name).touch()
        last = _stamp_micros(name)
        names.append(name)
    assert names == sorted(names) == [str(p) for p in sorted(tmp_path.glob("cap.*.jsonl"))]


def test_empty_token_is_refused_and_a_busy_port_leaves_no_file(run, tmp_path: Path) -> None:
    result = run("capture", "--out", str(tmp_path / "t.jsonl"), "--token", "")
    assert result.exit_code == 2 and "--token" in result.stderr
    with pytest.raises(ValueError):
        CaptureServer(CaptureOptions(out=str(tmp_path / "t.jsonl"), token=""))
    with capture_server(tmp_path) as (_, port, _):
        result = run("capture", "--listen", f"127.0.0.1:{port}", "--out", str(tmp_path / "busy.jsonl"))
        assert result.exit_code == 2 and "cannot listen" in result.stderr
    assert not (tmp_path / "busy.jsonl").exists()
    assert not (tmp_path / "t.jsonl").exists()


def test_reporter_says_each_kind_once_per_interval_without_secrets() -> None:
    from wkcli.live.server import Reporter

    now = [0.0]
    lines: list[str] = []
    report = Reporter(lines.append, secrets=["hunter2"], interval=10, clock=lambda: now[0])
    for _ in range(1000):
        report("resources", "accept failed: too many open files")
    report("bad", "refused GET /?token=abc&x=1 with hunter2 in it\n  ^")
    now[0] = 11.0
    report("resources", "accept failed: too many open files")
    report("bad", "again Authorization: Bearer xyz")
    report("bad", "once more")  # held back, then accounted for at the end
    report.flush()
    assert len(lines) == 5
    assert lines[4].startswith("1 more like this held back:")
    assert lines[2] == "accept failed: too many open files (and 999 more like it in the last 10 s)"
    assert "abc" not in lines[1] and "hunter2" not in lines[1] and "\n" not in lines[1]
    assert "xyz" not in lines[3]


def test_reporter_lines_carry_no_terminal_control() -> None:
    from wkcli.live.server import Reporter

    lines: list[str] = []
    report = Reporter(lines.append)
    report("bad", "refused a malformed request: GET /\x1b]52;c;aGk=\x07\x1b[2J HTTP/1.1 \u202e")
    assert lines and "\x1b" not in lines[0] and "\x07" not in lines[0] and "\u202e" not in lines[0]
    assert "\\x1b" in lines[0]


def test_a_token_put_in_the_path_is_not_shown(tmp_path: Path) -> None:
    with capture_server(tmp_path, token="s3cret") as (server, port, out):
        assert post(port, "/s3cret/hook?event=msg.notify", NOTIFY)[0] == 401
        assert post(port, "/s3cret/hook?event=msg.notify", NOTIFY, {"X-Wkcli-Token": "s3cret"})[0] == 200
    assert [info.path for info in server.seen] == ["/***/hook", "/***/hook"]  # as the live view shows it
    assert records(out)[0]["path"] == "/s3cret/hook"  # recorded as it came, as every record is
