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

# The Unix seconds a datetime can show (years 1 to 9999), a day inside each end for local zones.
MIN_SECONDS = -62135596800 + 86400
MAX_SECONDS = 253402300799 - 86400


def seconds_of(ts: object) -> float | None:
    """A message ``timestamp`` (Unix seconds) as a float, or None when it is not a usable time."""
    if type(ts) is int:
        return float(ts) if MIN_SECONDS <= ts <= MAX_SECONDS else None
    if isinstance(ts, float) and MIN_SECONDS <= ts <= MAX_SECONDS:  # False for NaN and infinities
        return ts
    return None


def timestamp_problem(ts: object) -> str | None:
    """What is wrong with a message's numeric ``timestamp``, or None (fine, absent or not a number)."""
    if type(ts) is not int and not isinstance(ts, float):  # 1e400 is read as a float subclass
        return None
    if seconds_of(ts) is not None:
        return None
    shown = str(ts) if len(str(ts)) <= 30 else str(ts)[:29] + "…"
    if looks_like_milliseconds(ts):
        return f"timestamp {shown} looks like milliseconds (WuKongIM sends Unix seconds): no time used"
    return f"timestamp {shown} is not a usable time: no time used"


def looks_like_milliseconds(ts: object) -> bool:
    """True for a timestamp in milliseconds where seconds belong: one that, read as milliseconds,
    falls in the years 2001 to 5138 (and so is far past year 9999 read as seconds). Anything else
    that no calendar shows (year 10000 in seconds, 1e20) is not called milliseconds."""
    return (type(ts) is int or isinstance(ts, float)) and 1e12 <= ts < 1e14


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
        try:
            return seconds_of(epoch_seconds(float(value)))
        except OverflowError:  # an int too wide for a float
            return None
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
        return ""
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
