"""Compressed dumps (gzip, zstd, bzip2, xz): known by magic bytes, inflated ahead of the reader.

A local file or stdin is inflated in a forked process (``Inflater``) that writes into a pipe:
it keeps a second core busy while the main process parses, and a full pipe holds it back, so
memory stays bounded. (A thread would serialise on the GIL: the main process's parsing hardly
ever lets go of it.) Remote streams, which live on an event loop a fork would not carry, and
systems without fork use a thread (``ReadAhead``). gzip files are inflated by ISA-L (``isal``)
or zlib-ng (``zlib-ng``) when installed (two to three times faster than zlib), else, and from
pipes, by the standard library (``gunzip``). A truncated or corrupt stream becomes
``TruncatedInput`` after the bytes read before the damage, whatever the format.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
from collections.abc import Iterator
from typing import IO, Any

from wkcli.read.gunzip import Gunzip
from wkcli.read.lines import TruncatedInput

# (name, magic bytes): the formats recognised at the start of a file, whatever its name.
MAGIC = (
    ("gzip", b"\x1f\x8b"),
    ("zstd", b"\x28\xb5\x2f\xfd"),
    ("bzip2", b"BZh"),
    ("xz", b"\xfd7zXZ\x00"),
)
MAGIC_BYTES = max(len(magic) for _, magic in MAGIC)
CHUNK = 1 << 17  # decompressed bytes the inflating thread hands over at a time
# Read from the decompressor this much at a time: bzip2 and xz drop what a read had inflated
# when the stream turns out corrupt, so small reads keep nearly all of it (gzip loses nothing).
PIECE = 1 << 13
AHEAD = 8  # chunks the inflating thread may hold before the reader takes them (about 1 MiB)
# zstd input is fed this much at a time: a block holds at most 128 KiB, so one feed inflates to
# at most 128 MiB even when every block is a run of one byte (a zstd bomb stays bounded).
ZSTD_FEED = 1 << 10


class MissingDecompressor(Exception):
    """The input is compressed in a format whose decompressor is not installed."""


def detect(head: bytes) -> str | None:
    """The compression format that ``head`` (the first bytes of a file) starts, or None."""
    for name, magic in MAGIC:
        if head.startswith(magic):
            if name == "bzip2" and (len(head) < 4 or head[3:4] not in b"123456789"):
                continue  # "BZh" followed by a block size digit; text could start with "BZh"
            return name
    return None


def gzip_module() -> Any:
    """The fastest gzip reader installed: ISA-L, zlib-ng, or the standard library's."""
    try:
        from isal import igzip

        return igzip
    except ImportError:
        pass
    try:
        from zlib_ng import gzip_ng

        return gzip_ng
    except ImportError:
        import gzip

        return gzip


def decompressor(fmt: str, raw: IO[bytes]) -> Any:
    """A stream of the decompressed bytes of ``raw`` (``read(size)``, bounded)."""
    if fmt == "gzip":
        return Gunzip(raw, gzip_module())
    if fmt == "bzip2":
        import bz2

        return bz2.BZ2File(raw, "rb")
    if fmt == "xz":
        import lzma

        return lzma.LZMAFile(raw, "rb")
    return _Zstd(raw)


class _Zstd:
    """zstd frames one after another, with truncation detected (the ``zstandard`` package's
    stream reader ends silently on a cut-off frame)."""

    def __init__(self, raw: IO[bytes]) -> None:
        try:
            import zstandard
        except ImportError:
            raise MissingDecompressor(
                "zstd input needs the zstandard package: pip install zstandard"
            ) from None
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._raw = raw
        self._obj = self._new()
        self._started = False  # the current frame has had input
        self._held = b""  # input not yet fed
        self._cut = False  # the input ended inside a frame: raised once what came before is read

    def read(self, size: int) -> bytes:
        if self._cut:
            raise EOFError("zstd frame cut short")
        out: list[bytes] = []
        got = 0
        while got < size:
            data = self._held or self._raw.read(ZSTD_FEED * 64)
            if not data:
                if self._started:
                    self._cut = True
                    if not out:
                        raise EOFError("zstd frame cut short")
                break
            feed, self._held = data[:ZSTD_FEED], data[ZSTD_FEED:]
            self._started = True
            piece = self._obj.decompress(feed)
            if self._obj.eof:
                rest = self._obj.unused_data
                self._held = rest + self._held
                self._obj = self._new()
                self._started = False
            if piece:
                out.append(piece)
                got += len(piece)
        return b"".join(out)

    def close(self) -> None:
        pass


def inflate_chunks(stream: Any, fmt: str) -> Iterator[bytes | TruncatedInput]:
    """The decompressed bytes of ``stream`` in chunks of about ``CHUNK``, then, if it broke,
    a ``TruncatedInput`` saying why (after what was read before the damage)."""
    # read1 gives what was inflated before a cut or a corrupt block; read would drop it.
    read = getattr(stream, "read1", stream.read)
    size = CHUNK if isinstance(stream, Gunzip) else PIECE
    while True:
        pieces: list[bytes] = []
        got = 0
        failed: TruncatedInput | None = None
        try:
            while got < CHUNK:
                piece = read(size)
                if not piece:
                    break
                pieces.append(piece)
                got += len(piece)
        except EOFError:
            failed = TruncatedInput(f"{fmt} data ends early (truncated file?)")
        except MemoryError:
            failed = TruncatedInput(f"{fmt} data too large to decompress")
        except Exception as exc:  # noqa: BLE001 - each library names its corrupt data differently
            failed = TruncatedInput(f"corrupt {fmt} data ({exc})")
        if got:
            yield b"".join(pieces)
        if failed is not None:
            yield failed
            return
        if got < CHUNK:
            return


