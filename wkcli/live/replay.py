"""Re-send captured webhooks to a business server exactly as WuKongIM would.

Each webhook body in a dump becomes one ``POST URL?event=NAME`` with ``Content-Type:
application/json``. When every item of a body is selected, the original body bytes are sent
(``body_raw`` of a wkcli capture, a body stored as a JSON string, or the compact encoding,
which is what WuKongIM itself sends); when the filters keep only some messages of a batch,
the batch is re-encoded with just those. Only HTTP 200 counts as success, as in WuKongIM.

The HTTP client is aiohttp's (already used by ``capture``): pooled keep-alive connections,
a concurrency limit per pool, and timeouts, on one thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson

from wkcli import __version__
from wkcli.read.jsontext import dumps
from wkcli.live import RESPONSE_CAP, BodyTooLarge, describe_client_error, read_capped
from wkcli.webhook.model import MSG_OFFLINE, USER_ONLINESTATUS, Message, Origin, PresenceEntry, is_message
from wkcli.read.reader import Reader
from wkcli.read.values import Value


@dataclass
class Outgoing:
    """One request to send: an event, the exact body bytes, and where it came from."""

    event: str
    body: bytes
    origin: Origin
    messages: int = 0
    presence: int = 0
    partial: bool = False  # the filters kept only part of the original body

    def url(self, base: str) -> str:
        return base + ("&" if "?" in base else "?") + "event=" + quote(self.event, safe=".")


@dataclass
class Result:
    request: Outgoing
    status: int | None = None
    ms: float | None = None
    error: str | None = None
    dry_run: bool = False
    url: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None

    def as_dict(self) -> dict[str, Any]:
        request = self.request
        out: dict[str, Any] = {
            "source": str(request.origin),
            "event": request.event,
            "messages": request.messages,
            "presence": request.presence,
            "bytes": len(request.body),
            "partial": request.partial,
        }
        if self.dry_run:
            out["url"] = self.url
            out["dry_run"] = True
            out["body"] = orjson.Fragment(request.body)
            return out
        out["status"] = self.status
        out["ms"] = None if self.ms is None else round(self.ms, 2)
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass
class ReplaySummary:
    sent: int = 0
    ok: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # bodies that matched no filter
    unnamed: int = 0  # bodies whose event could not be told

    def add(self, result: Result) -> None:
        self.sent += 1
        if result.ok:
            self.ok += 1
        key = str(result.status) if result.error is None else result.error
        self.statuses[key] = self.statuses.get(key, 0) + 1

    @property
    def failed(self) -> int:
        return self.sent - self.ok


class Planner:
    """Read dumps and turn each webhook body into the request that replays it (after the filters)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.criteria = reader.criteria
        self.diagnostics = reader.diagnostics
        self.stats = reader.stats
        self.summary = ReplaySummary()

    def __iter__(self) -> Iterator[Outgoing]:
        limit = self.criteria.limit  # counted in requests, not messages
        if limit == 0:
            self.stats.stopped_at_limit = True
            return
        planned = 0
        for value, items in self.reader.records():
            for request in self._requests(value, items):
                yield request
                planned += 1
                if limit is not None and planned >= limit:
                    self.stats.stopped_at_limit = True
                    return

    def _requests(self, value: Value, items: list[Message | PresenceEntry]) -> Iterator[Outgoing]:
        keep = self.reader.keeps
        groups: list[list[Message | PresenceEntry]] = []
        for item in items:
            # A new body starts at its first element (a list of records holds several bodies).
            if not groups or item.index == 0 or item.event != groups[-1][0].event:
                groups.append([])
            groups[-1].append(item)
        original = _original_body(value.value) if len(groups) == 1 else None
        as_list = _body_is_list(value.value)
        for group in groups:
            kept = [item for item in group if keep(item)]
            self.stats.matched += len(kept)
            if not kept:
                self.summary.skipped += 1
                continue
            event = group[0].event
            if event is None:
                if len(group) == 1 and type(group[0]) is Message and not as_list:
                    event = MSG_OFFLINE  # WuKongIM posts a single message object only as msg.offline
                else:
                    self.summary.unnamed += 1
                    if self.diagnostics is not None:
                        self.diagnostics.warning(
                            str(group[0].origin), "no event name for this body: not replayed"
                        )
                    continue
            partial = len(kept) < len(group)
            if not partial and original is not None:
                body = original
            else:
                body = _encode(kept, event, as_list)
            messages = sum(1 for item in kept if type(item) is Message)
            yield Outgoing(event, body, group[0].origin, messages, len(kept) - messages, partial)


