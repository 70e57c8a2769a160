"""Realistic webhook bodies built as WuKongIM v3 (or v1/v2) builds them, for ``wkcli trigger``."""

from __future__ import annotations

import base64
import gzip
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from wkcli.webhook.model import MSG_NOTIFY, MSG_OFFLINE, USER_ONLINESTATUS

# Message ids are bwmarrin/snowflake ids: 41 bits of milliseconds since its default epoch
# (2010-11-04T01:42:54.657Z), 10 bits of node, 12 bits of sequence. That is what puts
# WuKongIM's ids near 1.9e18, far above 2^53.
SNOWFLAKE_EPOCH_MS = 1288834974657
NODE_BITS = 10
STEP_BITS = 12

TEMPLATES: dict[str, str] = {
    "chat": "a chat message in msg.notify (--content text|image|file), sync_once 0",
    "cmd": "a CMD message in msg.notify: payload type 99 (--cmd typing|unreadClear|channelUpdate|..., "
    "--param k=v), sync_once 1",
    "offline": "a chat message in msg.offline with its recipients (--to-uids); --compress gzips them "
    "as v3 does, or as v1/v2 did (a truncated header) with --wk-version 2",
    "presence": "user.onlinestatus: uid-device-status-conn-devcount-total strings for --from's devices "
    "(--devices 0,1, --status online|offline)",
    "system": "a system message in msg.notify: content type 1000-2000 (--type, default 1001 group "
    "created); sync_once 1 for 1000 friend apply and 1004 friend accepted, as TangSengDaoDao sends them",
}
CONTENTS = ("text", "image", "file")
# CMD names business servers built on WuKongIM send (TangSengDaoDao), and their usual params.
CMD_PARAMS: dict[str, Callable[[str, int, str], dict[str, Any]]] = {
    "typing": lambda ch, ct, uid: {"channel_id": ch, "channel_type": ct, "from_uid": uid, "from_name": uid},
    "unreadClear": lambda ch, ct, uid: {"channel_id": ch, "channel_type": ct, "unread": 0},
    "channelUpdate": lambda ch, ct, uid: {"channel_id": ch, "channel_type": ct},
    "memberUpdate": lambda ch, ct, uid: {"group_no": ch},
    "groupAvatarUpdate": lambda ch, ct, uid: {"group_no": ch},
    "conversationDeleted": lambda ch, ct, uid: {"channel_id": ch, "channel_type": ct},
    "friendRequest": lambda ch, ct, uid: {"apply_uid": uid, "apply_name": uid},
    "friendAccept": lambda ch, ct, uid: {"to_uid": uid, "from_uid": uid},
    "userAvatarUpdate": lambda ch, ct, uid: {"uid": uid},
    "messageRevoke": lambda ch, ct, uid: {"channel_id": ch, "channel_type": ct},
    "syncMessageExtra": lambda ch, ct, uid: {"channel_id": ch, "channel_type": ct},
    "syncMessageReaction": lambda ch, ct, uid: {"channel_id": ch, "channel_type": ct},
}
FRIEND_SYSTEM_TYPES = (1000, 1004)  # sent with sync_once 1 by TangSengDaoDao
SYSTEM_TEXT = {
    1000: "{0} wants to be your friend",
    1001: "{0} created the group",
    1002: "{0} joined the group",
    1003: "{0} left the group",
    1004: "{0} accepted your friend request",
    1005: "{0} updated the group",
}
V2_TRUNCATED_GZIP = "H4sIAAAAAAAA/w=="  # what v1/v2's compressor emits: a gzip header and nothing else
SYSTEM_UID = "____system"


class Snowflake:
    """Ids as bwmarrin/snowflake makes them: increasing, unique per node, time in the high bits."""

    def __init__(self, node: int = 1, clock: Callable[[], float] = time.time) -> None:
        self.node = node & ((1 << NODE_BITS) - 1)
        self.clock = clock
        self._last = -1
        self._step = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            now = int(self.clock() * 1000) - SNOWFLAKE_EPOCH_MS
            if now <= self._last:
                now = self._last
                self._step = (self._step + 1) & ((1 << STEP_BITS) - 1)
                if self._step == 0:
                    now += 1  # this millisecond's ids are used up: borrow the next one
            else:
                self._step = 0
            self._last = now
            return (now << (NODE_BITS + STEP_BITS)) | (self.node << STEP_BITS) | self._step


def snowflake_time(message_id: int) -> float:
    """The Unix time (seconds) a snowflake id was made."""
    return ((message_id >> (NODE_BITS + STEP_BITS)) + SNOWFLAKE_EPOCH_MS) / 1000


@dataclass
class Spec:
    """What to build: the template and the options that shape it."""

    kind: str
    content: str = "text"
    cmd: str = "typing"
    params: dict[str, Any] = field(default_factory=dict)
    channel: str | None = None
    channel_type: int = 2
    sender: str | None = None
    to_uids: list[str] = field(default_factory=lambda: ["u1002", "u1003"])
    sets: dict[str, Any] = field(default_factory=dict)  # payload fields laid over the template's
    sync_once: int | None = None  # None: what WuKongIM would use for the kind
    wk_version: int = 3
    compress: bool = False
    system_type: int = 1001
    status: str = "online"
    devices: list[int] = field(default_factory=lambda: [1])
    seed: int | None = None


