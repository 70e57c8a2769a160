"""An HTTP receiver for WuKongIM webhooks that records every request as one JSONL capture record.

The server is aiohttp's: an asyncio server holds thousands of keep-alive connections without a
thread each, parses HTTP in C, and shuts down gracefully (in-flight requests finish). Its limits
(connections, header and idle timeouts, quiet logs) are in ``server``; the record format is in
``record``. Records go through a ``Journal`` (group commit), so a 200 is only sent once the
record is on disk.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

from wkcli.errors import UsageError
from wkcli.live import RESPONSE_CAP, BodyTooLarge, describe_client_error, describe_size, read_capped
from wkcli.live.faults import answered
from wkcli.live.journal import Journal
from wkcli.live.options import CaptureOptions, is_loopback, parse_listen, parse_size  # noqa: F401 - the API
from wkcli.live.received import Received, RecentDeliveries
from wkcli.live.record import build_record, describe_body, encode_body  # noqa: F401 - encode_body: public here too
from wkcli.live.server import (
    Connection,
    GuardedServer,
    Reporter,
    ViewFlusher,
    bind,
    default_max_connections,
    describe_exception,
    quiet_library_logs,
    redact,
)
from wkcli.read.unwrap import event_from_url as event_from_query

_QUERY_TOKEN = re.compile(r"(?:^|[?&])token=([^&?#]*)")
# Headers that belong to one hop and are not relayed by --forward.
_HOP_HEADERS = frozenset(
    ("host", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
     "proxy-authorization", "proxy-connection", "content-length",
     "x-wkcli-token")  # wkcli's own --token is not the business server's business
)  # fmt: skip

SHUTDOWN_SECONDS = 10.0


@dataclass
class CaptureStats:
    requests: int = 0
    recorded: int = 0
    refused: int = 0
    bad_bodies: int = 0
    write_errors: int = 0
    write_error: str | None = None  # the last reason, for the final report
    disconnected: int = 0


Observer = Callable[[Received], None]


class CaptureServer:
    """The receiver: start it, let it run, stop it (in-flight requests finish first)."""

    def __init__(
        self,
        options: CaptureOptions,
        observer: Observer | None = None,
        report: Callable[[str], None] | None = None,
    ) -> None:
        if options.token is not None and not options.token:
            raise ValueError("an empty token would let every request in")
        self.options = options
        self.observer = observer
        self.stats = CaptureStats()
        self.reporter = Reporter(report or _warn, secrets=[options.token or ""])
        self.journal = Journal(
            options.out, fsync=options.fsync, rotate_bytes=options.rotate_bytes, report=self.reporter
        )
        self.address: tuple[str, int] | None = None
        self._server: GuardedServer | None = None
        self._runner: web.ServerRunner | None = None
        self._client: ClientSession | None = None
        self._stopped: asyncio.Event | None = None
        self._quiet: Any = None
        self._token = options.token.encode() if options.token else None
        self._faults = options.faults if options.faults is not None and options.faults.active else None
        self._recent = RecentDeliveries() if observer is not None else None  # retries, for the view

    async def start(self) -> tuple[str, int]:
        """Bind the socket, open the file and start serving; returns the bound address.

        Binding comes first, so an address in use leaves no empty file behind.
        """
        options = self.options
        try:
            sock = bind(options.host, options.port)
        except socket.gaierror as exc:
            raise UsageError(f"--listen: cannot resolve {options.host!r}: {exc.strerror or exc}") from None
        except OSError as exc:
            where = f"{options.host}:{options.port}"
            raise UsageError(f"cannot listen on {where}: {exc.strerror or exc}") from None
        try:
            self.journal.open()
        except OSError as exc:
            sock.close()
            raise UsageError(f"{options.out}: cannot open for writing: {exc.strerror or exc}") from None
        self._quiet = quiet_library_logs(self.reporter)
        self._quiet.__enter__()
        self.journal.start()
        limit = options.max_connections or default_max_connections(bool(options.forward))
        self._server = GuardedServer(
            self._handle,
            max_connections=limit,
            header_timeout=options.header_timeout,
            idle_timeout=options.idle_timeout,
            report=self.reporter,
            access_log=None,
        )
        self._runner = web.ServerRunner(self._server, handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS)
        await self._runner.setup()
        if options.forward:
            self._client = ClientSession(
                timeout=ClientTimeout(total=options.timeout),
                connector=TCPConnector(limit=0),
                auto_decompress=False,
            )
        self._server.start_accepting(sock)
        self._server.start_sweeping()
        host, port = sock.getsockname()[:2]
        self.address = (host, port)
        self._stopped = asyncio.Event()
        return self.address

    async def stop(self) -> None:
        """Stop listening, let the requests in flight finish, then close the file."""
        if self._server is not None:
            await self._server.stop_accepting()
            await self._server.stop_sweeping()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        await self.journal.close()
        self.reporter.flush()
        if self._quiet is not None:
            self._quiet.__exit__(None, None, None)
            self._quiet = None

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
        flusher = ViewFlusher(self.observer)
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
        connection = request.protocol
        if isinstance(connection, Connection):
            connection.busy = True
        peer = request.transport.get_extra_info("peername") if request.transport else None
        remote = _address(peer)
        info = Received(received, 200, remote, request.method, request.path)
        # The query exactly as sent (aiohttp's query_string is already URL-decoded).
        query = request.rel_url.raw_query_string
        info.event = event_from_query(query)
        try:
            response = await self._respond(request, info, query)
        except ConnectionError:
            info.disconnected = True
            response = _refuse(info, 400, "the client disconnected before its request was complete")
        except Exception as exc:  # noqa: BLE001 - a request never prints a traceback or stops the server
            reason = redact(describe_exception(exc), [self.options.token or ""])
            response = _refuse(info, 500, f"internal error: {reason}")
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
            body = await asyncio.wait_for(read_capped(request.content, options.max_body), options.timeout)
        except BodyTooLarge:
            return _refuse(info, 413, f"body is over the {describe_size(options.max_body)} limit")
        except asyncio.TimeoutError:
            return _refuse(info, 408, f"body not received within {options.timeout:g} s")
        info.size = len(body)

        forward_record = None
        reply: web.Response | None = None
        if self._client is not None:
            reply, forward_record = await self._forward(request, query, body, info)

        injected, late = self._faults.decide() if self._faults is not None else (None, 0.0)
        answer = None
        if self._faults is not None:
            status = injected if injected is not None else reply.status if reply is not None else 200
            answer = answered(status, injected is not None, late)
        line, value, error = build_record(
            info.received, info.event, info.path, query, info.remote, body, forward_record, answer
        )
        if error is not None:
            info.error = error
        elif self.observer is not None:
            describe_body(info, value, self._recent)  # only the live view shows what a body held
        try:
            await self.journal.append(line)
        except OSError as exc:
            self.stats.write_errors += 1
            self.stats.write_error = exc.strerror or str(exc)
            # Not recorded: answer 500 so WuKongIM tries again later.
            return _refuse(info, 500, f"could not write the record: {exc.strerror or exc}")
        info.recorded = True
        if late:
            info.delay_ms = round(late * 1000, 1)
            await asyncio.sleep(late)  # answered late on purpose, after the record is safe
        if injected is not None:
            info.status, info.injected = injected, True
            return web.Response(status=injected, text=f"wkcli capture: injected {injected}\n")
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
        client = self._client
        reading = False

        async def exchange() -> tuple[int, bytes, str | None]:
            nonlocal reading
            async with client.post(target, data=body, headers=headers, allow_redirects=False) as answer:
                reading = True
                content = await read_capped(answer.content, RESPONSE_CAP)
                return answer.status, content, answer.headers.get("Content-Type")

        started = time.perf_counter()
        try:
            # The whole exchange, body included, within --timeout: a server that never ends its
            # answer must not hold WuKongIM's request past it.
            status, content, content_type = await asyncio.wait_for(exchange(), self.options.timeout)
        except (ClientError, asyncio.TimeoutError, OSError, ValueError, BodyTooLarge) as exc:
            elapsed = (time.perf_counter() - started) * 1000
            reason = describe_client_error(exc, self.options.timeout, reading_body=reading)
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
        elif info.disconnected:
            stats.disconnected += 1
        else:
            stats.refused += 1
        if self.observer is not None:
            # Shown, not recorded: a token a client put in the path (a refused request's) is hidden.
            info.path = redact(info.path, [self.options.token or ""])
            try:
                self.observer(info)
            except (BrokenPipeError, ValueError):
                self.observer = None  # the view's stream went away; keep capturing


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


def _warn(line: str) -> None:
    sys.stderr.write(f"wkcli: warning: {line}\n")
    sys.stderr.flush()


def _address(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return str(peer) if peer else ""
