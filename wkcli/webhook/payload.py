"""Decode a message's ``payload`` (standard base64) and name what its numbers mean.

WuKongIM treats payloads as opaque bytes; the content ``type`` numbers and the CMD shape
``{"type": 99, "cmd": ..., "param": ...}`` are app conventions shared by the SDKs and
TangSengDaoDao. Nothing here raises: every odd payload gets a status instead.
``message_view`` puts it all together: the ``decoded`` object that ``classify --decode`` adds.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from wkcli.webhook.model import channel_type_name
from wkcli.webhook.times import iso_time, seconds_of

SETTING_SIGNAL = 0x20  # end-to-end encrypted payload: not JSON

# Protocol setting bits. 0x40 has no protocol meaning; TangSengDaoDao sets it on its CMDs.
SETTING_BITS: dict[int, str] = {
    0x80: "receipt",
    0x40: "0x40 (TangSengDaoDao cmd mark)",
    0x20: "signal (end-to-end encrypted)",
    0x10: "no encrypt",
    0x08: "topic",
    0x04: "stream (older protocol)",
    0x02: "stream",
}


CMD_TYPE = 99

CONTENT_TYPES: dict[int, str] = {
    1: "text",
    2: "image",
    3: "gif",
    4: "voice",
    5: "video",
    6: "location",
    7: "card",
    8: "file",
    11: "merged forward",
    12: "sticker",
    13: "sticker",
    14: "rich text",
    97: "content error",
    98: "signal error/stream",
    99: "cmd",
    1000: "friend apply",
    1001: "group create",
    1002: "member add",
    1003: "member remove",
    1004: "friend accepted",
    1005: "group update",
    1006: "revoke",
    2000: "tip",
}

# Statuses of a decoded payload.
JSON = "json"
TEXT = "not json"  # valid UTF-8 text that is not JSON
BINARY = "binary"
EMPTY = "empty"
NULL = "null"
MISSING = "missing"
NOT_BASE64 = "not base64"
ENCRYPTED = "encrypted"


class Decoded:
    """What a payload holds: ``status`` always, the rest where it applies."""

    __slots__ = ("status", "value", "content_type", "cmd", "raw")

    def __init__(
        self,
        status: str,
        value: Any = None,
        content_type: Any = None,
        cmd: str | None = None,
        raw: bytes | None = None,
    ) -> None:
        self.status = status
        self.value = value  # parsed JSON, or text, or None
        self.content_type = content_type  # the payload's "type" (int, or str in some apps)
        self.cmd = cmd
        self.raw = raw

    @property
    def type_name(self) -> str:
        return content_type_name(self.content_type)

    @property
    def is_cmd_payload(self) -> bool:
        """True for the SDKs' CMD content: type 99 (the number), or any payload naming a ``cmd``."""
        return (type(self.content_type) is int and self.content_type == CMD_TYPE) or self.cmd is not None


def content_type_name(content_type: Any) -> str:
    if content_type is None:
        return ""
    if type(content_type) is int:
        name = CONTENT_TYPES.get(content_type)
        if name:
            return name
        if 1000 <= content_type <= 2000:
            return "system"
        if 9989 <= content_type <= 9999:
            return "call"
        return f"type {content_type}"
    return str(content_type)


def may_be_cmd_payload(payload: str) -> bool:
    """False only when ``decode_payload`` cannot find a CMD payload (``is_cmd_payload``) in this
    base64 text: when it does not decode, or decodes to text spelling neither ``99`` nor ``cmd``
    and with no escapes (so no JSON key or number could spell them either). A cheap first look."""
    try:
        raw = base64.b64decode(payload, validate=True)  # as decode_payload decodes it
    except (binascii.Error, ValueError):
        return False
    return b"99" in raw or b"cmd" in raw or b"\\" in raw


def decode_payload(message: dict[str, Any]) -> Decoded:
    if "payload" not in message:
        return Decoded(MISSING)
    return decode_payload_value(message["payload"], message.get("setting"))


