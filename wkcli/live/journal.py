"""An append-only JSONL file that commits the records of concurrent requests together (group commit).

Every ``append`` returns only once its line is written (and, with ``fsync``, on disk). Lines are
written by one thread, whole batches at a time, so concurrent requests never interleave or tear
lines. Rotation (by size, or reopening on request after an external rename) happens between
batches, so no record is split or lost across files.
"""

from __future__ import annotations

import asyncio
import calendar
import os
import stat
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


class Journal:
    """Append lines to ``path`` (``None``: standard output) from an asyncio program."""

    def __init__(
        self,
        path: str | None,
        fsync: bool = True,
        rotate_bytes: int | None = None,
        report: Callable[[str, str], None] | None = None,
    ) -> None:
        self.path = path
        self.report = report  # (kind, text): called on the event loop's thread
        self.fsync = fsync and path is not None
        self.rotate_bytes = rotate_bytes if path is not None else None
        self.rotated: list[str] = []  # files closed by --rotate, oldest first
        self._fd = -1
        self._size = 0
        self._regular = False
        self._reopen = False
        self._reopen_failed: str | None = None  # set by the journal's thread, said by the loop's
        self._reopen_said = False
        self._last_rotated = 0  # microseconds: rotated names never go back in time
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
        if self.path is not None:
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
                self._say_reopen()
            if self._closing and not self._pending:
                return

    def _say_reopen(self) -> None:
        """Say once that a reopen failed (the old file stays in use), and once that it worked."""
        failed = self._reopen_failed
        if self.report is None or (failed is not None) == self._reopen_said:
            return
        self._reopen_said = failed is not None
        if failed is not None:
            self.report(
                "reopen-failed",
                f"{self.path}: cannot reopen ({failed}): still writing to the file "
                "open before; trying again with every batch",
            )
        else:
            self.report("reopened", f"{self.path}: reopened")

    # The methods below run on the journal's own thread, one batch at a time.

    def _commit(self, data: bytes) -> None:
        if self._reopen:
            self._try_reopen()
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

    def _try_reopen(self) -> None:
        """Open the path anew before closing the old file: a failed open keeps the old one."""
        old_fd, old_size, old_regular = self._fd, self._size, self._regular
        try:
            self._open_path()
        except OSError as exc:
            self._fd, self._size, self._regular = old_fd, old_size, old_regular
            self._reopen_failed = exc.strerror or str(exc)
            return  # _reopen stays set: the next batch tries again
        self._reopen = False
        self._reopen_failed = None
        if old_fd >= 0 and old_fd != self._fd:
            _close(old_fd, self.fsync)

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
        target = rotated_name(self.path, after=self._last_rotated)
        self._last_rotated = _stamp_micros(target)
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


def rotated_name(path: str, now: float | None = None, after: int = 0) -> str:
    """``dump.jsonl`` -> ``dump.20261128T153705.123456Z.jsonl``, later than ``after`` (microseconds).

    Fixed-width stamps sort in write order in a glob or ``ls``; a name already taken moves the
    stamp on by a microsecond rather than adding a counter (``-10`` would sort before ``-2``).
    """
    head, tail = os.path.split(path)
    stem, dot, suffix = tail.partition(".")
    ending = (dot + suffix) if dot else ""
    micros = max(int((time.time() if now is None else now) * 1_000_000), after + 1)
    while True:
        seconds, fraction = divmod(micros, 1_000_000)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(seconds)) + f".{fraction:06d}Z"
        candidate = os.path.join(head, f"{stem}.{stamp}{ending}")
        if not os.path.exists(candidate):
            return candidate
        micros += 1


def _stamp_micros(name: str) -> int:
    stamp = os.path.basename(name).split(".")[1:3]  # ["20261128T153705", "123456Z"]
    try:
        whole = calendar.timegm(time.strptime(stamp[0], "%Y%m%dT%H%M%S"))
        return whole * 1_000_000 + int(stamp[1].rstrip("Z"))
    except (IndexError, ValueError):
        return 0


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
