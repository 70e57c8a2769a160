"""check, show, presence and classify --decode/--dedupe through the CLI, and the sample dump."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import orjson
import pytest
from conftest import SAMPLES, wkcli_executable
from wk_fixtures import BIG_ID, TRUNCATED_GZIP, cmd, dump, gzip_uids, line, message, text

PROBLEMS = str(SAMPLES / "problems.jsonl")
ALL_CODES = {
    "cmd-payload-as-chat", "sync-once-not-cmd", "sync-once-system", "cmd-channel-as-chat",
    "sync-once-invalid", "cmd-in-offline", "duplicate", "offline-chunks", "sender-in-recipients",
    "recipients-unreadable", "recipients-unknown", "presence-malformed",
}  # fmt: skip


@pytest.fixture
def write(tmp_path):
    def make(content: str, name: str = "dump.jsonl") -> str:
        path = tmp_path / name
        path.write_text(content)
        return str(path)

    return make


# -- check ---------------------------------------------------------------------------------


def test_check_finds_every_kind_of_problem_in_the_sample(run):
    result = run("check", PROBLEMS, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert {f["code"] for f in report["findings"]} == ALL_CODES
    assert report["warnings"] > 0 and report["input"]["malformed"] == 0
    for finding in report["findings"]:
        assert finding["count"] >= len(finding["examples"]) >= 1
        assert finding["examples"][0]["source"].startswith(PROBLEMS + ":")
    assert "18 warnings, 4 informational findings" in result.stderr


def test_check_text_groups_counts_and_explains(run):
    result = run("check", PROBLEMS, "--format", "text", "--examples", "1")
    out = result.stdout
    assert result.exit_code == 1
    assert out.index("warning") < out.index("info ")  # warnings first
    assert "the same message delivered more than once in the same event (4 times) [duplicate]" in out
    assert "exactly HTTP 200" in out and "201/204/500" in out
    assert (
        f"e.g. {PROBLEMS}:2  message 1877505633800945664  msg.notify: delivered before at {PROBLEMS}:1" in out
    )
    assert "… and 3 more" in out
    # per-message warnings become findings instead of stderr lines
    assert "sync_once is" not in result.stderr


def test_check_exits_0_on_clean_input_and_on_informational_findings_only(run, write):
    clean = write(
        dump(line("msg.notify", [message(1, text("hi")), message(2, cmd("unreadClear"), sync_once=1)]))
    )
    result = run("check", clean, "--format", "text")
    assert result.exit_code == 0 and result.stdout == "No problems found.\n"
    v2 = message(
        3, text("see you"), to_uids=[], compress="gzip", compress_to_uids=TRUNCATED_GZIP, source_id=1001
    )
    info_only = write(dump(line("msg.offline", v2)), "v2.jsonl")
    result = run("check", info_only, "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0
    assert [(f["code"], f["level"]) for f in report["findings"]] == [("recipients-unknown", "info")]


def test_check_reports_bad_records_and_exits_1(run, write):
    path = write('{"body": [1, 2\n' + line("msg.notify", [message(1)]) + "\n")
    result = run("check", path, "--format", "json")
    assert result.exit_code == 1
    assert f"{path}:1: error" in result.stderr
    assert json.loads(result.stdout)["findings"] == []


def test_check_rejects_a_bad_format(run):
    result = run("check", PROBLEMS, "--format", "table")
    assert result.exit_code == 2 and "--format must be one of" in result.stderr


# -- classify --decode / --dedupe ----------------------------------------------------------


def test_decode_adds_a_decoded_object_and_keeps_the_original_exact(run, write):
    big = 18446744073709551615
    data = message(
        big, cmd("typing", channel_id="g1"), sync_once=1, setting=64, to_uids=["u2"], source_id=1001
    )
    path = write(dump(line("msg.offline", data)))
    result = run("classify", path, "--decode")
    assert result.exit_code == 0
    raw = result.stdout_bytes.splitlines()[0]
    assert b'"message_id":18446744073709551615,' in raw  # never through a float
    record = orjson.loads(raw)
    assert record["message_id"] == big
    assert {k: record[k] for k in data} == data  # original fields untouched, same order first
    assert list(record)[: len(data)] == list(data)
    decoded = record["decoded"]
    assert decoded["payload"] == {"type": 99, "cmd": "typing", "param": {"channel_id": "g1"}}
    assert decoded["content_type"] == 99 and decoded["cmd"] == "typing"
    assert decoded["to_uids"] == ["u2"] and decoded["recipients"] == "listed"


def test_decode_unpacks_compressed_recipients_in_json_format(run, write):
    data = message(compress="gzip", compress_to_uids=gzip_uids(["u7", "u8"]))
    result = run("classify", write(dump(line("msg.offline", data))), "--decode", "-o", "json")
    (record,) = json.loads(result.stdout)
    assert record["decoded"]["to_uids"] == ["u7", "u8"]
    assert record["compress_to_uids"] == data["compress_to_uids"]


def test_truncated_v1_v2_gzip_warns_once_but_exit_stays_0(run, write):
    v2 = [message(i, to_uids=[], compress="gzip", compress_to_uids=TRUNCATED_GZIP) for i in (1, 2)]
    path = write(dump(*(line("msg.offline", data) for data in v2)))
    result = run("classify", path, "--decode")
    assert result.exit_code == 0
    assert result.stderr.count("recipients unknown") == 1
    assert f"{path}:1: warning: recipients unknown" in result.stderr
    assert "0 malformed" in result.stderr
    assert orjson.loads(result.stdout_bytes.splitlines()[1])["decoded"]["to_uids"] is None


def test_dedupe_shows_each_message_once(run):
    plain = run("classify", PROBLEMS, "-q")
    deduped = run("classify", PROBLEMS, "--dedupe")
    ids = [orjson.loads(row)["message_idstr"] for row in deduped.stdout_bytes.splitlines()]
    assert len(ids) == len(set(ids)) == 14
    assert len(plain.stdout_bytes.splitlines()) == 20
    assert "--dedupe: 6 repeated deliveries not shown" in deduped.stderr


def test_csv_has_cmd_and_recipient_columns_with_exact_ids(run):
    result = run("classify", PROBLEMS, "-o", "csv", "-e", "msg.offline", "-q")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["recipients"] for row in rows] == ["2", "3", "3", "unknown", "512", "88", "unreadable"]
    assert rows[0]["cmd"] == "typing" and rows[0]["message_id"] == "1877505884968357888"


def test_table_shows_recipient_counts(run):
    result = run("classify", PROBLEMS, "-o", "table", "-e", "msg.offline", "-q")
    lines = result.stdout.splitlines()
    header = lines[0]
    assert " to " in header
    end = header.index(" to ") + 3  # counts aligned right, under the header's right edge
    assert [row[end - 4 : end].strip() for row in lines[1:]] == ["2", "3", "3", "?", "512", "88", "!"]


# -- show ----------------------------------------------------------------------------------


def test_show_groups_every_delivery_of_one_message(run):
    result = run("show", "1877505633800945664", PROBLEMS, "-o", "json")
    assert result.exit_code == 0
    (view,) = json.loads(result.stdout)
    assert view["id"] == "1877505633800945664" and view["kind"] == "chat"
    events = [(d["event"], d["source"].rsplit(":", 1)[1]) for d in view["deliveries"]]
    assert events == [("msg.notify", "1"), ("msg.notify", "2"), ("msg.offline", "6"), ("msg.offline", "7")]
    assert view["deliveries"][2]["to_uids"] == ["u1001", "u1002", "u1003"]
    assert view["decoded"]["payload"] == {"content": "hi", "type": 1}
    assert b'"message_id":1877505633800945664' in result.stdout_bytes


def test_show_text_by_client_msg_no(run):
    result = run("show", "3f2a9c4e8b7d4c1a", PROBLEMS, "-o", "text")
    out = result.stdout
    assert result.exit_code == 0
    assert out.startswith("message 1877505884968357888  (seen once: msg.offline ×1)")
    assert "recipients: 2 (listed) u1002, u1003" in out
    assert "  kind      cmd  (header.sync_once is 1)\n" in out
    assert "header            no_persist=1  red_dot=0  sync_once=1" in out
    assert "setting           64  (0x40 (TangSengDaoDao cmd mark))" in out
    assert "channel_type      2  (group)" in out
    assert "payload   type 99 (cmd), cmd typing" in out
    assert '      "from_name": "Alice",' in out  # pretty-printed, in the payload's own order


def test_show_chunks_and_unknown_recipients(run):
    chunks = run("show", "1877506000000000000", PROBLEMS, "-o", "text").stdout
    assert "(seen 2 times: msg.offline ×2)" in chunks
    assert "recipients: 512 (unpacked) u2000, u2001" in chunks and "… (492 more)" in chunks
    unknown = run("show", "1877505900000000000", PROBLEMS, "-o", "text").stdout
    unknown = " ".join(unknown.split())  # the line wraps at the terminal's width
    assert "recipients: unknown (compress_to_uids is only the 10-byte gzip header" in unknown


def test_show_nothing_found_exits_1(run):
    result = run("show", "42", PROBLEMS, "-o", "json")
    assert result.exit_code == 1 and result.stdout == "[]\n"
    assert "no message has message_id or client_msg_no '42'" in result.stderr


def test_show_matches_message_id_exactly_not_by_float(run, write):
    path = write(dump(line("msg.notify", [message(BIG_ID), message(BIG_ID + 1, client_msg_no="other")])))
    result = run("show", str(BIG_ID + 1), path, "-o", "json")
    (view,) = json.loads(result.stdout)
    assert view["message"]["client_msg_no"] == "other"


# -- presence ------------------------------------------------------------------------------


def test_presence_jsonl_reports_malformed_entries(run):
    result = run("presence", PROBLEMS)
    assert result.exit_code == 1
    rows = [json.loads(row) for row in result.stdout.splitlines()]
    assert [row["uid"] for row in rows] == ["u1001", "7c9e6679-7425-40de-944b-e07fc1f90ae7", "u1002"]
    assert rows[0] == {
        "received": "2026-07-30T08:06:00+00:00", "uid": "u1001", "device_flag": 1, "device": "web",
        "status": "online", "conn_id": 1001, "device_online_count": 1, "total_online_count": 1,
        "entry": "u1001-1-1-1001-1-1", "source": f"{PROBLEMS}:12",
    }  # fmt: skip
    assert f'{PROBLEMS}:12: error: presence entry 4 "u1003-web-online"' in result.stderr
    assert "2 malformed" in result.stderr
    assert "sync_once" not in result.stderr  # message warnings are not presence's business


def test_presence_filters(run):
    def uids(*args):
        result = run("presence", PROBLEMS, "-q", *args)
        return [json.loads(row)["uid"] for row in result.stdout.splitlines()]

    assert uids("--offline") == ["7c9e6679-7425-40de-944b-e07fc1f90ae7"]
    assert uids("--online", "--device", "pc") == ["u1002"]
    assert uids("--uid", "u1001,u1002") == ["u1001", "u1002"]
    assert uids("-d", "0") == ["7c9e6679-7425-40de-944b-e07fc1f90ae7"]
    assert uids("--limit", "1") == ["u1001"]


def test_presence_table_and_bad_device(run, write):
    path = write(dump(line("user.onlinestatus", ["u1-1-1-7-1-1", "u2-0-0-8-0-0"])))
    result = run("presence", path, "-o", "table")
    assert result.exit_code == 0
    header, first, second = result.stdout.splitlines()
    assert header.split() == [
        "received",
        "uid",
        "device",
        "status",
        "conn",
        "id",
        "device",
        "n",
        "total",
        "n",
        "source",
    ]
    assert first.split()[2:8] == ["u1", "web", "online", "7", "1", "1"]
    assert second.split()[2:5] == ["u2", "app", "offline"]
    bad = run("presence", path, "--device", "tablet")
    assert bad.exit_code == 2 and "--device" in bad.stderr


# -- the real entry point ------------------------------------------------------------------


def test_entry_point_check_and_show(wkcli_proc):
    checked = wkcli_proc("check", PROBLEMS, "-o", "json")
    assert checked.returncode == 1
    assert json.loads(checked.stdout)["warnings"] == 18
    shown = wkcli_proc("show", "6d5c4b3a29184706", PROBLEMS, "-o", "json")
    assert shown.returncode == 0 and len(json.loads(shown.stdout)[0]["deliveries"]) == 2


def test_entry_point_reports_are_text_in_a_pipe_too(wkcli_proc):
    # `wkcli check dump | less` shows the report; -o json is asked for data.
    checked = wkcli_proc("check", PROBLEMS)
    assert checked.returncode == 1 and checked.stdout.startswith(b"warning ")
    shown = wkcli_proc("show", "6d5c4b3a29184706", PROBLEMS)
    assert shown.returncode == 0 and shown.stdout.startswith(b"message ")
    reported = wkcli_proc("report", PROBLEMS)
    assert reported.returncode == 0 and reported.stdout.startswith(b"wkcli report")


def test_entry_point_presence_into_a_closed_pipe():
    entries = [f"u{i}-1-1-{i}-1-1" for i in range(20000)]
    body = (line("user.onlinestatus", entries) + "\n").encode()
    proc = subprocess.Popen(
        [wkcli_executable(), "presence", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.stdin.write(body)
    proc.stdin.close()
    first = proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert json.loads(first)["uid"] == "u0"
    assert b"Traceback" not in stderr and b"error" not in stderr


def test_presence_summary_counts_what_the_filters_matched(run):
    plain = run("presence", str(SAMPLES / "webhooks.jsonl"))
    assert "matched the filters" not in plain.stderr
    offline = run("presence", str(SAMPLES / "webhooks.jsonl"), "--offline")
    assert len(offline.stdout.splitlines()) == 1
    assert "; 1 matched the filters" in offline.stderr
