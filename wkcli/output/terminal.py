"""The streams a command writes to, whether they are terminals, and whether to use colour."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import BinaryIO, TextIO

COLOR_MODES = ("auto", "always", "never")


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
        return getattr(self.stdout, "buffer", self.stdout)  # type: ignore[return-value]


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
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False
