"""Cut lines into JSON values, each with its line number: ``read_values`` and what it yields.

Handles JSONL, one or more pretty-printed JSON values (what ``jq .`` prints), a single large
pretty-printed array (streamed element by element), and log lines with a text prefix before the
JSON. Nothing here knows about webhooks; ``unwrap`` gives the values their meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from wkcli.read.jsontext import NOT_JSON, loads_fallback, raw_decode
from wkcli.read.source import IDLE, RESTART

INPUT_FORMATS = ("auto", "jsonl", "json", "log")

# Tokens that change nesting depth; strings are matched whole so brackets inside them don't count.
# JSON strings never span lines (newlines inside them are escaped), so a line is tokenised alone.
_DEPTH_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
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
    lines: Iterator[bytes], input_format: str = "auto"
) -> Iterator[Value | Bad | Skip]:
    """Cut lines into JSON values. Line numbers are 1-based and count every line read."""
    multiline = input_format in ("auto", "json")
    relaxed = input_format == "json"  # any line that leaves brackets open starts a value
    prefixed = input_format in ("auto", "log")
    lineno = 0
    pending: list[bytes] = []  # lines of a multi-line value being gathered
    pending_line = 0
    depth = 0
    in_array = False  # streaming the elements of a top-level pretty-printed array
    array_line = 0
    loads = orjson.loads

    for line in lines:
        if line is IDLE:
            yield IDLE  # type: ignore[misc]  # nothing new in a followed file: passed on to its poller
            continue
        if line is RESTART:
            # A followed file was rotated or truncated: what comes next is a new file's line 1.
            if pending:
                yield Bad(pending_line, "incomplete JSON value when the file was replaced")
            elif in_array:
                yield Bad(array_line, "JSON array opened here is never closed (the file was replaced)")
            lineno = depth = 0
            pending = []
            in_array = False
            continue
        lineno += 1
        if pending:
            # A line starting at column 0 with { or [ begins a new value: the pending one was cut off.
            if line[:1] in (b"{", b"["):
                yield Bad(pending_line, "incomplete JSON value (the record seems cut off)")
                pending = []
                depth = 0
            else:
                pending.append(line)
                depth += _depth(line)
                if depth > 0:
                    continue
                text = b"\n".join(pending)
                start = pending_line
                pending = []
                depth = 0
                if in_array:
                    yield from _array_element(text, start)
                else:
                    yield _parse(text, start)
                continue

        stripped = line.strip()
        if not stripped:
            continue

        if in_array:
            if stripped in (b"]", b"],"):
                in_array = False
                continue
            d = _depth(stripped)
            if d > 0 and (stripped in (b"{", b"[") or relaxed):
                pending = [stripped]
                pending_line = lineno
                depth = d
                continue
            yield from _array_element(stripped, lineno)
            continue

        first = stripped[:1]
        if first == b"{" or first == b"[":
            try:
                yield Value(lineno, loads(stripped))
                continue
            except orjson.JSONDecodeError as exc:
                error = exc
            if multiline:
                if stripped == b"[":
                    in_array = True
                    array_line = lineno
                    continue
                d = _depth(stripped)
                # Pretty printers put the opening bracket alone on its line; anything else that
                # leaves brackets open is a cut-off single-line record, not the start of a value.
                if d > 0 and (stripped == b"{" or relaxed):
                    pending = [stripped]
                    pending_line = lineno
                    depth = d
                    continue
            value = loads_fallback(stripped)
            if value is not NOT_JSON:
                yield Value(lineno, value)
            elif prefixed and first == b"[" and stripped[1:2] not in _JSON_AFTER_BRACKET:
                # "[INFO] 2026-... body={...}": a bracketed log prefix, not cut-off JSON.
                yield _from_log_line(stripped, lineno, error)
            else:
                yield Bad(lineno, _describe(error))
            continue

        try:
            yield Value(lineno, loads(stripped))  # a string or number: unwrap says what is wrong
            continue
        except orjson.JSONDecodeError as exc:
            if first == b'"' or not prefixed:
                value = loads_fallback(stripped)
                yield Value(lineno, value) if value is not NOT_JSON else Bad(lineno, _describe(exc))
                continue

        yield _from_log_line(stripped, lineno, None)

    if pending:
        yield Bad(pending_line, "incomplete JSON value at end of input (the file seems cut off)")
    elif in_array:
        yield Bad(array_line, "JSON array opened here is never closed (the file seems cut off)")


def _array_element(text: bytes, lineno: int) -> Iterator[Value | Bad]:
    text = text.rstrip()
    if text.endswith(b","):
        text = text[:-1]
    item = _parse(text, lineno)
    if isinstance(item, Value):
        item.element = True
    yield item


def _parse(text: bytes, lineno: int) -> Value | Bad:
    try:
        return Value(lineno, orjson.loads(text))
    except orjson.JSONDecodeError as exc:
        value = loads_fallback(text)
        if value is not NOT_JSON:
            return Value(lineno, value)
        return Bad(lineno, _describe(exc))


def _from_log_line(line: bytes, lineno: int, error: Exception | None) -> Value | Bad | Skip:
    """Find the JSON in a log line such as ``2026-07-30 10:00:00 INFO webhook body={...}``."""
    for match in _JSON_START.finditer(line):
        pos = match.start()
        if pos and _depth(line[:pos]) > 0:
            continue  # inside an earlier (cut-off) JSON value, not the start of one
        rest = line[pos:].rstrip()
        try:
            value: Any = orjson.loads(rest)
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
        return Bad(lineno, _describe(error))
    if _LOG_LINE.match(line):
        return Skip(lineno)
    return Bad(lineno, "not JSON, and no JSON found in the line: " + _snippet(line))


def _looks_like_payload(value: Any) -> bool:
    if type(value) is dict:
        return bool(value)
    if type(value) is list:
        return not value or type(value[0]) in (dict, str, list)
    return False


def _depth(line: bytes) -> int:
    depth = 0
    for match in _DEPTH_TOKENS.finditer(line):
        token = match.group()
        if token in (b"{", b"["):
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
    return depth


def _describe(exc: Exception) -> str:
    msg = getattr(exc, "msg", None) or str(exc)
    col = getattr(exc, "colno", None)
    where = f" at column {col}" if col else ""
    if "utf-8" in msg.lower() or "utf8" in msg.lower():
        return f"invalid UTF-8{where}"
    return f"invalid JSON: {msg}{where}"


def _snippet(text: bytes, limit: int = 40) -> str:
    shown = text[:limit].decode("utf-8", "replace")
    return repr(shown + ("…" if len(text) > limit else ""))  # repr escapes control characters
