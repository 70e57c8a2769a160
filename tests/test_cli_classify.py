"""``wkcli classify`` through the CLI: formats, filters, colour, bad input and exit codes."""

from __future__ import annotations

import csv
import io
import json

import orjson
import pytest
from conftest import SAMPLES

WEBHOOKS = str(SAMPLES / "webhooks.jsonl")
BROKEN = str(SAMPLES / "broken.jsonl")

BIG_ID = 18446744073709551615
NOTIFY = [
    {
        "header": {"no_persist": 0, "red_dot": 1, "sync_once": 0},
        "setting": 0,
        "message_id": BIG_ID,
        "message_idstr": str(BIG_ID),
        "client_msg_no": "c1",
        "message_seq": 1,
        "from_uid": "u1",
        "channel_id": "g1",
        "channel_type": 2,
        "timestamp": 1785398400,
        "payload": "eyJjb250ZW50IjoiaGkiLCJ0eXBlIjoxfQ==",
    },
    {
        "header": {"no_persist": 1, "red_dot": 0, "sync_once": 1},
        "message_id": 2,
        "from_uid": "",
        "channel_id": "u1",
        "channel_type": 1,
        "timestamp": 1785398460,
        "payload": "eyJjbWQiOiJ1bnJlYWRDbGVhciIsInR5cGUiOjk5fQ==",
    },
]


def lines_of(stdout: str):
    return [json.loads(line) for line in stdout.splitlines()]


def test_jsonl_in_a_pipe_keeps_fields_and_adds_kind_and_event(run):
    body = orjson.dumps(NOTIFY) + b"\n"
    result = run("classify", "-", input=body)
    assert result.exit_code == 0, result.stderr
    out = result.stdout.splitlines()
    assert len(out) == 2
    first = orjson.loads(out[0])
    assert first["kind"] == "chat" and first["event"] == "msg.notify"
    assert first["message_id"] == BIG_ID  # exact, not rounded through a float
    assert f'"message_id":{BIG_ID},' in out[0]
    # Original fields, in their original order, then the added ones.
    assert list(first)[: len(NOTIFY[0])] == list(NOTIFY[0])
    assert {k: v for k, v in first.items() if k not in ("kind", "event")} == NOTIFY[0]
    assert orjson.loads(out[1])["kind"] == "cmd"


def test_kind_filter_is_what_jq_users_expect(run):
    result = run("classify", WEBHOOKS, "--kind", "cmd")
    rows = lines_of(result.stdout)
    assert rows and all(row["kind"] == "cmd" for row in rows)
    assert all(row["header"]["sync_once"] == 1 for row in rows)
    everything = lines_of(run("classify", WEBHOOKS).stdout)
    assert len(rows) == sum(1 for row in everything if row["kind"] == "cmd")


def test_every_sample_shape_reads_cleanly(run):
    for name in (
        "webhooks.jsonl",
        "envelopes.jsonl",
        "capture.jsonl",
        "pretty.json",
        "app.log",
        "offline.json.gz",
    ):
        result = run("classify", str(SAMPLES / name))
        assert result.exit_code == 0, (name, result.stderr)
        rows = lines_of(result.stdout)
        assert rows, name
        assert all(row["kind"] in ("cmd", "chat") and row.get("event") for row in rows), name


def test_json_format_is_one_valid_array(run):
    result = run("classify", WEBHOOKS, "--format", "json")
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 14
    empty = run("classify", WEBHOOKS, "--format", "json", "--channel", "nope")
    assert json.loads(empty.stdout) == []


def test_csv_and_tsv(run):
    body = orjson.dumps(NOTIFY) + b"\n"
    rows = list(csv.DictReader(io.StringIO(run("classify", "-", "-o", "csv", input=body).stdout)))
    assert [r["kind"] for r in rows] == ["chat", "cmd"]
    assert rows[0]["message_id"] == str(BIG_ID)
    assert rows[0]["channel_type"] == "2" and rows[0]["preview"] == "text: hi"
    assert rows[1]["preview"] == "cmd unreadClear"
    assert rows[0]["source"] == "<stdin>:1"
    tsv = run("classify", "-", "-o", "tsv", input=body).stdout.splitlines()
    assert tsv[0].split("\t")[:4] == ["time", "timestamp", "event", "kind"]
    assert len(tsv) == 3 and all(len(line.split("\t")) == len(tsv[0].split("\t")) for line in tsv)


def test_table_format_shows_kinds_ids_and_payload_hints(run):
    result = run("classify", WEBHOOKS, "--format", "table")
    assert result.exit_code == 0
    out = result.stdout
    assert "kind" in out.splitlines()[0] and "message id" in out.splitlines()[0]
    assert "cmd typing" in out and "text: morning all" in out
    assert "g1 (group)" in out
    assert "\x1b[" not in out  # not a terminal: no colour


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        (["--color", "always"], {}, True),
        (["--color", "never"], {}, False),
        (["--color", "auto"], {}, False),  # not a terminal
    ],
)
def test_colour_modes(run, args, env, coloured):
    result = run("classify", WEBHOOKS, "-o", "table", *args)
    assert ("\x1b[" in result.stdout) is coloured


