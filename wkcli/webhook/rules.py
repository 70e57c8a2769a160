"""What each ``check`` finding means: its code, level, title and the explanation shown with it."""

from __future__ import annotations

from dataclasses import dataclass

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
