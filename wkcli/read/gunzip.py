"""gzip inflated up to the damage: every byte a cut, corrupt or wrongly checked stream holds
before the damage is returned, then the error is raised (``compressed`` reads it ahead)."""

from __future__ import annotations

import zlib
from typing import IO, Any

CHUNK = 1 << 17  # bytes returned by read() without a size
FEED = 1 << 14  # input zlib inflates at a time (a corrupt piece is inflated again a byte at a time)
FAST_FEED = 1 << 17  # input ISA-L or zlib-ng inflates at a time (nothing is copied for them)


class Gunzip:
    """gzip members one after another, keeping every byte inflated before damage (a cut, a
    corrupt block, a wrong CRC): those are returned, then the error is raised.

    zlib inflates the piece where the damage is again, a byte at a time, from a copy of its
    state before that piece. ISA-L and zlib-ng have no copy and drop what their failing call
    inflated: they read only files that can seek, and after an error zlib inflates the member
    again from its start, skipping the bytes already returned. Pipes are inflated by zlib.
    """

    def __init__(self, raw: IO[bytes], gzip_module: Any = None) -> None:
        self._raw = raw
        self._pos = raw.tell() if raw.seekable() else -1  # offset of the bytes after _held; -1: no seeking
        # The zlib API of the gzip module in use (isal.igzip, zlib_ng.gzip_ng, or gzip).
        fast = getattr(gzip_module, "isal_zlib", None) or getattr(gzip_module, "zlib_ng", None)
        self._lib = fast if fast is not None and self._pos >= 0 else zlib
        self._feed = FEED if self._lib is zlib else FAST_FEED
        self._obj: Any = None  # the current member's decompressor; None between members
        self._held = b""  # input read but not yet inflated
        self._start = self._pos  # the offset where the current member starts
        self._out = self._skip = 0  # bytes of the member inflated; of those, to return no more
        self._full = False  # the last call gave all it was asked for: it may hold more
        self._error: Exception | None = None  # raised once what came before it is read

    def read(self, size: int = -1) -> bytes:
        out: list[bytes] = []
        got = 0
        size = size if size > 0 else CHUNK
        while got < size and self._error is None:
            try:
                piece = self._step(size - got)
            except Exception as exc:  # noqa: BLE001 - raised once what came before is read
                self._error = exc
                break
            if piece is None:
                break
            out.append(piece)
            got += len(piece)
        if not got and self._error is not None:
            raise self._error
        return b"".join(out)

    def _step(self, limit: int) -> bytes | None:
        """Some inflated bytes (perhaps none), or None at the end of the input."""
        obj = self._obj
        if obj is not None and self._full and not self._held:
            data = b""  # what the decompressor still holds comes out before more goes in
        else:
            data = self._held or self._raw.read(self._feed)
            if self._pos >= 0:
                self._pos += len(data) - len(self._held)
            self._held = b""
            if obj is None:  # a member starts, or the input ends (zeros may pad the last member)
                if not data:
                    return None
                data = data.lstrip(b"\0")
                if not data:
                    return b""
                obj = self._obj = self._lib.decompressobj(31)
                self._start, self._out = self._pos - len(data), 0
            elif not data:
                if self._lib is not zlib:  # ISA-L may hold back the last bytes it could inflate
                    return self._again()
                raise EOFError("gzip data cut short")
        size = self._feed
        feed, self._held = (data, b"") if len(data) <= size else (data[:size], data[size:])
        keep = obj.copy() if self._lib is zlib else None
        try:
            out = obj.decompress(feed, limit)
        except Exception as exc:
            if keep is None:
                return self._again()
            kept: list[bytes] = []
            for i in range(len(feed)):  # the failing piece, a byte at a time, up to the damage
                try:
                    kept.append(keep.decompress(feed[i : i + 1]))
                except Exception:  # noqa: BLE001, S112 - exc is the one to report
                    break
            out, self._error = b"".join(kept), exc
        self._full = len(out) >= limit
        self._held = obj.unconsumed_tail + self._held
        if obj.eof:
            self._held = obj.unused_data + self._held
            self._obj = None
        self._out += len(out)
        if self._skip:
            out, self._skip = out[self._skip :], max(0, self._skip - len(out))
        return out

    def _again(self) -> bytes:
        """Damage met by ISA-L or zlib-ng: zlib inflates the member again, up to the damage."""
        self._raw.seek(self._start)
        self._pos, self._held, self._obj, self._lib, self._feed = self._start, b"", None, zlib, FEED
        self._skip, self._full = self._out, False
        return b""

    def close(self) -> None:
        pass
