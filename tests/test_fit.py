"""Every view fits the terminal (60 to 200 columns), identifiers whole; one rule for formats and defaults."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from wkcli.output.style import ROLES

UUID = "736a947a-843f-4da7-b1ee-daffc2b1f8e5"
MESSAGE_ID = "1877505633801097216"
CHANNEL = "customer-support-escalations-2026-q3"
IDS = (UUID, MESSAGE_ID, CHANNEL)
WIDTHS = (60, 80, 120, 200)
SGR = re.compile(r"\x1b\[[0-9;]*m")


def _payload(body: dict) -> str:
    return base64.b64encode(json.dumps(body).encode()).decode()


def _message(number: int, sync_once: object = 0, **extra: object) -> dict:
    message = {
        "header": {"no_persist": 0, "red_dot": 1, "sync_once": sync_once},
        "message_id": int(MESSAGE_ID) + number,
        "message_idstr": str(int(MESSAGE_ID) + number),
        "client_msg_no": f"c{number}",
        "from_uid": UUID,
        "channel_id": CHANNEL,
        "channel_type": 2,
        "timestamp": 1785398400 + number,
        "payload": _payload({"type": 1, "content": "a long message that says a great many things " * 3}),
    }
    message.update(extra)
    return message


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    lines = [
        {"event": "msg.notify", "data": [_message(0), _message(1, sync_once=True)]},
        {"event": "msg.notify", "data": [_message(0)]},  # a retry: check has an example with ids
        {"event": "msg.offline", "data": [_message(2, to_uids=[UUID, "u2", "u3"])]},
        {"event": "user.onlinestatus", "data": [f"{UUID}-1-1-1001-1-1", "u2-0-0-17-0-3"]},
    ]
    path = tmp_path / "dump.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


VIEWS = {
    "classify": lambda p: ["classify", p, "-o", "table"],
    "presence": lambda p: ["presence", p, "-o", "table"],
    "check": lambda p: ["check", p, "-o", "text"],
    "show": lambda p: ["show", MESSAGE_ID, p, "-o", "text"],
    "count": lambda p: ["count", p, "--by", "from_uid", "--by", "channel_id", "-o", "table"],
    "report": lambda p: ["report", p, "-o", "text"],
}


def assert_fits(out: str, width: int) -> None:
    lines = SGR.sub("", out).splitlines()
    assert lines
    for line in lines:
        assert cell_len(line) <= width, (width, line)
        assert line == line.rstrip(), ("trailing spaces", line)
        # A piece of an identifier means the whole of it: never a cut one.
        for ident in (UUID, CHANNEL):
            if ident[:10] in line or ident[-10:] in line:
                assert ident in line, (width, ident, line)
        for digits in re.findall(r"\d{10,}", line):
            assert len(digits) == 19 or digits.startswith("1785"), (width, line)  # ids whole; timestamps


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_view_fits_the_width_with_identifiers_whole(run, monkeypatch, dump, view, width) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    for color in ("never", "always"):
        result = run(*VIEWS[view](str(dump)), "--color", color)
        assert result.exit_code in (0, 1), result.stderr
        assert_fits(result.stdout, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_sql_table_fits_the_width(run, monkeypatch, dump, width) -> None:
    pytest.importorskip("duckdb")
    monkeypatch.setenv("COLUMNS", str(width))
    query = "select from_uid, channel_id, message_id, preview from messages"
    result = run("sql", query, str(dump), "-o", "table")
    assert result.exit_code == 0, result.stderr
    assert_fits(result.stdout, width)


def test_wide_terminals_give_the_room_to_the_preview(run, monkeypatch, dump) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    header, first, *_ = run("classify", str(dump), "-o", "table").stdout.splitlines()
    assert UUID in first and MESSAGE_ID in first and CHANNEL in first
    preview = first[header.index("payload") :]
    assert len(preview) > 100 and cell_len(first) >= 248  # the rest of the line: not the old ~55


def test_narrow_terminals_drop_the_preview_first(run, monkeypatch, dump) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    header = run("classify", str(dump), "-o", "table").stdout.splitlines()[0].split()
    assert "payload" not in header and "kind" in header and "message" in header


def test_the_legend_explains_the_marks_on_a_terminal_only(run, monkeypatch, dump) -> None:
    from wkcli.output.table import LEGEND

    assert "chat!" in run("classify", "--help").stdout and '"?"' in run("classify", "--help").stdout
    piped = run("classify", str(dump), "-o", "table").stdout
    assert "chat!" in piped and "unknown (v1/v2" not in piped  # a pipe gets the rows only
    monkeypatch.setattr("wkcli.output.terminal._isatty", lambda stream: True)
    monkeypatch.setenv("COLUMNS", "80")
    shown = run("classify", str(dump), "--color", "never").stdout.splitlines()
    assert " ".join(line.strip() for line in shown[-2:]).endswith(LEGEND[-40:])
    assert all(cell_len(line) <= 80 for line in shown)


@pytest.mark.parametrize(
    ("command", "in_pipe"),
    [("classify", "jsonl"), ("presence", "jsonl"), ("count", "json"), ("check", "text"), ("report", "text")],
)
def test_one_rule_for_defaults(wkcli_proc, dump, command, in_pipe) -> None:
    out = wkcli_proc(command, str(dump)).stdout.decode()
    if in_pipe == "jsonl":
        assert all(json.loads(line) for line in out.splitlines())
    elif in_pipe == "json":
        assert json.loads(out)
    else:
        assert not out.startswith("{") and not out.startswith("[")
        assert json.loads(wkcli_proc(command, str(dump), "-o", "json").stdout)


@pytest.mark.parametrize("command", ["classify", "presence"])
@pytest.mark.parametrize("fmt", ["table", "jsonl", "json", "csv", "tsv"])
def test_every_row_command_offers_every_row_format(run, dump, command, fmt) -> None:
    result = run(command, str(dump), "-o", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout


def test_fields_pick_columns_with_dotted_and_decoded_paths(run, dump) -> None:
    fields = "message_id,header.red_dot,decoded.content_type_name,kind"
    rows = list(csv.reader(io.StringIO(run("classify", str(dump), "-o", "csv", "--fields", fields).stdout)))
    assert rows[0] == fields.split(",")
    assert rows[1] == [MESSAGE_ID, "1", "text", "chat"]
    tsv = run("classify", str(dump), "-o", "tsv", "--fields", "from_uid,decoded.cmd").stdout.splitlines()
    assert tsv[:2] == ["from_uid\tdecoded.cmd", f"{UUID}\t"]
    table = run("classify", str(dump), "-o", "table", "--fields", "message_id,from_uid").stdout.splitlines()
    assert table[0].split() == ["message_id", "from_uid"] and table[1].split() == [MESSAGE_ID, UUID]
    presence = run("presence", str(dump), "-o", "csv", "--fields", "uid,status").stdout.splitlines()
    assert presence == ["uid,status", f"{UUID},online", "u2,offline"]


def test_an_unknown_field_is_a_usage_error_listing_the_fields(run, dump) -> None:
    result = run("classify", str(dump), "-o", "csv", "--fields", "message_id,chanel_id")
    assert result.exit_code == 2
    assert "--fields" in result.stderr and "'chanel_id'" in result.stderr and "channel_id" in result.stderr
    assert "decoded.content_type_name" in result.stderr
    bad = run("presence", str(dump), "-o", "csv", "--fields", "uid,header.red_dot")
    assert bad.exit_code == 2 and "conn_id" in bad.stderr
    json_too = run("classify", str(dump), "-o", "jsonl", "--fields", "kind")
    assert json_too.exit_code == 2 and "--fields" in json_too.stderr


def test_csv_times_carry_their_zone(run, dump, monkeypatch) -> None:
    rows = list(csv.DictReader(io.StringIO(run("classify", str(dump), "-o", "csv", "--utc").stdout)))
    assert rows[0]["time"] == "2026-07-30T08:00:00Z"
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    import time

    time.tzset()
    rows = list(csv.DictReader(io.StringIO(run("classify", str(dump), "-o", "csv").stdout)))
    assert rows[0]["time"] == "2026-07-30T16:00:00+08:00"


def test_check_speaks_json_not_python(run, dump) -> None:
    out = run("check", str(dump), "-o", "text").stdout
    assert "sync_once is true" in out and "True" not in out


def test_replay_dry_run_is_one_object_per_line_for_pretty_bodies(wkcli_proc, tmp_path: Path) -> None:
    pretty = '{\n  "header": {"sync_once": 0},\n  "message_id": 7,\n  "client_msg_no": "p1"\n}'
    record = {"received_at": "2026-07-30T08:00:00Z", "method": "POST", "url": "/hook?event=msg.notify",
              "headers": {}, "body": pretty}  # fmt: skip
    path = tmp_path / "capture.jsonl"
    path.write_text(json.dumps(record) + "\n")
    result = wkcli_proc("replay", str(path), "--to", "http://127.0.0.1:9/w", "--dry-run")
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1
    body = json.loads(lines[0])["body"]
    assert (body[0] if isinstance(body, list) else body)["client_msg_no"] == "p1"


def test_report_panels_use_the_one_style_table() -> None:
    import wkcli.output.report_terminal as panels

    assert not hasattr(panels, "STYLES") and ROLES["cmd"] and ROLES["warning"]


def test_a_report_piped_to_a_pager_wraps_at_the_terminal_it_is_read_on() -> None:
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import termios

    from conftest import wkcli_executable

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 60, 0, 0))
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    try:
        done = subprocess.run(
            [wkcli_executable(), "check", str(Path(__file__).parent.parent / "samples" / "problems.jsonl")],
            stdout=subprocess.PIPE,
            stderr=terminal,  # a person at a 60-column terminal, stdout into `less`
            stdin=subprocess.DEVNULL,
            env=env,
            timeout=60,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    lines = done.stdout.decode().splitlines()
    assert lines and max(len(line) for line in lines) <= 60
    assert max(len(line) for line in lines) > 40  # wrapped at that width, not far narrower
