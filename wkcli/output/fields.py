"""``--fields``: the columns a user picks for table, CSV and TSV, by name or dotted path, checked up front."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from wkcli.errors import BadValue
from wkcli.output.layout import Column
from wkcli.read.jsontext import dumps
from wkcli.text import sanitize
from wkcli.webhook.model import MESSAGE_KEYS, OFFLINE_KEYS

# The ``decoded`` object of ``classify --decode`` (webhook.payload.message_view).
DECODED_KEYS = (
    "payload", "payload_status", "content_type", "content_type_name", "cmd", "param", "preview",
    "channel_type_name", "setting_flags", "time", "recipients", "to_uids", "recipients_note",
)  # fmt: skip
# Top-level fields of a WuKongIM message that a bare name may pick (``payload``, ``setting``).
MESSAGE_TOP = frozenset(MESSAGE_KEYS) | frozenset(OFFLINE_KEYS) | {
    "payload", "timestamp", "channel_type", "setting", "expire", "topic", "stream_no", "stream_seq",
    "stream_flag", "end", "end_reason", "message_seq",
}  # fmt: skip
# Columns that hold identifiers: shown whole or not at all.
_WHOLE = ("id", "uid", "idstr", "_no", "source", "time", "received", "timestamp", "channel")


def json_text(value: Any) -> str:
    """A JSON value as one line of human text, spelled as JSON (true, null, {"a":1}); '' for missing."""
    if value is None:
        return ""
    if isinstance(value, str):
        return sanitize(value)
    return sanitize(dumps(value).decode())


def parse_fields(text: str | None, named: Sequence[str], paths: bool = True) -> list[str] | None:
    """The names in ``--fields a,b,c``, each one of ``named``, ``decoded.<key>`` or a dotted path.

    An unknown name is a usage error that lists what there is to choose from.
    """
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise BadValue("fields", "needs at least one field name")
    for name in names:
        if name in named:
            continue
        head, _, rest = name.partition(".")
        if paths and head == "decoded" and rest.split(".")[0] in DECODED_KEYS:
            continue
        if paths and (head in MESSAGE_TOP or (rest and head not in ("decoded",))):
            continue
        choices = list(named)
        if paths:
            choices += [f"decoded.{key}" for key in DECODED_KEYS]
            choices.append("or a path into the message such as header.red_dot")
        raise BadValue("fields", f"has an unknown field {name!r}; choose from {', '.join(choices)}")
    return names


def lookup(record: Any, path: str) -> Any:
    """The value at a dotted path in nested dicts (None when any step is missing)."""
    for step in path.split("."):
        if type(record) is not dict:
            return None
        record = record.get(step)
    return record


def message_getter(
    names: Sequence[str], flat: Callable[[Any], dict[str, str]], utc: bool
) -> Callable[[Any], list[str]]:
    """A function from a message to the text of each named field.

    The flat row and the decoded view are built once per message, and only when a field needs them.
    """
    from wkcli.webhook.payload import message_view

    def values(message: Any) -> list[str]:
        row: dict[str, str] | None = None
        view: dict[str, Any] | None = None
        out = []
        for name in names:
            if name.startswith("decoded."):
                if view is None:
                    view = message_view(message.data, utc)
                out.append(json_text(lookup(view, name[8:])))
                continue
            if row is None:
                row = flat(message)
            if name in row:
                out.append(row[name])
            else:
                out.append(json_text(lookup(message.data, name)))
        return out

    return values


def column_for(name: str, priority: int) -> Column:
    """A table column for a picked field: identifiers whole, previews and payloads growing."""
    last = name.rsplit(".", 1)[-1]
    if last in ("preview", "payload", "entry", "content") or last.endswith("content"):
        return Column(name, priority, min=12, grow=True)
    if last in ("kind", "event", "status") or any(last.endswith(tail) for tail in _WHOLE):
        return Column(name, priority, whole=True)
    return Column(name, priority, min=min(len(name), 8))


def delimited_writer(out: TextIO, delimiter: str) -> Any:
    """A CSV writer (``,``), or a TSV writer (tab): the cells of a row joined by tabs, with no
    quoting at all, so they must hold no tab or newline (the callers' ``sanitize`` and
    ``json_text`` escape them) and may hold quotes as they are."""
    if delimiter == "\t":
        return TsvWriter(out)
    return csv.writer(out, delimiter=delimiter, lineterminator="\n")


class TsvWriter:
    """``csv.writer``'s ``writerow`` for TSV (csv's own cannot write a quote, or one empty cell,
    without quoting)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def writerow(self, cells: Sequence[object]) -> None:
        text = (cell if type(cell) is str else "" if cell is None else str(cell) for cell in cells)
        self.out.write("\t".join(text) + "\n")
