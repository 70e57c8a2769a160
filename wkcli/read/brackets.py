"""Brackets in a line of JSON: how deep a line leaves a value (``depth``), and which are open (``nest``).

JSON strings never span lines (newlines inside them are escaped), so a line is tokenised alone;
brackets inside strings do not count.
"""

from __future__ import annotations

import re

# Tokens that change nesting depth; strings are matched whole so brackets inside them don't count.
_DEPTH_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
# Every byte but brackets: ``line.translate(None, NOT_BRACKETS)`` leaves a line's brackets.
NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# The brackets of a line outside its strings (``findall`` gives b"" for each string).
_BRACKETS_OUTSIDE_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"|([\[\]{}])').findall


def nest(line: bytes, stack: list[bytes], brackets: bytes | None = None) -> int:
    """``depth``, also keeping ``stack`` (the open brackets) up to date. ``brackets`` is the
    line's brackets in order, strings included (``line.translate(None, NOT_BRACKETS)``)."""
    if brackets is None:
        brackets = line.translate(None, NOT_BRACKETS)
    if b'"' in line:
        brackets = b"".join(_BRACKETS_OUTSIDE_STRINGS(line))  # those in strings do not count
    depth = 0
    for token in brackets:
        if token == 123 or token == 91:  # { [
            depth += 1
            stack.append(b"{" if token == 123 else b"[")
        else:
            depth -= 1
            if stack:
                stack.pop()
    return depth


def depth(line: bytes) -> int:
    """How many more brackets ``line`` opens than it closes."""
    depth = 0
    for match in _DEPTH_TOKENS.finditer(line):
        token = match.group()
        if token in (b"{", b"["):
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
    return depth
