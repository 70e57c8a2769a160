"""Open dumps (files, stdin, gzip, zstd, bzip2, xz): ``open_input`` and the ``Input`` it gives.

``lines`` cuts an input's bytes into lines (its names used with inputs are re-exported here),
and ``values.read_values`` turns the lines into JSON values.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from typing import IO

from wkcli.errors import UnreadableInput
from wkcli.read.compressed import MAGIC_BYTES, MissingDecompressor, decompressor, detect, read_ahead
from wkcli.read.lines import (  # noqa: F401 - re-exported: how an input is cut into lines
    BINARY_PEEK,
    BOM,
    CHUNK,
    RESTART,
    NotText,
    TruncatedInput,
    iter_blocks,
    iter_lines,
)

STDIN_NAME = "<stdin>"


class Input:
    """An opened dump: its display name and a binary stream of its (decompressed) bytes."""

    def __init__(self, name: str, raw: IO[bytes], interactive: bool) -> None:
        self.name = name
        self.raw = raw
        self.interactive = interactive  # a pipe or terminal: reads may block
        self.stream: IO[bytes] = raw
        self.compressed = False
        self.compression: str | None = None  # "gzip", "zstd", "bzip2" or "xz"
        self.binary = False  # starts with bytes no JSON text holds
        self.size: int | None = None  # bytes on disk (compressed for gzip), for regular files

    def __enter__(self) -> Input:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.stream is not self.raw:
            self.stream.close()  # stops the inflating thread before the file goes
        if self.raw is not sys.stdin.buffer:
            self.raw.close()


def is_remote(path: str) -> bool:
    """True for a URL read through fsspec (``s3://bucket/key``, ``https://...``)."""
    return "://" in path and not path.startswith("file://")


def open_input(path: str) -> Input:
    """Open ``path`` (``-`` for stdin, a URL through fsspec), recognising compression by its
    magic bytes whatever the name."""
    if is_remote(path):
        from wkcli.read.remote import open_remote  # fsspec, only when a remote path is named

        return open_remote(path)
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
    fmt = detect(_peek(raw, MAGIC_BYTES))
    if fmt is not None:
        try:
            stream = decompressor(fmt, raw)
        except MissingDecompressor as exc:
            source.close()
            raise UnreadableInput(f"{name}: {exc}") from None
        source.stream = read_ahead(stream, fmt)  # type: ignore[assignment]
        source.compressed = True
        source.compression = fmt
    else:
        # JSON text never holds a NUL byte; a binary file (or UTF-16 text) does, early on.
        # (Inside compressed data the line splitter checks the first decompressed bytes: peeking
        # here would swallow a corrupt stream's error.)
        source.binary = b"\0" in _peek(raw, BINARY_PEEK)
    return source


def _peek(raw: IO[bytes], size: int) -> bytes:
    peek = getattr(raw, "peek", None)
    if peek is None:
        return b""
    try:
        return peek(size)[:size]
    except OSError:
        return b""


def progress_reporter(
    source: Input, progress: Callable[[str, int, int], None] | None, min_bytes: int
) -> Callable[[], None] | None:
    """What tells ``progress`` how far one process has read a regular file of ``min_bytes`` or more."""
    total = source.size
    if progress is None or total is None or total < min_bytes:
        return None
    name = source.name
    tell = source.raw.tell  # compressed bytes when compressed: a fair measure of the way through
    return lambda: progress(name, tell(), total)
