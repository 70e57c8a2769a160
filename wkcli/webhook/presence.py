"""Read ``user.onlinestatus`` strings: ``uid-deviceFlag-status-connId-deviceOnlineCount-totalOnlineCount``.

uids may themselves contain ``-`` (UUID uids are common), so the numbers are split off from the
right. The old documented 3-part form ``uid-deviceFlag-status`` is understood too.
"""

from __future__ import annotations

from typing import Any

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
