"""JSON in and out where orjson falls short: the standard library takes over, and nothing is lost.

orjson reads integers wider than 64 bits as floats (and refuses to write them), and cannot write
lone surrogates (``\\ud800`` escapes in the input); both are valid JSON that a dump can hold.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

NOT_JSON = object()  # what ``loads_fallback`` returns for text that is not JSON

# Digits enough for an integer outside int64/uint64 (2**64 has 20, -2**63 19 after the sign).
# Matching inside a string only costs a second, exact parse. Digits and "-" are mapped to "0",
# every other byte to " ", and one substring search finds such a run: several times cheaper
# per line than a regular expression, which tries every position.
_DIGITS_TABLE = bytes(0x30 if 0x30 <= b <= 0x39 or b == 0x2D else 0x20 for b in range(256))
_RUN = b"0" * 20
_wide_text = re.compile(r"\d{20}|-\d{19}", re.ASCII).search


def wide_number(text: bytes | bytearray) -> bool:
    """True when ``text`` may hold an integer wider than 64 bits (20 digits, or "-" and 19)."""
    return _RUN in text.translate(_DIGITS_TABLE)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def loads(text: bytes | bytearray | str) -> Any:
    """orjson's parse, redone exactly by the standard library when an integer may be too wide
    for it. Raises ``orjson.JSONDecodeError`` for what orjson rejects."""
    value = orjson.loads(text)
    if _wide_text(text) is not None if type(text) is str else wide_number(text):  # type: ignore[arg-type]
        exact = loads_fallback(text)
        if exact is not NOT_JSON:
            return exact
    return value


def loads_fallback(text: bytes | bytearray | str) -> Any:
    """Parse what orjson refused, or return ``NOT_JSON`` (NaN and Infinity are not JSON)."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return NOT_JSON


def raw_decode(text: str) -> Any:
    """The JSON value at the start of ``text`` (text may follow it); raises ``ValueError``."""
    return _DECODER.raw_decode(text)[0]


def dumps(value: Any) -> bytes:
    """Compact JSON: orjson, or json for what orjson cannot hold (lone surrogates stay escaped)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        try:
            return text.encode()
        except UnicodeEncodeError:
            return json.dumps(value, separators=(",", ":")).encode()
