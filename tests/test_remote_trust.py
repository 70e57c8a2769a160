"""Remote inputs, URLs and cluster addresses that a user mistypes or a server gets wrong: one
line each, no credential in it, and no wait for a timeout that need not be."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

import pytest
from conftest import SAMPLES

from wkcli.text import hide_credentials


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://alice:PASS@host:1/wh?token=T0K&x=1", "http://***@host:1/wh?token=***&x=1"),
        ("s3://b/k?X-Amz-Signature=abc&X-Amz-Credential=AK%2F1", "s3://b/k?X-Amz-Signature=***&X-Amz-Credential=***"),
        ("'https://u@h/p?key=k' said", "'https://***@h/p?key=***' said"),
        ("plain text, a=b, no URL", "plain text, a=b, no URL"),
        ("https://host/path?page=2", "https://host/path?page=2"),
    ],
)  # fmt: skip
def test_credentials_in_urls_are_hidden(text: str, shown: str) -> None:
    assert hide_credentials(text) == shown


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web(tmp_path: Path):
    """A plain HTTP server over ``tmp_path``, as ``python -m http.server`` (no Range requests)."""
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_server_without_range_requests_is_one_error_line(wkcli_proc, web) -> None:
    folder, base = web
    line = (SAMPLES / "webhooks.jsonl").read_bytes().splitlines()[1] + b"\n"
    (folder / "big.jsonl").write_bytes(line * 40_000)  # past the first block: a Range request follows
    proc = wkcli_proc("count", f"{base}/big.jsonl", "-o", "json")
    assert proc.returncode == 2
    stderr = proc.stderr.decode()
    errors = [text for text in stderr.splitlines() if ": error: " in text]
    assert errors == [f"wkcli: {base}/big.jsonl: error: read failed: " + errors[0].split("read failed: ")[1]]
    assert "range requests" in errors[0] and "Traceback" not in stderr


def test_a_remote_path_with_a_token_is_read_and_its_token_never_shown(wkcli_proc, web) -> None:
    folder, base = web
    (folder / "w.jsonl").write_bytes((SAMPLES / "broken.jsonl").read_bytes())
    proc = wkcli_proc("count", f"{base}/w.jsonl?token=SECRET123", "-o", "json")
    assert proc.returncode == 1  # read (a query is no glob), with the sample's malformed lines
    stderr = proc.stderr.decode()
    assert "SECRET123" not in stderr
    assert f"{base}/w.jsonl?token=***:2: error: invalid JSON" in stderr


@pytest.mark.parametrize(
    ("address", "said"),
    [("foo", "tcp://host:port"), ("http://127.0.0.1:8786", "not http://"),
     ("tcp://127.0.0.1:1", "Connection refused"), ("local:abc", "local:N takes N from 1 to 256"),
     ("local:99999", "local:N takes N from 1 to 256")],
)  # fmt: skip
def test_a_bad_cluster_address_is_one_line_at_once(wkcli_proc, address: str, said: str) -> None:
    pytest.importorskip("distributed")
    started = time.monotonic()
    proc = wkcli_proc("count", str(SAMPLES / "webhooks.jsonl"), "--cluster", address, "-q")
    assert time.monotonic() - started < 15  # no lingering client timing out again
    assert proc.returncode == 2
    lines = proc.stderr.decode().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith(f"wkcli: error: --cluster {address}: ") and said in lines[0]
    )


@pytest.mark.parametrize(
    ("url", "said"),
    [("http://[::1/x", "Invalid IPv6 URL"), ("http://127.0.0.1:99999/", "Port out of range"),
     ("http://a:SECRET@[::1/x?token=T", "http://***@[::1/x?token=***")],
)  # fmt: skip
def test_a_bad_url_to_send_to_is_a_usage_error(run, url: str, said: str) -> None:
    for command in (["replay", str(SAMPLES / "webhooks.jsonl")], ["trigger", "chat"]):
        result = run(*command, "--to", url)
        assert result.exit_code == 2 and said in result.stderr and "SECRET" not in result.stderr
