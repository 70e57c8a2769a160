"""Who a ``msg.offline`` message was for: ``to_uids``, or ``compress_to_uids`` unpacked.

``compress_to_uids`` is standard base64 of gzip of a JSON array of uids (v3 ends the JSON with a
newline). WuKongIM v1/v2 read their compressor's bytes before closing it, so what they send is
usually just the 10-byte gzip header: that is "recipients unknown", what real servers send, not
a malformed record. Nothing here raises.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

import orjson

from wkcli.webhook.model import Message
from wkcli.webhook.model import json_type as _kind

LISTED = "listed"  # plain to_uids
UNPACKED = "unpacked"  # compress_to_uids, gzip unpacked
UNKNOWN = "unknown"  # a truncated gzip: the server never sent the list
UNREADABLE = "unreadable"  # something WuKongIM never sends
TOO_LARGE = "too-large"  # more than any real list: not unpacked (a gzip bomb costs nothing)
NONE = "none"  # no recipient fields at all (msg.notify)

GZIP_MAGIC = b"\x1f\x8b"
GZIP_HEADER_ONLY = 10  # what v1/v2 send: header, no deflate data, no trailer
# v3 packs at most 512 uids per body and v1/v2 send only a gzip header, so a real list is a few
# KB; these bounds leave a wide margin and keep every message's unpacking cheap in time and memory.
MAX_UNPACKED = 4 << 20
MAX_RECIPIENTS = 100_000


class Recipients:
    """``status`` always; ``uids`` when known; ``reason`` says why not (or what was odd)."""

    __slots__ = ("status", "uids", "reason")

    def __init__(self, status: str, uids: list[str] | None = None, reason: str | None = None):
        self.status = status
        self.uids = uids
        self.reason = reason

    @property
    def known(self) -> bool:
        return self.uids is not None

    @property
    def count(self) -> int | None:
        return None if self.uids is None else len(self.uids)

    def __repr__(self) -> str:
        return f"Recipients({self.status!r}, {self.uids!r}, {self.reason!r})"


def recipients(message: dict[str, Any]) -> Recipients:
    """The recipients a message carries, or why they cannot be known."""
    packed = message.get("compress_to_uids")
    compress = message.get("compress")
    to_uids = message.get("to_uids")
    if packed not in (None, ""):
        if compress not in (None, "", "gzip"):
            return Recipients(UNREADABLE, reason=f"unknown compress {_show(compress)} (WuKongIM uses gzip)")
        return unpack(packed)
    if compress == "gzip" and not to_uids:
        return Recipients(UNREADABLE, reason='compress is "gzip" but compress_to_uids is missing')
    if to_uids is None:
        return Recipients(NONE)
    return _listed(to_uids, "to_uids")


def unpack(packed: Any) -> Recipients:
    """Unpack ``compress_to_uids``: base64 -> gzip -> JSON array of uid strings."""
    if type(packed) is not str:
        return Recipients(UNREADABLE, reason=f"compress_to_uids is {_kind(packed)}, not a base64 string")
    try:
        raw = base64.b64decode(packed, validate=True)
    except (binascii.Error, ValueError):
        return Recipients(UNREADABLE, reason="compress_to_uids is not standard base64")
    if not raw.startswith(GZIP_MAGIC):
        return Recipients(UNREADABLE, reason="compress_to_uids is not gzip data")
    inflater = zlib.decompressobj(wbits=31)
    try:
        text = inflater.decompress(raw, MAX_UNPACKED)
    except zlib.error as exc:
        return Recipients(UNREADABLE, reason=f"compress_to_uids: corrupt gzip ({exc})")
    if not inflater.eof:
        if inflater.unconsumed_tail or len(text) >= MAX_UNPACKED:
            return Recipients(TOO_LARGE, reason="compress_to_uids unpacks to more than 4 MiB")
        if len(raw) <= GZIP_HEADER_ONLY:
            why = "compress_to_uids is only the 10-byte gzip header (WuKongIM v1/v2 send it so)"
        else:
            why = "compress_to_uids is a gzip stream cut short (as WuKongIM v1/v2 send it)"
        return Recipients(UNKNOWN, reason=why)
    if text.count(b",") >= MAX_RECIPIENTS:
        return Recipients(TOO_LARGE, reason=f"compress_to_uids holds more than {MAX_RECIPIENTS:,} uids")
    try:
        value = orjson.loads(text)  # v3's trailing newline is whitespace to JSON
    except orjson.JSONDecodeError:
        return Recipients(UNREADABLE, reason="compress_to_uids unpacks to something that is not JSON")
    result = _listed(value, "compress_to_uids", UNPACKED)
    if inflater.unused_data and result.status == UNPACKED:
        result.reason = "extra bytes after the gzip stream were ignored"
    return result


def _listed(value: Any, name: str, status: str = LISTED) -> Recipients:
    if type(value) is not list:
        return Recipients(UNREADABLE, reason=f"{name} is {_kind(value)}, not an array of uids")
    for uid in value:
        if type(uid) is not str:
            return Recipients(UNREADABLE, reason=f"{name} holds {_kind(uid)}, not only uid strings")
    return Recipients(status, value)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:29] + "…"


def warning_for(message: dict[str, Any]) -> str | None:
    """What to warn about a message's recipients, or None when they are fine (or absent)."""
    if "compress_to_uids" not in message and "to_uids" not in message and "compress" not in message:
        return None
    found = recipients(message)
    if found.status == UNKNOWN:
        return f"recipients unknown: {found.reason}"
    if found.status == UNREADABLE:
        return f"recipients cannot be unpacked: {found.reason}"
    if found.status == TOO_LARGE:
        return f"recipients too large to unpack: {found.reason}"
    return None


# The v1/v2 truncated gzip is on every compressed message of such a server: warned about once.
UNKNOWN_ONCE = "recipients-unknown"


def message_warning(message: Message) -> tuple[str, str | None] | None:
    """What to warn about a message's recipients, naming the message, and the key that makes it
    a warning given once (None: given for each message); None when there is nothing to say."""
    data = message.data
    if "compress_to_uids" not in data and "compress" not in data:
        return None
    problem = warning_for(data)
    if problem is None:
        return None
    once = UNKNOWN_ONCE if problem.startswith("recipients unknown") else None
    suffix = "; not repeated for later messages" if once else ""
    return f"{problem} (message {message.id_text}{suffix})", once