def _original_body(record: Any) -> bytes | None:
    """The exact body bytes a record kept, when it kept them as text."""
    if type(record) is not dict or is_message(record):
        return None
    raw = record.get("body_raw")
    if type(raw) is str:
        return raw.encode("utf-8")
    for key in ("body", "data"):
        if key in record:
            body = record[key]
            if type(body) is str:
                text = body.strip().encode("utf-8")
                try:
                    orjson.loads(text)
                except orjson.JSONDecodeError:
                    return None  # base64 or something else: re-encoded from what was read
                return text
            return None
    return None


def _body_is_list(record: Any) -> bool:
    if type(record) is list:
        return True
    if type(record) is not dict or is_message(record):
        return False
    for key in ("body", "data"):
        if key in record:
            body = record[key]
            if type(body) is str:
                return body.lstrip()[:1] == "["
            return type(body) is list
    return False


def _encode(items: list[Message | PresenceEntry], event: str, as_list: bool) -> bytes:
    if event == USER_ONLINESTATUS or type(items[0]) is PresenceEntry:
        return dumps([item.text for item in items if type(item) is PresenceEntry])
    data = [item.data for item in items if type(item) is Message]
    if event == MSG_OFFLINE and len(data) == 1 and not as_list:
        return dumps(data[0])
    return dumps(data)


async def send_all(
    requests: Iterable[Outgoing],
    url: str,
    on_result: Callable[[Result], None],
    concurrency: int = 1,
    rate: float | None = None,
    timeout: float = 30.0,
) -> None:
    """POST every request to ``url``; at most ``concurrency`` at once and ``rate`` per second.

    With a concurrency of 1 the requests go out one after another, in the dump's order.
    """
    from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector

    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(concurrency)
    interval = 1.0 / rate if rate else 0.0
    next_start = loop.time()
    headers = {"Content-Type": "application/json", "User-Agent": f"wkcli/{__version__} (replay)"}
    pending: set[asyncio.Task[None]] = set()

    async def send(session: ClientSession, request: Outgoing) -> None:
        target = request.url(url)
        result = Result(request, url=target)
        reading = False

        async def exchange() -> None:
            nonlocal reading
            async with session.post(target, data=request.body, headers=headers, allow_redirects=False) as answer:
                result.status = answer.status
                reading = True
                # Only the status counts; the body is drained (so the connection can be reused)
                # but never held, and a server that never ends it is cut off.
                await read_capped(answer.content, RESPONSE_CAP, keep=False)

        started = time.perf_counter()
        try:
            await asyncio.wait_for(exchange(), timeout)
        except (asyncio.TimeoutError, ClientError, OSError, BodyTooLarge) as exc:
            result.error = describe_client_error(exc, timeout, reading_body=reading)
        finally:
            result.ms = (time.perf_counter() - started) * 1000
            slots.release()
        on_result(result)

    connector = TCPConnector(limit=concurrency, force_close=False)
    async with ClientSession(
        connector=connector, timeout=ClientTimeout(total=timeout), auto_decompress=False
    ) as session:
        try:
            pending_requests = iter(requests)
            while True:
                # Take a slot before reading on, so messages about the input stay in order.
                await slots.acquire()
                request = next(pending_requests, None)
                if request is None:
                    slots.release()
                    break
                if interval:
                    now = loop.time()
                    if next_start > now:
                        await asyncio.sleep(next_start - now)
                    next_start = max(next_start, now) + interval
                task = loop.create_task(send(session, request))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if pending:
                await asyncio.gather(*pending)
        finally:
            for task in pending:
                task.cancel()


def replay(
    planner: Planner,
    url: str,
    on_result: Callable[[Result], None],
    concurrency: int = 1,
    rate: float | None = None,
    timeout: float = 30.0,
    dry_run: bool = False,
) -> ReplaySummary:
    """Send (or with ``dry_run`` only describe) every request the planner makes; return the tally."""
    summary = planner.summary

    def record(result: Result) -> None:
        if not result.dry_run:
            summary.add(result)
        on_result(result)

    if dry_run:
        for request in planner:
            record(Result(request, dry_run=True, url=request.url(url)))
        return summary
    asyncio.run(send_all(planner, url, record, concurrency, rate, timeout))
    return summary
