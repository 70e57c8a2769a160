"""An HTTP receiver for WuKongIM webhooks that records every request as one JSONL capture record.

The server is aiohttp's: an asyncio server holds thousands of keep-alive connections without a
thread each, parses HTTP in C, and shuts down gracefully (in-flight requests finish). Records go
through a ``Journal`` (group commit), so a 200 is only sent once the record is on disk.

A record looks like::

    {"received_at": "2026-11-28T15:37:05.123456Z", "event": "msg.notify", "path": "/webhook",
     "query": "event=msg.notify", "remote": "127.0.0.1:51234", "body": [...]}

``body`` holds the request body verbatim when it is compact JSON (what WuKongIM sends). Other
JSON bodies are stored compacted with the exact bytes kept in ``body_raw``. A body that is not
JSON is kept as text in ``body`` (or base64 in ``body_base64`` when it is not UTF-8) with the
reason in ``body_error``: wkcli's readers then report that record as malformed, with its line.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import re
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import orjson
from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

from wkcli.errors import UsageError
from wkcli.read.jsontext import NOT_JSON, dumps, loads_fallback
from wkcli.live import describe_client_error
from wkcli.live.journal import Journal
from wkcli.webhook.model import CMD, Message, PresenceEntry
from wkcli.read.values import Value
from wkcli.webhook.times import utc_stamp
from wkcli.read.unwrap import Empty, unwrap
from wkcli.read.unwrap import event_from_url as event_from_query

_QUERY_TOKEN = re.compile(r"(?:^|[?&])token=([^&?#]*)")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.I)
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
# Headers that belong to one hop and are not relayed by --forward.
_HOP_HEADERS = frozenset(
    ("host", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
     "proxy-authorization", "proxy-connection", "content-length",
     "x-wkcli-token")  # wkcli's own --token is not the business server's business
)  # fmt: skip

SHUTDOWN_SECONDS = 10.0
VIEW_FLUSH_SECONDS = 0.1
VIEW_CLOSE_SECONDS = 2.0


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
    timeout: float = 30.0  # reading a request body, and waiting for --forward's server
    idle_timeout: float = 120.0  # an idle keep-alive connection is closed after this


@dataclass
class Received:
    """What one request was, for the live view: filled in whether it was recorded or refused."""

    received: float
    status: int
    remote: str
    method: str
    path: str
    event: str | None = None
    size: int = 0
    recorded: bool = False
    messages: int = 0
    cmd: int = 0
    chat: int = 0
    presence: int = 0
    problems: int = 0
    error: str | None = None  # why it was refused, or what is wrong with its body
    forward_status: int | None = None
    forward_ms: float | None = None
    forward_error: str | None = None


@dataclass
class CaptureStats:
    requests: int = 0
    recorded: int = 0
    refused: int = 0
    bad_bodies: int = 0
    write_errors: int = 0
    write_error: str | None = None  # the last reason, for the final report


Observer = Callable[[Received], None]


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


def encode_body(raw: bytes) -> tuple[bytes, Any, str | None]:
    """The record's body fields (``,"body":...``), the parsed body (or None), and what is wrong."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        value = loads_fallback(raw)
        if value is NOT_JSON:
            return _not_json(raw, exc)
    else:
        if orjson.dumps(value) == raw:
            # Compact JSON, exactly as a re-encoding would print it: keep the bytes verbatim.
            return b',"body":' + raw, value, None
    compact = dumps(value)
    return b',"body":' + compact + b',"body_raw":' + orjson.dumps(raw.decode("utf-8")), value, None


def _not_json(raw: bytes, error: orjson.JSONDecodeError) -> tuple[bytes, Any, str]:
    reason = "empty body" if not raw.strip() else f"body is not JSON: {error}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        fields = b',"body_base64":' + orjson.dumps(base64.b64encode(raw).decode("ascii"))
    else:
        fields = b',"body":' + orjson.dumps(text)
    return fields + b',"body_error":' + orjson.dumps(reason), None, reason


def build_record(
    received: float,
    event: str | None,
    path: str,
    query: str,
    remote: str,
    body: bytes,
    forward: dict[str, Any] | None = None,
) -> tuple[bytes, Any, str | None]:
    """One capture record as a JSONL line; also the parsed body and any body error."""
    meta: dict[str, Any] = {
        "received_at": utc_stamp(received),
        "event": event,
        "path": path,
        "query": query,
        "remote": remote,
    }
    if forward is not None:
        meta["forward"] = forward
    body_fields, value, error = encode_body(body)
    return orjson.dumps(meta)[:-1] + body_fields + b"}\n", value, error


