"""Re-send captured webhooks to a business server exactly as WuKongIM would.

Each webhook body in a dump becomes one ``POST URL?event=NAME`` with ``Content-Type:
application/json``. When every item of a body is selected, the original body bytes are sent
(``body_raw`` of a wkcli capture, a body stored as a JSON string, or the compact encoding,
which is what WuKongIM itself sends); when the filters keep only some messages of a batch,
the batch is re-encoded with just those. Only HTTP 200 counts as success, as in WuKongIM.

Sending (pacing, retries, reading the input off the event loop) is in ``sender``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson

from wkcli.live.headers import merged, shown
from wkcli.live.sender import SendOptions, StopFlag, default_headers, send_all
from wkcli.read.jsontext import dumps
from wkcli.read.reader import Reader
from wkcli.read.values import Value
from wkcli.text import hide_credentials
from wkcli.webhook.model import (
    MSG_NOTIFY,
    MSG_OFFLINE,
    USER_ONLINESTATUS,
    Message,
    Origin,
    PresenceEntry,
    is_message,
)


@dataclass
class Outgoing:
    """One request to send: an event, the exact body bytes, and where it came from."""

    event: str
    body: bytes
    origin: Origin
    messages: int = 0
    presence: int = 0
    partial: bool = False  # the filters kept only part of the original body
    when: float | None = None  # when WuKongIM sent it: the record's receive time, else the message's

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
    attempts: int = 1
    earlier: list[str] = field(default_factory=list)  # what the failed attempts got, in order
    headers: dict[str, str] | None = None  # shown by a dry run (credentials hidden)

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
            out["url"] = hide_credentials(self.url)
            out["dry_run"] = True
            if self.headers is not None:
                out["headers"] = shown(self.headers)
            out["body"] = orjson.Fragment(request.body)
            return out
        out["status"] = self.status
        out["ms"] = None if self.ms is None else round(self.ms, 2)
        if self.error is not None:
            out["error"] = self.error
        out["attempts"] = self.attempts
        if self.earlier:
            out["earlier"] = self.earlier
        return out


@dataclass
class ReplaySummary:
    sent: int = 0
    ok: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # bodies that matched no filter
    unnamed: int = 0  # bodies whose event could not be told
    attempts: int = 0  # with --retry: every attempt, the first ones included
    retried: int = 0  # requests that needed more than one attempt

    def add(self, result: Result) -> None:
        self.sent += 1
        self.attempts += result.attempts
        self.retried += result.attempts > 1
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
        named = self.criteria.events[0] if len(self.criteria.events) == 1 else None
        groups: list[list[Message | PresenceEntry]] = []
        for item in items:
            # A new body starts at its first element (a list of records holds several bodies).
            if not groups or item.index == 0 or item.event != groups[-1][0].event:
                groups.append([])
            groups[-1].append(item)
        original = _original_body(value.value) if len(groups) == 1 else None
        as_list = _body_is_list(value.value)
        for group in groups:
            if named is not None and group[0].event is None:
                for item in group:
                    item.event = named
            kept = [item for item in group if keep(item)]
            self.stats.matched += len(kept)
            if not kept:
                self.summary.skipped += 1
                continue
            event = group[0].event
            if event is None:
                # The event is told exactly as classify tells it: a lone message object without
                # recipients could be a msg.offline or one message of a msg.notify, so it is not
                # guessed. --event naming one event names these bodies.
                self.summary.unnamed += 1
                if self.diagnostics is not None:
                    self.diagnostics.warning(
                        str(group[0].origin),
                        "no event: name it with --event msg.offline (or msg.notify), or capture "
                        "with ?event= in the URL; not replayed",
                    )
                continue
            partial = len(kept) < len(group)
            # A lone object named msg.notify by --event is sent as the array WuKongIM sends.
            as_sent = original is not None and not (event == MSG_NOTIFY and not as_list)
            if original is not None and not partial and as_sent:
                body = original
            else:
                body = _encode(kept, event, as_list)
            messages = sum(1 for item in kept if type(item) is Message)
            presence = len(kept) - messages
            yield Outgoing(event, body, group[0].origin, messages, presence, partial, _when(group[0]))


def _when(item: Message | PresenceEntry) -> float | None:
    """When WuKongIM sent a body: its record's receive time, else its first message's timestamp."""
    if item.received is not None:
        return item.received
    if type(item) is Message:
        stamp = item.data.get("timestamp")
        if type(stamp) is int or type(stamp) is float:
            return float(stamp)
    return None


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


def replay(
    planner: Planner,
    url: str,
    on_result: Callable[[Result], None],
    options: SendOptions | None = None,
    dry_run: bool = False,
    stop: StopFlag | None = None,
) -> ReplaySummary:
    """Send (or with ``dry_run`` only describe) every request the planner makes; return the tally.

    ``stop`` (set by Ctrl-C or SIGTERM while sending) ends reading; the requests in flight finish.
    """
    options = options or SendOptions()
    summary = planner.summary

    def record(result: Result) -> None:
        if not result.dry_run:
            summary.add(result)
        on_result(result)

    if dry_run:
        headers = merged(default_headers(), options.headers)
        for request in planner:
            record(Result(request, dry_run=True, url=request.url(url), headers=headers))
        return summary

    def fresh(request: Outgoing) -> Result:
        return Result(request, url=request.url(url))

    asyncio.run(send_all(planner, url, fresh, record, options, stop))
    return summary
