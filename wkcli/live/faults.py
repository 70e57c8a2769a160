"""Fault injection for ``capture``: answer with a chosen status, fail a fraction, answer late."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from wkcli.errors import UsageError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m)?\s*$", re.I)
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}


@dataclass
class Faults:
    """What capture answers instead of 200 (or of the business server's status, with --forward)."""

    respond: int | None = None  # every request gets this status
    fail_rate: float = 0.0  # this fraction of requests gets fail_status
    fail_status: int = 500
    delay: tuple[float, float] | None = None  # seconds: answer late, uniformly within the range
    seed: int | None = None
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @property
    def active(self) -> bool:
        return self.respond is not None or self.fail_rate > 0 or self.delay is not None

    def decide(self) -> tuple[int | None, float]:
        """The injected status for the next request (None: answer as usual) and how late to answer.

        One random draw per request for each fault, in arrival order: a --seed replays the same
        choices for the same sequence of requests.
        """
        status = self.respond
        if status is None and self.fail_rate > 0 and self.rng.random() < self.fail_rate:
            status = self.fail_status
        late = 0.0
        if self.delay is not None:
            low, high = self.delay
            late = low if low == high else self.rng.uniform(low, high)
        return status, late


def answered(status: int, injected: bool, late: float) -> dict[str, Any]:
    """The record's ``answered`` field: what WuKongIM was told, and whether wkcli made it up."""
    out: dict[str, Any] = {"status": status, "injected": injected}
    if late:
        out["delay_ms"] = round(late * 1000, 1)
    return out


def parse_status(text: str, option: str) -> int:
    try:
        status = int(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not an HTTP status (e.g. 500)") from None
    if not 200 <= status <= 599:
        raise UsageError(f"{option}: {status} is not a final HTTP status (200 to 599)")
    return status


def parse_fail_rate(text: str) -> tuple[float, int]:
    """``0.3`` or ``0.3:503`` (a fraction, optionally the status; 500 by default)."""
    rate_text, _, status_text = text.partition(":")
    try:
        rate = float(rate_text)
    except ValueError:
        raise UsageError(f"--fail-rate: {text!r} is not a fraction: use P or P:STATUS (0.3:500)") from None
    if not 0 <= rate <= 1:
        raise UsageError(f"--fail-rate: {rate:g} is not between 0 and 1")
    return rate, parse_status(status_text, "--fail-rate") if status_text else 500


def parse_duration(text: str, option: str) -> float:
    """``250ms``, ``1.5s``, ``2`` (seconds) or ``1m`` -> seconds."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(f"{option}: cannot read {text!r} as a duration: use e.g. 250ms, 1.5s, 2s")
    unit = match.group(2).lower() if match.group(2) else None
    return float(match.group(1)) * _UNIT[unit]


def parse_delay(text: str) -> tuple[float, float]:
    """``2s`` or a range ``100ms..3s`` (uniformly random within it)."""
    low_text, sep, high_text = text.partition("..")
    low = parse_duration(low_text, "--delay")
    high = parse_duration(high_text, "--delay") if sep else low
    if high < low:
        raise UsageError(f"--delay: the range {text!r} ends before it starts")
    return low, high
