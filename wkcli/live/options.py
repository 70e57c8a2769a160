"""What ``capture`` is told: its options, and the readers of addresses and sizes given on the command line."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wkcli.errors import UsageError
from wkcli.live.faults import Faults
from wkcli.live.server import HEADER_TIMEOUT, IDLE_TIMEOUT

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.I)
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@dataclass
class CaptureOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    out: str | None = None  # None: records go to standard output
    forward: str | None = None
    token: str | None = None
    max_body: int = 16 << 20
    rotate_bytes: int | None = None
    fsync: bool = True
    timeout: float = 30.0  # reading a request body, and the whole exchange with --forward's server
    header_timeout: float = HEADER_TIMEOUT  # from a request's first byte to the end of its headers
    idle_timeout: float = IDLE_TIMEOUT  # an idle keep-alive connection is closed after this
    max_connections: int | None = None  # None: what the open-file limit allows
    faults: Faults | None = None  # --respond, --fail-rate, --delay


def parse_listen(text: str) -> tuple[str, int]:
    """``127.0.0.1:8080``, ``8080`` (loopback), ``[::1]:8080`` or ``0.0.0.0:8080``."""
    raw = text.strip()
    host = "127.0.0.1"
    port_text = raw
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0 or raw[end + 1 : end + 2] != ":":
            raise UsageError(f"--listen: cannot read {text!r}: use HOST:PORT, e.g. 127.0.0.1:8080")
        host, port_text = raw[1:end], raw[end + 2 :]
    elif ":" in raw:
        host, _, port_text = raw.rpartition(":")
        if not host:
            raise UsageError("--listen: name the address to listen on, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
    try:
        port = int(port_text)
    except ValueError:
        raise UsageError(f"--listen: cannot read {text!r}: use HOST:PORT, e.g. 127.0.0.1:8080") from None
    if not 0 <= port <= 65535:
        raise UsageError(f"--listen: port {port} is out of range")
    return host, port


def parse_size(text: str, option: str) -> int:
    """``1048576``, ``512k``, ``100M``, ``1GiB`` -> bytes."""
    match = _SIZE.match(text)
    if not match:
        raise UsageError(f"{option}: cannot read {text!r} as a size: use e.g. 512k, 100M, 1G")
    size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])
    if size <= 0:
        raise UsageError(f"{option} must be more than 0")
    return size


def is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")
