"""Files a command writes whole (``report --html``, browse's export): written beside their
target and renamed over it, so a failure or an interruption leaves the old file as it was."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO


@contextlib.contextmanager
def replacing(path: str) -> Iterator[BinaryIO]:
    """A file to write ``path``'s new content to; it becomes ``path`` when the block ends
    without an exception, and is removed otherwise."""
    folder, name = os.path.split(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def write_whole(path: str, data: bytes) -> None:
    """Write ``data`` as the whole of ``path`` (see ``replacing``)."""
    with replacing(path) as out:
        out.write(data)
