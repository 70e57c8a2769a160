"""Small, realistic WuKongIM webhook bodies for the decoding and check tests.

Field order and encodings follow what WuKongIM emits: v2.2.5's key order, standard base64 with
padding for ``payload``, and ``compress_to_uids`` as base64 of a complete gzip stream of a JSON
array (v3 ends the JSON with a newline) or, from v1/v2, only the 10-byte gzip header.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

# What WuKongIM v1/v2 send when compression is on: a gzip header and nothing else.
TRUNCATED_GZIP = "H4sIAAAAAAAA/w=="
BIG_ID = 1877505633800945664  # a Snowflake id far above 2**53


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value, separators=(",", ":")).encode()
    return base64.b64encode(raw).decode()


def gzip_uids(uids: list[str], newline: bool = True) -> str:
    """base64(gzip(JSON array)) the way Go's compress/gzip writes it (no mtime, OS 255)."""
    data = (json.dumps(uids, separators=(",", ":")) + ("\n" if newline else "")).encode()
    deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = deflater.compress(data) + deflater.flush()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return base64.b64encode(header + body + struct.pack("<II", zlib.crc32(data), len(data))).decode()


def text(content: str) -> str:
    return b64({"content": content, "type": 1})


def cmd(name: str, **param: Any) -> str:
    return b64({"type": 99, "cmd": name, "param": param})


def message(
    message_id: int = BIG_ID,
    payload: Any = None,
    sync_once: Any = 0,
    from_uid: str = "u1001",
    channel_id: str = "g1",
    channel_type: int = 2,
    setting: int = 0,
    client_msg_no: str = "7e1c0b1d5f6a4d0e",
    timestamp: int = 1785398400,
    **extra: Any,
) -> dict[str, Any]:
    """A v2-ordered message object; ``extra`` keys (to_uids, compress, ...) come after payload."""
    data: dict[str, Any] = {
        "header": {"no_persist": 0, "red_dot": 1, "sync_once": sync_once},
        "setting": setting,
        "message_id": message_id,
        "message_idstr": str(message_id),
        "client_msg_no": client_msg_no,
        "message_seq": 12,
        "from_uid": from_uid,
        "channel_id": channel_id,
        "channel_type": channel_type,
        "expire": 0,
        "timestamp": timestamp,
        "payload": text("hi") if payload is None else payload,
    }
    data.update(extra)
    return data


def line(event: str, body: Any, received: str = "2026-07-30T08:00:00Z") -> str:
    """One capture record: the event in the URL, as a receiver would log it."""
    record = {"received_at": received, "path": f"/webhook?event={event}", "body": body}
    return json.dumps(record, separators=(",", ":"))


def dump(*lines: str) -> str:
    return "".join(entry + "\n" for entry in lines)
