"""Telling one message from another: the identity a message keeps across retries and events.

The same message reaches a webhook several times: once in ``msg.notify``, in one or more
``msg.offline`` chunks, and again whenever WuKongIM retries a delivery that did not get HTTP 200.
"""

from __future__ import annotations

from wkcli.webhook.model import Message


def identity(message: Message) -> str | None:
    """``message_id`` as exact text, else ``client_msg_no``; None when the message has neither."""
    ident = message.id_text
    if ident and ident != "0":
        return ident
    client_no = message.data.get("client_msg_no")
    if type(client_no) is str and client_no:
        return "client_msg_no:" + client_no
    return None


class Deduper:
    """Remembers the messages it has seen; ``first`` is true only the first time."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self.repeats = 0

    def first(self, message: Message) -> bool:
        ident = identity(message)
        if ident is None:
            return True  # nothing to tell it apart by: always shown
        if ident in self._seen:
            self.repeats += 1
            return False
        self._seen.add(ident)
        return True


def matches(message: Message, wanted: str) -> bool:
    """True when ``wanted`` is the message's ``message_idstr``, ``message_id`` or ``client_msg_no``.

    ``message_id`` is compared as exact integer text, never through a float.
    """
    data = message.data
    for key in ("message_idstr", "message_id", "client_msg_no"):
        value = data.get(key)
        if type(value) is str:
            if value and value == wanted:
                return True
        elif type(value) is int and str(value) == wanted:
            return True
    return False
