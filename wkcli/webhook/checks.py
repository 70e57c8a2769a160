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
from wkcli.webhook.deliveries import CHUNK, FIRST, OVERLAP, SECOND_CHUNK, Deliveries, Paths
from wkcli.webhook.model import (
    CHAT,
    CMD,
    KNOWN_EVENTS,
    MSG_NOTIFY,
    MSG_OFFLINE,
    Message,
    PresenceEntry,
    classify,
    json_quote,
    json_repr,
)
from wkcli.webhook.payload import JSON, Decoded, decode_payload
from wkcli.webhook.presence import Presence, PresenceError, parse_presence
from wkcli.webhook.recipients import NONE, TOO_LARGE, UNKNOWN, UNREADABLE, Recipients, recipients
from wkcli.webhook.times import looks_like_milliseconds

WARNING = "warning"
INFO = "info"


@dataclass(frozen=True)
class Rule:
    code: str
    level: str
    title: str
    meaning: str


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            "cmd-payload-as-chat", WARNING,
            "CMD payload (type 99) in a message whose header says chat",
            "Clients go by the payload type and run it as a command; WuKongIM and its webhooks go "
            "by header.sync_once, so the server stores it and pushes it like a chat message (an "
            "offline push notification for a command). Send CMDs with header.sync_once = 1.",
        ),
        Rule(
            "sync-once-not-cmd", WARNING,
            "sync_once 1 on a payload that is not a CMD",
            "WuKongIM treats the message as a command (synced once, no chat push) while clients "
            "show its content. If it was meant as chat, its header should say sync_once 0.",
        ),
        Rule(
            "sync-once-system", INFO,
            "sync_once 1 on a system message (type 1000-2000)",
            "TangSengDaoDao sends friend apply (1000) and friend accepted (1004) this way and the "
            "docs advise it for some system messages: a CMD by the rule, expected.",
        ),
        Rule(
            "cmd-channel-as-chat", WARNING,
            "command channel (____cmd / systemcmdonline) on a message marked chat",
            "v2 sends commands through channels ending in ____cmd and through systemcmdonline; a "
            "message there without sync_once 1 is handled as chat (stored, pushed).",
        ),
        Rule(
            "sync-once-invalid", WARNING,
            "sync_once (or header) that WuKongIM never sends",
            "WuKongIM sends header.sync_once as the integer 0 or 1. Only the number 1 marks a CMD, "
            'so "1", true, 2 or a non-object header are all handled as chat: usually a business '
            "server building the header by hand.",
        ),
        Rule(
            "timestamp-milliseconds", WARNING,
            "timestamp in milliseconds",
            "WuKongIM sends timestamp in Unix seconds. Milliseconds there mean a business server "
            "or a capture tool rewrote the message: its time is not used.",
        ),
        Rule(
            "cmd-in-offline", INFO,
            "CMD message inside msg.offline",
            "v3 never sends CMDs in msg.offline; v1/v2 do (even typing), so this is a sign of an "
            "old server or a hand-made payload. Skip CMDs before sending push notifications.",
        ),
        Rule(
            "duplicate", WARNING,
            "the same message delivered more than once in the same event",
            "WuKongIM retries a webhook until it gets exactly HTTP 200: a receiver answering "
            "201/204/500, or too slow to answer (timeout), gets the same message again and again "
            '(the often-reported "same offline message again and again"). Answer 200 at once, '
            "work asynchronously, and deduplicate by message_id.",
        ),
        Rule(
            "offline-chunks", INFO,
            "one message delivered in several msg.offline chunks",
            "v3 splits large recipient lists into chunks of 512: the same message arrives in "
            "several msg.offline bodies with disjoint recipients. Not duplicates.",
        ),
        Rule(
            "sender-in-recipients", WARNING,
            "sender listed among its own offline recipients",
            "A server bug in some versions: the sender would get a push notification for its own "
            "message. Drop from_uid from the recipients before pushing.",
        ),
        Rule(
            "recipients-unreadable", WARNING,
            "recipients that cannot be unpacked",
            "to_uids should be an array of uids; compress_to_uids standard base64 of gzip of a "
            "JSON array of uids. These are neither.",
        ),
        Rule(
            "recipients-too-large", WARNING,
            "recipients too large to unpack",
            "compress_to_uids unpacks to more uids (or bytes) than WuKongIM ever packs into one "
            "body (v3 sends at most 512 per chunk): a hand-made or hostile payload. Not unpacked.",
        ),
        Rule(
            "recipients-unknown", INFO,
            "recipients unknown: compress_to_uids is a truncated gzip",
            "WuKongIM v1/v2 read the compressor's bytes before closing it, so compress_to_uids is "
            "usually only the 10-byte gzip header: the recipient list is simply not in the webhook. "
            "What real servers send, not a broken record. Turn compression off or upgrade to v3.",
        ),
        Rule(
            "presence-malformed", WARNING,
            "presence strings that do not parse",
            "user.onlinestatus entries are uid-deviceFlag-status-connId-deviceOnlineCount-"
            "totalOnlineCount (split from the right: uids may contain '-'), or the old "
            "uid-deviceFlag-status.",
        ),
        Rule(
            "unknown-event", INFO,
            "event names WuKongIM does not send",
            "WuKongIM sends msg.notify, msg.offline and user.onlinestatus; these records were "
            "read by their body's shape.",
        ),
    )
}  # fmt: skip

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


