"""An append-only JSONL file that commits the records of concurrent requests together (group commit).

Every ``append`` returns only once its line is written (and, with ``fsync``, on disk). Lines are
written by one thread, whole batches at a time, so concurrent requests never interleave or tear
lines. Rotation (by size, or reopening on request after an external rename) happens between
batches, so no record is split or lost across files.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor


class Journal:
    """Append lines to ``path`` (``None``: standard output) from an asyncio program."""

    def __init__(self, path: str | None, fsync: bool = True, rotate_bytes: int | None = None) -> None:
        self.path = path
        self.fsync = fsync and path is not None
        self.rotate_bytes = rotate_bytes if path is not None else None
        self.rotated: list[str] = []  # files closed by --rotate, oldest first
        self._fd = -1
        self._size = 0
        self._regular = False
        self._reopen = False
        self._pending: list[tuple[bytes, asyncio.Future[None]]] = []
        self._wakeup: asyncio.Event | None = None
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wkcli-journal")

    def open(self) -> None:
        """Open the file now, so a bad path fails before the server starts listening."""
        if self.path is None:
            self._fd = os.dup(1)
            self._regular = False
        else:
            self._open_path()

    def _open_path(self) -> None:
        assert self.path is not None
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        info = os.fstat(fd)
        self._fd = fd
        self._size = info.st_size
        self._regular = stat.S_ISREG(info.st_mode)
        if self._regular and self._size:
            self._end_partial_line()

    def _end_partial_line(self) -> None:
        """A file left with a cut-off last line (a crash) gets a newline so new records stay whole."""
        try:
            with open(self.path, "rb") as existing:  # type: ignore[arg-type]
                existing.seek(-1, os.SEEK_END)
                last = existing.read(1)
        except OSError:
            return
        if last != b"\n":
            self._write_all(b"\n")

    def start(self) -> None:
        """Start committing; call from the running event loop."""
        self._wakeup = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._commit_loop())

    def reopen(self) -> None:
        """Reopen the file by its path before the next batch (after an external rotation, SIGHUP)."""
        self._reopen = True

    async def append(self, line: bytes) -> None:
        """Queue one line (ending in a newline) and wait until it is committed."""
        if self._closing or self._wakeup is None:
            raise OSError("the capture file is closed")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((line, future))
        self._wakeup.set()
        await future

    async def close(self) -> None:
        """Commit everything queued, then close the file."""
        self._closing = True
        if self._wakeup is not None:
            self._wakeup.set()
        if self._task is not None:
            await self._task
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close_fd)
        self._executor.shutdown(wait=True)

    async def _commit_loop(self) -> None:
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._pending = self._pending, []
            if batch:
                data = b"".join(line for line, _ in batch)
                try:
                    await loop.run_in_executor(self._executor, self._commit, data)
                except OSError as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                else:
                    for _, future in batch:
                        if not future.done():
                            future.set_result(None)
            if self._closing and not self._pending:
                return

    # The methods below run on the journal's own thread, one batch at a time.

    def _commit(self, data: bytes) -> None:
        if self._reopen:
            self._reopen = False
            self._close_fd()
            self._open_path()
        start = self._size
        try:
            self._write_all(data)
            if self.fsync:
                os.fdatasync(self._fd)
        except OSError:
            if self._regular:
                # Never leave half a batch behind: cut the file back to where the batch began.
                try:
                    os.ftruncate(self._fd, start)
                    self._size = start
                except OSError:
                    pass
            raise
        if self.rotate_bytes is not None and self._size >= self.rotate_bytes:
            self._rotate()

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
            self._size += written

    def _rotate(self) -> None:
        """Rename the full file away and start a new one, after a batch is safely written.

        Failing here must not fail the batch (its records are on disk and answered 200): the
        current file stays in use and rotation is tried again after the next batch.
        """
        assert self.path is not None
        target = rotated_name(self.path)
        try:
            os.rename(self.path, target)
        except OSError:
            return
        old_fd, old_size = self._fd, self._size
        try:
            self._open_path()
        except OSError:
            self._fd, self._size = old_fd, old_size
            try:
                os.rename(target, self.path)
            except OSError:
                pass
            return
        self.rotated.append(target)
        _close(old_fd, self.fsync)
        if self.fsync:
            _sync_directory(self.path)

    def _close_fd(self) -> None:
        if self._fd >= 0:
            _close(self._fd, self.fsync)
            self._fd = -1


def _close(fd: int, fsync: bool) -> None:
    try:
        if fsync:
            os.fdatasync(fd)
    except OSError:
        pass
    os.close(fd)


def rotated_name(path: str, now: float | None = None) -> str:
    """``dump.jsonl`` -> ``dump.20261128T153705Z.jsonl`` (a counter is added if that exists)."""
    head, tail = os.path.split(path)
    stem, dot, suffix = tail.partition(".")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    ending = (dot + suffix) if dot else ""
    candidate = os.path.join(head, f"{stem}.{stamp}{ending}")
    counter = 1
    while os.path.exists(candidate):
        candidate = os.path.join(head, f"{stem}.{stamp}-{counter}{ending}")
        counter += 1
    return candidate


def _sync_directory(path: str) -> None:
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
