"""What a cluster worker runs: one task's range read by the fast path (``run_task``)."""

from __future__ import annotations

import os
import tempfile
from typing import IO

from wkcli.cluster.plan import Task
from wkcli.read.compressed import MAGIC_BYTES, decompressor, detect
from wkcli.read.fast.counts import Counts
from wkcli.read.fast.ranges import RangeResult, RangeSpec, read_range
from wkcli.read.lines import BINARY_PEEK

COPY = 8 << 20  # bytes copied at a time into a range's temporary file: the worker's memory stays flat


def run_task(spec: RangeSpec, task: Task, storage: dict[str, str]) -> RangeResult:
    """Read ``task`` with the fast path; its stop offset (if any) counts from the file's start.

    ``storage`` is the environment the client's filesystem settings came from (an S3 endpoint),
    so a worker started elsewhere reads the same store; it never holds credentials.
    """
    for key, value in storage.items():
        os.environ.setdefault(key, value)
    from wkcli.read.remote import is_remote

    if task.compressed:
        with _opened(task.path) as raw, tempfile.TemporaryFile() as plain:
            fmt = detect(raw.read(MAGIC_BYTES))
            raw.seek(0)
            _copy(decompressor(fmt or "gzip", raw), plain, None)
            plain.flush()
            size = plain.tell()
            if b"\0" in os.pread(plain.fileno(), BINARY_PEEK, 0):
                # Binary in the stream: the client's line splitter says so, as for a local file.
                return Counts().state(), 0, 0, [], b""
            return read_range(spec, plain.fileno(), 0, size)
    if is_remote(task.path):
        with _opened(task.path) as raw, tempfile.TemporaryFile() as part:
            raw.seek(task.start)
            _copy(raw, part, task.end - task.start)
            part.flush()
            return read_range(spec, part.fileno(), 0, part.tell(), base=task.start)
    fd = os.open(task.path, os.O_RDONLY)
    try:
        if os.fstat(fd).st_size != task.size:
            # Not the file the client planned: another filesystem, or a file that changed.
            raise OSError(f"{task.path}: this worker sees a different file ({os.fstat(fd).st_size:,} bytes)")
        return read_range(spec, fd, task.start, task.end)
    finally:
        os.close(fd)


def _opened(path: str) -> IO[bytes]:
    from wkcli.read.remote import BLOCK, filesystem, is_remote

    if not is_remote(path):
        return open(path, "rb")  # noqa: SIM115 - the caller's with closes it
    fs, inner = filesystem(path)
    return fs.open(inner, "rb", block_size=BLOCK)


def _copy(source: IO[bytes], target: IO[bytes], limit: int | None) -> None:
    left = limit
    while left is None or left > 0:
        data = source.read(COPY if left is None else min(COPY, left))
        if not data:
            break
        target.write(data)
        if left is not None:
            left -= len(data)
