"""Several inputs at once: directories as their files, followed files in one poll loop, merges by time."""

from __future__ import annotations

import heapq
import os
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from wkcli.errors import UnreadableInput
from wkcli.read.follow import POLL_SECONDS, appearing, follow_lines
from wkcli.read.lines import IDLE
from wkcli.read.values import read_values

if TYPE_CHECKING:
    from wkcli.read.accounting import Item
    from wkcli.read.reader import Reader


def files_under(directory: str) -> tuple[list[str], dict[str, str]]:
    """Every regular file under ``directory``, recursively, in name order; hidden files and folders
    (a leading dot) are left out, as editors' and tools' own files live there.

    A folder that cannot be listed (``Permission denied``) keeps its place in the list, and the
    second value says why, by path, so the reader reports it in its turn as an unreadable file.
    """
    found: list[str] = []
    unlisted: dict[str, str] = {}

    def failed(exc: OSError) -> None:
        where = str(exc.filename) if exc.filename is not None else directory
        found.append(where)
        unlisted[where] = f"{where}: cannot list this folder: {exc.strerror or exc}"

    for root, dirs, files in os.walk(directory, onerror=failed):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                path = os.path.join(root, name)
                if os.path.isfile(path):
                    found.append(path)
    return found, unlisted


def follow_all(
    reader: Reader, on_wait: Callable[[], None] | None, poll: float = POLL_SECONDS
) -> Iterator[Item]:
    """The kept items of every path as they are written, in one poll loop (``tail -F a b``).

    Each file is read as far as it goes, then the next; when none has anything new, ``on_wait``
    is called and the loop sleeps. A path that does not exist yet is waited for (said once).
    """
    feeds = [_followed(reader, path) for path in reader.paths]
    while feeds:
        progressed = False
        for feed in list(feeds):
            for got in feed:
                if got is IDLE:
                    break
                progressed = True
                yield from got  # type: ignore[misc]
            else:
                feeds.remove(feed)  # read to its end: stdin-like or gzip, not a growing file
        if not progressed:
            if on_wait is not None:
                on_wait()
            time.sleep(poll)


def _followed(reader: Reader, path: str) -> Iterator[object]:
    """Lists of kept items read from ``path``, with ``IDLE`` whenever it has nothing new."""
    ledger = reader.ledger

    def announce() -> None:
        if reader.diagnostics is not None:
            reader.diagnostics.note(f"{path}: does not exist yet; waiting for it to appear")

    for marker in appearing(path, announce):
        if marker is IDLE:
            yield IDLE
    try:
        source = reader.open_path(path)
    except UnreadableInput as exc:
        reader.stats.unreadable += 1
        ledger.error("", str(exc), count=False)
        return
    reader.stats.files += 1
    with source:
        if source.binary:
            reader.stats.malformed += 1
            ledger.error(source.name, "binary data, not JSON text (a binary file, or UTF-16?)", count=False)
            return
        name = source.name
        lines = follow_lines(
            path, source, reader.options.on_wait, idle=True, max_line=reader.options.max_line
        )
        for value in read_values(lines, reader.options.input_format):
            if value is IDLE:
                yield IDLE
            else:
                yield ledger.take(value, name)


def merged(reader: Reader) -> Iterator[Item]:
    """The kept items of every path, merged by time: a k-way merge holding one record per file.

    A record's time is its first item's (the message's timestamp, else its receive time); a record
    with no time takes the time of the record before it in its file, so it stays in file order.
    """
    ledger = reader.ledger

    def per_value(value: object, name: str) -> Iterator[list[Item]]:
        yield ledger.take(value, name)  # type: ignore[arg-type]

    streams = [reader.read_path(path, per_value) for path in reader.paths]
    last = [float("-inf")] * len(streams)
    heap: list[tuple[float, int, int, list[Item]]] = []
    counter = 0

    def push(index: int) -> None:
        nonlocal counter
        for items in streams[index]:
            if not items:
                continue  # nothing kept: its record was still counted
            moment = next((item.time for item in items if item.time is not None), None)
            if moment is not None:
                last[index] = moment
            counter += 1
            heapq.heappush(heap, (last[index], index, counter, items))
            return

    for index in range(len(streams)):
        push(index)
    while heap:
        _, index, _, items = heapq.heappop(heap)
        yield from items
        push(index)
