"""Reading and writing times: ISO strings, Unix seconds or milliseconds, and relative ages (``2h``)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

_RELATIVE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)"
    r"\s*(?:ago)?\s*$",
    re.I,
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_when(text: str, now: float | None = None) -> float:
    """Parse a user-given time into Unix seconds.

    Accepts relative ages (``90s``, ``15m``, ``2h``, ``3d``, ``1w``: that long before now),
    ``now``, ``today``, ``yesterday``, Unix seconds or milliseconds, and ISO 8601 dates and
    times (``2026-07-30``, ``2026-07-30T10:00``, ``2026-07-30 10:00:00+08:00``). Times without a
    zone are local time. Raises ``ValueError`` with a readable message.
    """
    now = time.time() if now is None else now
    raw = text.strip()
    lowered = raw.lower()
    if lowered == "now":
        return now
    if lowered in ("today", "yesterday"):
        midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.timestamp() - (86400 if lowered == "yesterday" else 0)
    match = _RELATIVE.match(raw)
    if match:
        return now - float(match.group(1)) * _UNIT_SECONDS[match.group(2)[0].lower()]
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return epoch_seconds(float(raw))
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a time: use e.g. 2h, 30m, 2026-07-30, "
            "2026-07-30T10:00:00Z or Unix seconds"
        ) from None
    return parsed.timestamp()


def epoch_seconds(number: float) -> float:
    """Unix seconds from a number that may be seconds, milliseconds or microseconds."""
    if number > 1e14:
        return number / 1e6
    if number > 1e11:
        return number / 1e3
    return number


def parse_record_time(value: object) -> float | None:
    """A capture record's receive time (ISO string or epoch number), or None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return epoch_seconds(float(value))
    if isinstance(value, str) and value:
        try:
            return parse_when(value) if not _RELATIVE.match(value) else None
        except ValueError:
            return None
    return None


def format_time(seconds: float | None, utc: bool = False) -> str:
    """``2026-07-30 10:00:00`` in local time (or UTC); empty for an unknown time."""
    if seconds is None:
        return ""
    try:
        moment = datetime.fromtimestamp(seconds, timezone.utc if utc else None)
    except (OverflowError, OSError, ValueError):
        return str(seconds)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def iso_time(seconds: float, utc: bool = False) -> str | None:
    """ISO 8601 with the zone offset (local by default): unambiguous in JSON."""
    try:
        moment = datetime.fromtimestamp(seconds, timezone.utc if utc else None)
    except (OverflowError, OSError, ValueError):
        return None
    return (moment if utc else moment.astimezone()).isoformat()


def utc_stamp(seconds: float) -> str:
    """``2026-11-28T15:37:05.123456Z``: a receive time as capture records keep it."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
