"""The HTTP plumbing under ``capture``: aiohttp's low-level server with the limits a receiver on an
open port needs, and library logging cut down to one clean line per kind of trouble.

- At most ``max_connections`` connections are open. Past it the oldest idle connection is closed
  to make room; with none idle, a newcomer is answered 503 (WuKongIM retries) and closed. The
  default stays under the open-file limit, so accept() does not run out of descriptors.
- A connection must send a request's headers within ``header_timeout`` of its first byte
  (slowloris), and is closed after ``idle_timeout`` seconds with no request (idle keep-alive).
- aiohttp and asyncio print a traceback for every malformed request and every failed accept();
  here each kind of trouble is said once per interval, with the repeats counted, and secrets
  (``token=`` values, bearer tokens, the configured token) removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from wkcli.text import hide_credentials, sanitize

REPORT_INTERVAL = 10.0
HEADER_TIMEOUT = 10.0
IDLE_TIMEOUT = 15.0
# Descriptors kept back from --max-connections: standard streams, the record file (two during a
# reopen), the listening socket, the event loop's own, and room for a connection being evicted.
FD_RESERVE = 32
MAX_CONNECTIONS_CEILING = 10_000
VIEW_FLUSH_SECONDS = 0.1
VIEW_CLOSE_SECONDS = 2.0
_RESOURCE_ERRNOS = frozenset((errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM))
_SECRET_PATTERNS = (
    re.compile(r"(token=)[^&\s\"'#?]*", re.I),
    re.compile(r"(bearer\s+)[^\s\"',]+", re.I),
    re.compile(r"(x-wkcli-token:\s*)[^\s\"',]+", re.I),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CARET_LINE = re.compile(r"\n\s*\^\s*(?=\n|$)")  # the parser points at the bad byte on a line of its own
_LINE_BREAKS = re.compile(r"\s*\n\s*")
_BUSY_ANSWER = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 37\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n\r\ntoo many connections: try again later\n"
)


def default_max_connections(forwarding: bool) -> int:
    """A connection limit safely under RLIMIT_NOFILE (half of it with --forward: two sockets each)."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        soft = 1024
    if soft == getattr(sys.modules.get("resource"), "RLIM_INFINITY", -1) or soft <= 0:
        soft = 1 << 20
    budget = soft - FD_RESERVE
    if forwarding:
        budget //= 2
    return max(1, min(budget, MAX_CONNECTIONS_CEILING))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` on one line, with every token value it holds replaced by ``***`` (and what
    ``hide_credentials`` hides of a URL)."""
    text = hide_credentials(text)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _LINE_BREAKS.sub(" ", _CARET_LINE.sub("", text)).strip()
    text = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
    return text if len(text) <= 300 else text[:297] + "..."


class Reporter:
    """Says each kind of trouble at most once per interval, counting the repeats it held back."""

    def __init__(
        self,
        write: Callable[[str], None],
        secrets: Iterable[str] = (),
        interval: float = REPORT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._secrets = tuple(secret for secret in secrets if secret)
        self.interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}
        self._said: dict[str, str] = {}

    def __call__(self, kind: str, text: str) -> None:
        now = self._clock()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self._held[kind] = self._held.get(kind, 0) + 1
            return
        self._last[kind] = now
        held = self._held.pop(kind, 0)
        suffix = f" (and {held:,} more like it in the last {self.interval:g} s)" if held else ""
        line = redact(text, self._secrets)
        self._said[kind] = line
        self._emit(line + suffix)

    def flush(self) -> None:
        """Account for the repeats held back since each kind was last said."""
        for kind, held in sorted(self._held.items()):
            self._emit(f"{held:,} more like this held back: {self._said.get(kind, kind)}")
        self._held.clear()

    def _emit(self, line: str) -> None:
        # A malformed request's text (its path, a header) is the sender's: never terminal control.
        with contextlib.suppress(OSError, ValueError):
            self._write(sanitize(line))


def describe_exception(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    message = getattr(exc, "message", None)  # aiohttp's HTTP errors: the parser's own words
    text = message if isinstance(message, str) and message else str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _LibraryLog(logging.Handler):
    def __init__(self, report: Reporter) -> None:
        super().__init__(logging.WARNING)
        self._report = report

    def emit(self, record: logging.LogRecord) -> None:
        try:
            exc = record.exc_info[1] if record.exc_info else None
            text = record.getMessage()
            if text.startswith("Error handling request"):
                text = "refused a malformed request" + text[len("Error handling request") :]
            if exc is not None:
                text += ": " + describe_exception(exc)
            self._report(f"{record.name}:{record.msg}", text)
        except Exception:  # noqa: BLE001 - a log line must never turn into a traceback
            pass


@contextlib.contextmanager
def quiet_library_logs(report: Reporter) -> Iterator[None]:
    """Route aiohttp's and asyncio's loggers, and the running loop's exception handler, to ``report``."""
    handler = _LibraryLog(report)
    saved = []
    for name in ("aiohttp", "asyncio"):
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.propagate, logger.level))
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.WARNING)
    loop = asyncio.get_running_loop()
    old_handler = loop.get_exception_handler()

    def on_loop_error(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message") or "unexpected error")
        if isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRNOS:
            report("resources", f"out of resources ({exc.strerror}): {message}; new connections wait")
        else:
            report(f"loop:{message}", message + (": " + describe_exception(exc) if exc else ""))

    loop.set_exception_handler(on_loop_error)
    try:
        yield
    finally:
        loop.set_exception_handler(old_handler)
        for logger, handlers, propagate, level in saved:
            logger.handlers, logger.propagate = handlers, propagate
            logger.setLevel(level)


class Connection(RequestHandler):
    """aiohttp's connection, also knowing whether it is in a request and since when it is not."""

    owner: GuardedServer
    busy = False
    idle_since = 0.0
    header_started: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.idle_since = time.monotonic()
        self.owner.open[self] = None
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        self.owner.open.pop(self, None)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self.busy and self.header_started is None:
            self.header_started = time.monotonic()
        super().data_received(data)

    def begin(self) -> None:
        self.busy = True

    async def finish_response(self, *args: Any, **kwargs: Any) -> Any:
        # Idle only once the answer is written: evicting a connection whose record is on disk
        # but whose 200 is not yet sent would make WuKongIM send it again.
        try:
            return await super().finish_response(*args, **kwargs)
        finally:
            self.busy = False
            self.header_started = None
            self.idle_since = time.monotonic()


class GuardedServer(web.Server):
    """aiohttp's low-level server with a connection limit and header and idle timeouts."""

    def __init__(
        self,
        handler: Any,
        *,
        max_connections: int,
        header_timeout: float,
        idle_timeout: float,
        report: Reporter,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, keepalive_timeout=idle_timeout, **kwargs)
        self._handler_kwargs = {"keepalive_timeout": idle_timeout, **kwargs}
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self.idle_timeout = idle_timeout
        self.report = report
        self.open: dict[Connection, None] = {}  # in the order they were accepted
        self._sweeper: asyncio.Task[None] | None = None
        self._acceptor: asyncio.Task[None] | None = None
        self._listener: socket.socket | None = None

    def __call__(self) -> Any:
        connection = Connection(self, loop=asyncio.get_running_loop(), **self._handler_kwargs)
        connection.owner = self
        return connection

    def start_accepting(self, listener: socket.socket) -> None:
        """Accept connections one at a time, so the limit is checked before a descriptor is taken.

        (asyncio's own server accepts a whole backlog at once and only then builds protocols:
        the descriptors run out before any limit could be applied.)
        """
        loop = asyncio.get_running_loop()
        self._acceptor = loop.create_task(self._accept(listener))
        self._listener = listener

    async def _accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if len(self.open) >= self.max_connections and self._evict_idle():
                await asyncio.sleep(0)  # let the evicted descriptor close before taking another
            try:
                conn, _ = await loop.sock_accept(listener)
            except OSError as exc:
                if exc.errno in _RESOURCE_ERRNOS:
                    self.report("resources", f"out of resources ({exc.strerror}): new connections wait")
                    await asyncio.sleep(0.1)
                    continue
                if exc.errno in (errno.ECONNABORTED, errno.EAGAIN, errno.EINTR):
                    continue
                raise
            if len(self.open) >= self.max_connections and not self._evict_idle():
                self.report(
                    "limit",
                    f"{self.max_connections:,} connections are open (--max-connections): "
                    "new ones are answered 503 until some close",
                )
                with contextlib.suppress(OSError):
                    conn.setblocking(False)
                    conn.send(_BUSY_ANSWER)
                conn.close()
                continue
            try:
                await loop.connect_accepted_socket(self, conn)
            except OSError:
                conn.close()

    def _evict_idle(self) -> bool:
        for connection in self.open:
            if not connection.busy:
                connection.force_close()
                self.open.pop(connection, None)
                return True
        return False

    async def stop_accepting(self) -> None:
        if self._acceptor is not None:
            self._acceptor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._acceptor
            self._acceptor = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def start_sweeping(self) -> None:
        period = max(0.05, min(1.0, self.header_timeout / 4, self.idle_timeout / 4))
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep(period))

    async def stop_sweeping(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    async def _sweep(self, period: float) -> None:
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            slow = 0
            for connection in list(self.open):
                if connection.busy:
                    continue  # a request in progress is --timeout's business
                started = connection.header_started
                if started is not None:
                    if now - started > self.header_timeout:
                        slow += 1
                        connection.force_close()
                elif now - connection.idle_since > self.idle_timeout:
                    connection.force_close()
            if slow:
                self.report(
                    "header-timeout",
                    f"closed {slow:,} connection(s) that did not send their request headers "
                    f"within {self.header_timeout:g} s",
                )


class ViewFlusher:
    """Flushes the live view from a daemon thread, so a stalled terminal never stalls the server."""

    def __init__(self, observer: Any) -> None:
        self._flush = getattr(observer, "flush", None)
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        if self._flush is not None:
            self._thread = threading.Thread(target=self._run, name="wkcli-view", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        assert self._flush is not None
        while True:
            finished = self._done.wait(VIEW_FLUSH_SECONDS)
            try:
                self._flush()
            except (OSError, ValueError):
                return  # the view's stream is gone: capturing goes on without it
            if finished:
                return

    def close(self) -> None:
        """Write what is left, waiting a little for a slow terminal but never forever."""
        self._done.set()
        if self._thread is not None:
            self._thread.join(VIEW_CLOSE_SECONDS)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; raises ``OSError`` (or ``socket.gaierror``) with the reason."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
