"""``wkcli count``: totals, grouped counts, formats."""

from __future__ import annotations

import csv
import io
import json

from conftest import SAMPLES

WEBHOOKS = str(SAMPLES / "webhooks.jsonl")
BROKEN = str(SAMPLES / "broken.jsonl")


def test_json_totals(run):
    result = run("count", WEBHOOKS, "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["cmd"] == 6 and report["chat"] == 8 and report["messages"] == 14
    assert report["presence"] == 4 and report["records"] == 10 and report["malformed"] == 0


def test_json_is_the_default_in_a_pipe(run):
    assert json.loads(run("count", WEBHOOKS).stdout)["cmd"] == 6


def test_counts_match_classify(run):
    rows = [
        json.loads(line)
        for line in run("classify", WEBHOOKS, str(SAMPLES / "capture.jsonl")).stdout.splitlines()
    ]
    report = json.loads(run("count", WEBHOOKS, str(SAMPLES / "capture.jsonl")).stdout)
    assert report["cmd"] == sum(r["kind"] == "cmd" for r in rows)
    assert report["chat"] == sum(r["kind"] == "chat" for r in rows)


def test_malformed_and_anomalies_are_counted(run):
    result = run("count", BROKEN)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["malformed"], report["anomalies"], report["chat"], report["cmd"]) == (3, 2, 4, 0)


def test_group_by_event_and_kind(run):
    report = json.loads(run("count", WEBHOOKS, "--by", "event", "--by", "kind").stdout)
    groups = {(g["event"], g["kind"]): g["count"] for g in report["groups"]}
    assert groups == {
        ("msg.notify", "chat"): 7,
        ("msg.notify", "cmd"): 4,
        ("msg.offline", "cmd"): 2,
        ("msg.offline", "chat"): 1,
        ("user.onlinestatus", "presence"): 4,
    }
    counts = [g["count"] for g in report["groups"]]
    assert counts == sorted(counts, reverse=True)


def test_group_by_message_fields_and_paths(run):
    report = json.loads(run("count", WEBHOOKS, "--by", "channel_type,header.no_persist").stdout)
    groups = {(g["channel_type"], g["header.no_persist"]): g["count"] for g in report["groups"]}
    assert groups == {(2, 0): 8, (1, 0): 5, (2, 1): 1}
    assert sum(groups.values()) == 14  # presence entries are not in message-field groups


def test_group_by_hour(run):
    report = json.loads(run("count", WEBHOOKS, "--by", "hour", "--utc").stdout)
    assert report["groups"][0]["hour"] == "2026-07-30 08:00"


def test_filters_apply_to_counts(run):
    report = json.loads(run("count", WEBHOOKS, "--kind", "cmd").stdout)
    assert report["cmd"] == 6 and report["chat"] == 0 and report["presence"] == 0
    report = json.loads(run("count", WEBHOOKS, "--event", "user.onlinestatus").stdout)
    assert report["presence"] == 4 and report["messages"] == 0


def test_csv(run):
    rows = list(csv.reader(io.StringIO(run("count", WEBHOOKS, "-o", "csv").stdout)))
    assert rows[0] == ["kind", "count"] and ["cmd", "6"] in rows and ["chat", "8"] in rows
    rows = list(csv.reader(io.StringIO(run("count", WEBHOOKS, "-o", "csv", "--by", "kind").stdout)))
    assert rows == [["kind", "count"], ["chat", "8"], ["cmd", "6"], ["presence", "4"]]


def test_table(run):
    out = run("count", WEBHOOKS, "-o", "table", "--by", "from_uid").stdout
    assert out.splitlines()[0].split() == ["from_uid", "count"]
    assert "u1001" in out
    lines = out.splitlines()
    assert any(line.split()[:2] == ["cmd", "6"] for line in lines)
    assert any(line.split()[:2] == ["messages", "14"] for line in lines)


def test_empty_input(run):
    result = run("count", "-", input=b"")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["messages"] == 0
    assert "0 records from 1 file" in result.stderr
