"""A progress line on stderr while a large file is read: terminals only, never in pipes."""

from __future__ import annotations

import time
from typing import TextIO

from wkcli.text import sanitize

_ERASE = "\x1b[K"  # erase to the end of the line


class ProgressLine:
    """``update(name, done, total)`` redraws one line at most every ``interval`` seconds.

    Nothing shows for the first ``interval`` (a quick run stays quiet); ``clear()`` removes the
    line, and must be called before anything else is written to the same terminal.
    """

    def __init__(self, stream: TextIO, interval: float = 0.25, width: int = 24) -> None:
        self.stream = stream
        self.interval = interval
        self.width = width
        self._next = time.monotonic() + interval
        self._shown = False

    def update(self, name: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now < self._next or total <= 0:
            return
        self._next = now + self.interval
        share = min(1.0, max(0.0, done / total))
        filled = int(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        shown = name if len(name) <= 40 else "…" + name[-39:]
        self._write(
            f"\rwkcli: {sanitize(shown)} [{bar}] {share:4.0%} {done / 1e6:,.0f}/{total / 1e6:,.0f} MB{_ERASE}"
        )
        self._shown = True

    def say(self, text: str) -> None:
        """Show ``text`` in the line's place (what happens after the reading: "writing o.parquet")."""
        self._write(f"\rwkcli: {sanitize(text)}{_ERASE}")
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._shown = False
            self._write("\r" + _ERASE)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass
