"""Send planned webhook requests: pacing (rate, original speed), WuKongIM's retries, input read off the loop.

The input is read on a thread of its own and handed over through a bounded queue, so a followed
file waiting for its next line (or a slow disk) never stalls the requests in flight, and memory
stays bounded however far ahead the input is.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from wkcli import __version__
from wkcli.live import RESPONSE_CAP, BodyTooLarge, describe_client_error, read_capped
from wkcli.live.headers import merged
from wkcli.live.retry import CONNECT_TIMEOUT, HEADER_TIMEOUT, RetryPolicy

QUEUE_SIZE = 64  # requests read ahead of the sender
_DONE = object()


class Stopped(Exception):
    """Raised inside the input thread (from the reader's wait hook) when sending was told to stop."""


class Request(Protocol):
    event: str
    body: bytes
    when: float | None

    def url(self, base: str) -> str: ...


class Reply(Protocol):
    status: int | None
    ms: float | None
    error: str | None
    attempts: int
    earlier: list[str]


@dataclass
class SendOptions:
    concurrency: int = 1
    rate: float | None = None  # requests per second
    timeout: float = 30.0  # the whole exchange, answer included
    speed: float = 0.0  # 0: as fast as allowed; X: the dump's own pace times X
    retry: RetryPolicy | None = None
    headers: dict[str, str | None] = field(default_factory=dict)
    queue_size: int = QUEUE_SIZE


class StopFlag:
    """Set by Ctrl-C or SIGTERM: the reader stops at its next wait, the sender once in-flight requests end."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: int | None = None

    def set(self, signum: int | None = None) -> None:
        if self.signal is None:
            self.signal = signum
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()

    def check(self) -> None:
        """The reader's wait hook: raises ``Stopped`` once the flag is set."""
        if self.event.is_set():
            raise Stopped()


def default_headers() -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": f"wkcli/{__version__} (replay)"}


class Pacer:
    """When each request may start: ``--speed`` against the first timed request, then ``--rate``.

    The schedule is absolute (start + offset / speed on a monotonic clock), so waiting late for
    one request does not push every later one back.
    """

    def __init__(self, clock: Callable[[], float], speed: float, rate: float | None) -> None:
        self.clock = clock
        self.speed = speed
        self.interval = 1.0 / rate if rate else 0.0
        self.start: float | None = None
        self.first_when: float = 0.0
        self.next_start = 0.0

    def delay(self, when: float | None) -> float:
        """Seconds to wait before sending a request whose original time was ``when``."""
        now = self.clock()
        due = now
        if self.speed and when is not None:
            if self.start is None:
                self.start, self.first_when = now, when
            due = max(now, self.start + (when - self.first_when) / self.speed)
        if self.interval:
            due = max(due, self.next_start)
            self.next_start = due + self.interval
        return due - now


def _feed(
    requests: Iterable[Any],
    loop: asyncio.AbstractEventLoop,
    queue: asyncio.Queue[Any],
    stop: StopFlag,
    failure: list[BaseException],
) -> None:
    """The input thread: read requests and queue them; always ends the queue with ``_DONE``."""

    def put(item: Any) -> bool:
        future = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
        while True:
            try:
                future.result(timeout=0.2)
                return True
            except TimeoutError:
                if stop.is_set() or loop.is_closed():
                    future.cancel()
                    return False
            except (asyncio.CancelledError, RuntimeError):
                return False

    try:
        for request in requests:
            if stop.is_set() or not put(request):
                break
    except Stopped:
        pass
    except BaseException as exc:  # noqa: BLE001 - handed to the loop, raised there
        failure.append(exc)
    finally:
        if not loop.is_closed():
            try:
                asyncio.run_coroutine_threadsafe(queue.put(_DONE), loop)
            except RuntimeError:
                pass


async def send_all(
    requests: Iterable[Any],
    url: str,
    make_result: Callable[[Any], Reply],
    on_result: Callable[[Any], None],
    options: SendOptions,
    stop: StopFlag | None = None,
) -> None:
    """POST every request to ``url`` as ``options`` say; each outcome goes to ``on_result``.

    With a concurrency of 1 the requests go out one after another, in the dump's order, and a
    request being retried holds back the next one (as WuKongIM's notify queue does).
    """
    from aiohttp import ClientSession, ClientTimeout, TCPConnector

    loop = asyncio.get_running_loop()
    stop = stop or StopFlag()
    slots = asyncio.Semaphore(options.concurrency)
    pacer = Pacer(loop.time, options.speed, options.rate)
    headers = merged(default_headers(), options.headers)
    retry = options.retry
    timeout = options.timeout
    if retry is not None:
        # WuKongIM's client gives up connecting after 5 s and waiting for an answer after 10 s.
        client_timeout = ClientTimeout(total=timeout, sock_connect=CONNECT_TIMEOUT, sock_read=HEADER_TIMEOUT)
    else:
        client_timeout = ClientTimeout(total=timeout)
    stopping = asyncio.Event()
    queue: asyncio.Queue[Any] = asyncio.Queue(options.queue_size)
    failure: list[BaseException] = []
    pending: set[asyncio.Task[None]] = set()

    async def send(session: ClientSession, request: Any) -> None:
        result = make_result(request)
        attempts = retry.attempts_for(request.event) if retry is not None else 1
        try:
            for attempt in range(1, attempts + 1):
                result.attempts = attempt
                await _exchange(session, request, url, headers, timeout, result)
                if result.status == 200 and result.error is None or attempt == attempts:
                    break
                result.earlier.append(result.error if result.error is not None else str(result.status))
                assert retry is not None
                # WuKongIM sleeps a fixed second after a failed push; a stop cuts the wait short.
                try:
                    await asyncio.wait_for(stopping.wait(), retry.wait)
                    break
                except asyncio.TimeoutError:
                    pass
        finally:
            slots.release()
        on_result(result)

    thread = threading.Thread(
        target=_feed, args=(requests, loop, queue, stop, failure), name="wkcli-replay-input", daemon=True
    )
    restore = _catch_signals(loop, stop, stopping)
    connector = TCPConnector(limit=options.concurrency, force_close=False)
    try:
        async with ClientSession(
            connector=connector, timeout=client_timeout, auto_decompress=False
        ) as session:
            thread.start()
            while True:
                await slots.acquire()
                item = await _next(queue, stopping)
                if item is _DONE or stopping.is_set():
                    slots.release()
                    break
                wait = pacer.delay(getattr(item, "when", None))
                if wait > 0 and await _stopped_within(stopping, wait):
                    slots.release()
                    break
                task = loop.create_task(send(session, item))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if pending:
                await asyncio.gather(*pending)
    finally:
        stop.set()
        for task in pending:
            task.cancel()
        restore()
    thread.join(timeout=1.0)
    if failure:
        raise failure[0]


async def _exchange(
    session: Any, request: Any, url: str, headers: dict[str, str], timeout: float, result: Any
) -> None:
    from aiohttp import ClientError, ServerTimeoutError

    target = request.url(url)
    result.status = None
    result.error = None
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
    except ServerTimeoutError as exc:
        # aiohttp's connect and read timeouts (set by --retry): name the limit that was hit.
        if "connect" in str(exc).lower():
            result.error = f"timed out after {CONNECT_TIMEOUT:g} s connecting"
        elif reading:
            result.error = f"timed out after {HEADER_TIMEOUT:g} s: the response body stalled"
        else:
            result.error = f"timed out after {HEADER_TIMEOUT:g} s waiting for the response headers"
    except (asyncio.TimeoutError, ClientError, OSError, BodyTooLarge) as exc:
        result.error = describe_client_error(exc, timeout, reading_body=reading)
    finally:
        result.ms = (time.perf_counter() - started) * 1000


async def _next(queue: asyncio.Queue[Any], stopping: asyncio.Event) -> Any:
    """The next request, or ``_DONE`` once the input ends or a stop is asked for."""
    if not queue.empty():
        return queue.get_nowait()
    getter = asyncio.ensure_future(queue.get())
    halt = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait((getter, halt), return_when=asyncio.FIRST_COMPLETED)
    finally:
        halt.cancel()
    if getter.done():
        return getter.result()
    getter.cancel()
    return _DONE


async def _stopped_within(stopping: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(stopping.wait(), seconds)
        return True
    except asyncio.TimeoutError:
        return False


def _catch_signals(
    loop: asyncio.AbstractEventLoop, stop: StopFlag, stopping: asyncio.Event
) -> Callable[[], None]:
    """Ctrl-C and SIGTERM stop reading and sending; the requests in flight finish and are reported."""
    installed: list[tuple[int, Any]] = []

    def on_signal(signum: int) -> None:
        stop.set(signum)
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous = signal.getsignal(signum)
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append((signum, previous))
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (a library caller): signals are the caller's

    def restore() -> None:
        for signum, previous in installed:
            loop.remove_signal_handler(signum)
            try:
                signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
            except (ValueError, OSError, TypeError):
                pass

    return restore
