"""wkcli capture's HTTP handling against hostile clients: a real process, raw sockets, loopback only."""

from __future__ import annotations

import base64
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import orjson
import pytest
from conftest import wkcli_executable

SECRET = "Sup3rSecretT0ken"
GOOD = b'["u1001-1-1-1001-1-1"]'
CESU8 = b'["\xed\xa0\x80-1-1-1-1-1"]'  # a surrogate encoded as if it were a character: not UTF-8


def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, int, Path, list[bytes]]:
    out = tmp_path / "cap.jsonl"
    proc = subprocess.Popen(
        [
            wkcli_executable(),
            "capture",
            "--listen",
            "127.0.0.1:0",
            "--out",
            str(out),
            "--token",
            SECRET,
            *extra,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()
    match = re.search(rb"http://127\.0\.0\.1:(\d+)/", first)
    if not match:
        proc.kill()
        pytest.fail(f"capture did not start: {first + proc.stderr.read()!r}")
    lines: list[bytes] = [first]
    threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, b"")), daemon=True).start()
    return proc, int(match.group(1)), out, lines


def _exchange(port: int, data: bytes, close_write: bool = False) -> bytes:
    """Send raw bytes; return whatever the server answers before it closes (or 10 s pass)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and not close_write:
                    break
        except (TimeoutError, ConnectionResetError):
            pass
        return answer


def _post(path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


def test_malformed_requests_never_print_a_traceback_or_the_token(tmp_path: Path) -> None:
    proc, port, out, lines = _start(tmp_path, "--header-timeout", "1", "--timeout", "2")
    try:
        hostile = [
            f"GET /?token={SECRET} HTTP/1.1 trailing junk\r\nHost: x\r\n\r\n".encode(),  # bad request line
            f"POST /\x00?token={SECRET} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),  # NUL in the path
            f"POST /?token={SECRET} HTTP/1.1\r\nHost: x\r\nBad Header: {SECRET}\r\n\r\n".encode(),
            f"POST /?token={SECRET}&event=msg.notify HTTP/1.1\r\nHost: x\r\n"
            "Transfer-Encoding: chunked\r\n\r\nZZ;{SECRET}\r\n\r\n".encode(),  # bad chunked encoding
            f"POST /?token={SECRET} HTTP/9.9\r\nHost: x\r\n\r\n".encode(),
        ]
        for data in hostile:
            answer = _exchange(port, data, close_write=True)
            assert not answer.startswith(b"HTTP/1.1 200"), answer

        # A client that goes away mid-body: nothing recorded, and the server goes on.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                f"POST /?token={SECRET} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[1,".encode()
            )
        # Slowloris: one header line at a time, never finishing; the header timeout closes it.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(f"POST /?token={SECRET}&event=msg.notify HTTP/1.1\r\n".encode())
            started = time.monotonic()
            closed = False
            while time.monotonic() - started < 10:
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                    sock.settimeout(0.3)
                    if sock.recv(4096) == b"":
                        closed = True
                        break
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
                    break
            assert closed, "a connection that never finished its headers was kept open"

        # The poison body is recorded (exact bytes kept) and answered 200, so it is not retried forever.
        answer = _exchange(port, _post(f"/?event=user.onlinestatus&token={SECRET}", CESU8))
        assert answer.startswith(b"HTTP/1.1 200"), answer
        answer = _exchange(port, _post(f"/?event=user.onlinestatus&token={SECRET}", GOOD))
        assert answer.startswith(b"HTTP/1.1 200"), answer
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    time.sleep(0.2)  # let the reader thread take the last lines
    stderr = b"".join(lines)
    assert code == 0, stderr.decode(errors="replace")
    assert b"Traceback" not in stderr and b'File "' not in stderr, stderr.decode(errors="replace")
    assert SECRET.encode() not in stderr, stderr.decode(errors="replace")
    assert b"disconnected" in stderr
    data = out.read_bytes()
    assert SECRET.encode() not in data
    saved = [orjson.loads(line) for line in data.splitlines()]
    assert len(saved) == 2
    assert base64.b64decode(saved[0]["body_base64"]) == CESU8 and "UTF-8" in saved[0]["body_error"]
    assert saved[1]["body"] == ["u1001-1-1-1001-1-1"]


def test_sigkill_mid_load_loses_no_acknowledged_request_and_readers_report_the_torn_line(
    tmp_path: Path, run
) -> None:
    proc, port, out, _ = _start(tmp_path, "--quiet")
    acked: list[str] = []
    stop = threading.Event()

    def send(index: int) -> None:
        seq = 0
        while not stop.is_set() and seq < 2000:
            tag = f"k{index}-{seq}"
            seq += 1
            body = f'["{tag}-1-1-1-1-1"]'.encode()
            try:
                answer = _exchange(port, _post(f"/?event=user.onlinestatus&token={SECRET}", body))
            except OSError:
                return
            if answer.startswith(b"HTTP/1.1 200"):
                acked.append(tag)

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(acked) < 150 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(15)
    assert len(acked) >= 150

    data = out.read_bytes()
    if data.endswith(b"\n"):
        data += b'{"received_at":"2026-11-28T15:37:05.1'  # a kill during a write leaves a torn line
        out.write_bytes(data)
    complete = [orjson.loads(line) for line in data.split(b"\n")[:-1]]
    on_disk = [r["body"][0].rsplit("-", 5)[0] for r in complete]
    assert set(acked) <= set(on_disk)
    assert len(on_disk) == len(set(on_disk))

    result = run("count", "-o", "json", str(out))
    assert result.exit_code == 1
    assert f"cap.jsonl:{len(complete) + 1}: error:" in result.stderr
    assert "Traceback" not in result.stderr
    assert orjson.loads(result.stdout)["malformed"] == 1


def test_connections_stay_under_the_open_file_limit_and_idle_ones_are_closed(tmp_path: Path) -> None:
    import resource

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (96, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    out = tmp_path / "cap.jsonl"
    proc = subprocess.Popen(
        [wkcli_executable(), "capture", "--listen", "127.0.0.1:0", "--out", str(out), "--idle-timeout", "1"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=low_limit,
    )
    assert proc.stderr is not None
    match = re.search(rb"http://127\.0\.0\.1:(\d+)/", proc.stderr.readline())
    assert match, "capture did not start"
    port = int(match.group(1))
    lines: list[bytes] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, b"")), daemon=True).start()
    idle: list[socket.socket] = []
    try:
        for _ in range(150):  # more than the 96 descriptors capture may hold
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        answer = _exchange(port, _post(f"/?event=user.onlinestatus&token={SECRET}", GOOD))
        assert answer.startswith(b"HTTP/1.1 200"), answer
        # The newest of the idle connections is closed by the idle timeout, not kept forever.
        idle[-1].settimeout(10)
        assert idle[-1].recv(100) in (b"", b"HTTP/1.1 503")
    finally:
        for sock in idle:
            sock.close()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    time.sleep(0.2)
    stderr = b"".join(lines).decode(errors="replace")
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) < 10, stderr
    assert "out of resources" not in stderr, stderr  # the limit holds before accept() runs out


class EndlessServer:
    """A business server that answers 200 and then never ends its body: fast, or a byte at a time."""

    def __init__(self, slow: bool) -> None:
        self.slow = slow
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        chunk = b"x" * 65536
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                )
                while not self.stop.is_set():
                    if self.slow:
                        conn.sendall(b"1\r\nx\r\n")
                        time.sleep(0.1)
                    else:
                        conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.mark.parametrize("slow", [False, True], ids=["fast", "slow"])
def test_forward_to_a_server_whose_answer_never_ends(tmp_path: Path, slow: bool) -> None:
    business = EndlessServer(slow)
    proc, port, out, lines = _start(tmp_path, "--forward", business.url, "--timeout", "1", "--quiet")
    try:
        started = time.monotonic()
        answer = _exchange(port, _post(f"/?event=user.onlinestatus&token={SECRET}", GOOD))
        assert time.monotonic() - started < 8
        assert answer.startswith(b"HTTP/1.1 502"), answer
        # Still serving, and answering within the timeout again.
        assert _exchange(port, _post(f"/?event=user.onlinestatus&token={SECRET}", GOOD)).startswith(
            b"HTTP/1.1 502"
        )
    finally:
        business.close()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    assert code == 0, b"".join(lines).decode(errors="replace")
    first = orjson.loads(out.read_bytes().splitlines()[0])
    if slow:
        assert first["forward"]["error"] == "timed out after 1 s: the response body never ended"
    else:
        assert first["forward"]["error"] == "the response body is over 1 MiB: stopped reading it"
