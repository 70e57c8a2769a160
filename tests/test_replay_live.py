"""replay's live options against a real local server: headers, --speed, --retry, --follow, unnamed bodies."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import orjson
import pytest
from conftest import wkcli_executable
from http_sink import Sink

SECRET = "s3cr3t-Bearer-Value"


def message(n: int, **extra: object) -> dict:
    mid = 1877505633800945664 + n
    return {
        "header": {"no_persist": 0, "red_dot": 1, "sync_once": 0}, "setting": 0,
        "message_id": mid, "message_idstr": str(mid), "client_msg_no": f"c{n}", "message_seq": n,
        "from_uid": "u1", "channel_id": "g1", "channel_type": 2, "timestamp": 1785398400 + n,
        "payload": "eyJjb250ZW50IjoiaGkiLCJ0eXBlIjoxfQ==", **extra,
    }  # fmt: skip


def record(event: str, body: object, at: float | None) -> bytes:
    rec: dict = {"event": event, "path": "/", "query": f"event={event}", "body": body}
    if at is not None:
        whole = int(at)
        micro = round((at - whole) * 1_000_000)
        rec["received_at"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micro:06d}Z"
    return orjson.dumps(rec) + b"\n"


def write_dump(path: Path, times: list[float | None], event: str = "msg.notify") -> Path:
    lines = []
    for n, at in enumerate(times):
        body = [message(n)] if event == "msg.notify" else message(n, to_uids=["u2"])
        if at is None:
            del (body[0] if type(body) is list else body)["timestamp"]  # no time at all
        lines.append(record(event, body, None if at is None else 1785398400 + at))
    path.write_bytes(b"".join(lines))
    return path


def rows(stdout: str) -> list[dict]:
    return [orjson.loads(line) for line in stdout.splitlines()]


def test_headers_are_added_replaced_and_removed_and_secrets_never_shown(tmp_path: Path, run) -> None:
    dump = write_dump(tmp_path / "d.jsonl", [0.0])
    args = [
        "-H",
        "X-Trace: abc",
        "-H",
        f"Authorization: Bearer {SECRET}",
        "-H",
        "User-Agent:",
        "-H",
        "x-trace: def",
    ]
    with Sink() as sink:
        result = run("replay", str(dump), "--to", sink.url, *args)
        (hit,) = sink.wait_for(1)
    assert result.exit_code == 0, result.stderr
    headers = {k.lower(): v for k, v in hit.headers.items()}
    assert headers["x-trace"] == "def"  # the later -H of the same name wins
    assert headers["authorization"] == f"Bearer {SECRET}"
    assert "wkcli" not in headers.get("user-agent", "")  # 'User-Agent:' removed wkcli's own
    assert headers["content-type"] == "application/json"
    assert SECRET not in result.stdout + result.stderr

    dry = run("replay", str(dump), "--to", "http://127.0.0.1:9/", "--dry-run", *args)
    (shown,) = rows(dry.stdout)
    assert shown["headers"]["Authorization"] == "***" and shown["headers"]["x-trace"] == "def"
    assert SECRET not in dry.stdout + dry.stderr


@pytest.mark.parametrize(
    "header, named",
    [
        ("Bad Header: 1", "Bad Header"),
        (f"Authorization Bearer {SECRET}", "Authorization"),
        ("X-A: 1\r\nX-B: 2", "X-A"),
    ],
)
def test_a_bad_header_is_a_usage_error_naming_it(tmp_path: Path, run, header: str, named: str) -> None:
    dump = write_dump(tmp_path / "d.jsonl", [0.0])
    result = run("replay", str(dump), "--to", "http://127.0.0.1:9/", "-H", header)
    assert result.exit_code == 2
    assert named in result.stderr and SECRET not in result.stderr


def test_speed_keeps_the_original_spacing(tmp_path: Path, run) -> None:
    # Gaps of 300, 200 and 400 ms in the dump; the fourth record has no time: sent right after.
    dump = write_dump(tmp_path / "d.jsonl", [0.0, 0.3, 0.5, None, 0.9])
    with Sink() as sink:
        result = run("replay", str(dump), "--to", sink.url, "--speed", "2")
        hits = sink.wait_for(5)
    assert result.exit_code == 0, result.stderr
    gaps = [later.at - earlier.at for earlier, later in zip(hits, hits[1:], strict=False)]
    expected = [0.15, 0.10, 0.0, 0.20]
    assert all(abs(got - want) < 0.05 for got, want in zip(gaps, expected, strict=True)), gaps
    # Without --speed the same dump goes out as fast as it can.
    with Sink() as sink:
        started = time.monotonic()
        run("replay", str(dump), "--to", sink.url)
        assert len(sink.wait_for(5)) == 5 and time.monotonic() - started < 0.4


def test_speed_falls_back_to_the_message_timestamp(tmp_path: Path, run) -> None:
    dump = tmp_path / "raw.jsonl"
    dump.write_bytes(b"".join(orjson.dumps([message(n)]) + b"\n" for n in (0, 1)))  # timestamps 1 s apart
    with Sink() as sink:
        run("replay", str(dump), "--to", sink.url, "--speed", "4")
        first, second = sink.wait_for(2)
    assert 0.2 <= second.at - first.at < 0.35


def test_retry_follows_wukongim_per_event(tmp_path: Path, run) -> None:
    notify = write_dump(tmp_path / "n.jsonl", [0.0])
    with Sink(statuses=[500, 204, 200]) as sink:
        result = run("replay", str(notify), "--to", sink.url, "--retry", "--retry-wait", "0.1")
        hits = sink.wait_for(3)
    assert result.exit_code == 0, result.stderr
    (row,) = rows(result.stdout)
    assert row["status"] == 200 and row["attempts"] == 3 and row["earlier"] == ["500", "204"]
    assert len({hit.body for hit in hits}) == 1  # the same body each time
    assert all(0.09 < later.at - earlier.at < 0.5 for earlier, later in zip(hits, hits[1:], strict=False))
    assert "1 request sent in 3 attempts (1 retried), 1 answered 200" in result.stderr

    # msg.offline is never retried by WuKongIM v3; a receiver that keeps failing gets 5 tries of the rest.
    offline = write_dump(tmp_path / "o.jsonl", [0.0], event="msg.offline")
    with Sink(statuses=[500]) as sink:
        result = run("replay", str(offline), str(notify), "--to", sink.url, "--retry", "--retry-wait", "0.05")
        sink.wait_for(6, 3)
    assert [(r["event"], r["attempts"]) for r in rows(result.stdout)] == [
        ("msg.offline", 1),
        ("msg.notify", 5),
    ]
    assert result.exit_code == 1


def test_retry_keeps_wukongims_one_second_schedule(tmp_path: Path, run) -> None:
    notify = write_dump(tmp_path / "n.jsonl", [0.0])
    with Sink(statuses=[500]) as sink:
        result = run("replay", str(notify), "--to", sink.url, "--retry", "--retry-max", "3")
        hits = sink.wait_for(3)
    gaps = [later.at - earlier.at for earlier, later in zip(hits, hits[1:], strict=False)]
    assert len(hits) == 3 and all(0.98 <= gap < 1.5 for gap in gaps), gaps
    assert rows(result.stdout)[0]["attempts"] == 3


def test_a_lone_message_without_recipients_has_no_event(tmp_path: Path, run) -> None:
    dump = tmp_path / "lone.jsonl"
    dump.write_bytes(orjson.dumps(message(1)) + b"\n")
    with Sink() as sink:
        result = run("replay", str(dump), "--to", sink.url)
        assert sink.hits == []
        assert result.exit_code == 1
        assert "no event: name it with --event" in result.stderr
        named = run("replay", str(dump), "--to", sink.url, "--event", "msg.notify")
        (hit,) = sink.wait_for(1)
    assert named.exit_code == 0, named.stderr
    assert hit.query == "event=msg.notify" and orjson.loads(hit.body) == [message(1)]


def test_follow_replays_appended_records_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    dump = tmp_path / "growing.jsonl"
    dump.write_bytes(record("msg.notify", [message(0)], None))
    with Sink(statuses=[500, 200]) as sink:
        proc = subprocess.Popen(
            [wkcli_executable(), "replay", "-F", str(dump), "--to", sink.url, "--retry", "--retry-wait=.2"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            # The retry happens while the reader waits at the end of the file: reading is off the loop.
            assert len(sink.wait_for(2, 10)) == 2
            with dump.open("ab") as out:
                out.write(record("msg.notify", [message(1)], None))
            assert len(sink.wait_for(3, 10)) == 3
            dump.write_bytes(record("msg.notify", [message(2)], None))  # truncated and rewritten
            assert len(sink.wait_for(4, 10)) == 4
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert re.search(
        rb"stopped by Ctrl-C: .*3 requests sent in 4 attempts \(1 retried\), 3 answered 200", err
    ), err
    sent = [orjson.loads(hit.body)[0]["client_msg_no"] for hit in sink.hits]
    assert sent == ["c0", "c0", "c1", "c2"]
    assert [orjson.loads(line)["attempts"] for line in out.splitlines()] == [2, 1, 1]


def test_follow_stops_on_sigterm_with_the_summary(tmp_path: Path) -> None:
    dump = tmp_path / "growing.jsonl"
    body = [{"header": {"sync_once": 0}, "message_id": 1, "client_msg_no": "a", "channel_id": "g1"}]
    dump.write_bytes(b'{"event": "msg.notify", "data": ' + json.dumps(body).encode() + b"}\n")
    proc = subprocess.Popen(
        [wkcli_executable(), "replay", "--follow", str(dump), "--to", "http://127.0.0.1:9/"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ},
    )  # fmt: skip
    # Its first request's line says it is running (and so has its signal handlers), however
    # slowly a loaded machine started it.
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    assert ready, "replay printed nothing within 30 s"
    proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 143
    assert b"stopped by SIGTERM" in err and b"Traceback" not in err
