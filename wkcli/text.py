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


# A URL's password, and query values whose names say they are credentials (S3 presigned URLs
# too); a value ends at ':' too, as "file:line" follows a name (a URL's ':' is %3A).
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@]*@", re.I)
_SECRET_QUERY = re.compile(
    r"([?&](?:token|access_token|key|api_key|apikey|secret|password|passwd|auth|sig|signature"
    r"|x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&\s#'\":]*",
    re.I,
)


def hide_credentials(text: str) -> str:
    """``text`` with the credentials a URL in it may carry replaced by ``***``: the user and
    password (``https://***@host/``) and secret-named query values (``?token=***``)."""
    if "://" not in text and "=" not in text:
        return text
    return _SECRET_QUERY.sub(r"\1***", _USERINFO.sub(r"\1***@", text))