def test_control_characters_and_markup_in_data_are_shown_harmlessly(run):
    evil = dict(NOTIFY[0], from_uid="\x1b]0;t\x07[red]b[/]", channel_id="g\x1b[2J1")
    result = run("classify", "-", "-o", "table", "--color", "always", input=orjson.dumps([evil]))
    out = result.stdout
    assert "\x1b]0;" not in out and "\x1b[2J" not in out and "\x07" not in out
    assert "\\x1b]0;t\\x07[red]b[/]" in out  # escaped, and markup printed literally
    csv_out = run("classify", "-", "-o", "csv", input=orjson.dumps([evil])).stdout
    assert "\x1b" not in csv_out


def test_filters_combine(run):
    rows = lines_of(run("classify", WEBHOOKS, "--channel", "g1", "--kind", "chat", "--from", "u1001").stdout)
    assert rows and all(
        r["channel_id"] == "g1" and r["kind"] == "chat" and r["from_uid"] == "u1001" for r in rows
    )
    rows = lines_of(run("classify", WEBHOOKS, "--channel-type", "person").stdout)
    assert rows and all(r["channel_type"] == 1 for r in rows)
    rows = lines_of(run("classify", WEBHOOKS, "--event", "msg.offline").stdout)
    assert rows and all(r["event"] == "msg.offline" for r in rows)
    rows = lines_of(run("classify", WEBHOOKS, "-e", "msg.offline,msg.notify").stdout)
    assert len(rows) == 14


def test_time_window(run):
    body = orjson.dumps(NOTIFY) + b"\n"
    rows = lines_of(run("classify", "-", "--since", "2026-07-30T08:00:30Z", input=body).stdout)
    assert [r["message_id"] for r in rows] == [2]
    rows = lines_of(run("classify", "-", "--until", "2026-07-30T08:00:30Z", input=body).stdout)
    assert [r["message_id"] for r in rows] == [BIG_ID]
    rows = lines_of(run("classify", "-", "--since", "1785398400", "--until", "1785398401", input=body).stdout)
    assert len(rows) == 1


def test_limit_stops_early(run):
    result = run("classify", WEBHOOKS, "--limit", "3")
    assert len(result.stdout.splitlines()) == 3
    assert "stopped at --limit" in result.stderr


def test_bad_input_is_reported_by_file_and_line_and_the_rest_is_read(run):
    result = run("classify", BROKEN)
    assert result.exit_code == 1
    err = result.stderr
    assert f"{BROKEN}:2: error: invalid JSON" in err
    assert f"{BROKEN}:4: error: not a webhook body" in err
    assert f'{BROKEN}:5: warning: sync_once is "1" (a string)' in err
    assert f"{BROKEN}:7: error: element 2 of the user.onlinestatus body is a number" in err
    rows = lines_of(result.stdout)
    assert rows[-1]["from_uid"] == "u7001"  # the record after the damage is still read
    assert (
        "7 records from 1 file: 4 messages (0 cmd, 4 chat), 1 presence entry, 3 malformed, 2 anomalies" in err
    )
    assert "Traceback" not in err


def test_strict_stops_at_the_first_bad_record(run):
    result = run("classify", BROKEN, "--strict")
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1
    assert f"{BROKEN}:2: error: invalid JSON" in result.stderr
    assert result.stderr.count("invalid JSON") == 1  # said once, not again in another form
    assert "stopped at the first bad record (--strict)" in result.stderr


def test_missing_file_is_exit_2_but_other_files_are_read(run, tmp_path):
    result = run("classify", str(tmp_path / "missing.jsonl"), WEBHOOKS)
    assert result.exit_code == 2
    assert "missing.jsonl: No such file or directory" in result.stderr
    assert len(result.stdout.splitlines()) == 14


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--kind", "command"], "--kind must be cmd or chat"),
        (["--format", "xml"], "--format must be one of"),
        (["--since", "someday"], "--since: cannot read 'someday' as a time"),
        (["--channel-type", "planet"], "--channel-type takes a number or one of"),
        (["--color", "sometimes"], "--color must be auto, always or never"),
        (["--input-format", "yaml"], "--input-format must be one of"),
    ],
)
def test_usage_errors_exit_2(run, args, needle):
    result = run("classify", WEBHOOKS, *args)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert result.stdout == ""


def test_quiet_hides_warnings_and_summary_but_not_errors(run):
    result = run("classify", BROKEN, "-q")
    assert "warning" not in result.stderr and "records from" not in result.stderr
    assert "error: invalid JSON" in result.stderr


def test_presence_is_counted_not_listed(run):
    result = run("classify", "-", input=b'["u1-1-1-1-1-1","u2-0-0-2-0-0"]\n')
    assert result.stdout == ""
    assert "0 messages (0 cmd, 0 chat), 2 presence entries" in result.stderr
    assert result.exit_code == 0


def test_many_files_and_stdin_together(run):
    result = run("classify", WEBHOOKS, "-", input=orjson.dumps(NOTIFY))
    rows = lines_of(result.stdout)
    assert len(rows) == 16
    assert "from 2 files" in result.stderr


def test_stdin_may_only_be_named_once(run):
    assert run("classify", "-", "-", input=b"").exit_code == 2
