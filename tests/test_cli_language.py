"""One language across commands: event names, why nothing matched, --limit, the questions filters."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLES

WEBHOOKS = str(SAMPLES / "webhooks.jsonl")


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_event_short_names_match_what_the_table_prints(run):
    long = run("classify", WEBHOOKS, "-o", "jsonl", "--event", "msg.offline")
    short = run("classify", WEBHOOKS, "-o", "jsonl", "--event", "offline")
    assert short.exit_code == 0 and short.stdout == long.stdout and long.stdout
    notify = _lines(run("classify", WEBHOOKS, "-o", "jsonl", "-e", "notify").stdout)
    assert notify and {m["event"] for m in notify} == {"msg.notify"}
    presence = json.loads(run("count", WEBHOOKS, "-o", "json", "--event", "presence").stdout)
    assert presence["presence"] == 4


def test_unknown_event_is_a_usage_error_with_a_suggestion(run):
    result = run("classify", WEBHOOKS, "--event", "msg.notfy")
    assert result.exit_code == 2
    assert "did you mean 'msg.notify'" in result.stderr and "msg.notfy" in result.stderr
    assert result.stdout == ""


def test_event_filter_that_matched_nothing_names_the_input_events(run, tmp_path):
    dump = tmp_path / "notify.jsonl"
    dump.write_text((SAMPLES / "webhooks.jsonl").read_text().splitlines()[0] + "\n")
    result = run("classify", str(dump), "-o", "jsonl", "--event", "offline")
    assert result.stdout == ""
    assert "nothing matched: no msg.offline in the input; it has user.onlinestatus 2" in result.stderr


def test_time_window_outside_the_input_says_the_input_range(run):
    result = run("classify", WEBHOOKS, "-o", "jsonl", "--since", "2h")
    assert result.exit_code == 0 and result.stdout == ""
    assert "the input runs from 2026-07-30 08:00:05 to 2026-07-30 08:03:01" in result.stderr


def test_empty_window_is_a_usage_error_before_reading(run):
    result = run("count", "/nonexistent", "--since", "2026-07-31", "--until", "2026-07-30")
    assert result.exit_code == 2
    assert "--since" in result.stderr and "window is empty" in result.stderr
    assert "nonexistent" not in result.stderr.replace("'2026", "")


def test_presence_without_receive_time_is_not_dropped_silently(run):
    result = run("count", WEBHOOKS, "-o", "json", "--since", "0")
    assert json.loads(result.stdout)["presence"] == 0
    assert "4 presence entries without a receive time left out by --since/--until" in result.stderr
    captured = run("count", str(SAMPLES / "capture.jsonl"), "-o", "json", "--since", "0")
    assert json.loads(captured.stdout)["presence"] == 1  # capture records have a receive time


def test_limit_counts_messages_in_every_command(run):
    classified = _lines(run("classify", WEBHOOKS, "-o", "jsonl", "--limit", "5").stdout)
    counted = json.loads(run("count", WEBHOOKS, "-o", "json", "--limit", "5").stdout)
    assert len(classified) == 5
    assert counted["cmd"] + counted["chat"] == 5


def test_id_filter_takes_every_id_form(run):
    everything = _lines(run("classify", WEBHOOKS, "-o", "jsonl").stdout)
    first, second = everything[0], everything[3]
    by_id = _lines(run("classify", WEBHOOKS, "-o", "jsonl", "--id", first["message_idstr"]).stdout)
    assert by_id and all(m["message_idstr"] == first["message_idstr"] for m in by_id)
    both = ["--id", second["client_msg_no"], "--id", first["message_idstr"]]
    by_no = _lines(run("classify", WEBHOOKS, "-o", "jsonl", *both).stdout)
    assert {m["message_idstr"] for m in by_no} == {first["message_idstr"], second["message_idstr"]}


def test_cmd_content_type_and_grep(run):
    typing = _lines(run("classify", WEBHOOKS, "-o", "jsonl", "--cmd", "typing", "--decode").stdout)
    assert typing and all(m["decoded"]["cmd"] == "typing" for m in typing)
    text = _lines(run("classify", WEBHOOKS, "-o", "jsonl", "--content-type", "text", "--decode").stdout)
    assert text and all(m["decoded"]["content_type"] == 1 for m in text)
    assert (
        run("classify", WEBHOOKS, "-o", "jsonl", "--content-type", "1").stdout
        == run("classify", WEBHOOKS, "-o", "jsonl", "--content-type", "text").stdout
    )
    lunch = _lines(run("classify", WEBHOOKS, "-o", "jsonl", "--grep", "LUNCH", "--decode").stdout)
    assert lunch and all("lunch" in json.dumps(m["decoded"]["payload"]).lower() for m in lunch)
    regex = _lines(run("classify", WEBHOOKS, "-o", "jsonl", "--grep-regex", r"lunch at \d+").stdout)
    assert [m["message_idstr"] for m in regex] == [m["message_idstr"] for m in lunch]
    by_uid = _lines(run("classify", WEBHOOKS, "-o", "jsonl", "--grep", "u1004").stdout)
    assert by_uid


def test_bad_filters_are_usage_errors_naming_the_flag(run):
    bad = run("classify", WEBHOOKS, "--grep-regex", "(")
    assert bad.exit_code == 2 and "--grep-regex" in bad.stderr and "'('" in bad.stderr
    bad = run("count", WEBHOOKS, "--content-type", "pictures")
    assert bad.exit_code == 2 and "--content-type" in bad.stderr and "pictures" in bad.stderr


def test_new_filters_give_the_same_on_the_fast_path(run, monkeypatch, tmp_path):
    big = tmp_path / "big.jsonl"
    lines = (SAMPLES / "webhooks.jsonl").read_bytes()
    big.write_bytes(lines * 3000)  # past the fast path's threshold
    for args in (["--grep", "lunch"], ["--cmd", "typing"], ["--id", "1877505633801703424"]):
        fast = run("count", str(big), "-o", "json", *args).stdout
        monkeypatch.setenv("WKCLI_FASTPATH", "0")
        slow = run("count", str(big), "-o", "json", *args).stdout
        monkeypatch.delenv("WKCLI_FASTPATH")
        assert fast == slow


def test_click_usage_errors_are_one_wkcli_line(run):
    result = run("classify", WEBHOOKS, "--limt", "3")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("wkcli: error: No such option: --limt")
    assert lines[1] == "see 'wkcli classify --help'"
    assert "╭" not in result.stderr and "Usage:" not in result.stderr
    bad = run("count", WEBHOOKS, "-n", "x")
    assert bad.exit_code == 2 and bad.stderr.startswith("wkcli: error: ") and "'x'" in bad.stderr


def test_bad_values_repeat_the_value(run):
    result = run("classify", WEBHOOKS, "--input-format", "xml")
    assert result.exit_code == 2 and "'xml'" in result.stderr


def test_online_and_offline_together_is_an_error(run):
    result = run("presence", WEBHOOKS, "--online", "--offline")
    assert result.exit_code == 2 and "--online and --offline" in result.stderr


def test_short_flags_mean_the_same_in_every_command():
    from typer.main import get_command

    from wkcli.cli import app

    meaning: dict[str, set[str]] = {}
    for command in get_command(app).commands.values():  # type: ignore[attr-defined]
        for param in command.params:
            longs = [opt for opt in param.opts if opt.startswith("--")]
            for opt in param.opts:
                if opt.startswith("-") and not opt.startswith("--"):
                    meaning.setdefault(opt, set()).add(longs[0])
    assert {short: names for short, names in meaning.items() if len(names) > 1} == {}
    assert meaning["-j"] == {"--jobs"} and meaning["-P"] == {"--concurrency"}


def test_from_given_a_file_suggests_follow(run, tmp_path, monkeypatch):
    from wkcli.output.terminal import Terminal

    real = Terminal.from_sys

    def on_a_terminal(color: str):
        terminal = real(color)
        terminal.stdin_isatty = True
        return terminal

    monkeypatch.setattr(Terminal, "from_sys", staticmethod(on_a_terminal))
    for command in ("classify", "count", "check", "replay"):
        extra = ["--to", "http://127.0.0.1:9/"] if command == "replay" else []
        result = run(command, "-f", WEBHOOKS, *extra)
        assert result.exit_code == 2, command
        assert "-f is --from UID; did you mean -F (follow)?" in result.stderr
        assert f"wkcli {command} -F" in result.stderr
    missing = run("presence")
    assert "no input: name a dump file (wkcli presence dump.jsonl)" in missing.stderr


def test_show_completion_prints_a_bash_script(run, wkcli_proc):
    result = wkcli_proc("--show-completion", "bash")
    assert result.returncode == 0
    script = result.stdout.decode()
    assert (
        "_WKCLI_COMPLETE=complete_bash" in script
        and "complete -o default -F _wkcli_completion wkcli" in script
    )
    assert "--install-completion" in run("--help").stdout


def test_completion_offers_commands_and_options(wkcli_proc):
    env = {"_WKCLI_COMPLETE": "complete_bash", "COMP_WORDS": "wkcli cla", "COMP_CWORD": "1"}
    assert "classify" in wkcli_proc(env=env).stdout.decode().split()
    env = {"_WKCLI_COMPLETE": "complete_bash", "COMP_WORDS": "wkcli count --gr", "COMP_CWORD": "2"}
    assert {"--grep", "--grep-regex"} <= set(wkcli_proc(env=env).stdout.decode().split())


def test_count_top_sums_the_rest_as_other(run):
    full = json.loads(run("count", WEBHOOKS, "-o", "json", "--by", "from_uid").stdout)["groups"]
    top = json.loads(run("count", WEBHOOKS, "-o", "json", "--by", "from_uid", "--top", "2").stdout)["groups"]
    assert top[:2] == full[:2]
    assert top[2] == {"from_uid": "(other)", "count": sum(g["count"] for g in full[2:])}
    assert run("count", WEBHOOKS, "--by", "from_uid", "--top", "0").exit_code == 2


def test_count_by_a_field_no_message_has_says_so(run):
    result = run("count", WEBHOOKS, "-o", "json", "--by", "from_id")
    assert "--by from_id: no counted message has this field" in result.stderr


def test_count_dedupe_counts_what_classify_dedupe_shows(run):
    problems = str(SAMPLES / "problems.jsonl")
    shown = _lines(run("classify", problems, "-o", "jsonl", "--dedupe").stdout)
    counted = json.loads(run("count", problems, "-o", "json", "--dedupe").stdout)
    assert counted["cmd"] + counted["chat"] == len(shown)
    assert counted["cmd"] == sum(1 for m in shown if m["kind"] == "cmd")
    assert "repeated deliveries not counted" in run("count", problems, "--dedupe").stderr


def test_provenance_adds_source_and_receive_time(run, monkeypatch, tmp_path):
    capture = _lines(run("classify", str(SAMPLES / "capture.jsonl"), "-o", "jsonl", "--provenance").stdout)
    assert capture[0]["source"].endswith("capture.jsonl:1")
    assert capture[0]["received_at"] == "2026-07-30T08:06:40+00:00"
    raw = _lines(run("classify", WEBHOOKS, "-o", "jsonl", "--provenance").stdout)
    assert raw[0]["received_at"] is None and raw[0]["source"].endswith("webhooks.jsonl:2")
    big = tmp_path / "big.jsonl"
    big.write_bytes((SAMPLES / "webhooks.jsonl").read_bytes() * 3000)  # large enough for the fast path
    fast = run("classify", str(big), "-o", "jsonl", "--provenance").stdout
    monkeypatch.setenv("WKCLI_FASTPATH", "0")
    assert fast == run("classify", str(big), "-o", "jsonl", "--provenance").stdout
    assert _lines(fast)[-1]["source"] == f"{big}:30000" or _lines(fast)[-1]["source"].startswith(f"{big}:")


def test_a_directory_is_its_files_in_name_order(run, tmp_path):
    import shutil

    (tmp_path / "sub").mkdir()
    (tmp_path / ".git").mkdir()
    shutil.copy(SAMPLES / "webhooks.jsonl", tmp_path / "b.jsonl")
    shutil.copy(SAMPLES / "offline.json.gz", tmp_path / "sub" / "a-no-suffix")  # gzip by its bytes
    shutil.copy(SAMPLES / "capture.jsonl", tmp_path / ".git" / "hidden.jsonl")
    (tmp_path / ".notes").write_text("not a dump\n")
    result = run("classify", str(tmp_path), "-o", "jsonl", "--provenance")
    assert result.exit_code == 0, result.stderr
    assert f"{tmp_path}: 2 files found" in result.stderr
    sources = [m["source"].rsplit(":", 1)[0] for m in _lines(result.stdout)]
    assert sources[0] == str(tmp_path / "b.jsonl") and sources[-1] == str(tmp_path / "sub" / "a-no-suffix")
    assert "hidden" not in result.stdout


def _message(ident: int, ts: int | None) -> str:
    body: dict = {"header": {"sync_once": 0}, "message_id": ident, "channel_id": "g1"}
    if ts is not None:
        body["timestamp"] = ts
    return json.dumps({"event": "msg.notify", "data": [body]}) + "\n"


def test_merge_interleaves_dumps_by_time(run, tmp_path):
    one = tmp_path / "one.jsonl"
    two = tmp_path / "two.jsonl"
    one.write_text(_message(1, 100) + _message(2, None) + _message(3, 300))
    two.write_text(_message(4, 50) + _message(5, 200) + _message(6, 400))
    merged = _lines(run("classify", str(one), str(two), "-o", "jsonl", "--merge").stdout)
    assert [m["message_id"] for m in merged] == [4, 1, 2, 5, 3, 6]  # 2 has no time: right after 1
    plain = _lines(run("classify", str(one), str(two), "-o", "jsonl").stdout)
    assert [m["message_id"] for m in plain] == [1, 2, 3, 4, 5, 6]
    counted = json.loads(run("count", str(one), str(two), "-o", "json", "--merge").stdout)
    assert counted["messages"] == 6


def test_replay_tells_events_as_classify_does(run, tmp_path):
    lone = tmp_path / "lone.jsonl"
    lone.write_text('{"header":{"sync_once":0},"message_id":7,"channel_id":"g1","from_uid":"u1"}\n')
    classified = _lines(run("classify", str(lone), "-o", "jsonl").stdout)
    assert "event" not in classified[0]  # '?' in the table: no event told
    table = run("classify", str(lone), "-o", "table")
    assert " ? " in table.stdout or "?" in table.stdout.split()
    skipped = run("replay", str(lone), "--to", "http://127.0.0.1:9/", "--dry-run")
    assert (
        skipped.exit_code == 1 and skipped.stdout == "" and "no event: name it with --event" in skipped.stderr
    )
    for name in ("msg.offline", "offline"):
        named = run("replay", str(lone), "--to", "http://127.0.0.1:9/", "--dry-run", "--event", name)
        assert named.exit_code == 0
        sent = _lines(named.stdout)
        assert [r["event"] for r in sent] == ["msg.offline"] and sent[0]["url"].endswith("?event=msg.offline")
        assert sent[0]["body"]["message_id"] == 7  # sent as the object WuKongIM sends for msg.offline


SHARED_FLAGS = ("--kind", "--event", "--channel", "--channel-type", "--from", "--since", "--until",
                "--limit", "--id", "--cmd", "--content-type", "--grep", "--grep-regex")  # fmt: skip


@pytest.mark.parametrize("command", ["classify", "count", "report", "export", "sql", "replay"])
def test_every_command_that_reads_messages_takes_every_shared_filter(run, command):
    shown = run(command, "--help").stdout
    assert [flag for flag in SHARED_FLAGS if f" {flag} " not in shown] == []


@pytest.mark.parametrize(
    "filters",
    [
        ["--cmd", "typing"],
        ["--grep", "u3002"],
        ["--content-type", "text", "--kind", "chat"],
        ["--id", "1877505633803825152"],
        ["--channel", "g3", "--limit", "2"],
    ],
)
def test_the_shared_filters_keep_the_same_messages_everywhere(run, tmp_path, filters):
    """count, report, sql and export, given the same filters, agree on what they kept."""
    dump = str(SAMPLES)
    counted = json.loads(run("count", dump, "-q", "-o", "json", *filters).stdout)
    report = json.loads(run("report", dump, "-q", "-o", "json", *filters).stdout)["totals"]
    assert counted["messages"] > 0
    assert (report["cmd"], report["chat"]) == (counted["cmd"], counted["chat"])
    query = (
        "SELECT count(*) FILTER (kind = 'cmd') AS cmd, count(*) FILTER (kind = 'chat') AS chat FROM messages"
    )
    rows = json.loads(run("sql", query, dump, "-q", "-o", "json", *filters).stdout)
    assert rows == [{"cmd": counted["cmd"], "chat": counted["chat"]}]
    out = tmp_path / "kept.csv"
    run("export", dump, "-q", "--to", str(out), *filters)
    assert len(out.read_text().splitlines()) - 1 == counted["messages"]