def decode_payload_value(payload: Any, setting: Any) -> Decoded:
    """``decode_payload`` of a message whose ``payload`` and ``setting`` (None: missing) these are."""
    if payload is None:
        return Decoded(NULL)
    if type(payload) is dict:
        # Some business servers log the payload already decoded.
        return _from_json(payload, b"")
    if type(payload) is not str:
        return Decoded(NOT_BASE64)
    if not payload:
        return Decoded(EMPTY)
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return Decoded(NOT_BASE64)
    if not raw:
        return Decoded(EMPTY, raw=raw)
    if type(setting) is int and setting & SETTING_SIGNAL:
        return Decoded(ENCRYPTED, raw=raw)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Decoded(BINARY, raw=raw)
        if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
            return Decoded(BINARY, raw=raw)
        return Decoded(TEXT, text, raw=raw)
    return _from_json(value, raw)


def _from_json(value: Any, raw: bytes) -> Decoded:
    content_type = None
    cmd = None
    if type(value) is dict:
        content_type = value.get("type")
        if type(content_type) not in (int, str):
            content_type = None
        found = value.get("cmd")
        if type(found) is str:
            cmd = found
    return Decoded(JSON, value, content_type, cmd, raw)


def preview(decoded: Decoded, limit: int = 60) -> str:
    """A one-line human hint of what the payload says."""
    status = decoded.status
    if status != JSON:
        if status == TEXT:
            return _clip(f"(not JSON) {decoded.value!r}", limit)
        return f"({status})"
    value = decoded.value
    if type(value) is not dict:
        return _clip(orjson.dumps(value).decode(), limit)
    name = decoded.type_name
    if decoded.cmd:
        param = value.get("param")
        shown = f"cmd {decoded.cmd}"
        if param not in (None, {}, ""):
            shown += " " + orjson.dumps(param).decode()
        return _clip(shown, limit)
    ctype = decoded.content_type
    if ctype == 1 and isinstance(value.get("content"), str):
        return _clip(f"{name}: {value['content']}", limit)
    if ctype in (2, 3) and ("width" in value or "height" in value):
        return _clip(f"{name} {value.get('width', '?')}x{value.get('height', '?')}", limit)
    if ctype == 8 and isinstance(value.get("name"), str):
        return _clip(f"{name}: {value['name']}", limit)
    if isinstance(value.get("content"), str):
        return _clip(f"{name}: {value['content']}" if name else value["content"], limit)
    return _clip(name or orjson.dumps(value).decode(), limit)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def setting_flags(setting: Any) -> list[str]:
    """Names of the bits set in a message's ``setting`` (unknown bits as hex)."""
    if type(setting) is not int or setting <= 0:
        return []
    names = []
    for bit in range(setting.bit_length() - 1, -1, -1):
        value = 1 << bit
        if setting & value:
            names.append(SETTING_BITS.get(value, hex(value)))
    return names


def message_view(message: dict[str, Any], utc: bool = False) -> dict[str, Any]:
    """What a message says, decoded: the ``decoded`` object of ``classify --decode``.

    Never changes ``message``. ``payload`` is the parsed JSON, or the text, or None;
    ``to_uids`` is present for messages that carry recipients (``msg.offline``).
    """
    from wkcli.webhook.recipients import recipients  # late: payload is imported by every output path

    decoded = decode_payload(message)
    view: dict[str, Any] = {
        "payload": decoded.value,
        "payload_status": decoded.status,
        "content_type": decoded.content_type,
        "content_type_name": decoded.type_name or None,
        "cmd": decoded.cmd,
    }
    if decoded.cmd is not None and type(decoded.value) is dict and "param" in decoded.value:
        view["param"] = decoded.value["param"]
    view["preview"] = preview(decoded)
    if "channel_type" in message:
        view["channel_type_name"] = channel_type_name(message["channel_type"]) or None
    if "setting" in message:
        view["setting_flags"] = setting_flags(message["setting"])
    seconds = seconds_of(message.get("timestamp"))
    if seconds is not None:
        view["time"] = iso_time(seconds, utc)
    found = recipients(message)
    if found.status != "none":
        view["recipients"] = found.status
        view["to_uids"] = found.uids
        if found.reason:
            view["recipients_note"] = found.reason
    return view
