"""What a read is asked to do: ``ReadOptions`` (with the fast path's ``Tuning``), given to the Reader whole.

Frozen, so that every part of a read (the general loop, the fast paths and their workers) sees
the same options from start to end. The thresholds are fields rather than module constants so
that a test (or a benchmark) passes its own values instead of patching globals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wkcli.read.lines import MAX_LINE


@dataclass(frozen=True)
class Tuning:
    """When a shortcut pays, and how much is read at a time (sizes in bytes)."""

    block: int = 1 << 17  # read at a time from regular files (small enough to stay in cache)
    parallel_min_bytes: int = 64 << 20  # smaller files are read by one process: forking costs more
    parallel_output_max_bytes: int = 2 << 30  # larger: JSONL output by one process unless --jobs
    fast_min_bytes: int = 256 << 10  # smaller regular files take the general path: no msgspec to import
    progress_min_bytes: int = 32 << 20  # files this large report progress (when asked for)
    left_lines: int = 100_000  # lines a worker leaves to the main process before it stops
    left_bytes: int = 16 << 20  # and their bytes, which it holds until it is done
    give_up_lines: int = 200  # general lines (and 4 times the fast ones) before the general path reads all


@dataclass(frozen=True)
class ReadOptions:
    """How to read: the input format, what to stop at, and whom to tell how far reading is."""

    input_format: str = "auto"  # one of values.INPUT_FORMATS
    strict: bool = False  # stop at the first error (StrictStop)
    presence: bool = True  # False: count presence entries but yield only messages
    follow: bool = False  # keep reading as files grow (tail -F)
    merge: bool = False  # interleave several files by time
    jobs: int | None = None  # processes for a large regular file (None: one per core)
    # Longest line read (and the most bytes a multi-line value holds): longer is reported, skipped.
    max_line: int = MAX_LINE
    # Called before each read that may block (pipes, terminals, a followed file at its end).
    on_wait: Callable[[], None] | None = None
    # Told (name, bytes read, size) now and then while a large regular file is read.
    progress: Callable[[str, int, int], None] | None = None
    tuning: Tuning = field(default_factory=Tuning)
    # Reads files the fast path takes as ranges elsewhere (``wkcli.cluster.run.ClusterRunner``:
    # ``read(paths, path, source, scan, ledger, criteria)``); None: here.
    ranges: Any = None
