"""The mistakes business servers make with WuKongIM webhooks, found in a dump (``wkcli check``).

A ``Checker`` is fed every message and presence entry and returns ``Finding``s: one per kind of
problem, counted, with a few examples (file:line and message id). Warnings are mistakes worth
fixing; informational findings explain something that looks odd but is expected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wkcli.webhook.dedupe import identity
from wkcli.webhook.deliveries import CHUNK, FIRST, OVERLAP, SECOND_CHUNK, Delivered, Deliveries, Paths
from wkcli.webhook.model import (
    CHAT,
    CMD,
    KNOWN_EVENTS,
    MSG_NOTIFY,
    MSG_OFFLINE,
    Message,
    Origin,
    PresenceEntry,
    classify,
    json_quote,
    json_repr,
)
from wkcli.webhook.payload import JSON, Decoded, decode_payload
from wkcli.webhook.presence import Presence, PresenceError, parse_presence
from wkcli.webhook.recipients import NONE, TOO_LARGE, UNKNOWN, UNREADABLE, Recipients, recipients
from wkcli.webhook.rules import INFO, RULES, WARNING, Rule
from wkcli.webhook.times import looks_like_milliseconds

SYSTEM_TYPES = range(1000, 2001)
CMD_CHANNEL_SUFFIX = "____cmd"
CMD_ONLINE_CHANNEL = "systemcmdonline"


@dataclass
class Example:
    source: str
    message_id: str | None = None
    event: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "message_id": self.message_id,
            "event": self.event,
            "detail": self.detail,
        }


@dataclass
class Finding:
    rule: Rule
    count: int = 0
    examples: list[Example] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def level(self) -> str:
        return self.rule.level

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.rule.code,
            "level": self.rule.level,
            "title": self.rule.title,
            "meaning": self.rule.meaning,
            "count": self.count,
            "examples": [example.as_dict() for example in self.examples],
        }


class Known:
    """What a caller already worked out about an item: its decoded payload, recipients or presence."""

    __slots__ = ("decoded", "recipients", "presence")

    def __init__(self, decoded: Decoded | None = None, recipients: Recipients | None = None,
                 presence: Presence | PresenceError | None = None) -> None:  # fmt: skip
        self.decoded = decoded
        self.recipients = recipients
        self.presence = presence


class Delivery:
    """A message as a fast path hands it over for duplicate detection: where it is, what it is."""

    __slots__ = ("id_text", "origin", "event", "time", "received")

    def __init__(
        self,
        id_text: str,
        origin: Origin,
        event: str | None,
        time: float | None,
        received: float | None = None,
    ) -> None:
        self.id_text = id_text
        self.origin = origin
        self.event = event
        self.time = time  # as Message.time: its timestamp, else its receive time
        self.received = received


class Checker:
    """Feed it items with ``add``; ``findings()`` lists what it found, warnings first."""

    # True when every finding is kept (a subclass's ``_note``), not only counts and examples: a
    # fast path then leaves each message with a finding to ``add``.
    every_note = False

    def __init__(
        self,
        max_examples: int = 3,
        remember: int | None = None,
        on_note: Callable[[str, Message | Delivery | PresenceEntry], None] | None = None,
    ) -> None:
        self.max_examples = max_examples
        self.on_note = on_note  # told (code, item) for every problem found, as it is found
        self._found: dict[str, Finding] = {}
        # event -> the messages seen in it, a few bytes each (see deliveries.py).
        self._deliveries: dict[str, Deliveries] = {}
        self._paths = Paths()
        # With ``remember``, only the newest messages per event are kept (between remember / 2 and
        # remember), so memory is bounded; a redelivery later than that is not seen as one.
        self.remember = remember
        self.messages = 0
        self.presence = 0

    def add(self, item: Message | PresenceEntry, known: Known | None = None) -> None:
        """Check one item; ``known`` passes on what the caller already decoded, to save decoding twice."""
        if isinstance(item, PresenceEntry):
            self.presence += 1
            self._presence(item, known)
        else:
            self.messages += 1
            self._message(item, known)
        event = item.event
        if event is not None and event not in KNOWN_EVENTS:
            self._note("unknown-event", item, f"event {json_quote(str(event))}")

    def findings(self) -> list[Finding]:
        order = {WARNING: 0, INFO: 1}
        return sorted(self._found.values(), key=lambda f: (order[f.level], -f.count, f.code))

    @property
    def warnings(self) -> int:
        return sum(f.count for f in self._found.values() if f.level == WARNING)

    @property
    def infos(self) -> int:
        return sum(f.count for f in self._found.values() if f.level == INFO)

    def report(self) -> dict[str, Any]:
        """The findings as data (``check --format json``)."""
        return {
            "warnings": self.warnings,
            "info": self.infos,
            "messages": self.messages,
            "presence": self.presence,
            "findings": [finding.as_dict() for finding in self.findings()],
        }

    # -- the checks -------------------------------------------------------------------------

    def _message(self, message: Message, known: Known | None) -> None:
        data = message.data
        kind = message.kind
        if message.anomaly is not None:
            sync_anomaly = classify(data)[1]  # the anomaly may be only about the timestamp
            if sync_anomaly is not None:
                self._note("sync-once-invalid", message, sync_anomaly)

        decoded = known.decoded if known is not None and known.decoded is not None else decode_payload(data)
        found = recipients(data) if known is None or known.recipients is None else known.recipients
        header = data.get("header")
        sync_once = header.get("sync_once") if type(header) is dict else data.get("sync_once")
        notes = message_notes(
            kind, message.event, decoded, data.get("channel_id"), data.get("timestamp"), found.status,
            found.reason, found.uids, data.get("from_uid"), sync_once,
        )  # fmt: skip
        for code, detail in notes:
            self._note(code, message, detail)
        self._duplicates(message, found.uids if found.status != NONE else None)

    @property
    def forgotten(self) -> int:
        """Messages dropped from memory (with ``remember``): a redelivery of one is not seen."""
        return sum(seen.forgotten for seen in self._deliveries.values())

    def _duplicates(self, message: Message, uids: list[str] | None) -> None:
        ident = identity(message)
        event = message.event
        if ident is None or event is None:
            return
        seen = self._deliveries.get(event)
        if seen is None:
            seen = self._deliveries[event] = Deliveries(event != MSG_NOTIFY, self._paths, self.remember)
        what, first = seen.see(ident, message.origin, uids)
        if what != FIRST and what != CHUNK:
            self._delivery(what, first, message)

    def delivered(self, event: str, run: list[Delivered], path: str) -> list[tuple[int, int, Origin | None]]:
        """Messages a fast path checked but for their duplicates (``read.fast.check``), each
        ``(identity hash, line, recipients)``: ``(position, what, first)`` of those that were
        delivered before, for ``note_delivery``. Counted in ``messages`` by the caller."""
        seen = self._deliveries.get(event)
        if seen is None:
            seen = self._deliveries[event] = Deliveries(event != MSG_NOTIFY, self._paths, self.remember)
        return seen.see_many(run, path)

    def note_delivery(self, what: int, first: Origin | None, delivery: Delivery) -> None:
        """Note what ``delivered`` found of one message (a duplicate, another chunk)."""
        if what != FIRST and what != CHUNK:
            self._delivery(what, first, delivery)

    def counted(self, code: str) -> bool:
        """Count one more of finding ``code`` and say True when that is all a note of it would
        do (its examples are full, and nothing is told of each note): then no note is needed."""
        if self.on_note is not None or self.every_note:
            return False
        finding = self._found.get(code)
        if finding is None or len(finding.examples) < self.max_examples:
            return False
        finding.count += 1
        return True

    def note_found(self, code: str, delivery: Delivery, detail: str | None) -> None:
        """Note finding ``code`` of a message a fast path judged (``message_notes``)."""
        self._note(code, delivery, detail)

    def _delivery(self, what: int, first: Origin | None, message: Message | Delivery) -> None:
        if what == SECOND_CHUNK:
            self._note("offline-chunks", message, f"first chunk at {first}")
        elif what == OVERLAP:
            self._note("duplicate", message, f"recipients overlap those of the delivery at {first}")
        else:
            self._note("duplicate", message, f"delivered before at {first}")

    def _presence(self, entry: PresenceEntry, known: Known | None) -> None:
        try:
            if known is None or known.presence is None:
                parse_presence(entry.text)
            elif type(known.presence) is PresenceError:
                raise known.presence
        except PresenceError as exc:
            detail = f"entry {entry.index + 1} {json_quote(entry.text)}: {exc}"
            self._note("presence-malformed", entry, detail)

    def _note(self, code: str, item: Message | Delivery | PresenceEntry, detail: str | None) -> None:
        finding = self._found.get(code)
        if finding is None:
            finding = self._found[code] = Finding(RULES[code])
        finding.count += 1
        if self.on_note is not None:
            self.on_note(code, item)
        if len(finding.examples) < self.max_examples:
            ident = None if isinstance(item, PresenceEntry) else item.id_text
            finding.examples.append(Example(str(item.origin), ident or None, item.event, detail))


def message_notes(
    kind: str, event: str | None, decoded: Decoded, channel: Any, ts: Any, status: str,
    reason: str | None, uids: list[str] | None, sender: Any, sync_once: Any,
) -> list[tuple[str, str | None]]:  # fmt: skip
    """The findings of a message's own rules, in the order the checker notes them, with their
    details: ``decoded`` is its payload, ``status``, ``reason`` and ``uids`` its recipients
    (``Recipients``), ``sync_once`` as sent (None: missing or null). The checker and the fast
    path (``read.fast.check``) both judge by it."""
    notes: list[tuple[str, str | None]] = []
    if decoded.status == JSON:
        ctype = decoded.content_type
        is_cmd_payload = decoded.is_cmd_payload
        if kind == CHAT and is_cmd_payload:
            name = f" {decoded.cmd}" if decoded.cmd else ""
            shown = "missing" if sync_once is None else json_repr(sync_once)
            notes.append(("cmd-payload-as-chat", f"cmd{name}, sync_once {shown}"))
        elif kind == CMD and not is_cmd_payload and type(ctype) is int:
            # String types ({"type": "typing"}) are some apps' CMD names: not evidence of chat.
            code = "sync-once-system" if ctype in SYSTEM_TYPES else "sync-once-not-cmd"
            notes.append((code, f"type {ctype} ({decoded.type_name})"))
    if (
        kind == CHAT
        and type(channel) is str
        and (channel.endswith(CMD_CHANNEL_SUFFIX) or channel == CMD_ONLINE_CHANNEL)
    ):
        notes.append(("cmd-channel-as-chat", f"channel {channel}"))
    if looks_like_milliseconds(ts):
        notes.append(("timestamp-milliseconds", f"timestamp {ts}"))
    if event == MSG_OFFLINE and kind == CMD:
        notes.append(("cmd-in-offline", None))
    if status == UNKNOWN:
        notes.append(("recipients-unknown", reason))
    elif status == UNREADABLE:
        notes.append(("recipients-unreadable", reason))
    elif status == TOO_LARGE:
        notes.append(("recipients-too-large", reason))
    elif uids is not None and type(sender) is str and sender and sender in uids:
        notes.append(("sender-in-recipients", f"from_uid {sender}"))
    return notes
