"""Dumps elsewhere: s3://, gs://, http(s):// paths and globs, opened through fsspec."""

from __future__ import annotations

import os
from typing import Any

from wkcli.errors import UnreadableInput
from wkcli.read.compressed import MissingDecompressor, ReadAhead, decompressor, detect
from wkcli.read.lines import BINARY_PEEK
from wkcli.read.source import Input, is_remote  # noqa: F401 - is_remote re-exported

# Read ahead this much per request: one S3 GET per block rather than one per read() call.
BLOCK = 8 << 20
GLOB_CHARS = frozenset("*?[")
CONNECT = 30.0  # seconds to connect to an http(s) server
STALL = 60.0  # seconds an http(s) read may wait for the next bytes


def storage_options(path: str) -> dict[str, Any]:
    """Options for the path's filesystem, from the environment: an S3-compatible endpoint (MinIO,
    a test server) from ``WKCLI_S3_ENDPOINT`` or the standard ``AWS_ENDPOINT_URL_S3``.

    Credentials are left to the filesystem's own chain (environment, profile, instance role):
    wkcli never reads, passes on or prints them."""
    if path.startswith(("s3://", "s3a://")):
        endpoint = os.environ.get("WKCLI_S3_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL_S3")
        if endpoint:
            return {"endpoint_url": endpoint}
    if path.startswith(("http://", "https://")):
        import aiohttp  # fsspec's HTTP client

        # A server that stalls mid-body, or promises more bytes than it sends, is given up on.
        return {"client_kwargs": {"timeout": aiohttp.ClientTimeout(sock_connect=CONNECT, sock_read=STALL)}}
    return {}


def filesystem(path: str) -> tuple[Any, str]:
    """``(fs, path within it)`` for a URL."""
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise UnreadableInput(f"{path}: remote paths need fsspec: pip install 'wkcli[cluster]'") from None
    try:
        return url_to_fs(path, **storage_options(path))
    except ImportError as exc:  # e.g. s3fs or gcsfs missing for that protocol
        raise UnreadableInput(f"{path}: {_reason(exc)}") from None
    except ValueError as exc:  # an unknown protocol
        raise UnreadableInput(f"{path}: {_reason(exc)}") from None


def expand(path: str) -> list[str]:
    """A remote glob as the URLs it matches, in name order; any other path as itself."""
    rest = path.split("://", 1)[1]
    if path.startswith(("http://", "https://")):
        rest = rest.split("?", 1)[0].replace("?", "")  # a query string, not a pattern
    if not GLOB_CHARS & set(rest):
        return [path]
    fs, inner = filesystem(path)
    try:
        found = sorted(fs.glob(inner))
    except Exception as exc:  # noqa: BLE001 - any filesystem's failure is one line to the user
        raise UnreadableInput(f"{path}: {_reason(exc)}") from None
    if not found:
        raise UnreadableInput(f"{path}: no file matches")
    return [fs.unstrip_protocol(name) for name in found]


def open_remote(path: str) -> Input:
    """Open a URL as an ``Input`` (compression told by its bytes, as for local files)."""
    fs, inner = filesystem(path)
    try:
        size = int(fs.size(inner))
        raw = fs.open(inner, "rb", block_size=BLOCK)
        head = raw.read(BINARY_PEEK)
        raw.seek(0)
    except Exception as exc:  # noqa: BLE001 - a missing bucket, a refused key, a dead endpoint
        raise UnreadableInput(f"{path}: {_reason(exc)}") from None
    guarded: Any = _Failing(raw)  # compressed or not, a failed read is a failed read
    source = Input(path, guarded, interactive=False)
    source.size = size
    fmt = detect(head)
    if fmt is not None:
        try:
            stream = decompressor(fmt, guarded)
        except MissingDecompressor as exc:
            raw.close()
            raise UnreadableInput(f"{path}: {exc}") from None
        source.stream = ReadAhead(stream, fmt)  # type: ignore[assignment]
        source.compressed = True
        source.compression = fmt
    else:
        source.binary = b"\0" in head
    return source


class _Failing:
    """A remote file whose read failures (a server that ignores Range, a dropped connection, a
    timeout) are ``OSError``: the reader's "read failed" for that file, never a traceback."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        try:
            return bytes(self._raw.read(size))
        except OSError:
            raise
        except Exception as exc:  # noqa: BLE001 - any filesystem's failure is one line to the user
            raise OSError(_reason(exc)) from None

    read1 = read  # a reader that prefers read1 gets the same guard

    def __getattr__(self, name: str) -> Any:  # seek, tell, close, ...: the file's own
        return getattr(self._raw, name)


class RemoteFile:
    """Byte reads of one remote file (``read_at``), through one open handle with block caching."""

    def __init__(self, path: str) -> None:
        fs, inner = filesystem(path)
        self._file = fs.open(inner, "rb", block_size=BLOCK)

    def read_at(self, offset: int, size: int) -> bytes:
        self._file.seek(offset)
        return self._file.read(size)

    def close(self) -> None:
        self._file.close()


def _reason(exc: BaseException) -> str:
    """What went wrong, in one line, without the library's traceback."""
    if isinstance(exc, FileNotFoundError):
        return "no such file (or bucket)"
    if isinstance(exc, PermissionError):
        return "permission denied"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]
