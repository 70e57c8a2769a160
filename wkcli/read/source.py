"""Open dumps (files, stdin, gzip) and cut their bytes into JSON values, each with its line number.

Handles JSONL, one or more pretty-printed JSON values (what ``jq .`` prints), a single large
pretty-printed array (streamed element by element), and log lines with a text prefix before the
JSON. Nothing here knows about webhooks; ``unwrap`` gives the values their meaning.
"""

from __future__ import annotations

import gzip
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any

import orjson

from wkcli.errors import UnreadableInput
from wkcli.read.jsontext import NOT_JSON, loads_fallback, raw_decode

STDIN_NAME = "<stdin>"
GZIP_MAGIC = b"\x1f\x8b"
BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 16

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


class Input:
    """An opened dump: its display name and a binary stream of its (decompressed) bytes."""

    def __init__(self, name: str, raw: IO[bytes], interactive: bool) -> None:
        self.name = name
        self.raw = raw
        self.interactive = interactive  # a pipe or terminal: reads may block
        self.stream: IO[bytes] = raw
        self.compressed = False
        self.binary = False  # starts with bytes no JSON text holds
        self.size: int | None = None  # bytes on disk (compressed for gzip), for regular files

    def __enter__(self) -> Input:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.raw is not sys.stdin.buffer:
            self.raw.close()


def open_input(path: str) -> Input:
    """Open ``path`` (``-`` for stdin), recognising gzip by its magic bytes whatever the name."""
    if path == "-":
        raw: IO[bytes] = sys.stdin.buffer
        name = STDIN_NAME
    else:
        name = path
        try:
            if os.path.isdir(path):
                raise UnreadableInput(f"{path}: is a directory")
            raw = open(path, "rb")  # noqa: SIM115 - closed by Input
        except OSError as exc:
            raise UnreadableInput(f"{path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(raw.fileno())
        interactive = not stat.S_ISREG(info.st_mode)
    except (OSError, ValueError, AttributeError):
        info = None
        interactive = True  # e.g. a test's in-memory stdin
    source = Input(name, raw, interactive)
    if info is not None and not interactive:
        source.size = info.st_size
    head = _peek(raw, 2)
    if head.startswith(GZIP_MAGIC):
        source.stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        source.compressed = True
    else:
        # JSON text never holds a NUL byte; a binary file (or UTF-16 text) does, early on.
        # (Not checked inside gzip: peeking there would swallow a corrupt stream's error.)
        source.binary = b"\0" in _peek(raw, 512)
    return source


def _peek(raw: IO[bytes], size: int) -> bytes:
    peek = getattr(raw, "peek", None)
    if peek is None:
        return b""
    try:
        return peek(size)[:size]
    except OSError:
        return b""


def iter_lines(
    source: Input,
    on_wait: Callable[[], None] | None = None,
    on_block: Callable[[], None] | None = None,
) -> Iterator[bytes]:
    """Yield the lines of ``source`` without their ``\\n`` (a ``\\r`` stays, for the reader to strip).

    ``on_wait`` is called before each read that may block (pipes and terminals), so output
    produced so far can be flushed while a slow producer is quiet; ``on_block`` after each
    block's lines (progress).
    """
    for block in iter_blocks(source, on_wait):
        lines = block.split(b"\n")
        if block.endswith(b"\n"):
            lines.pop()
        yield from lines
        if on_block is not None:
            on_block()


def iter_blocks(
    source: Input, on_wait: Callable[[], None] | None = None, size: int = CHUNK
) -> Iterator[bytes]:
    """Yield the bytes of ``source`` in blocks of whole lines: each ends with ``\\n``, except
    perhaps the last. A byte-order mark at the start is dropped.

    A truncated or corrupt gzip stream yields what was read before the damage (the last
    block cut where it broke), then raises ``TruncatedInput``.
    """
    stream = source.stream
    read = getattr(stream, "read1", stream.read)
    wait = on_wait if (on_wait is not None and source.interactive) else None
    carry = b""
    first = True
    try:
        while True:
            if wait is not None:
                wait()
            chunk = read(size)
            if not chunk:
                break
            if first:
                first = False
                if chunk.startswith(BOM):
                    chunk = chunk[len(BOM) :]
            if carry:
                chunk = carry + chunk
            cut = chunk.rfind(b"\n") + 1
            if cut == len(chunk):
                carry = b""
                yield chunk
            else:
                carry = chunk[cut:]
                if cut:
                    yield chunk[:cut]
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        if carry:
            yield carry
            carry = b""
        raise TruncatedInput(_gzip_reason(exc)) from None
    if carry:
        yield carry


class TruncatedInput(Exception):
    """The byte stream ended badly (a truncated or corrupt gzip file)."""


def _gzip_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "gzip data ends early (truncated file?)"
    return f"corrupt gzip data ({exc})"


class _Restart(bytes):
    """The type of ``RESTART``: a marker no real line can be (lines are plain bytes)."""


# Yielded among the lines of a followed file where it starts over (rotated or truncated).
RESTART = _Restart()


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
