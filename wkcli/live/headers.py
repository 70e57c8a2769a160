"""Request headers given on the command line (``-H 'Name: value'``), checked and shown without secrets."""

from __future__ import annotations

import re

from wkcli.errors import UsageError

# RFC 9110 field names are tokens; values may not hold CR, LF or NUL (header injection).
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(r"[\r\n\x00]")
# Headers whose values are credentials: never printed, whatever their exact name.
_SECRET_NAME = re.compile(r"auth|token|secret|key|cookie|signature|sign$|passw|session|credential", re.I)


def parse_headers(texts: list[str] | None, option: str = "-H") -> dict[str, str | None]:
    """``['X-A: 1', 'User-Agent:']`` -> ``{'X-A': '1', 'User-Agent': None}``.

    An empty value (``'Name:'``) removes a default header, as in curl. A bad header is a usage
    error naming it, never quoting its value (it may be a secret).
    """
    out: dict[str, str | None] = {}
    for text in texts or ():
        name, sep, value = text.partition(":")
        name = name.strip()
        if not sep or not name:
            # Only the first word is quoted: the rest may be a credential ('Authorization Bearer x').
            first = text.split(None, 1)[0] if text.strip() else ""
            raise UsageError(f"{option}: {_shown_name(first)!r} is not a header: use 'Name: value'")
        if not _TOKEN.match(name):
            raise UsageError(f"{option}: {_shown_name(name)!r} is not a valid header name")
        value = value.strip()
        if _BAD_VALUE.search(value):
            raise UsageError(f"{option}: the value of {name} holds a line break or NUL")
        if name.lower() in ("host", "content-length", "transfer-encoding", "connection"):
            raise UsageError(f"{option}: {name} is set by the HTTP client and cannot be given")
        # Later -H options win over earlier ones of the same name, whatever their case.
        for known in [key for key in out if key.lower() == name.lower()]:
            del out[known]
        out[name] = value or None
    return out


def merged(defaults: dict[str, str], extra: dict[str, str | None]) -> dict[str, str]:
    """``defaults`` with ``extra`` laid over them (case-insensitively); None removes a header."""
    out = dict(defaults)
    for name, value in extra.items():
        for known in [key for key in out if key.lower() == name.lower()]:
            del out[known]
        if value is not None:
            out[name] = value
    return out


def is_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def shown(headers: dict[str, str]) -> dict[str, str]:
    """Headers as they may be printed: credentials' values replaced by ``***``."""
    return {name: "***" if is_secret(name) else value for name, value in headers.items()}


def _shown_name(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