class Checker:
    """Feed it items with ``add``; ``findings()`` lists what it found, warnings first."""

    def __init__(
        self,
        max_examples: int = 3,
        remember: int | None = None,
        on_note: Callable[[str, Message | PresenceEntry], None] | None = None,
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
        if decoded.status == JSON:
            ctype = decoded.content_type
            is_cmd_payload = decoded.is_cmd_payload
            if kind == CHAT and is_cmd_payload:
                name = f" {decoded.cmd}" if decoded.cmd else ""
                self._note("cmd-payload-as-chat", message, f"cmd{name}, sync_once {_sync_once(data)}")
            elif kind == CMD and not is_cmd_payload and type(ctype) is int:
                # String types ({"type": "typing"}) are some apps' CMD names: not evidence of chat.
                label = decoded.type_name
                if ctype in SYSTEM_TYPES:
                    self._note("sync-once-system", message, f"type {ctype} ({label})")
                else:
                    self._note("sync-once-not-cmd", message, f"type {ctype} ({label})")

        if kind == CHAT:
            channel = data.get("channel_id")
            if type(channel) is str and (
                channel.endswith(CMD_CHANNEL_SUFFIX) or channel == CMD_ONLINE_CHANNEL
            ):
                self._note("cmd-channel-as-chat", message, f"channel {channel}")

        ts = data.get("timestamp")
        if looks_like_milliseconds(ts):
            self._note("timestamp-milliseconds", message, f"timestamp {ts}")

        if message.event == MSG_OFFLINE and kind == CMD:
            self._note("cmd-in-offline", message, None)

        found = recipients(data) if known is None or known.recipients is None else known.recipients
        if found.status == UNKNOWN:
            self._note("recipients-unknown", message, found.reason)
        elif found.status == UNREADABLE:
            self._note("recipients-unreadable", message, found.reason)
        elif found.status == TOO_LARGE:
            self._note("recipients-too-large", message, found.reason)
        elif found.uids is not None:
            sender = data.get("from_uid")
            if type(sender) is str and sender and sender in found.uids:
                self._note("sender-in-recipients", message, f"from_uid {sender}")

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
        if what == FIRST or what == CHUNK:
            return
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

    def _note(self, code: str, item: Message | PresenceEntry, detail: str | None) -> None:
        finding = self._found.get(code)
        if finding is None:
            finding = self._found[code] = Finding(RULES[code])
        finding.count += 1
        if self.on_note is not None:
            self.on_note(code, item)
        if len(finding.examples) < self.max_examples:
            ident = item.id_text if isinstance(item, Message) else None
            finding.examples.append(Example(str(item.origin), ident or None, item.event, detail))


def _sync_once(data: dict[str, Any]) -> str:
    header = data.get("header")
    value = header.get("sync_once") if type(header) is dict else data.get("sync_once")
    return "missing" if value is None else json_repr(value)
