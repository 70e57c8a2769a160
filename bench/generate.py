"""Generate realistic WuKongIM webhook dumps of N messages, in each input shape wkcli reads.

Usage:
    python bench/generate.py --messages 1000000 --shape offline --out bench/data/offline-1m.jsonl
    python bench/generate.py -n 100000 --shape mixed --broken 0.001 --anomalies 0.001 --gzip

Shapes (one JSON value per line):
  offline   msg.offline bodies: one message object per line, with to_uids and source_id (v2)
  notify    msg.notify bodies: a JSON array of 1..100 message objects per line
  presence  user.onlinestatus bodies: arrays of "uid-device-status-conn-devcount-total" strings
            (N counts entries, not messages)
  envelope  {"event": ..., "data": <body>} per line, mixing the three events
  capture   capture records: received_at, method, url with ?event=, headers, and the body as a
            string holding JSON
  wkcapture records as `wkcli capture` writes them: received_at, event, path, query, remote,
            and the body as JSON
  mixed     all of the above interleaved

Messages follow the field order Go emits (header, setting, message_id, message_idstr,
client_msg_no, message_seq, from_uid, channel_id, channel_type, expire, timestamp, payload),
with Snowflake ids near 1.9e18, standard base64 payloads, and about 15% CMD messages
(header.sync_once 1). Output is deterministic for a given --seed.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import random
import sys
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

SHAPES = ("offline", "notify", "presence", "envelope", "capture", "wkcapture", "mixed")

_WORDS = (
    "ok hi hello thanks see you tomorrow meeting at ten the build is green can you check the "
    "logs please deploy done lunch? coffee sure why not invoice sent ticket closed on my way "
    "call me later 好的 收到 明天见 谢谢 👍 🎉 great news release notes are up"
).split()
_CMDS = (
    "typing", "channelUpdate", "memberUpdate", "unreadClear", "groupAvatarUpdate",
    "conversationDeleted", "friendRequest", "friendAccept", "userAvatarUpdate", "onlineStatus",
    "syncMessageExtra", "syncMessageReaction", "messageRevoke", "syncReminders",
)  # fmt: skip
# Values WuKongIM never sends for sync_once, that wkcli reports as anomalies.
ANOMALOUS_SYNC_ONCE: tuple[Any, ...] = ("1", True, 2, 1.0, None, "0", -1)
BROKEN_LINES = (
    b'{"header":{"no_persist":0,"red_dot":1,"sync_once":0},"setting":0,"message_id":18775',
    b'[{"header":{"sync_once":1}},',
    b"not json at all",
    b'{"header":{"sync_once":1},"payload":"abc",}',
    b'\xff\xfe{"header":1}',
    b"42",
    b'{"unrelated": true}',
)


class Maker:
    """Builds message objects and bodies from a seeded random source."""

    def __init__(self, seed: int = 1, cmd_ratio: float = 0.15, anomalies: float = 0.0) -> None:
        self.rng = random.Random(seed)
        self.cmd_ratio = cmd_ratio
        self.anomalies = anomalies
        self.next_id = 1877505633800945664
        self.seq = 0
        self.now = 1785398400
        rng = self.rng
        self.uids = [f"u{1000 + i}" for i in range(400)] + [
            str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(100)
        ]
        self.groups = [f"g{i}" for i in range(60)]
        self.chat_payloads = [self._chat_payload() for _ in range(3000)]
        self.cmd_payloads = [self._cmd_payload() for _ in range(1000)]

    def _chat_payload(self) -> str:
        rng = self.rng
        if rng.random() < 0.85:
            words = rng.choices(_WORDS, k=rng.randint(3, 30))
            content: dict[str, Any] = {"content": " ".join(words), "type": 1}
        elif rng.random() < 0.7:
            content = {
                "url": f"file/preview/chat/{rng.getrandbits(64):x}.jpg",
                "width": rng.choice((640, 800, 1080, 1280)),
                "height": rng.choice((480, 600, 720, 1920)),
                "type": 2,
            }
        else:
            content = {
                "url": f"file/chat/{rng.getrandbits(48):x}/report.pdf",
                "name": "report.pdf",
                "size": rng.randint(1000, 9_000_000),
                "type": 8,
            }
        return base64.b64encode(orjson.dumps(content)).decode("ascii")

    def _cmd_payload(self) -> str:
        rng = self.rng
        cmd = rng.choice(_CMDS)
        param: dict[str, Any] = {"channel_id": rng.choice(self.groups), "channel_type": 2}
        if cmd == "typing":
            uid = rng.choice(self.uids)
            param.update(from_name="Alice", from_uid=uid)
        content = {"cmd": cmd, "param": param, "type": 99}
        return base64.b64encode(orjson.dumps(content)).decode("ascii")

    def message(self) -> dict[str, Any]:
        rng = self.rng
        self.next_id += rng.randint(1, 5_000_000)
        self.seq += 1
        self.now += rng.random() < 0.3
        is_cmd = rng.random() < self.cmd_ratio
        group = rng.random() < 0.6
        sender = rng.choice(self.uids)
        if is_cmd:
            header = {"no_persist": int(rng.random() < 0.4), "red_dot": 0, "sync_once": 1}
            setting = 64 if rng.random() < 0.5 else 0
            payload = rng.choice(self.cmd_payloads)
        else:
            header = {"no_persist": 0, "red_dot": 1, "sync_once": 0}
            setting = 0
            payload = rng.choice(self.chat_payloads)
        mid = self.next_id
        if self.anomalies and rng.random() < self.anomalies:
            header["sync_once"] = rng.choice(ANOMALOUS_SYNC_ONCE)
            if rng.random() < 0.3:
                mid = 2**64 - rng.randint(1, 1000)  # uint64 ids near the top of the range
        return {
            "header": header,
            "setting": setting,
            "message_id": mid,
            "message_idstr": str(mid),
            "client_msg_no": f"{rng.getrandbits(64):016x}",
            "message_seq": 0 if is_cmd else self.seq,
            "from_uid": sender,
            "channel_id": rng.choice(self.groups) if group else rng.choice(self.uids),
            "channel_type": 2 if group else 1,
            "expire": 0,
            "timestamp": self.now,
            "payload": payload,
        }

    def offline(self) -> dict[str, Any]:
        body = self.message()
        rng = self.rng
        body["to_uids"] = rng.sample(self.uids, rng.randint(1, 4))
        body["source_id"] = 1001
        return body

    def notify(self, size: int) -> list[dict[str, Any]]:
        return [self.message() for _ in range(size)]

    def presence(self, size: int) -> list[str]:
        rng = self.rng
        out = []
        for _ in range(size):
            online = rng.random() < 0.5
            out.append(
                f"{rng.choice(self.uids)}-{rng.choice((0, 1, 2))}-{int(online)}-"
                f"{rng.randint(1, 99999)}-{int(online)}-{rng.randint(0, 3)}"
            )
        return out

    def batch_size(self) -> int:
        # Mostly small batches, now and then a full one (WuKongIM batches up to ~100 per 500 ms).
        return 100 if self.rng.random() < 0.05 else self.rng.randint(1, 30)


def _body(maker: Maker, event: str, remaining: int) -> tuple[Any, int]:
    """A body for ``event`` and how many messages (or presence entries) it holds."""
    if event == "msg.offline":
        return maker.offline(), 1
    size = min(maker.batch_size(), remaining)
    if event == "msg.notify":
        return maker.notify(size), size
    return maker.presence(size), size


def lines(shape: str, count: int, maker: Maker) -> Iterator[bytes]:
    """Yield dump lines (without newlines) holding ``count`` messages in ``shape``."""
    rng = maker.rng
    done = 0
    while done < count:
        remaining = count - done
        line_shape = shape
        if shape == "mixed":
            line_shape = rng.choice(("offline", "notify", "presence", "envelope", "capture", "wkcapture"))
        if line_shape in ("offline", "notify", "presence"):
            event = {"offline": "msg.offline", "notify": "msg.notify", "presence": "user.onlinestatus"}[
                line_shape
            ]
            body, n = _body(maker, event, remaining)
            yield orjson.dumps(body)
        else:
            event = rng.choices(("msg.notify", "msg.offline", "user.onlinestatus"), (6, 3, 1))[0]
            body, n = _body(maker, event, remaining)
            if line_shape == "envelope":
                yield orjson.dumps({"event": event, "data": body})
            elif line_shape == "wkcapture":
                yield orjson.dumps(
                    {
                        "received_at": f"2026-07-30T10:{(done // 60) % 60:02d}:{done % 60:02d}.000000Z",
                        "event": event,
                        "path": "/webhook",
                        "query": f"event={event}",
                        "remote": "10.0.0.7:51234",
                        "body": body,
                    }
                )
            else:
                yield orjson.dumps(
                    {
                        "received_at": f"2026-07-30T10:{(done // 60) % 60:02d}:{done % 60:02d}Z",
                        "method": "POST",
                        "url": f"/webhook?event={event}",
                        "headers": {"Content-Type": "application/json", "User-Agent": "Go-http-client/1.1"},
                        "body": orjson.dumps(body).decode(),
                    }
                )
        done += n


def write(
    out: BinaryIO,
    shape: str,
    count: int,
    seed: int = 1,
    cmd_ratio: float = 0.15,
    anomalies: float = 0.0,
    broken: float = 0.0,
    crlf: bool = False,
    bom: bool = False,
) -> None:
    """Write a dump to ``out``; ``broken`` is the share of lines replaced by bad records."""
    maker = Maker(seed, cmd_ratio, anomalies)
    rng = random.Random(seed + 1)
    end = b"\r\n" if crlf else b"\n"
    if bom:
        out.write(b"\xef\xbb\xbf")
    buffer: list[bytes] = []
    for line in lines(shape, count, maker):
        if broken and rng.random() < broken:
            buffer.append(rng.choice(BROKEN_LINES))
            if rng.random() < 0.3:
                buffer.append(b"")  # a blank line now and then
        buffer.append(line)
        if len(buffer) >= 2000:
            out.write(end.join(buffer) + end)
            buffer = []
    if buffer:
        out.write(end.join(buffer) + end)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--messages", type=int, default=100_000)
    parser.add_argument("--shape", choices=SHAPES, default="offline")
    parser.add_argument("--out", "-o", default="-", help="output file ('-' for stdout)")
    parser.add_argument("--gzip", action="store_true", help="gzip the output")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cmd-ratio", type=float, default=0.15)
    parser.add_argument("--anomalies", type=float, default=0.0, help="share of odd sync_once values")
    parser.add_argument("--broken", type=float, default=0.0, help="share of malformed lines")
    parser.add_argument("--crlf", action="store_true")
    parser.add_argument("--bom", action="store_true")
    args = parser.parse_args(argv)
    raw: BinaryIO = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")  # noqa: SIM115
    target: BinaryIO = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) if args.gzip else raw  # type: ignore[assignment]
    try:
        write(
            target,
            args.shape,
            args.messages,
            args.seed,
            args.cmd_ratio,
            args.anomalies,
            args.broken,
            args.crlf,
            args.bom,
        )
    finally:
        if target is not raw:
            target.close()
        if raw is not sys.stdout.buffer:
            raw.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
