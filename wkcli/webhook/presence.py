"""Read ``user.onlinestatus`` strings: ``uid-deviceFlag-status-connId-deviceOnlineCount-totalOnlineCount``.

uids may themselves contain ``-`` (UUID uids are common), so the numbers are split off from the
right. The old documented 3-part form ``uid-deviceFlag-status`` is understood too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from wkcli.errors import BadValue
from wkcli.webhook.filters import split_values
from wkcli.webhook.model import PresenceEntry, json_quote
from wkcli.webhook.times import iso_time

DEVICE_FLAGS: dict[int, str] = {0: "app", 1: "web", 2: "pc", 99: "system"}
DEVICE_NUMBERS = {name: number for number, name in DEVICE_FLAGS.items()}
FULL_FORM = "uid-deviceFlag-status-connId-deviceOnlineCount-totalOnlineCount"
OLD_FORM = "uid-deviceFlag-status"


class PresenceError(ValueError):
    """A presence string that is neither form; the message says what was expected."""


class Presence:
    """One parsed presence string. The counts are after the change (``None`` in the old form)."""

    __slots__ = ("uid", "device_flag", "status", "conn_id", "device_online_count", "total_online_count")

    def __init__(
        self,
        uid: str,
        device_flag: int,
        status: int,
        conn_id: int | None = None,
        device_online_count: int | None = None,
        total_online_count: int | None = None,
    ) -> None:
        self.uid = uid
        self.device_flag = device_flag
        self.status = status
        self.conn_id = conn_id
        self.device_online_count = device_online_count
        self.total_online_count = total_online_count

    @property
    def online(self) -> bool:
        return self.status == 1

    @property
    def device(self) -> str:
        return device_name(self.device_flag)

    @property
    def old_form(self) -> bool:
        return self.conn_id is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "device_flag": self.device_flag,
            "device": self.device,
            "status": "online" if self.online else "offline",
            "conn_id": self.conn_id,
            "device_online_count": self.device_online_count,
            "total_online_count": self.total_online_count,
        }

    def __repr__(self) -> str:
        return (
            f"Presence({self.uid!r}, {self.device_flag}, {self.status}, {self.conn_id}, "
            f"{self.device_online_count}, {self.total_online_count})"
        )


def device_name(flag: int) -> str:
    return DEVICE_FLAGS.get(flag, f"device {flag}")


def device_flag(text: str) -> int:
    """A device given by name (``app``, ``web``, ``pc``, ``system``) or number."""
    lowered = text.strip().lower()
    if lowered in DEVICE_NUMBERS:
        return DEVICE_NUMBERS[lowered]
    if _is_number(lowered):
        return int(lowered)
    names = ", ".join(DEVICE_NUMBERS)
    raise ValueError(f"a device is a number or one of {names}, not {text!r}")


def parse_presence(text: str) -> Presence:
    """Parse one presence string; raises ``PresenceError`` with a readable reason."""
    parts = text.rsplit("-", 5)
    if len(parts) == 6 and parts[0] and all(_is_number(part) for part in parts[1:]):
        uid, flag, status, conn, device_count, total_count = parts
        if status not in ("0", "1"):
            raise PresenceError(f"status is {status}; expected 1 (online) or 0 (offline)")
        return Presence(uid, int(flag), int(status), int(conn), int(device_count), int(total_count))
    parts = text.rsplit("-", 2)
    if len(parts) == 3 and parts[0] and _is_number(parts[1]) and _is_number(parts[2]):
        if parts[2] not in ("0", "1"):
            raise PresenceError(f"status is {parts[2]}; expected 1 (online) or 0 (offline)")
        return Presence(parts[0], int(parts[1]), int(parts[2]))
    raise PresenceError(f"expected {FULL_FORM} (or the old {OLD_FORM})")


def _is_number(part: str) -> bool:
    return part.isascii() and part.isdigit()


class PresenceRow(NamedTuple):
    """A presence entry and what it says."""

    entry: PresenceEntry
    parsed: Presence

    def record(self, utc: bool = False) -> dict[str, Any]:
        """The row as data: received, the parsed fields, the original string and its source."""
        received = self.entry.received
        row: dict[str, Any] = {"received": iso_time(received, utc) if received is not None else None}
        row.update(self.parsed.as_dict())
        row["entry"] = self.entry.text
        row["source"] = str(self.entry.origin)
        return row


class PresenceSelection:
    """Turns presence entries into rows, keeping those for ``uids``, on ``devices``, going ``online``.

    Entries that do not parse are skipped and told to ``on_malformed(entry, reason)``. After
    ``limit`` rows the next item read stops the selection (``stopped_at_limit``).
    """

    def __init__(
        self,
        uids: Iterable[str] = (),
        devices: Iterable[int] = (),
        online: bool | None = None,
        limit: int | None = None,
    ) -> None:
        self.uids = frozenset(uids)
        self.devices = frozenset(devices)
        self.online = online
        self.limit = limit
        self.shown = 0
        self.stopped_at_limit = False

    @classmethod
    def from_options(
        cls,
        uid: Iterable[str] | None = None,
        device: Iterable[str] | None = None,
        online: bool | None = None,
        limit: int | None = None,
    ) -> PresenceSelection:
        """A selection from the values the user gave (repeatable or comma-separated)."""
        if limit is not None and limit < 0:
            raise BadValue("limit", "must be 0 or more")
        uids = split_values(uid)
        try:
            devices = [device_flag(value) for value in split_values(device)]
        except ValueError as exc:
            raise BadValue("device", str(exc), aside=True) from None
        return cls(uids, devices, online, limit)

    @property
    def filtering(self) -> bool:
        """True when some filter of its own (uid, device, online) can leave entries out."""
        return bool(self.uids or self.devices or self.online is not None)

    def rows(
        self, items: Iterable[object], on_malformed: Callable[[PresenceEntry, str], None]
    ) -> Iterator[PresenceRow]:
        for item in items:
            if self.limit == self.shown:
                self.stopped_at_limit = True
                return
            if type(item) is not PresenceEntry:
                continue
            try:
                parsed = parse_presence(item.text)
            except PresenceError as exc:
                on_malformed(item, f"presence entry {item.index + 1} {json_quote(item.text)}: {exc}")
                continue
            if self.uids and parsed.uid not in self.uids:
                continue
            if self.devices and parsed.device_flag not in self.devices:
                continue
            if self.online is not None and parsed.online != self.online:
                continue
            self.shown += 1
            yield PresenceRow(item, parsed)
