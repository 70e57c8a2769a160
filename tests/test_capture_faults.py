"""capture's fault injection (--respond, --fail-rate, --delay) and the retries it makes a real sender do."""

from __future__ import annotations

import io
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import orjson
import pytest
from conftest import wkcli_executable
from http_sink import Sink
from test_capture import NOTIFY, OFFLINE, capture_server, post, records

from wkcli.live.faults import Faults
from wkcli.output.live import CaptureView


def test_respond_answers_every_request_after_recording_it(tmp_path: Path) -> None:
    with capture_server(tmp_path, faults=Faults(respond=500)) as (server, port, out):
        assert post(port, "/?event=msg.notify", NOTIFY)[0] == 500
        assert post(port, "/?event=msg.notify", NOTIFY)[0] == 500
    got = records(out)
    assert len(got) == 2
    assert all(r["answered"] == {"status": 500, "injected": True} for r in got)
    assert [info.status for info in server.seen] == [500, 500] and server.seen[0].injected


def test_fail_rate_is_a_fraction_and_repeats_with_a_seed(tmp_path: Path) -> None:
    runs = iter(range(10))

    def statuses(seed: int) -> list[int]:
        with capture_server(tmp_path, out=str(tmp_path / f"{next(runs)}.jsonl"), faults=Faults(
            fail_rate=0.5, fail_status=503, seed=seed
        )) as (_, port, out):  # fmt: skip
            got = [post(port, "/?event=msg.notify", NOTIFY)[0] for _ in range(40)]
        assert [r["answered"]["status"] for r in records(out)] == got
        assert all(r["answered"]["injected"] == (r["answered"]["status"] == 503) for r in records(out))
        return got

    first = statuses(7)
    assert set(first) == {200, 503} and 8 <= first.count(503) <= 32
    assert statuses(7) == first


def test_delay_answers_late(tmp_path: Path) -> None:
    with capture_server(tmp_path, faults=Faults(delay=(0.2, 0.3), seed=1)) as (server, port, out):
        started = time.monotonic()
        assert post(port, "/?event=msg.notify", NOTIFY)[0] == 200
        took = time.monotonic() - started
    (rec,) = records(out)
    assert 200 <= rec["answered"]["delay_ms"] <= 300 and rec["answered"]["injected"] is False
    assert took >= rec["answered"]["delay_ms"] / 1000 - 0.01


def test_with_forward_the_injected_answer_replaces_the_business_servers(tmp_path: Path) -> None:
    with Sink() as business, capture_server(tmp_path, forward=business.url, faults=Faults(respond=204)) as (
        _, port, out,
    ):  # fmt: skip
        assert post(port, "/?event=msg.notify", NOTIFY)[0] == 204
        assert len(business.wait_for(1)) == 1  # the forward still happened
    (rec,) = records(out)
    assert rec["forward"]["status"] == 200
    assert rec["answered"] == {"status": 204, "injected": True}


def test_the_live_view_marks_messages_delivered_again(tmp_path: Path) -> None:
    stream = io.StringIO()
    view = CaptureView(stream, color=False)
    chunk_a = OFFLINE
    chunk_b = OFFLINE.replace(b'"to_uids":["u1002","u1003"]', b'"to_uids":["u1004"]')
    with capture_server(tmp_path, observer=view, faults=Faults(respond=500)) as (_, port, _):
        for body, event in ((NOTIFY, "msg.notify"), (chunk_a, "msg.offline"), (chunk_b, "msg.offline")):
            post(port, f"/?event={event}", body)
        post(port, "/?event=msg.notify", NOTIFY)
        view.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    assert "retry" not in "".join(lines[:3])  # a v3 chunk with other recipients is not a retry
    assert "retry: delivery #2 of 1877505633800945664 (2 of 2 messages seen before)" in lines[3]
    assert "answered 500 (injected)" in lines[3]


@pytest.mark.parametrize(
    "args",
    [["--respond", "99"], ["--fail-rate", "2"], ["--fail-rate", "0.5:abc"], ["--delay", "3s..1s"],
     ["--delay", "soon"], ["--respond", "500", "--fail-rate", "0.1"]],
)  # fmt: skip
def test_fault_options_are_checked(run, tmp_path: Path, args: list[str]) -> None:
    result = run("capture", "--listen", "127.0.0.1:0", "--out", str(tmp_path / "c.jsonl"), *args)
    assert result.exit_code == 2
    assert "error" in result.stderr and not (tmp_path / "c.jsonl").exists()


def test_a_retrying_sender_under_fail_rate_1_makes_duplicates_that_check_reports(tmp_path: Path, run) -> None:
    out = tmp_path / "storm.jsonl"
    proc = subprocess.Popen(
        [wkcli_executable(), "capture", "--listen", "127.0.0.1:0", "--out", str(out), "--fail-rate", "1",
         "--color", "never"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    lines: list[bytes] = [proc.stderr.readline()]
    port = re.search(rb"127\.0\.0\.1:(\d+)/", lines[0])
    assert port, lines
    threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, b"")), daemon=True).start()
    dump = tmp_path / "sent.jsonl"
    dump.write_bytes(orjson.dumps({"event": "msg.notify", "data": orjson.loads(NOTIFY)}) + b"\n")
    try:
        # The sender is replay --retry, following WuKongIM's schedule (pause shortened for the test).
        url = f"http://127.0.0.1:{port.group(1).decode()}/"
        sent = run("replay", str(dump), "--to", url, "--retry", "--retry-wait", "0.05")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    assert sent.exit_code == 1
    assert orjson.loads(sent.stdout)["attempts"] == 5 and "5 attempts" in sent.stderr, sent.stdout
    assert len(records(out)) == 5, sent.stdout
    view = b"".join(lines).decode()
    assert view.count("retry: delivery #") == 4 and "retry: delivery #5 of 1877505633800945664" in view
    checked = run("check", str(out), "-o", "json")
    report = orjson.loads(checked.stdout)
    duplicates = [f for f in report["findings"] if f["code"] == "duplicate"]
    assert duplicates and duplicates[0]["count"] == 8  # 2 messages delivered 4 more times each
