"""Make text from a dump safe to show: control characters become visible escapes, never terminal control."""

from __future__ import annotations

import re

# C0 controls (tab included: it breaks tables), DEL, C1 controls, and the Unicode bidi overrides
# that can make a uid look like something else.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def sanitize(text: str) -> str:
    """Replace control characters with visible escapes (``\\x1b``, ``\\n``, ``\\u202e``), and
    lone surrogates (``\\ud800``, which JSON may spell and no UTF-8 can write)."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def display(value: object) -> str:
    """A field value as safe one-line text ('' for missing/null)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return sanitize(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    return sanitize(str(value))
