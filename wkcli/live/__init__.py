"""Live tools: capture webhooks from a running WuKongIM, follow a growing dump, replay a dump."""

from __future__ import annotations

import asyncio
import errno
from typing import Protocol
from urllib.parse import urlsplit

from wkcli.errors import UsageError
from wkcli.text import hide_credentials

# What capture's --forward and replay read of a business server's answer. WuKongIM looks only at
# the status, so anything past this is a server that never stops talking, not a webhook answer.
RESPONSE_CAP = 1 << 20


def check_http_url(url: str, option: str) -> str:
    """``url`` if it is an http:// or https:// URL with a host; else a usage error naming ``option``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise UsageError(f"{option}: {hide_credentials(url)!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option}: {hide_credentials(url)!r} is not an http:// or https:// URL")
    return url


class BodyTooLarge(Exception):
    """A body went past the cap its reader set; reading stopped there."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"over {describe_size(limit)}")
        self.limit = limit


class _Readable(Protocol):
    async def readany(self) -> bytes: ...


async def read_capped(stream: _Readable, limit: int, keep: bool = True) -> bytes:
    """A whole body of at most ``limit`` bytes, read chunk by chunk so memory stays bounded.

    With ``keep`` false the chunks are dropped as they come (only the status mattered).
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await stream.readany()
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        if keep:
            chunks.append(chunk)


def describe_size(size: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size:,} bytes"


def describe_client_error(
    exc: BaseException, timeout: float | None = None, reading_body: bool = False
) -> str:
    """A failed HTTP exchange in words for a person (``connection refused``, ``timed out after 10 s``).

    Never a library's repr: every class of failure gets a sentence, and an unknown one its kind.
    """
    from aiohttp import (
        ClientConnectorError,
        ClientOSError,
        ClientPayloadError,
        ClientResponseError,
        InvalidURL,
        ServerDisconnectedError,
    )

    if isinstance(exc, BodyTooLarge):
        return f"the response body is over {describe_size(exc.limit)}: stopped reading it"
    if isinstance(exc, asyncio.TimeoutError):
        after = f" after {timeout:g} s" if timeout is not None else ""
        if reading_body:
            return f"timed out{after}: the response body never ended"
        return f"timed out{after} waiting for an answer"
    if isinstance(exc, ClientPayloadError):
        return "the response body was cut off before its end"
    if isinstance(exc, ServerDisconnectedError):
        return "the server closed the connection without answering"
    if isinstance(exc, ClientConnectorError):
        dns = getattr(__import__("aiohttp"), "ClientConnectorDNSError", ())
        if dns and isinstance(exc, dns):
            return f"cannot resolve {exc.host}"
        return _os_reason(exc.os_error) or f"cannot connect to {exc.host}:{exc.port}"
    if isinstance(exc, ClientResponseError):
        return "the answer is not valid HTTP"
    if isinstance(exc, InvalidURL):
        return "the URL is not valid"
    if isinstance(exc, ConnectionResetError) and exc.errno is None:
        return "the connection was reset"
    if isinstance(exc, (ClientOSError, OSError)):
        return _os_reason(exc) or "the connection failed"
    return f"the HTTP exchange failed ({type(exc).__name__})"


_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "the connection was reset",
    errno.EPIPE: "the connection was closed while sending",
    errno.ETIMEDOUT: "timed out connecting",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.EMFILE: "too many open files",
}


def _os_reason(exc: BaseException | None) -> str | None:
    if not isinstance(exc, OSError):
        return None
    if exc.errno in _ERRNO_WORDS:
        return _ERRNO_WORDS[exc.errno]
    return exc.strerror.lower() if exc.strerror else None
