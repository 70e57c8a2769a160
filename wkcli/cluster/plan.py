"""Cut inputs into cluster tasks: each file's byte ranges at line ends, as the local workers cut them."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass

from wkcli.read.compressed import MAGIC_BYTES, detect
from wkcli.read.fast.pieces import cut_points_at
from wkcli.read.remote import RemoteFile, is_remote

# A range per this many bytes: small enough that a range's JSONL output is cheap to hold on the
# client while it waits for its turn, large enough that the per-task overhead is noise.
RANGE_BYTES = 32 << 20


@dataclass(frozen=True)
class Task:
    """One task: bytes ``start..end`` of ``path`` (``size`` bytes when planned); ``compressed``
    files are one task, decompressed by the worker."""

    path: str
    start: int
    end: int
    size: int
    compressed: bool = False


def plan_file(path: str, range_bytes: int = RANGE_BYTES) -> list[Task]:
    """The tasks for one file; none when it cannot be planned (the client then reads it itself,
    and reports what is wrong with it in its turn)."""
    if is_remote(path):
        from wkcli.read.remote import filesystem

        fs, inner = filesystem(path)
        size = int(fs.size(inner))
        remote = RemoteFile(path)
        try:
            return _plan(path, size, remote.read_at, range_bytes)
        finally:
            remote.close()
    fd = os.open(path, os.O_RDONLY)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return []
        return _plan(path, info.st_size, lambda at, n: os.pread(fd, n, at), range_bytes)
    finally:
        os.close(fd)


def _plan(path: str, size: int, read_at: Callable[[int, int], bytes], range_bytes: int) -> list[Task]:
    if size == 0:
        return []
    if detect(read_at(0, MAGIC_BYTES)) is not None:
        return [Task(path, 0, size, size, compressed=True)]  # a compressed stream cannot be entered mid-way
    parts = max(1, -(-size // range_bytes))
    points = cut_points_at(read_at, size, parts)  # as the local workers cut it
    return [Task(path, start, end, size) for start, end in zip(points, points[1:], strict=False)]
