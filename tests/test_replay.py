"""wkcli replay: captured webhooks sent again into a capture server, then compared with the original."""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path

import orjson
import pytest
from test_capture import NOTIFY, OFFLINE, PRESENCE, capture_server, post, records


def capture_original(tmp_path: Path) -> Path:
    """A dump made the real way: requests posted to a capture server."""
    out = tmp_path / "original.jsonl"
    pretty = (
        b'{\n  "header": {"sync_once": 0},\n  "message_id": 7,\n  "client_msg_no": "p1",\n'
        b'  "to_uids": ["u9"]\n}'
    )
    with capture_server(tmp_path, out=str(out)) as (_, port, _):
        assert post(port, "/hook?event=msg.notify", NOTIFY)[0] == 200
        assert post(port, "/hook?token=x?event=msg.offline", OFFLINE)[0] == 200
        assert post(port, "/hook?event=user.onlinestatus", PRESENCE)[0] == 200
        assert post(port, "/hook?event=msg.offline", pretty)[0] == 200
        assert post(port, "/hook?event=msg.notify", b"broken")[0] == 200
    return out


def sent_bodies(path: Path) -> list[tuple[str, bytes]]:
    """(event, exact body bytes) of every request a capture file holds."""
    out = []
    for line in path.read_bytes().splitlines():
        rec = orjson.loads(line)
        if "body_raw" in rec:
            body = rec["body_raw"].encode()
        else:
            body = line[line.index(b',"body":') + len(b',"body":') : -1]
        out.append((rec["event"], body))
    return out


def test_replay_sends_what_wukongim_sent(tmp_path: Path, run) -> None:
    original = capture_original(tmp_path)
    replayed = tmp_path / "replayed.jsonl"
    with capture_server(tmp_path, out=str(replayed)) as (server, port, _):
        result = run("replay", str(original), "--to", f"http://127.0.0.1:{port}/again")
    assert result.exit_code == 1  # the broken body is malformed input, reported with its line
    assert "original.jsonl:5: error" in result.stderr
    assert "4 requests sent, 4 answered 200" in result.stderr
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [(x["source"].rsplit(":", 1)[1], x["status"]) for x in lines] == [
        ("1", 200),
        ("2", 200),
        ("3", 200),
        ("4", 200),
    ]
    # Same events, same bytes, same order; sent as JSON with ?event= on the URL.
    assert sent_bodies(replayed) == sent_bodies(original)[:4]
    again = records(replayed)
    assert all(r["path"] == "/again" and r["query"] == f"event={r['event']}" for r in again)


def test_filters_cut_a_batch_down_to_the_kept_messages(tmp_path: Path, run) -> None:
    original = capture_original(tmp_path)
    replayed = tmp_path / "replayed.jsonl"
    with capture_server(tmp_path, out=str(replayed)) as (_, port, _):
        result = run(
            "replay", str(original), "--to", f"http://127.0.0.1:{port}/", "--kind", "chat", "-P", "3"
        )
    got = records(replayed)
    by_event = {r["event"]: r["body"] for r in got}
    # The notify batch held one chat and one CMD: only the chat message is replayed, as a batch.
    notify = by_event["msg.notify"]
    assert [m["client_msg_no"] for m in notify] == ["c1"]
    assert orjson.dumps(notify) == orjson.dumps([orjson.loads(NOTIFY)[0]])
    # The CMD msg.offline and the presence body are left out; the chat msg.offline stays an object.
    assert by_event["msg.offline"]["client_msg_no"] == "p1"
    assert len(got) == 2
    assert "bodies left out by the filters" in result.stderr
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [x["partial"] for x in sorted(lines, key=lambda x: x["source"])] == [True, False]


def test_dry_run_sends_nothing_and_shows_the_requests(tmp_path: Path, run) -> None:
    original = capture_original(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nobody listens here
    result = run(
        "replay", str(original), "--to", f"http://127.0.0.1:{port}/w?app=1", "--dry-run", "-e", "msg.notify"
    )
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 1
    assert lines[0]["url"] == f"http://127.0.0.1:{port}/w?app=1&event=msg.notify"
    assert orjson.dumps(lines[0]["body"]) == NOTIFY
    assert "dry run: nothing sent" in result.stderr


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        # 204 is a success for most clients, but not for WuKongIM: only 200 is.
        self.send_response(204 if "msg.notify" in self.path else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_only_200_counts_and_errors_are_summarised(tmp_path: Path, run) -> None:
    original = capture_original(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = run(
            "replay", str(original), "--to", f"http://127.0.0.1:{server.server_address[1]}/", "--rate", "500"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert "4 requests sent, 0 answered 200, 4 failed (204: 1, 500: 3)" in result.stderr

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run("replay", str(original), "--to", f"http://127.0.0.1:{port}/", "-e", "msg.notify")
    assert result.exit_code == 1
    assert "1 request sent, 0 answered 200, 1 failed" in result.stderr
    assert orjson.loads(result.stdout.splitlines()[0])["status"] is None


def test_usage_errors(run, tmp_path: Path) -> None:
    dump = tmp_path / "d.jsonl"
    dump.write_bytes(b"")
    assert run("replay", str(dump)).exit_code == 2
    assert run("replay", str(dump), "--to", "localhost:8000").exit_code == 2
    assert run("replay", str(dump), "--to", "http://127.0.0.1:1/", "--concurrency", "0").exit_code == 2


@pytest.mark.parametrize("slow", [False, True], ids=["fast", "slow"])
def test_a_server_whose_answer_never_ends_is_cut_off_and_said_in_words(
    tmp_path: Path, run, slow: bool
) -> None:
    from test_capture_http import EndlessServer

    original = capture_original(tmp_path)
    business = EndlessServer(slow)
    try:
        result = run("replay", str(original), "--to", business.url, "-e", "msg.notify", "--timeout", "1")
    finally:
        business.close()
    assert result.exit_code == 1
    (row,) = [orjson.loads(line) for line in result.stdout.splitlines()]
    if slow:
        assert row["error"] == "timed out after 1 s: the response body never ended"
    else:
        assert row["error"] == "the response body is over 1 MiB: stopped reading it"
    assert "0 answered 200, 1 failed" in result.stderr


def test_failed_exchanges_are_described_for_a_person() -> None:
    import asyncio
    import errno

    from aiohttp import ClientPayloadError, ServerDisconnectedError
    from aiohttp.client_exceptions import ClientConnectorError

    from wkcli.live import describe_client_error

    refused = ClientConnectorError(
        type("Key", (), {"host": "127.0.0.1", "port": 1, "ssl": None})(),
        ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 1)"),
    )
    assert describe_client_error(refused) == "connection refused"
    assert describe_client_error(asyncio.TimeoutError(), 10) == "timed out after 10 s waiting for an answer"
    assert describe_client_error(ClientPayloadError("Response payload is not completed")) == (
        "the response body was cut off before its end"
    )
    assert (
        describe_client_error(ServerDisconnectedError())
        == "the server closed the connection without answering"
    )
    assert (
        describe_client_error(RuntimeError("<object at 0x7f>")) == "the HTTP exchange failed (RuntimeError)"
    )