class Builder:
    """Makes one body after another for a ``Spec``: distinct ids, increasing message_seq."""

    def __init__(self, spec: Spec, clock: Callable[[], float] = time.time, node: int = 1) -> None:
        if spec.kind not in TEMPLATES:
            raise ValueError(f"unknown template {spec.kind!r}")
        self.spec = spec
        self.clock = clock
        self.ids = Snowflake(node, clock)
        self.rng = random.Random(spec.seed)
        self.seq = 0
        self.conn = 1000

    def next(self) -> tuple[str, bytes]:
        """The next request: its event and the exact body bytes, as Go's encoding/json writes them."""
        spec = self.spec
        if spec.kind == "presence":
            return USER_ONLINESTATUS, orjson.dumps(self._presence())
        message = self._message()
        if spec.kind == "offline":
            return MSG_OFFLINE, orjson.dumps(self._offline(message))
        return MSG_NOTIFY, orjson.dumps([message])

    def _message(self) -> dict[str, Any]:
        spec = self.spec
        self.seq += 1
        sender = spec.sender or (SYSTEM_UID if spec.kind == "system" else "u1001")
        channel = spec.channel or "g1"
        payload = self._payload(sender, channel)
        payload.update(spec.sets)
        cmd = spec.kind == "cmd"
        sync_once = spec.sync_once
        if sync_once is None:
            sync_once = 1 if cmd or (spec.kind == "system" and spec.system_type in FRIEND_SYSTEM_TYPES) else 0
        no_persist = 1 if cmd and spec.cmd == "typing" else 0  # typing is shown, never stored
        message_id = self.ids.next()
        header = {"no_persist": no_persist, "red_dot": 0 if sync_once else 1, "sync_once": sync_once}
        fields: dict[str, Any] = {
            "message_id": message_id,
            "message_idstr": str(message_id),
            "client_msg_no": "%032x" % self.rng.getrandbits(128),
            "message_seq": 0 if no_persist else self.seq,  # unstored messages get no sequence
            "from_uid": sender,
            "channel_id": channel,
            "channel_type": spec.channel_type,
            "expire": 0,
            "timestamp": int(self.clock()),
            "payload": base64.b64encode(orjson.dumps(payload)).decode("ascii"),
        }
        if spec.wk_version >= 3:
            # v3's MessageResp: header, setting, topic (omitted when empty), expire, message_id, ...
            expire = fields.pop("expire")
            return {"header": header, "setting": 0, "expire": expire, **fields}
        return {"header": header, "setting": 0, **fields}

    def _payload(self, sender: str, channel: str) -> dict[str, Any]:
        spec = self.spec
        if spec.kind == "cmd":
            make = CMD_PARAMS.get(spec.cmd, lambda ch, ct, uid: {"channel_id": ch, "channel_type": ct})
            param = make(channel, spec.channel_type, sender)
            param.update(spec.params)
            return {"cmd": spec.cmd, "param": param, "type": 99}
        if spec.kind == "system":
            text = SYSTEM_TEXT.get(spec.system_type, "system notice from {0}").format(sender)
            return {"content": text, "extra": [{"uid": sender, "name": sender}], "type": spec.system_type}
        if spec.content == "image":
            name = "%016x" % self.rng.getrandbits(64)
            return {"url": f"file/preview/chat/{name}.jpg", "width": 1080, "height": 720, "type": 2}
        if spec.content == "file":
            size = self.rng.randint(10_000, 9_000_000)
            return {"url": "file/chat/report.pdf", "name": "report.pdf", "size": size, "type": 8}
        return {"content": f"hello #{self.seq}", "type": 1}

    def _offline(self, message: dict[str, Any]) -> dict[str, Any]:
        spec = self.spec
        body = dict(message)
        if not spec.compress:
            body["to_uids"] = list(spec.to_uids)
        elif spec.wk_version >= 3:
            # v3 closes the gzip stream and writes JSON with a trailing newline; to_uids is left out.
            packed = gzip.compress(orjson.dumps(spec.to_uids) + b"\n", mtime=0)
            body["compress"] = "gzip"
            body["compress_to_uids"] = base64.b64encode(packed).decode("ascii")
        else:
            body["to_uids"] = []
            body["compress"] = "gzip"
            body["compress_to_uids"] = V2_TRUNCATED_GZIP
        body["source_id"] = 1
        return body

    def _presence(self) -> list[str]:
        spec = self.spec
        uid = spec.sender or "u1001"
        online = 1 if spec.status == "online" else 0
        entries = []
        total = len(spec.devices) if online else 0
        for flag in spec.devices:
            self.conn += 1
            entries.append(f"{uid}-{flag}-{online}-{self.conn}-{online}-{total}")
        return entries
