"""A real HTTP server for the live tools' tests: aiohttp on 127.0.0.1, a free port, its own thread.

It records each request (monotonic arrival time, path, query, headers, body) and answers with
the statuses it is given, in order (the last one repeats). Bounded: it stops answering after
``max_requests`` and the test's ``with`` block closes it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Hit:
    at: float  # time.monotonic() when the request's body was read
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Sink:
    statuses: list[int] = field(default_factory=lambda: [200])
    max_requests: int = 1000
    delay: float = 0.0
    hits: list[Hit] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def __enter__(self) -> Sink:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def handle(request: web.Request) -> web.Response:
            body = await request.read()
            self.hits.append(
                Hit(time.monotonic(), request.path, request.query_string, dict(request.headers), body)
            )
            if len(self.hits) > self.max_requests:
                return web.Response(status=503)
            if self.delay:
                await asyncio.sleep(self.delay)
            status = self.statuses[min(len(self.hits), len(self.statuses)) - 1]
            return web.Response(status=status, text="ok")

        async def start() -> None:
            app = web.Application()
            app.router.add_post("/{tail:.*}", handle)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(start())
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        assert ready.wait(10), "the test server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def wait_for(self, count: int, seconds: float = 10.0) -> list[Hit]:
        deadline = time.monotonic() + seconds
        while len(self.hits) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.hits)
