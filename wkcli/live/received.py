"""What one request to ``capture`` was, for its live view, and a bounded memory that spots retries."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from wkcli.webhook.dedupe import identity
from wkcli.webhook.model import Message

RECENT_DELIVERIES = 100_000


@dataclass
class Received:
    """What one request was, for the live view: filled in whether it was recorded or refused."""

    received: float
    status: int
    remote: str
    method: str
    path: str
    event: str | None = None
    size: int = 0
    recorded: bool = False
    messages: int = 0
    cmd: int = 0
    chat: int = 0
    presence: int = 0
    problems: int = 0
    error: str | None = None  # why it was refused, or what is wrong with its body
    forward_status: int | None = None
    forward_ms: float | None = None
    forward_error: str | None = None
    disconnected: bool = False  # the client went away before its request was complete
    injected: bool = False  # the status was chosen by --respond or --fail-rate
    delay_ms: float | None = None  # answered late by --delay
    repeats: int = 0  # messages of this body already delivered in the same event
    retry_no: int = 0  # for the first of them: which delivery this is (2 = the first retry)
    retry_id: str = ""


class RecentDeliveries:
    """How many times each recent message was delivered in each event, in bounded memory.

    A msg.offline message is keyed with its recipients too: v3 sends one message in several
    chunks with different recipients, and those are not retries.
    """

    def __init__(self, limit: int = RECENT_DELIVERIES) -> None:
        self.limit = limit
        self._counts: OrderedDict[tuple[Any, ...], int] = OrderedDict()

    def delivery(self, message: Message) -> tuple[int, str]:
        """Which delivery of ``message`` this is (1 the first) and its id; (0, "") if it has no id."""
        ident = identity(message)
        if ident is None or message.event is None:
            return 0, ""
        data = message.data
        recipients = (_recipients_key(data.get("to_uids")), _recipients_key(data.get("compress_to_uids")))
        key = (message.event, ident, *recipients)
        count = self._counts.pop(key, 0) + 1
        self._counts[key] = count  # most recent last: the oldest go first when full
        if len(self._counts) > self.limit:
            self._counts.popitem(last=False)
        return count, ident


def _recipients_key(value: Any) -> Any:
    if type(value) is list:
        return tuple(item if type(item) is str else repr(item) for item in value)
    return value if value is None or type(value) is str else repr(value)