def describe_body(info: Received, value: Any) -> None:
    """Count the messages (CMD and chat) and presence entries in a parsed body.

    With no event in the query, names it as readers will infer it from the body's shape.
    """
    for item in unwrap(Value(0, value, info.event), ""):
        kind = type(item)
        if kind is Message:
            info.messages += 1
            if item.kind == CMD:  # type: ignore[union-attr]
                info.cmd += 1
            else:
                info.chat += 1
        elif kind is PresenceEntry:
            info.presence += 1
        elif kind is not Empty:
            info.problems += 1
            continue
        if info.event is None:
            info.event = item.event  # type: ignore[union-attr]


class CaptureServer:
    """The receiver: start it, let it run, stop it (in-flight requests finish first)."""

    def __init__(self, options: CaptureOptions, observer: Observer | None = None) -> None:
        self.options = options
        self.observer = observer
        self.stats = CaptureStats()
        self.journal = Journal(options.out, fsync=options.fsync, rotate_bytes=options.rotate_bytes)
        self.address: tuple[str, int] | None = None
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._stopped: asyncio.Event | None = None
        self._token = options.token.encode() if options.token else None

    async def start(self) -> tuple[str, int]:
        """Open the file, bind the socket and start serving; returns the bound address."""
        options = self.options
        try:
            self.journal.open()
        except OSError as exc:
            raise UsageError(f"{options.out}: cannot open for writing: {exc.strerror or exc}") from None
        sock = _bind(options.host, options.port)
        self.journal.start()
        app = web.Application(client_max_size=options.max_body)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_SECONDS,
            keepalive_timeout=options.idle_timeout,
        )
        await self._runner.setup()
        if options.forward:
            self._client = ClientSession(
                timeout=ClientTimeout(total=options.timeout),
                connector=TCPConnector(limit=0),
                auto_decompress=False,
            )
        site = web.SockSite(self._runner, sock)
        await site.start()
        host, port = sock.getsockname()[:2]
        self.address = (host, port)
        self._stopped = asyncio.Event()
        return self.address

    async def stop(self) -> None:
        """Stop listening, let the requests in flight finish, then close the file."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        await self.journal.close()

    def request_stop(self) -> None:
        if self._stopped is not None:
            self._stopped.set()

    async def serve_until_stopped(self, on_ready: Callable[[tuple[str, int]], None] | None = None) -> None:
        """Run until SIGINT or SIGTERM (or ``request_stop``); SIGHUP reopens the file by its path."""
        address = await self.start()
        loop = asyncio.get_running_loop()
        installed = []
        for signum, action in (
            (signal.SIGINT, self.request_stop),
            (signal.SIGTERM, self.request_stop),
            (signal.SIGHUP, self.journal.reopen),
        ):
            try:
                loop.add_signal_handler(signum, action)
                installed.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        flusher = _Flusher(self.observer)
        try:
            if on_ready is not None:
                on_ready(address)
            assert self._stopped is not None
            await self._stopped.wait()
        finally:
            await self.stop()
            flusher.close()
            for signum in installed:
                loop.remove_signal_handler(signum)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        received = time.time()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        remote = _address(peer)
        info = Received(received, 200, remote, request.method, request.path)
        # The query exactly as sent (aiohttp's query_string is already URL-decoded).
        query = request.rel_url.raw_query_string
        info.event = event_from_query(query)
        try:
            response = await self._respond(request, info, query)
        except Exception as exc:  # noqa: BLE001 - a request never prints a traceback or stops the server
            response = _refuse(info, 500, f"internal error: {type(exc).__name__}: {exc}")
        self._account(info)
        return response

    async def _respond(self, request: web.BaseRequest, info: Received, query: str) -> web.StreamResponse:
        options = self.options
        if request.method != "POST":
            return _refuse(info, 405, "only POST is accepted", {"Allow": "POST"})
        if self._token is not None:
            if not self._token_ok(request, query):
                return _refuse(info, 401, "missing or wrong token")
            query = _without_token(query)  # the secret is neither recorded nor forwarded
        length = request.content_length
        if length is not None and length > options.max_body:
            return _refuse(info, 413, f"body of {length:,} bytes is over the limit")
        try:
            body = await asyncio.wait_for(request.read(), options.timeout)
        except web.HTTPRequestEntityTooLarge:
            return _refuse(info, 413, "body is over the size limit")
        except asyncio.TimeoutError:
            return _refuse(info, 408, f"body not received within {options.timeout:g}s")
        info.size = len(body)

        forward_record = None
        reply: web.Response | None = None
        if self._client is not None:
            reply, forward_record = await self._forward(request, query, body, info)

        line, value, error = build_record(
            info.received, info.event, info.path, query, info.remote, body, forward_record
        )
        if error is not None:
            info.error = error
        elif self.observer is not None:
            describe_body(info, value)  # only the live view shows what a body held
        try:
            await self.journal.append(line)
        except OSError as exc:
            self.stats.write_errors += 1
            self.stats.write_error = exc.strerror or str(exc)
            # Not recorded: answer 500 so WuKongIM tries again later.
            return _refuse(info, 500, f"could not write the record: {exc.strerror or exc}")
        info.recorded = True
        if reply is not None:
            info.status = reply.status
            return reply
        return web.Response(status=200, body=b"ok")

    def _token_ok(self, request: web.BaseRequest, query: str) -> bool:
        assert self._token is not None
        offered: list[str] = []
        match = _QUERY_TOKEN.search(query)
        if match:
            offered.append(unquote(match.group(1)))
        header = request.headers.get("X-Wkcli-Token")
        if header:
            offered.append(header)
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            offered.append(auth[7:].strip())
        for text in offered:
            try:
                given = text.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                continue  # not text any token could be
            if hmac.compare_digest(given, self._token):
                return True
        return False

    async def _forward(
        self, request: web.BaseRequest, query: str, body: bytes, info: Received
    ) -> tuple[web.Response, dict[str, Any]]:
        """Relay the request unchanged; WuKongIM gets the business server's answer (502 if none)."""
        assert self._client is not None and self.options.forward
        target = self.options.forward
        if query:
            target += ("&" if "?" in target else "?") + query
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        started = time.perf_counter()
        try:
            async with self._client.post(target, data=body, headers=headers, allow_redirects=False) as answer:
                content = await answer.read()
                status = answer.status
                content_type = answer.headers.get("Content-Type")
        except (ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
            elapsed = (time.perf_counter() - started) * 1000
            reason = describe_client_error(exc)
            info.forward_error = reason
            info.forward_ms = elapsed
            reply = web.Response(status=502, text=f"wkcli capture: forwarding failed: {reason}\n")
            return reply, {"error": reason, "ms": round(elapsed, 2)}
        elapsed = (time.perf_counter() - started) * 1000
        info.forward_status = status
        info.forward_ms = elapsed
        reply = web.Response(status=status, body=content)
        if content_type:
            reply.headers["Content-Type"] = content_type
        return reply, {"status": status, "ms": round(elapsed, 2)}

    def _account(self, info: Received) -> None:
        stats = self.stats
        stats.requests += 1
        if info.recorded:
            stats.recorded += 1
            if info.error is not None:
                stats.bad_bodies += 1
        else:
            stats.refused += 1
        if self.observer is not None:
            try:
                self.observer(info)
            except (BrokenPipeError, ValueError):
                self.observer = None  # the view's stream went away; keep capturing


class _Flusher:
    """Flushes the live view from a daemon thread, so a stalled terminal never stalls the server."""

    def __init__(self, observer: Observer | None) -> None:
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


def run_capture(
    options: CaptureOptions,
    observer: Observer | None = None,
    on_ready: Callable[[tuple[str, int]], None] | None = None,
) -> CaptureStats:
    """Serve until SIGINT or SIGTERM, then return the account of what was received."""
    server = CaptureServer(options, observer)
    asyncio.run(server.serve_until_stopped(on_ready))
    return server.stats


def _refuse(info: Received, status: int, reason: str, headers: dict[str, str] | None = None) -> web.Response:
    info.status = status
    info.error = reason
    return web.Response(status=status, text=reason + "\n", headers=headers)


def _without_token(query: str) -> str:
    """The query less its ``token=`` parameter, also in the glued ``token=x?event=y`` form."""
    rest = _QUERY_TOKEN.sub("", query)
    return rest.replace("&&", "&").lstrip("&?")


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"--listen: cannot resolve {host!r}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


def _address(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return str(peer) if peer else ""
