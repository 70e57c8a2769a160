"""Load test for ``wkcli capture``: concurrent keep-alive senders, then an audit of what is on disk.

Starts ``wkcli capture`` on a free loopback port (or uses --url of one already running), posts
realistic WuKongIM bodies (msg.notify batches, msg.offline, user.onlinestatus) from N concurrent
keep-alive connections for a fixed time, stops the server with SIGTERM, and then reads the
capture file back: every request answered 200 must be there exactly once, byte for byte, and
every line must be a whole JSON record.

    python bench/load_capture.py --senders 16 --seconds 10
    python bench/load_capture.py --senders 16 --seconds 10 --no-fsync

Prints requests/s, latency percentiles, and lost / corrupt / duplicated counts. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import orjson

HOST = "127.0.0.1"


def payload(obj: dict) -> str:
    return base64.b64encode(orjson.dumps(obj)).decode()


def message(tag: str, seq: int, rng: random.Random) -> dict:
    cmd = rng.random() < 0.3
    content = (
        {"cmd": "typing", "param": {"channel_id": "g1", "channel_type": 2}, "type": 99}
        if cmd
        else {"content": "hello " * rng.randint(1, 20), "type": 1}
    )
    mid = 1877505633800945664 + seq
    return {
        "header": {"no_persist": 1 if cmd else 0, "red_dot": 0 if cmd else 1, "sync_once": 1 if cmd else 0},
        "setting": 64 if cmd else 0,
        "message_id": mid,
        "message_idstr": str(mid),
        "client_msg_no": tag,
        "message_seq": seq,
        "from_uid": f"u{rng.randint(1000, 1100)}",
        "channel_id": f"g{rng.randint(1, 50)}",
        "channel_type": 2,
        "expire": 0,
        "timestamp": 1785398400 + seq,
        "payload": payload(content),
    }


def make_request(sender: int, seq: int, rng: random.Random) -> tuple[str, bytes, str]:
    """(event, body, tag): the tag is unique and appears in the body, so the audit can find it."""
    tag = f"load-{sender}-{seq}"
    roll = rng.random()
    if roll < 0.7:
        batch = [message(f"{tag}.{i}", seq * 100 + i, rng) for i in range(rng.randint(1, 8))]
        batch[0]["client_msg_no"] = tag
        return "msg.notify", orjson.dumps(batch), tag
    if roll < 0.9:
        body = message(tag, seq, rng)
        body["to_uids"] = [f"u{rng.randint(1000, 1100)}" for _ in range(rng.randint(1, 5))]
        body["source_id"] = 1001
        return "msg.offline", orjson.dumps(body), tag
    entries = [f"{tag}-1-1-{rng.randint(1, 9999)}-1-1"] + [
        f"u{rng.randint(1000, 1100)}-0-0-{rng.randint(1, 9999)}-0-0" for _ in range(rng.randint(0, 4))
    ]
    return "user.onlinestatus", orjson.dumps(entries), tag


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    if match:
        await reader.readexactly(int(match.group(1)))
    return status


async def sender(
    index: int, port: int, path: str, deadline: float, acked: dict, latencies: list, failures: list
):
    rng = random.Random(index)
    reader, writer = await asyncio.open_connection(HOST, port)
    seq = 0
    try:
        while time.monotonic() < deadline:
            event, body, tag = make_request(index, seq, rng)
            seq += 1
            request = (
                f"POST {path}?event={event} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            started = time.perf_counter()
            writer.write(request)
            status = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status == 200:
                acked[tag] = (event, body)
            else:
                failures.append(status)
    except (ConnectionError, asyncio.IncompleteReadError) as exc:
        failures.append(type(exc).__name__)
    finally:
        writer.close()


async def load(port: int, senders: int, seconds: float, path: str):
    acked: dict[str, tuple[str, bytes]] = {}
    latencies: list[float] = []
    failures: list = []
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(
        *(sender(i, port, path, deadline, acked, latencies, failures) for i in range(senders))
    )
    return acked, latencies, failures, time.monotonic() - started


def tag_of(body: object) -> str | None:
    if isinstance(body, list) and body:
        first = body[0]
        if isinstance(first, dict):
            return first.get("client_msg_no")
        if isinstance(first, str):
            return first.rsplit("-", 5)[0]
    if isinstance(body, dict):
        return body.get("client_msg_no")
    return None


def audit(paths: list[str], acked: dict[str, tuple[str, bytes]]) -> dict[str, int]:
    seen: dict[str, int] = {}
    corrupt = mismatched = 0
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        if data and not data.endswith(b"\n"):
            corrupt += 1  # a torn last line
        for line in data.splitlines():
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                corrupt += 1
                continue
            tag = tag_of(record.get("body"))
            if tag is None:
                corrupt += 1
                continue
            seen[tag] = seen.get(tag, 0) + 1
            expected = acked.get(tag)
            if expected is not None:
                event, body = expected
                if record.get("event") != event or orjson.dumps(record["body"]) != body:
                    mismatched += 1
    lost = sum(1 for tag in acked if tag not in seen)
    duplicated = sum(1 for count in seen.values() if count > 1)
    return {
        "records": sum(seen.values()),
        "lost": lost,
        "corrupt": corrupt,
        "mismatched": mismatched,
        "duplicated": duplicated,
    }


def find_wkcli() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "wkcli")
    return here if os.path.exists(here) else (shutil.which("wkcli") or "wkcli")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-fsync", action="store_true", help="pass --no-fsync to wkcli capture")
    parser.add_argument("--view", action="store_true", help="keep the live view (stderr to /dev/null)")
    parser.add_argument("--rotate", help="pass --rotate SIZE to wkcli capture")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="wkcli-load-")
    out = os.path.join(workdir, "capture.jsonl")
    command = [find_wkcli(), "capture", "--listen", f"{HOST}:0", "--out", out]
    if args.no_fsync:
        command.append("--no-fsync")
    if args.rotate:
        command += ["--rotate", args.rotate]
    if not args.view:
        command.append("--quiet")
    server = subprocess.Popen(command, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert server.stderr is not None
        first = server.stderr.readline().decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        if not match:
            print("capture did not start:", first, server.stderr.read().decode(), file=sys.stderr)
            return 2
        port = int(match.group(1))
        # Drain the live view so the server never blocks on a full stderr pipe.
        drain = subprocess.Popen(["cat"], stdin=server.stderr, stdout=subprocess.DEVNULL)
        acked, latencies, failures, elapsed = asyncio.run(load(port, args.senders, args.seconds, "/webhook"))
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
    drain.wait(timeout=5)

    files = sorted(os.path.join(workdir, name) for name in os.listdir(workdir))
    result = audit(files, acked)
    latencies.sort()
    count = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(count - 1, int(p * count))] * 1000 if count else 0.0

    print(
        f"senders {args.senders}, {elapsed:.1f} s, fsync {'off' if args.no_fsync else 'on'}, "
        f"files {len(files)}"
    )
    print(f"requests answered 200: {len(acked):,}  ({len(acked) / elapsed:,.0f} requests/s)")
    print(f"latency ms: p50 {pct(0.5):.2f}  p99 {pct(0.99):.2f}  max {pct(1.0):.2f}")
    print(f"other answers or errors: {len(failures)}")
    print(
        f"on disk: {result['records']:,} records; lost {result['lost']}, corrupt {result['corrupt']}, "
        f"mismatched {result['mismatched']}, duplicated {result['duplicated']}; server exit {code}"
    )
    shutil.rmtree(workdir, ignore_errors=True)
    bad = result["lost"] or result["corrupt"] or result["mismatched"] or code != 0 or failures or not acked
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
