"""JSON in and out where orjson refuses: the standard library takes over, and nothing is lost.

orjson rejects integers wider than 64 bits and cannot write lone surrogates (``\\ud800`` escapes
in the input); both are valid JSON that a dump can hold.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

NOT_JSON = object()  # what ``loads_fallback`` returns for text that is not JSON


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


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
