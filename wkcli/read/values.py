"""Cut lines into JSON values, each with its line number: ``read_values`` and what it yields.

Handles JSONL, one or more pretty-printed JSON values (what ``jq .`` prints), a single large
pretty-printed array (streamed element by element), and log lines with a text prefix before the
JSON. Nothing here knows about webhooks; ``unwrap`` gives the values their meaning.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator
from itertools import islice
from typing import Any

import orjson

from wkcli.read.brackets import NOT_BRACKETS
from wkcli.read.brackets import depth as _depth
from wkcli.read.brackets import nest as _nest
from wkcli.read.jsontext import NOT_JSON, bad_utf8_column, loads, loads_fallback, raw_decode
from wkcli.read.lines import IDLE, MAX_LINE, MAX_VALUE_LINES, RESTART, LongLine, format_size

INPUT_FORMATS = ("auto", "jsonl", "json", "log")

# Where a log line's JSON may start, and how a log prefix names the event.
_JSON_START = re.compile(rb"[\[{]")
_JSON_AFTER_BRACKET = (b"{", b"[", b'"', b"]")
# A line that starts like a log line (a timestamp or a level) may carry no JSON at all.
_LOG_LINE = re.compile(
    rb"^\[?(?:\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d|[A-Z][a-z]{2} [ \d]\d |"
    rb"(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL)\b)",
    re.I,
)
_PREFIX_EVENT = re.compile(rb"""(?:[?&]event=|\bevent["']?\s*[=:]\s*["']?)([A-Za-z][\w.\-]*)""")


class Skip:
    """A log line that holds no JSON (a log's ordinary lines): counted, not an error."""

    __slots__ = ("line",)

    def __init__(self, line: int) -> None:
        self.line = line


class Bad:
    """A record that could not be read as JSON: where, and why."""

    __slots__ = ("line", "reason")

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason


class Value:
    """One JSON value read from a dump.

    ``hint`` is an event name found in a log line's prefix; ``element`` is true for the elements
    of a large top-level array that was streamed one element at a time.
    """

    __slots__ = ("line", "value", "hint", "element")

    def __init__(self, line: int, value: Any, hint: str | None = None, element: bool = False):
        self.line = line
        self.value = value
        self.hint = hint
        self.element = element


def read_values(
    lines: Iterable[bytes],
    input_format: str = "auto",
    max_value: int = MAX_LINE,
    max_value_lines: int = MAX_VALUE_LINES,
    pause: bool = False,
) -> Generator[Value | Bad | Skip, None, None]:
    """Cut lines into JSON values. Line numbers are 1-based and count every line read.

    A multi-line value holds at most ``max_value`` bytes (indentation not counted) and
    ``max_value_lines`` lines; a bigger one is reported at its first line and skipped to its end.

    With ``pause``, ``BETWEEN`` comes whenever at least one line was read and nothing is held
    open (no value being gathered, no array being streamed), before the next line is taken: a
    caller may stop reading there, and whatever reads the lines after it starts afresh.
    """
    multiline = input_format in ("auto", "json")
    relaxed = input_format == "json"  # any line that leaves brackets open starts a value
    prefixed = input_format in ("auto", "log")
    lineno = 0
    pending: bytearray | None = None  # a multi-line value being gathered, lines stripped
    pending_lines = 0
    pending_line = 0
    over = False  # the pending value went over its bound: only its depth is followed
    depth = 0
    stack: list[bytes] = []  # the brackets open in the pending value
    last = b""  # the last byte of the pending value's last non-blank line
    in_array = False  # streaming the elements of a top-level pretty-printed array
    array_line = 0
    # An array element with no comma after it must be the last: it waits for the "]". If
    # something else comes, the "[" was stray and the element is read as a record of its own.
    held: tuple[Value | Bad, bytes | None, int] | None = None

    source = iter(lines)
    while True:
        if pause and lineno and pending is None and not in_array:
            yield BETWEEN
        line = next(source, None)
        if line is None:
            break
        if line is IDLE:
            yield IDLE  # type: ignore[misc]  # nothing new in a followed file: passed on to its poller
            continue
        if line is RESTART:
            # A followed file was rotated or truncated: what comes next is a new file's line 1.
            if pending is not None and not over:
                yield Bad(pending_line, "incomplete JSON value when the file was replaced")
            elif in_array:
                yield Bad(array_line, "JSON array opened here is never closed (the file was replaced)")
            lineno = depth = 0
            pending = None
            over = in_array = False
            held = None
            continue
        lineno += 1
        if type(line) is LongLine:
            if pending is not None:
                if not over:
                    yield Bad(pending_line, "incomplete JSON value (a line in it is too long to read)")
                pending = None
                depth = 0
                over = False
            yield Bad(lineno, line.reason())
            continue
        if pending is not None:
            stripped = line.strip()
            first = line[:1]
            # Inside an object a line starts with a key or the closing brace (or holds the value
            # after a key that ended the line before): anything else is not part of this value.
            # (An indented line never starts a record: most lines of a value are not looked at.)
            if (first != b" " and first != b"\t" and _starts_record(line, prefixed)) or (
                stripped and stack and stack[-1] == b"{" and stripped[:1] not in (b'"', b"}") and last != b":"
            ):
                if not over:
                    yield Bad(pending_line, "incomplete JSON value (the record seems cut off)")
                pending = None
                depth = 0
                over = False
                if in_array and line[:1] not in (b"{", b"["):
                    yield Bad(array_line, "JSON array opened here is not closed before a new record starts")
                    in_array = False
                    held = None
            else:
                if stripped:
                    last = stripped[-1:]
                brackets = stripped.translate(None, NOT_BRACKETS)
                if brackets:  # most lines of a pretty-printed value hold none
                    depth += _nest(stripped, stack, brackets)
                if not over:
                    pending_lines += 1
                    if len(pending) + len(stripped) >= max_value or pending_lines > max_value_lines:
                        over = True
                        yield Bad(
                            pending_line,
                            f"multi-line JSON value over {format_size(max_value)} or "
                            f"{max_value_lines:,} lines (see --max-line): skipped to its end",
                        )
                    else:
                        pending += b"\n"
                        pending += stripped
                if depth > 0:
                    continue
                text = pending
                start = pending_line
                pending = None
                depth = 0
                if over:
                    over = False
                    continue
                if in_array:
                    item = _array_element(text, start)
                    if text.endswith(b","):
                        yield item
                    else:
                        held = (item, None, start)
                else:
                    yield _parse(text, start)
                continue

        stripped = line.strip()
        if not stripped:
            continue

        if in_array:
            if stripped in (b"]", b"],"):
                in_array = False
                if held is not None:
                    yield held[0]
                    held = None
                continue
            if held is not None:
                item, raw, start = held
                held = None
                in_array = False
                yield Bad(
                    array_line,
                    "JSON array opened here is not one: an element has no comma after it and no "
                    "closing ] follows (the lines after it are read as records)",
                )
                if raw is None:
                    if type(item) is Value:
                        item.element = False
                    yield item
                else:
                    yield _single(raw, start, multiline, relaxed, prefixed, final=True)
                # and this line is read as a record below
            else:
                d = _depth(stripped)
                if d > 0 and (stripped in (b"{", b"[") or relaxed):
                    pending = bytearray(stripped)
                    pending_lines = 1
                    pending_line = lineno
                    stack = []
                    depth = _nest(stripped, stack)
                    last = stripped[-1:]
                    continue
                item = _array_element(stripped, lineno)
                if stripped.endswith(b","):
                    yield item
                else:
                    held = (item, stripped, lineno)
                continue

        read = _single(stripped, lineno, multiline, relaxed, prefixed)
        if read is _OPEN_ARRAY:
            in_array = True
            array_line = lineno
        elif read is _OPEN_VALUE:
            pending = bytearray(stripped)
            pending_lines = 1
            pending_line = lineno
            stack = []
            depth = _nest(stripped, stack)
            last = stripped[-1:]
        else:
            yield read

    if pending is not None:
        if not over:
            yield Bad(pending_line, "incomplete JSON value at end of input (the file seems cut off)")
    elif in_array:
        if held is not None:
            yield held[0]
        yield Bad(array_line, "JSON array opened here is never closed (the file seems cut off)")


def value_lines(lines: list[bytes], start: int, input_format: str, max_value: int = MAX_LINE) -> int:
    """How many lines, from ``lines[start]`` on, ``read_values`` reads before it holds nothing
    open again; 0 when something is still open after the last of ``lines``."""
    taken = 0

    def counted() -> Iterator[bytes]:
        nonlocal taken
        for line in islice(lines, start, None):
            taken += 1
            yield line

    for item in read_values(counted(), input_format, max_value, pause=True):
        if item is BETWEEN:
            return taken
    return 0


BETWEEN = Skip(0)  # what ``read_values(pause=True)`` gives where it holds nothing open
_OPEN_ARRAY = Skip(0)  # what ``_single`` gives for a lone "[": a top-level array starts
_OPEN_VALUE = Skip(0)  # and for a line that opens a multi-line value


def _single(
    stripped: bytes, lineno: int, multiline: bool, relaxed: bool, prefixed: bool, final: bool = False
) -> Value | Bad | Skip:
    """Read one stripped line at the top level (``final``: it cannot open a multi-line value).

    A plain function, not a generator: it is called for every line."""
    first = stripped[:1]
    if first == b"{" or first == b"[":
        try:
            return Value(lineno, loads(stripped))
        except orjson.JSONDecodeError as exc:
            error = exc
        if multiline and not final:
            if stripped == b"[":
                return _OPEN_ARRAY
            # Pretty printers put the opening bracket alone on its line; anything else that
            # leaves brackets open is a cut-off single-line record, not the start of a value.
            if (stripped == b"{" or relaxed) and _depth(stripped) > 0:
                return _OPEN_VALUE
        value = loads_fallback(stripped)
        if value is not NOT_JSON:
            return Value(lineno, value)
        if prefixed and first == b"[" and stripped[1:2] not in _JSON_AFTER_BRACKET:
            # "[INFO] 2026-... body={...}": a bracketed log prefix, not cut-off JSON.
            return _from_log_line(stripped, lineno, error)
        return Bad(lineno, _describe(error, stripped))

    try:
        return Value(lineno, loads(stripped))  # a string or number: unwrap says what is wrong
    except orjson.JSONDecodeError as exc:
        if first == b'"' or not prefixed:
            value = loads_fallback(stripped)
            return Value(lineno, value) if value is not NOT_JSON else Bad(lineno, _describe(exc, stripped))
    return _from_log_line(stripped, lineno, None)


def _starts_record(line: bytes, prefixed: bool) -> bool:
    """True when ``line``, met inside a multi-line value, cannot belong to it: it starts at
    column 0 (pretty printers indent everything but the closing bracket) and is a record of its
    own, or starts like one."""
    first = line[:1]
    if first in (b"{", b"["):
        return True
    if not prefixed or not first or first in b' \t\r}],"':
        return False
    if _LOG_LINE.match(line):
        return True
    return type(_from_log_line(line.rstrip(), 0, None)) is Value


def _array_element(text: bytes | bytearray, lineno: int) -> Value | Bad:
    if text.endswith(b","):
        text = text[:-1]
    item = _parse(text, lineno)
    if isinstance(item, Value):
        item.element = True
    return item


def _parse(text: bytes | bytearray, lineno: int) -> Value | Bad:
    try:
        return Value(lineno, loads(text))
    except orjson.JSONDecodeError as exc:
        value = loads_fallback(text)
        if value is not NOT_JSON:
            return Value(lineno, value)
        return Bad(lineno, _describe(exc, text))


def _from_log_line(line: bytes, lineno: int, error: Exception | None) -> Value | Bad | Skip:
    """Find the JSON in a log line such as ``2026-07-30 10:00:00 INFO webhook body={...}``."""
    column = bad_utf8_column(line)
    if column is not None:
        # JSON text is UTF-8: bytes that are not (a UTF-16 mark, Latin-1) are no "log prefix".
        return Bad(lineno, f"invalid UTF-8 at column {column}")
    for match in _JSON_START.finditer(line):
        pos = match.start()
        if pos and _depth(line[:pos]) > 0:
            continue  # inside an earlier (cut-off) JSON value, not the start of one
        rest = line[pos:].rstrip()
        try:
            value: Any = loads(rest)
        except orjson.JSONDecodeError:
            try:
                value = raw_decode(rest.decode("utf-8", "strict"))
            except (ValueError, UnicodeDecodeError, RecursionError):
                continue
        if not _looks_like_payload(value):
            continue
        hint_match = _PREFIX_EVENT.search(line, 0, pos)
        hint = hint_match.group(1).decode("ascii") if hint_match else None
        return Value(lineno, value, hint)
    if error is not None and not _LOG_LINE.match(line):
        return Bad(lineno, _describe(error, line))
    if _LOG_LINE.match(line):
        return Skip(lineno)
    return Bad(lineno, "not JSON, and no JSON found in the line: " + _snippet(line))


def _looks_like_payload(value: Any) -> bool:
    if type(value) is dict:
        return bool(value)
    if type(value) is list:
        return not value or type(value[0]) in (dict, str, list)
    return False


def _describe(exc: Exception, text: bytes | bytearray) -> str:
    msg = getattr(exc, "msg", None) or str(exc)
    col = getattr(exc, "colno", None)
    if "utf-8" in msg.lower() or "utf8" in msg.lower():
        col = bad_utf8_column(text) or col  # orjson says column 1 for a bad byte anywhere
        return f"invalid UTF-8 at column {col}" if col else "invalid UTF-8"
    where = f" at column {col}" if col else ""
    return f"invalid JSON: {msg}{where}"


def _snippet(text: bytes, limit: int = 40) -> str:
    shown = text[:limit].decode("utf-8", "replace")
    return repr(shown + ("…" if len(text) > limit else ""))  # repr escapes control characters
