"""Read on a Dask cluster: connect (or start one), submit tasks in a bounded window, merge in order."""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from wkcli.cluster.plan import RANGE_BYTES, Task, plan_file
from wkcli.errors import WkcliError
from wkcli.read.accounting import Item, Ledger
from wkcli.read.fast.counts import Counts
from wkcli.read.fast.pieces import file_pieces
from wkcli.read.fast.ranges import RangeResult, RangeSpec, merge, pieces_at
from wkcli.read.fast.scan import Scan
from wkcli.read.fast.workers import default_jobs
from wkcli.read.source import Input
from wkcli.webhook.filters import Criteria

# Passed to the workers so that they reach the same object store; never credentials.
STORAGE_ENV = ("WKCLI_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3")
MAX_LOCAL = 256  # local:N workers at the most (each is a process)
CONNECT_SECONDS = 10  # WKCLI_CLUSTER_TIMEOUT: how long to try to reach a scheduler


class ClusterFailed(WkcliError):
    """The cluster cannot be reached or was lost: one line, exit 2."""


def shown(address: str) -> str:
    """The address as it may be printed: any ``user:password@`` taken out."""
    return re.sub(r"//[^/@]*@", "//", address)


class ClusterRunner:
    """Reads files whose fast path applies as tasks on a Dask cluster, and merges them in order.

    Tasks run ahead across files: while one file's results are merged, the next files' ranges
    are already on the workers (at most ``window`` tasks submitted and not yet merged; the
    client holds one result at a time).
    """

    def __init__(self, address: str, note: Callable[[str], None] | None = None) -> None:
        self.address = address
        self.note = note
        self.range_bytes = _range_bytes()
        self.tasks = 0  # tasks submitted
        self.asked = False  # whether the reader asked to read any file here
        self.failed = 0  # tasks that failed, their ranges read here
        self._client: Any = None
        self._cluster: Any = None
        self._window = 2
        self._queue: deque[tuple[int, Task, Any]] = deque()  # (file index, task, future), in order
        self._todo: Iterator[tuple[int, Task]] | None = None
        self._paths: list[str] | None = None
        self._spec: RangeSpec | None = None
        self._at = 0  # index of the next file in ``paths``
        # Futures merged or dropped, released but kept until close: a Future's __del__ would
        # otherwise run mid-read, and a Ctrl-C that lands in a finalizer is lost (see _redeliver).
        self._spent: list[Any] = []

    # -- the cluster

    def connect(self) -> Any:
        if self._client is not None:
            return self._client
        import logging

        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ClusterFailed("--cluster needs Dask: pip install 'wkcli[cluster]'") from None
        # Dask's own logs (with tracebacks when a connection drops) are not for the user: failures
        # are said in one line. Set after the import, which configures Dask's loggers.
        for name in ("distributed", "tornado", "asyncio", *logging.root.manager.loggerDict):
            if name.split(".")[0] in ("distributed", "tornado", "asyncio"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
        _redeliver_lost_signals()
        address = self.address
        try:
            if address == "local" or address.startswith("local:"):
                count = address[6:]
                workers = int(count) if count.isdigit() else default_jobs() if not count else 0
                if not 1 <= workers <= MAX_LOCAL:
                    raise ValueError(f"local:N takes N from 1 to {MAX_LOCAL}, not {count!r}")
                self._cluster = _deaf_to_ctrl_c(
                    lambda: LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",  # any free port: several clusters may run on one machine
                        silence_logs=logging.CRITICAL,
                    )
                )
                self._client = Client(self._cluster, set_as_default=False)
            else:
                timeout = float(os.environ.get("WKCLI_CLUSTER_TIMEOUT") or CONNECT_SECONDS)
                # A Client that fails to connect lingers and times out again when collected:
                # the scheduler's port is tried first, so a bad address is one line at once.
                _reachable(address, timeout)
                self._client = _unsignalled(lambda: Client(address, timeout=timeout, set_as_default=False))
        except Exception as exc:  # noqa: BLE001 - whatever the reason, one line and exit 2
            self.close()
            raise ClusterFailed(
                f"--cluster {shown(address)}: cannot use that cluster: {_reason(exc)}"
            ) from None
        threads = sum(self._client.nthreads().values())
        self._window = max(2, 2 * threads)
        return self._client

    def close(self) -> None:
        """Cancel what is still queued (Ctrl-C, an error) and let go of the cluster."""
        futures = [future for _, _, future in self._queue]
        self._queue.clear()
        self._spent.clear()
        for closing in (lambda: self._client.cancel(futures), self._client_close, self._cluster_close):
            try:
                closing()
            except Exception:  # noqa: BLE001 - closing a cluster that is gone already
                pass
        self._client = self._cluster = None

    def _client_close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _cluster_close(self) -> None:
        if self._cluster is not None:
            self._cluster.close()

    # -- reading

    def read(
        self, paths: list[str], path: str, source: Input, scan: Scan, ledger: Ledger, criteria: Criteria
    ) -> Iterator[Item]:
        """The kept items of ``path`` (opened as ``source``) that need the general path, as
        ``scan.scan`` gives them, its ranges read by the cluster."""
        self.asked = True
        if source.interactive or source.size is None:
            yield from scan.scan(source, ledger)
            return
        self.connect()
        spec = RangeSpec.of(scan, criteria)
        if spec != self._spec or paths is not self._paths:
            self._restart(paths, spec)
        index = next((i for i in range(self._at, len(paths)) if paths[i] == path), None)
        if index is None:
            yield from scan.scan(source, ledger)
            return
        self._at = index + 1
        self._fill()
        while self._queue and self._queue[0][0] < index:
            _, _, stale = self._queue.popleft()  # a file the reader did not read by ranges
            stale.cancel()
            self._spent.append(stale)
            self._fill()
        mine = self._queue and self._queue[0][0] == index
        first = self._queue[0][1] if mine else None
        if first is None or first.size != source.size or first.compressed != source.compressed:
            while self._queue and self._queue[0][0] == index:
                stale = self._queue.popleft()[2]
                stale.cancel()
                self._spent.append(stale)
            yield from scan.scan(source, ledger)
            return
        results = self._results(index)
        if first.compressed:
            result = next(results)[2]
            if result[2] is not None:  # gzip the fast path could not take whole: read it here
                yield from scan.scan(source, ledger)
                return
            results = iter([(0, first.size, result)])
        yield from merge(
            scan,
            ledger,
            source.name,
            results,
            self._pieces(source, scan),
            first.size,
            self._progress(source, scan),
        )

    def _restart(self, paths: list[str], spec: RangeSpec) -> None:
        for _, _, future in self._queue:
            future.cancel()
            self._spent.append(future)
        self._queue.clear()
        self._paths, self._spec, self._at = paths, spec, 0
        self._todo = self._plan(paths)

    def _plan(self, paths: list[str]) -> Iterator[tuple[int, Task]]:
        for index, path in enumerate(paths):
            try:
                tasks = plan_file(path, self.range_bytes)
            except Exception:  # noqa: BLE001 - the reader reports the file in its turn, reading it here
                tasks = []
            for task in tasks:
                yield index, task

    def _fill(self) -> None:
        """Submit tasks until ``window`` are in flight."""
        from wkcli.cluster.task import run_task

        storage = {key: os.environ[key] for key in STORAGE_ENV if os.environ.get(key)}
        while len(self._queue) < self._window and self._todo is not None:
            planned = next(self._todo, None)
            if planned is None:
                self._todo = None
                break
            index, task = planned
            self.tasks += 1
            # Earlier ranges first: the client merges in order.
            future = self._client.submit(
                run_task, self._spec, task, storage, pure=False, priority=-self.tasks
            )
            self._queue.append((index, task, future))

    def _results(self, index: int) -> Iterator[tuple[int, int, RangeResult]]:
        """``(start, end, result)`` of file ``index``'s tasks in order, topping the window up."""
        while self._queue and self._queue[0][0] == index:
            _, task, future = self._queue.popleft()
            self._fill()
            result = self._result(task, future)
            future.release()  # the workers may forget it now
            self._spent.append(future)
            yield task.start, task.end, result

    def _result(self, task: Task, future: Any) -> RangeResult:
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 - sorted below: the task's failure or the cluster's
            if future.status != "error":
                raise ClusterFailed(
                    f"--cluster {shown(self.address)}: lost the cluster: {_reason(exc)}"
                ) from None
            self.failed += 1
            if self.failed == 1 and self.note is not None:
                self.note(f"--cluster: a task failed ({_reason(exc)}); its range is read here")
            return Counts().state(), 0, task.start, [], b""  # as a forked worker that failed

    def _pieces(self, source: Input, scan: Scan) -> Callable[[int, int], Iterator[Any]]:
        block, max_line = scan.tuning.block, scan.options.max_line
        try:
            fd = source.raw.fileno()
        except (OSError, ValueError):
            from wkcli.read.remote import RemoteFile

            remote: list[RemoteFile] = []

            def read_at(offset: int, size: int) -> bytes:
                if not remote:
                    remote.append(RemoteFile(source.name))
                return remote[0].read_at(offset, size)

            return lambda start, end: pieces_at(read_at, start, end, block, max_line)
        return lambda start, end: file_pieces(fd, start, end, block, max_line)

    def _progress(self, source: Input, scan: Scan) -> Callable[[int], None] | None:
        progress, total = scan.options.progress, source.size
        if progress is None or total is None or total < scan.tuning.progress_min_bytes:
            return None
        name = source.name
        return lambda end: progress(name, end, total)


