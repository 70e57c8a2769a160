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
    assert format_time(NOW, utc=True) == datetime.fromtimestamp(NOW, timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    assert format_time(None) == ""


def test_message_timestamps_no_calendar_shows_are_no_time():
    from wkcli.webhook.times import seconds_of, timestamp_problem

    for bad in (1764000000000, 253402300800, 1e20, float("inf"), float("nan"), 2**1100, -(2**70)):
        assert seconds_of(bad) is None
        assert timestamp_problem(bad) is not None
    assert "milliseconds" in timestamp_problem(1764000000000)
    assert seconds_of(1736467260) == 1736467260.0 and timestamp_problem(1736467260) is None
    assert timestamp_problem("1736467260") is None and timestamp_problem(None) is None


@pytest.mark.parametrize("fast", ["1", "0"])
@pytest.mark.parametrize("by", ["hour", "day", "minute"])
def test_count_by_time_survives_unusable_timestamps(run, tmp_path, monkeypatch, fast, by):
    import json

    monkeypatch.setenv("WKCLI_FASTPATH", fast)
    stamps = ["1764000000000", "253402300800", "1e20", "1e400", str(2**1100), "1736467260"]
    lines = [
        f'{{"header":{{"sync_once":0}},"message_id":{i},"timestamp":{ts},"to_uids":["a"]}}'
        for i, ts in enumerate(stamps, 1)
    ]
    lines.append(
        '{"event":"msg.offline","received_at":1e400,"body":{"header":{},"message_id":9,"to_uids":["a"]}}'
    )
    path = tmp_path / "ts.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run("count", str(path), "--by", by, "-o", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["anomalies"] == 5 and report["messages"] == 7
    assert {g[by]: g["count"] for g in report["groups"]}[None] == 6
    assert "ts.jsonl:1: warning: timestamp 1764000000000 looks like milliseconds" in result.stderr
    for args in (["classify", "-o", "csv", "--decode"], ["classify", "--since", "2h"], ["show", "4"]):
        assert run(*args, str(path)).exit_code in (0, 1)


def test_check_reports_millisecond_timestamps(run, tmp_path):
    import json

    path = tmp_path / "ts.jsonl"
    path.write_text('{"header":{"sync_once":0},"message_id":1,"timestamp":1764000000000,"to_uids":["a"]}\n')
    result = run("check", str(path), "-o", "json")
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["timestamp-milliseconds"]


def test_only_plausible_milliseconds_are_called_milliseconds(run, tmp_path):
    import json

    from wkcli.webhook.times import looks_like_milliseconds, timestamp_problem

    for ms in (1_000_000_000_000, 1764000000000, 99_999_999_999_999):  # years 2001 to 5138
        assert looks_like_milliseconds(ms) and "milliseconds" in timestamp_problem(ms)
    for other in (253402300800, 999_999_999_999, 100_000_000_000_000, 1e20):
        assert not looks_like_milliseconds(other)
        assert timestamp_problem(other) == f"timestamp {other} is not a usable time: no time used"
    path = tmp_path / "ts.jsonl"
    path.write_text('{"header":{"sync_once":0},"message_id":1,"timestamp":253402300800,"to_uids":["a"]}\n')
    result = run("check", str(path), "-o", "json")
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == []
    assert "1 anomaly" in result.stderr
