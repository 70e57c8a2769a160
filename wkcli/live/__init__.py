"""Live tools: capture webhooks from a running WuKongIM, follow a growing dump, replay a dump."""

from __future__ import annotations

from urllib.parse import urlsplit

from wkcli.errors import UsageError


def check_http_url(url: str, option: str) -> str:
    """``url`` if it is an http:// or https:// URL with a host; else a usage error naming ``option``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{option}: {url!r} is not an http:// or https:// URL")
    return url