def _redeliver_lost_signals() -> None:
    """A Ctrl-C (or SIGTERM) raised while a finalizer runs is printed and dropped by Python; Dask's
    futures have finalizers. Deliver it again to the main thread instead, where it stops the read."""
    import _thread
    import signal
    import sys

    previous = sys.unraisablehook
    if getattr(previous, "wkcli", False):
        return

    def hook(unraisable: Any) -> None:
        exc = unraisable.exc_value
        if isinstance(exc, KeyboardInterrupt):
            from wkcli.errors import Terminated

            _thread.interrupt_main(signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)
            return
        previous(unraisable)

    hook.wkcli = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def _deaf_to_ctrl_c(start: Callable[[], Any]) -> Any:
    """Start a local cluster whose processes ignore SIGINT: a terminal's Ctrl-C goes to the whole
    process group, and workers stopped by it would print their tracebacks; wkcli cancels and
    closes them itself. (Children inherit an ignored signal; Ctrl-C is ignored while they start.)"""
    import signal

    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: a library caller's business
        return start()
    try:
        return _unsignalled(start, (signal.SIGINT,))  # SIGTERM stays: the nannies stop workers with it
    finally:
        signal.signal(signal.SIGINT, previous)


def _unsignalled(start: Callable[[], Any], names: tuple[int, ...] | None = None) -> Any:
    """Call ``start`` with SIGINT and SIGTERM blocked, so the threads it starts never take them:
    the kernel then delivers Ctrl-C to the main thread, which stops at once (a signal taken by
    another thread would leave the main thread blocked in a write or a wait until it returns)."""
    import signal

    signals = set(names) if names is not None else {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    except (AttributeError, OSError, ValueError):  # no pthreads, or not the main thread
        return start()
    try:
        return start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _range_bytes() -> int:
    """``WKCLI_CLUSTER_RANGE`` (e.g. 8M) if set: the bytes per task."""
    from wkcli.read.lines import parse_size

    text = os.environ.get("WKCLI_CLUSTER_RANGE")
    if not text:
        return RANGE_BYTES
    try:
        return max(1, parse_size(text))
    except ValueError:
        raise ClusterFailed(f"WKCLI_CLUSTER_RANGE: not a size: {text!r}") from None


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def _reachable(address: str, timeout: float) -> None:
    """Raise ValueError unless ``address`` (``tcp://host:port``, ``tls://…`` or ``host:port``)
    names a port that accepts a connection within ``timeout`` seconds."""
    import socket
    from urllib.parse import urlsplit

    scheme, sep, rest = address.partition("://")
    if not sep:
        rest = address
    elif scheme not in ("tcp", "tls"):
        raise ValueError(f"a scheduler's address is tcp://host:port or tls://host:port, not {scheme}://")
    try:
        parts = urlsplit("//" + rest)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or port is None:
        raise ValueError("a scheduler's address is tcp://host:port (8786 is Dask's default port)")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ValueError(f"{host}:{port}: {exc.strerror or exc}") from None
