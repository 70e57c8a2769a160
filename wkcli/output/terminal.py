"""The streams a command writes to, whether they are terminals, and whether to use colour."""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO, cast

from wkcli.errors import OutputError
from wkcli.output.style import RESET, sgr
from wkcli.text import sanitize


class Painter:
    """The one way text views (show, check, capture's and replay's lines) put text on a stream.

    Every piece is escaped here, whatever it holds, and only then wrapped in wkcli's own colour
    codes: so no field of any view can reach the terminal raw, and the only escape sequences
    in the output are these.
    """

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, style: str = "") -> str:
        text = sanitize(text)
        if not self.color or not style or not text:
            return text
        return sgr(style) + text + RESET

    def line(self, *pieces: str | tuple[str, str]) -> str:
        """One line from plain pieces and (text, style) pieces, each escaped, ending in a newline."""
        return "".join(self(*piece) if isinstance(piece, tuple) else self(piece) for piece in pieces) + "\n"


@dataclass
class Terminal:
    """stdin/stdout/stderr and what they are; tests build one around their own streams."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    stdin_isatty: bool
    stdout_isatty: bool
    stderr_isatty: bool
    color: bool
    width: int | None = None

    @classmethod
    def from_sys(cls, color_mode: str = "auto") -> Terminal:
        stdout_isatty = _isatty(sys.stdout)
        return cls(
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=stdout_isatty,
            stderr_isatty=_isatty(sys.stderr),
            color=wants_color(color_mode, stdout_isatty),
        )

    @property
    def stdout_bytes(self) -> BinaryIO:
        buffer: BinaryIO | None = getattr(self.stdout, "buffer", None)
        return buffer if buffer is not None else cast(BinaryIO, self.stdout)


def wants_color(mode: str, isatty: bool, environ: dict[str, str] | None = None) -> bool:
    """``always`` and ``never`` win; ``auto`` means a terminal, unless NO_COLOR or TERM=dumb."""
    env = os.environ if environ is None else environ
    if mode == "always":
        return True
    if mode == "never":
        return False
    if env.get("NO_COLOR", "") != "":
        return False
    if env.get("TERM") == "dumb":
        return False
    return isatty


def _isatty(stream: object) -> bool:
    try:
        return bool(getattr(stream, "isatty")())  # noqa: B009 - any object: a stream, None, a test double
    except (AttributeError, ValueError, OSError, TypeError):
        return False


class _StdoutRaw(io.FileIO):
    """File descriptor 1, whose failed writes raise ``OutputError``.

    Every writer (text or bytes, rows or fast-path blocks, ``print``) ends in this one ``write``,
    so a full disk is reported the same way whatever command or format met it, and an OSError
    from writing is never taken for one from reading an input. Only the raw layer is Python:
    the buffer above it stays C, so small writes cost nothing more.
    """

    def write(self, data):
        try:
            return super().write(data)
        except BrokenPipeError:
            raise  # the reader went away (`| head`): a quiet stop, handled by the caller
        except OSError as exc:
            raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None


class _ClosedStdout(io.RawIOBase):
    """Standard output when the process has none: the first write fails as ``OutputError``;
    later ones (the interpreter's last flush) are dropped, the failure reported once."""

    failed = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if not self.failed:
            self.failed = True
            raise OutputError("cannot write to standard output: it is closed")
        return len(data)


def guard_stdout() -> None:
    """Put ``sys.stdout`` on a ``_StdoutRaw``, when it is the process's own standard output.

    Streams a test harness substitutes are left alone (they have no descriptor to fail).
    """
    stream = sys.stdout
    if stream is None and sys.__stdout__ is None:
        # Started with descriptor 1 closed (``>&-``): a write is an output error, as a full disk's.
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(_ClosedStdout()), encoding="utf-8")
        return
    if stream is not sys.__stdout__ or stream is None:
        return
    try:
        if stream.fileno() != 1:
            return
        stream.flush()
    except (OSError, ValueError, AttributeError):
        return
    buffered = io.BufferedWriter(_StdoutRaw(1, "w", closefd=False))
    sys.stdout = io.TextIOWrapper(
        buffered,
        encoding=stream.encoding,
        # What the encoding cannot write (a lone surrogate a JSON string spelled, or any
        # non-ASCII text under an ASCII locale) is written as an escape, never an error.
        errors="backslashreplace" if stream.errors == "strict" else stream.errors,
        line_buffering=stream.line_buffering,
    )


def input_is_output(paths: list[str], outputs: Sequence[str] = ()) -> str | None:
    """The first of ``paths`` ('-' is stdin) that is the very file standard output, or one of
    the files named in ``outputs`` (``--html``, ``--to``), writes to.

    Reading it would read our own output back, growing the file for ever (``wkcli classify f
    >> f``), or overwrite the dump with the result: the same test as GNU cat's "input file is
    output file", on device and inode.
    """
    written: set[tuple[int, int]] = set()
    targets: list[int | str] = [1, *outputs]
    for output in targets:
        try:
            info = os.fstat(output) if isinstance(output, int) else os.stat(output)
        except OSError:
            continue  # not there yet: it cannot be an input
        if stat.S_ISREG(info.st_mode):
            written.add((info.st_dev, info.st_ino))
    if not written:
        return None
    for path in paths:
        try:
            info = os.fstat(0) if path == "-" else os.stat(path)
        except OSError:
            continue  # the reader reports a path it cannot open, in its turn
        if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) in written:
            return path
    return None
