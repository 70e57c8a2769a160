"""User-given times: relative ages, ISO strings, epochs."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from wkcli.webhook.times import epoch_seconds, format_time, parse_record_time, parse_when

NOW = 1_785_398_400.0  # 2026-07-30 08:00:00 UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", NOW - 7200),
        ("30m", NOW - 1800),
        ("90s", NOW - 90),
        ("1d", NOW - 86400),
        ("1w", NOW - 604800),
        ("2 hours ago", NOW - 7200),
        ("now", NOW),
        ("1785398400", 1785398400.0),
        ("1785398400000", 1785398400.0),
        ("2026-07-30T08:00:00Z", NOW),
        ("2026-07-30T10:00:00+02:00", NOW),
        ("2026-07-30 08:00:00", NOW),  # local = UTC in the tests
        ("2026-07-30", NOW - 8 * 3600),
    ],
)
def test_parse_when(text, expected):
    assert parse_when(text, now=NOW) == pytest.approx(expected)


def test_parse_when_rejects_nonsense_with_a_hint():
    with pytest.raises(ValueError, match="use e.g. 2h"):
        parse_when("last tuesday", now=NOW)


def test_epochs_in_any_unit():
    assert epoch_seconds(1785398400) == 1785398400
    assert epoch_seconds(1785398400123) == pytest.approx(1785398400.123)
    assert epoch_seconds(1785398400123456) == pytest.approx(1785398400.123456)


def test_record_times():
    assert parse_record_time("2026-07-30T08:00:00Z") == NOW
    assert parse_record_time(1785398400000) == NOW
    assert parse_record_time(True) is None
    assert parse_record_time("not a time") is None


def test_format_time_local_and_utc():
    assert format_time(NOW) == "2026-07-30 08:00:00"
    assert format_time(NOW, utc=True) == datetime.fromtimestamp(NOW, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    assert format_time(None) == ""
