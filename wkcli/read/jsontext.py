"""JSON in and out where orjson falls short: the standard library takes over, and nothing is lost.

orjson reads integers wider than 64 bits as floats (and refuses to write them), refuses numbers
beyond a double's range (``1e400``), and cannot write lone surrogates (``\\ud800`` escapes in
the input); all are valid JSON that a dump can hold. A number beyond a double's range is read as
a ``BigNumber``, which keeps its text and is written back as it was; so is an integer longer than
Python converts (``sys.get_int_max_str_digits()``, 4300 digits: converting takes quadratic time).
"""

from __future__ import annotations

import json
import json.encoder
import re
from collections.abc import Iterator
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


def bad_utf8_column(text: bytes | bytearray) -> int | None:
    """Where the first byte of ``text`` that is not UTF-8 is: its column in its line, 1-based and
    counted in characters as orjson counts its errors' (orjson says column 1 whatever the byte);
    None when all of ``text`` is UTF-8."""
    try:
        bytes(text).decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = text.rfind(b"\n", 0, exc.start) + 1
        return len(bytes(text[line_start : exc.start]).decode("utf-8")) + 1
    return None


_INF = float("inf")


class BigNumber(float):
    """A JSON number beyond a double's range (``1e400``, or an integer of over 4300 digits): an
    infinity to arithmetic and comparisons, its own text when shown (``str``) or written
    (``dumps``)."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> BigNumber:
        self = super().__new__(cls, text)
        self.text = text
        return self

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__

    def __reduce__(self):
        return (BigNumber, (self.text,))


def _parse_float(text: str) -> float:
    value = float(text)
    if value == _INF or value == -_INF:
        return BigNumber(text)
    return value


def _parse_int(text: str) -> Any:
    try:
        return int(text)
    except ValueError:  # longer than Python converts: its text is kept, in linear time
        return BigNumber(text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_parse_float)
# The same, also for integers too long to convert: tried when the first fails on one (their
# hook would slow every integer down).
_LONG = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_parse_float, parse_int=_parse_int)
_TOO_LONG = "integer string conversion"  # in the ValueError int() raises for too many digits


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
        return json.loads(text, parse_constant=_reject_constant, parse_float=_parse_float)
    except ValueError as exc:
        if _TOO_LONG not in str(exc):
            return NOT_JSON
    except RecursionError:
        return NOT_JSON
    try:
        return json.loads(
            text, parse_constant=_reject_constant, parse_float=_parse_float, parse_int=_parse_int
        )
    except (ValueError, RecursionError):
        return NOT_JSON


def raw_decode(text: str) -> Any:
    """The JSON value at the start of ``text`` (text may follow it); raises ``ValueError``."""
    try:
        return _DECODER.raw_decode(text)[0]
    except ValueError as exc:
        if _TOO_LONG not in str(exc):
            raise
    return _LONG.raw_decode(text)[0]


def dumps(value: Any) -> bytes:
    """Compact JSON: orjson, or json for what orjson cannot hold (lone surrogates stay escaped,
    a ``BigNumber`` is written as its text)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        text = _Encoder(ensure_ascii=False, separators=(",", ":")).encode(value)
        try:
            return text.encode()
        except UnicodeEncodeError:
            return _Encoder(separators=(",", ":")).encode(value).encode()


def _float_text(number: float, _repr=float.__repr__) -> str:
    if type(number) is BigNumber:
        return number.text
    if number != number or number == _INF or number == -_INF:
        return "null"  # as orjson writes them: there is no such JSON number
    return _repr(number)


class _Encoder(json.JSONEncoder):
    """The standard encoder with one change: how a float is written (``_float_text``)."""

    def iterencode(self, o: Any, _one_shot: bool = False) -> Iterator[str]:
        encoder = json.encoder
        string = encoder.encode_basestring_ascii if self.ensure_ascii else encoder.encode_basestring
        make = encoder._make_iterencode  # type: ignore[attr-defined]
        return make(
            {} if self.check_circular else None,
            self.default,
            string,
            self.indent,
            _float_text,
            self.key_separator,
            self.item_separator,
            self.sort_keys,
            self.skipkeys,
            _one_shot,
        )(o, 0)
