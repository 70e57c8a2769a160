"""Nothing from a dump reaches a terminal raw: every field of every human view is escaped."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest

from wkcli.output.live import CaptureView

# A colour change wkcli never makes, a bell, a carriage return, an 8-bit CSI, a bidi override,
# NUL, and rich markup: each must come out as visible text, never as terminal control.
EVIL = "\x1b[5;7mX\x07\r\x9b2J\u202eY\x00[bold red]Z[/]"
# What may remain: the SGR colour codes wkcli (or rich, for its tables) emits itself.
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def assert_safe(text: str) -> None:
    assert "\x1b[5;7m" not in text
    leftover = _CONTROL.findall(_SGR.sub("", text))
    assert leftover == [], text


def _message(event_key: str) -> dict:
    payload = base64.b64encode(
        orjson.dumps({"type": 99, "cmd": EVIL, "content": EVIL, "param": {EVIL: EVIL}})
    )
    return {
        "header": {"sync_once": EVIL, "red_dot": EVIL, "no_persist": 0},
        "setting": 0,
        "message_id": EVIL,
        "message_idstr": EVIL + event_key,
        "client_msg_no": EVIL,
        "message_seq": EVIL,
        "from_uid": EVIL,
        "channel_id": EVIL,
        "channel_type": EVIL,
        "timestamp": 1785398400,
        "payload": payload.decode(),
        EVIL: EVIL,
    }


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    offline = _message("o")
    offline["to_uids"] = [EVIL, "u2"]
    lines = [
        orjson.dumps([_message("n")]),
        orjson.dumps(offline),
        orjson.dumps({"event": EVIL, "data": [_message("e")]}),
        orjson.dumps({"received_at": EVIL, "event": "msg.notify", "path": EVIL, "body": [_message("c")]}),
        orjson.dumps([f"{EVIL}-1-1-1001-1-1", EVIL]),
        ("not json " + EVIL).encode(),
        orjson.dumps({EVIL: 1}),
    ]
    path = tmp_path / f"evil{EVIL.replace(chr(0), '').replace('/', '')}.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["classify", "-o", "table"],
        ["classify", "-o", "table", "--decode"],
        ["classify", "-o", "csv"],
        ["classify", "-o", "tsv"],
        ["count", "-o", "table"],
        [
            "count",
            "-o",
            "table",
            "--by",
            "channel_id",
            "--by",
            "channel_type",
            "--by",
            "event",
            "--by",
            "file",
        ],
        ["count", "-o", "csv", "--by", "from_uid", "--by", "header.sync_once"],
        ["presence", "-o", "table"],
        ["check", "-o", "text"],
        ["show", "-o", "text", EVIL + "n"],
        ["show", "-o", "text", EVIL],
    ],
    ids=lambda args: " ".join(args[:4]).replace(EVIL, "EVIL"),
)
def test_every_view_escapes_every_field(run, dump: Path, args: list[str]) -> None:
    result = run(*args, "--color", "always", str(dump))
    assert result.stdout.strip()
    # TSV's own separators are the only tabs allowed: one fewer than the columns, on every row.
    rows = result.stdout.splitlines()
    assert "tsv" not in args or {row.count("\t") for row in rows} == {rows[0].count("\t")}
    assert_safe(result.stdout.replace("\t", "") if "tsv" in args else result.stdout)
    assert_safe(result.stderr)
    assert "[bold red]Z[/]" in result.stdout + result.stderr  # markup shown as it is, not obeyed


def test_capture_live_lines_escape_every_field() -> None:
    stream = io.StringIO()
    view = CaptureView(stream, color=True)
    base = dict(received=1785398400.0, event=EVIL, recorded=False, status=401, error=EVIL, method=EVIL,
                path=EVIL, remote=EVIL, forward_status=None, forward_error=EVIL, presence=0, messages=0,
                problems=0, cmd=0, chat=0)  # fmt: skip
    view(SimpleNamespace(**base))
    view(SimpleNamespace(**{**base, "recorded": True}))
    view.flush()
    assert len(stream.getvalue().splitlines()) == 2
    assert_safe(stream.getvalue())


def test_an_error_naming_a_hostile_file_is_escaped(run, tmp_path: Path) -> None:
    result = run("classify", str(tmp_path / f"missing{EVIL.replace(chr(0), '').replace('/', '')}"))
    assert result.exit_code == 2
    assert_safe(result.stderr)


# A lone surrogate: valid JSON (an escape), but no UTF-8 can write it.
SURROGATE_MESSAGE = (
    b'{"header":{"sync_once":0},"message_id":5,"message_idstr":"5","to_uids":["a\\udfff"],'
    b'"from_uid":"\\ud800u0","channel_id":"g\\ud800","channel_type":2,"timestamp":1785398400,"payload":""}\n'
)
SURROGATE_PRESENCE = b'["\\ud800x-1-1-1-1-1"]\n'


@pytest.mark.parametrize(
    "args",
    [["classify", "-o", "table"], ["classify", "-o", "csv"], ["classify", "-o", "tsv"],
     ["count", "--by", "from_uid", "-o", "csv"], ["count", "--by", "from_uid", "-o", "table"],
     ["show", "5"], ["report"], ["report", "--html", "-"], ["presence", "-o", "table"],
     ["presence", "-o", "tsv"]],
)  # fmt: skip
def test_a_lone_surrogate_is_shown_as_its_escape(wkcli_proc, tmp_path: Path, args: list[str]) -> None:
    dump = tmp_path / "surrogate.jsonl"
    dump.write_bytes(SURROGATE_PRESENCE if args[0] == "presence" else SURROGATE_MESSAGE)
    proc = wkcli_proc(*args, str(dump), env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr
    assert b"\\ud800" in proc.stdout  # as an escape, never raw (UTF-8 cannot hold it)


@pytest.mark.parametrize("args", [["classify", "-o", "tsv"], ["presence", "-o", "tsv"]])
def test_tsv_rows_keep_quotes_and_their_columns(run, tmp_path: Path, args: list[str]) -> None:
    dump = tmp_path / "quotes.jsonl"
    if args[0] == "presence":
        dump.write_text('["u\\"1-1-1-1-1-1"]\n')
    else:
        dump.write_text(
            '{"header":{"sync_once":0},"message_id":5,"to_uids":["a"],"channel_id":"a\\"b\\tc","payload":""}\n'
        )
    result = run(*args, str(dump))
    assert result.exit_code == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert len(row.split("\t")) == len(header.split("\t"))
    assert ('a"b\\tc' if args[0] == "classify" else 'u"1') in row.split("\t")


def test_tsv_of_bundled_samples_and_sql(run) -> None:
    samples = Path(__file__).parent.parent / "samples"
    for dump in sorted(samples.glob("*.json*")):
        result = run("classify", "-o", "tsv", str(dump))
        assert result.exit_code in (0, 1), (dump, result.stderr)
        lines = result.stdout.splitlines()
        assert len(lines) > 1 and {len(line.split("\t")) for line in lines} == {len(lines[0].split("\t"))}
    webhooks = str(samples / "webhooks.jsonl")
    result = run("sql", "-o", "tsv", "SELECT to_uids, '' AS nothing FROM messages", webhooks)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "to_uids\tnothing" and all(line.count("\t") == 1 for line in lines)
    result = run("sql", "-o", "tsv", "SELECT '' AS one", webhooks)
    assert result.stdout == "one\n\n"