class Inflater:
    """Inflates a stream in a forked process, which writes the bytes into a pipe.

    ``read(size)`` returns at most ``size`` bytes, ``b""`` at the end, and raises
    ``TruncatedInput`` where the stream broke (the process says why through a second pipe when
    it is done). ``close`` ends the process whatever it is doing.
    """

    def __init__(self, stream: Any, fmt: str) -> None:
        data_r, data_w = os.pipe()
        status_r, status_w = os.pipe()
        try:
            import fcntl

            fcntl.fcntl(data_w, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)  # fewer, larger reads
        except (ImportError, OSError):
            pass
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            for fd in (data_r, data_w, status_r, status_w):
                os.close(fd)
            raise
        if pid == 0:  # pragma: no cover - the inflating process (its work is tested through the reader)
            code = 0
            try:
                os.close(data_r)
                os.close(status_r)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the reader decides, and ends it
                signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # the reader went: so does this
                _die_with(parent)  # also while it waits on a quiet pipe
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)  # a pipe after wkcli (| head) must not wait for this process
                reason = b""
                for chunk in inflate_chunks(stream, fmt):
                    if type(chunk) is not bytes:
                        reason = str(chunk).encode()
                        break
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(data_w, view) :]
                os.close(data_w)
                os.write(status_w, reason)
            except BaseException:  # noqa: BLE001 - it never reports: the reader sees the data end
                code = 1
            finally:
                os._exit(code)
        os.close(data_w)
        os.close(status_w)
        self._pid: int | None = pid
        self._data = data_r
        self._status = status_r
        self._done = False

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        data = os.read(self._data, size if size > 0 else CHUNK)
        if data:
            return data
        self._done = True
        reason = b""
        while True:
            part = os.read(self._status, 4096)
            if not part:
                break
            reason += part
        code = self._reap()
        if reason:
            raise TruncatedInput(reason.decode("utf-8", "replace"))
        if code != 0:
            raise TruncatedInput("the process inflating the input failed")
        return b""

    read1 = read

    def _reap(self) -> int:
        pid, self._pid = self._pid, None
        if pid is None:
            return 0
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return 0
        return status

    def close(self) -> None:
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except OSError:
                pass
            self._reap()
        for fd in (self._data, self._status):
            try:
                os.close(fd)
            except OSError:
                pass
        self._data = self._status = -1


def _die_with(parent: int) -> None:
    """Have the kernel end this process when ``parent`` ends (Linux); elsewhere it ends at its
    next write into the pipe."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - no prctl here (not Linux): the pipe ends it instead
        return
    if os.getppid() != parent:  # it went before the request was made
        os._exit(1)


def read_ahead(stream: Any, fmt: str) -> Inflater | ReadAhead:
    """The fastest way here to read ``stream`` (local) ahead of the caller: a process, else (no
    fork on this system, or no process to be had) a thread."""
    if hasattr(os, "fork"):
        try:
            return Inflater(stream, fmt)
        except OSError:  # out of processes or descriptors: slower, but it reads
            pass
    return ReadAhead(stream, fmt)


class ReadAhead:
    """Reads a decompressing stream in a thread, a few chunks ahead of the caller (remote
    streams, and systems without fork).

    ``read(size)`` returns at most ``size`` bytes (the line splitter's cap), ``b""`` at the end,
    and raises ``TruncatedInput`` at the point where the stream broke.
    """

    def __init__(self, stream: Any, fmt: str) -> None:
        self._stream = stream
        self._fmt = fmt
        self._queue: queue.Queue[bytes | TruncatedInput] = queue.Queue(AHEAD)
        self._stop = threading.Event()
        self._rest = b""  # what the caller's last read left of a chunk
        self._done = False
        self._thread = threading.Thread(target=self._run, name=f"wkcli-{fmt}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for chunk in inflate_chunks(self._stream, self._fmt):
            if not self._put(chunk):
                return
        self._put(b"")  # the end (after an error, the reader stops before it)

    def _put(self, item: bytes | TruncatedInput) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read(self, size: int = -1) -> bytes:
        if self._rest:
            data = self._rest
        elif self._done:
            return b""
        else:
            item = self._queue.get()
            if type(item) is not bytes:
                self._done = True
                raise item  # type: ignore[misc]
            if not item:
                self._done = True
                return b""
            data = item
        if 0 <= size < len(data):
            self._rest = data[size:]
            return data[:size]
        self._rest = b""
        return data

    read1 = read

    def close(self) -> None:
        self._stop.set()
        # A thread waiting on a quiet pipe (compressed stdin) cannot be woken: it is a daemon,
        # and goes with the process; its stream is left to it.
        self._thread.join(timeout=1.0)
        if self._thread.is_alive():
            return
        try:
            self._stream.close()
        except Exception:  # noqa: BLE001, S110 - closing a broken stream says nothing new
            pass
