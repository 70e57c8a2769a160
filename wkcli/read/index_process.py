"""Building an ``Index`` in another process, its new rows handed over in compact chunks through a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wkcli.read.index import Index

# The arrays handed over (by name); rows are counted complete once all of them are in.
RECORD_ARRAYS = ("rec_file", "rec_offset", "rec_size", "rec_line", "rec_element")
ROW_ARRAYS = ("row_record", "row_sub", "kinds", "events", "times", "idents")
LISTS = ("names", "_readable", "_spools", "event_names", "gone", "notices", "error_rows")


def build_in_child(index: Index) -> None:
    """Fill ``index`` from a process that reads the files (returns when it has read them all).

    The child process holds an interpreter lock of its own: a thread of the app's process that
    parsed 1M records would keep the screen from answering keys for seconds at a time. It is a
    fresh interpreter (``python -m``), not a fork of the app's process, which runs threads.
    """
    read_end, write_end = os.pipe()
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", __name__, str(write_end), index.input_format,
             "follow" if index.follow else "once", *index.paths],
            pass_fds=(write_end,),
            stdin=sys.stdin if "-" in index.paths else subprocess.DEVNULL,  # a dump piped in
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # the screen is the app's; a failure comes as a chunk
        )  # fmt: skip
    except OSError as exc:
        os.close(read_end)
        index.failure = f"cannot start the indexing process: {exc.strerror or exc}"
        index.done = True
        index.changed.set()
        return
    finally:
        os.close(write_end)
    index.child = child
    conn = Connection(read_end, writable=False)
    try:
        while not index.stopping.is_set():
            try:
                chunk = conn.recv()
            except (EOFError, OSError):
                if not index.stopping.is_set():
                    status = child.wait()
                    index.failure = f"the indexing process ended unexpectedly (exit status {status})"
                break
            _take(index, chunk)
            index.changed.set()
            if chunk["done"]:
                break
    except Exception as exc:  # noqa: BLE001 - told to the app, which ends cleanly
        index.failure = f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
        index.done = True
        index.changed.set()


def stop_child(index: Index) -> None:
    child = index.child
    if child is not None and child.poll() is None:
        child.terminate()
        try:
            child.wait(2)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _child(fd: int, input_format: str, follow: bool, paths: list[str]) -> None:
    from wkcli.read.index import Index

    conn = Connection(fd, readable=False)
    try:
        os.nice(5)  # on a busy machine the screen comes first; the index just takes longer
    except OSError:
        pass
    index = Index(paths, input_format, follow)
    sent = {name: 0 for name in ("rows", "records", *LISTS)}
    sent.update({f"values:{name}": 1 for name in index.fields})  # both sides start with None
    sent["event_names"] = 1

    def ship() -> None:
        conn.send(_chunk(index, sent))

    index.ship = ship
    try:
        index.build()
    except OSError:
        pass  # the app is gone (a broken pipe): nothing to tell
    finally:
        index.close(keep_spools=True)  # the app reads rows from them, and deletes them


def _chunk(index: Index, sent: dict[str, int]) -> dict[str, Any]:
    """What ``index`` gained since the last chunk; ``sent`` remembers how far each part went."""
    rows, records = index.count, len(index.rec_element)
    start, first = sent["rows"], sent["records"]
    chunk: dict[str, Any] = {
        "count": rows,
        "rows": {name: getattr(index, name)[start:rows].tobytes() for name in ROW_ARRAYS},
        "records": {name: getattr(index, name)[first:records].tobytes() for name in RECORD_ARRAYS},
        "codes": {name: field.codes[start:rows].tobytes() for name, field in index.fields.items()},
        "values": {},
        "lists": {},
        "errors": [],
        "bytes_read": index.bytes_read,
        "bytes_total": index.bytes_total,
        "failure": index.failure,
        "done": index.done,
    }
    for name in LISTS:
        values = getattr(index, name)
        chunk["lists"][name] = values[sent[name] :]
        sent[name] = len(values)
    chunk["errors"] = [(row, *index.errors[row]) for row in chunk["lists"]["error_rows"]]
    for name, field in index.fields.items():
        key = f"values:{name}"
        chunk["values"][name] = field.values[sent[key] :]
        sent[key] = len(field.values)
    sent["rows"], sent["records"] = rows, records
    return chunk


def _take(index: Index, chunk: dict[str, Any]) -> None:
    """Add a chunk to the app's index: lists and records first, rows, then the count that shows them."""
    lists = chunk["lists"]
    known = len(index.names)
    for name in LISTS:
        getattr(index, name).extend(lists[name])
    if index.follow:
        # Opened now, while the name still means this file: it may be rotated away later.
        for number in range(known, len(index.names)):
            index.open_file(number)
    for name, data in chunk["records"].items():
        getattr(index, name).frombytes(data)
    for name, data in chunk["rows"].items():
        getattr(index, name).frombytes(data)
    for name, field in index.fields.items():
        field.extend(chunk["values"][name])
        field.codes.frombytes(chunk["codes"][name])
    for row, where, reason in chunk["errors"]:
        index.errors[row] = (where, reason)
    index.bytes_read = chunk["bytes_read"]
    index.bytes_total = chunk["bytes_total"]
    if chunk["failure"]:
        index.failure = chunk["failure"]
    index.count = chunk["count"]


if __name__ == "__main__":
    _child(int(sys.argv[1]), sys.argv[2], sys.argv[3] == "follow", sys.argv[4:])
