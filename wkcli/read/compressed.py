"""Compressed dumps (gzip, zstd, bzip2, xz): known by magic bytes, inflated in a thread ahead of the reader.

Every decompressor used here releases the GIL while it works, so a thread that inflates the
next chunks while the main thread parses the last ones keeps a second core busy; the queue
between them is short, so memory stays bounded. gzip is inflated by ISA-L (``isal``) or
zlib-ng (``zlib-ng``) when installed (two to three times faster than zlib), else by the
standard library. A truncated or corrupt stream becomes ``TruncatedInput`` after the bytes
read before the damage, whatever the format.
"""

from __future__ import annotations

import queue
import threading
from typing import IO, Any

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
# Read from the decompressor this much at a time: ISA-L and zlib-ng drop what a read had
# inflated when the stream turns out cut or corrupt, so small reads keep nearly all of it.
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
        return gzip_module().GzipFile(fileobj=raw, mode="rb")
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


class ReadAhead:
    """Reads a decompressing stream in a thread, a few chunks ahead of the caller.

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
        # read1 gives what was inflated before a cut or a corrupt block; read would drop it.
        read = getattr(self._stream, "read1", self._stream.read)
        while not self._stop.is_set():
            pieces: list[bytes] = []
            got = 0
            failed: TruncatedInput | None = None
            try:
                while got < CHUNK:
                    piece = read(PIECE)
                    if not piece:
                        break
                    pieces.append(piece)
                    got += len(piece)
            except EOFError:
                failed = TruncatedInput(f"{self._fmt} data ends early (truncated file?)")
            except MemoryError:
                failed = TruncatedInput(f"{self._fmt} data too large to decompress")
            except Exception as exc:  # noqa: BLE001 - each library names its corrupt data differently
                failed = TruncatedInput(f"corrupt {self._fmt} data ({exc})")
            if got and not self._put(b"".join(pieces)):
                return
            if failed is not None or got < CHUNK:  # an error, or the end (b"" follows)
                self._put(failed if failed is not None else b"")
                return

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
