"""Live tools: capture webhooks from a running WuKongIM, follow a growing dump, replay a dump."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from wkcli.errors import UsageError


def check_http_url(url: str, option: str) -> str:
    """``url`` if it is an http:// or https:// URL with a host; else a usage error naming ``option``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{option}: {url!r} is not an http:// or https:// URL")
    return url


def describe_client_error(exc: BaseException) -> str:
    """A short reason for a failed HTTP exchange (``timed out``, ``connection refused``, ...)."""
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    os_error = getattr(exc, "os_error", None)
    if isinstance(os_error, OSError) and os_error.strerror:
        return os_error.strerror.lower()
    return str(exc) or type(exc).__name__
