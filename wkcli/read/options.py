"""What a read is asked to do: ``ReadOptions``, given to the Reader whole when it is made.

Frozen, so that every part of a read (the general loop, the fast paths and their workers) sees
the same options from start to end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReadOptions:
    """How to read: the input format, what to stop at, and whom to tell how far reading is."""

    input_format: str = "auto"  # one of values.INPUT_FORMATS
    strict: bool = False  # stop at the first error (StrictStop)
    presence: bool = True  # False: count presence entries but yield only messages
    follow: bool = False  # keep reading as files grow (tail -F)
    jobs: int | None = None  # processes for a large regular file (None: one per core)
    # Called before each read that may block (pipes, terminals, a followed file at its end).
    on_wait: Callable[[], None] | None = None
    # Told (name, bytes read, size) now and then while a large regular file is read.
    progress: Callable[[str, int, int], None] | None = None
