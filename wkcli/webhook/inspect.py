"""One message in depth: every delivery of it found in a dump, gathered into one view (``wkcli show``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wkcli.webhook.dedupe import identity, matches
from wkcli.webhook.model import Message, PresenceEntry
from wkcli.webhook.payload import message_view
from wkcli.webhook.recipients import NONE, recipients
from wkcli.webhook.times import format_time, iso_time

# id, kind, anomaly, deliveries, the message's fields and what they decode to (``show -o json``).
MessageView = dict[str, Any]


def find(items: Iterable[Message | PresenceEntry], wanted: str, utc: bool = False) -> list[MessageView]:
    """The view of each message whose id or client_msg_no is ``wanted``, its deliveries gathered."""
    groups: dict[Any, list[Message]] = {}
    for message in items:
        if type(message) is Message and matches(message, wanted):
            key = identity(message) or id(message)
            groups.setdefault(key, []).append(message)
    return [view(found, utc) for found in groups.values()]


def view(found: list[Message], utc: bool = False) -> MessageView:
    """The first delivery in full, with where and how each delivery arrived."""
    first = found[0]
    decoded = message_view(first.data, utc)
    timestamp = first.data.get("timestamp")
    if type(timestamp) is int or type(timestamp) is float:
        decoded["time_text"] = format_time(float(timestamp), utc) + (" UTC" if utc else "")
    deliveries = []
    for message in found:
        delivery: dict[str, Any] = {
            "event": message.event,
            "source": str(message.origin),
            "index": message.index,
            "received": iso_time(message.received, utc) if message.received is not None else None,
            "timestamp": message.data.get("timestamp"),
        }
        listed = recipients(message.data)
        if listed.status != NONE:
            delivery["recipients"] = listed.status
            delivery["to_uids"] = listed.uids
            if listed.reason:
                delivery["recipients_note"] = listed.reason
        deliveries.append(delivery)
    return {
        "id": first.id_text or str(first.data.get("client_msg_no") or ""),
        "kind": first.kind,
        "anomaly": first.anomaly,
        "deliveries": deliveries,
        "message": first.data,
        "decoded": decoded,
    }
