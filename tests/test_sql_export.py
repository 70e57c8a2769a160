"""``wkcli export`` and ``wkcli sql``: typed rows, exact ids, every format read back, errors."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLES
from wk_fixtures import cmd, dump, gzip_uids, line, message, text

from wkcli.store.schema import TABLES
from wkcli.webhook.model import Message, Origin, PresenceEntry
from wkcli.webhook.rows import message_row, presence_row

duckdb = pytest.importorskip("duckdb")

U64_MAX = 18446744073709551615
ABOVE_I64 = 2**63 + 1
ALL_SAMPLES = sorted(str(p) for p in SAMPLES.iterdir() if p.name != "broken.jsonl")


def _odd_dump() -> str:
    """Ids at the edges of 64 bits, null and flattened headers, and every odd sync_once."""
    null_header = message(message_id=11, payload=text("nh"))
    null_header["header"] = None
    odd = [
        message(message_id=U64_MAX, payload=text("max"), sync_once=1),
        message(message_id=ABOVE_I64, payload=cmd("typing"), sync_once="1"),
        message(message_id=12, sync_once=True),
        message(message_id=13, sync_once=2),
        message(message_id=14, sync_once=1.0, payload=cmd("unreadClear")),
        null_header,
    ]
    offline = message(message_id=15, to_uids=["u2", "u3"], sync_once=0)
    packed = message(message_id=16, compress="gzip", compress_to_uids=gzip_uids(["u7", "u8", "u9"]))
    return dump(
        line("msg.notify", odd),
        line("msg.offline", offline),
        line("msg.offline", packed),
        line("user.onlinestatus", ["u1-1-1-100-1-1", "7c9e6679-7425-40de-944b-e07fc1f90ae7-0-0-88-0-0"]),
        '{"cut off": ',
    )


@pytest.fixture
def odd(tmp_path: Path) -> str:
    path = tmp_path / "odd.jsonl"
    path.write_text(_odd_dump())
    return str(path)


def _rows(run, query: str, *paths: str) -> list[dict]:
    result = run("sql", query, *paths, "-o", "jsonl", "-q")
    assert result.exit_code in (0, 1), result.stderr
    return [json.loads(text) for text in result.stdout.splitlines()]


# -- the row model ----------------------------------------------------------------------------


def test_rows_have_exactly_the_schema_columns():
    origin = Origin("f", 1)
    row = message_row(Message(message(), "msg.notify", origin))
    assert list(row) == [c.name for c in TABLES["messages"]]
    assert list(presence_row(PresenceEntry("u1-1-1-1-1-1", origin))) == [c.name for c in TABLES["presence"]]


@pytest.mark.parametrize(
    "value, column, raw, kind",
    [("1", None, '"1"', "chat"), (True, None, "true", "chat"), (2, 2, "2", "chat"), (1.0, 1, "1.0", "cmd")],
)
def test_odd_sync_once_kept_as_sent(value, column, raw, kind):
    row = message_row(Message(message(sync_once=value), "msg.notify", Origin("f", 1)))
    assert (row["sync_once"], row["sync_once_raw"], row["kind"]) == (column, raw, kind)
    assert row["anomaly"] is not None or value == 1.0


def test_ids_are_exact_and_never_floats():
    for ident in (U64_MAX, ABOVE_I64):
        row = message_row(Message(message(message_id=ident), None, Origin("f", 1)))
        assert row["message_id"] == ident and type(row["message_id"]) is int
        assert row["message_idstr"] == str(ident)
    lossy = message()
    lossy["message_id"] = 1.8775056338009457e18
    lossy["message_idstr"] = ""
    assert message_row(Message(lossy, None, Origin("f", 1)))["message_id"] is None
    too_big = message(message_id=U64_MAX + 1)
    assert message_row(Message(too_big, None, Origin("f", 1)))["message_id"] is None


def test_null_header_is_chat_with_null_flags():
    data = message()
    data["header"] = None
    row = message_row(Message(data, "msg.notify", Origin("f", 1)))
    assert (row["kind"], row["sync_once"], row["sync_once_raw"], row["red_dot"]) == ("chat", None, None, None)


# -- types in every engine --------------------------------------------------------------------


def test_duckdb_column_types_and_exact_values(run, odd, tmp_path):
    target = str(tmp_path / "t.duckdb")
    result = run("export", odd, "--to", target)
    assert result.exit_code == 1  # the cut-off record
    assert "wrote 8 messages, 2 presence entries" in result.stderr
    con = duckdb.connect(target, read_only=True)
    for table, columns in TABLES.items():
        found = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
        assert found == [(c.name, c.duck) for c in columns]
    got = dict(con.execute("SELECT message_idstr, message_id FROM messages").fetchall())
    assert got[str(U64_MAX)] == U64_MAX and got[str(ABOVE_I64)] == ABOVE_I64
    sync = con.execute(
        "SELECT message_id, kind, sync_once, sync_once_raw FROM messages WHERE message_id < 20 "
        "AND event = 'msg.notify' ORDER BY message_id"
    ).fetchall()
    assert sync == [(11, "chat", None, None), (12, "chat", None, "true"), (13, "chat", 2, "2"),
                    (14, "cmd", 1, "1.0")]  # fmt: skip
    offline = "SELECT message_id, to_uids FROM messages WHERE event = 'msg.offline'"
    uids = dict(con.execute(offline).fetchall())
    assert uids == {15: ["u2", "u3"], 16: ["u7", "u8", "u9"]}
    time = con.execute("SELECT time, received FROM messages LIMIT 1").fetchone()
    assert str(time[0]) == "2026-07-30 08:00:00" and str(time[1]) == "2026-07-30 08:00:00"
    malformed = con.execute("SELECT source_line, severity FROM problems WHERE kind = 'malformed'").fetchall()
    assert malformed == [(5, "error")]
    con.close()


def test_parquet_read_back_by_duckdb(run, odd, tmp_path):
    target = tmp_path / "t.parquet"
    assert run("export", odd, "--to", str(target), "-q").exit_code == 1
    con = duckdb.connect()
    types = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM '{target}'").fetchall()}
    assert types["message_id"] == "UBIGINT" and types["time"] == "TIMESTAMP"
    assert types["to_uids"] == "VARCHAR[]"
    ids = {r[0] for r in con.execute(f"SELECT message_id FROM '{target}'").fetchall()}
    assert {U64_MAX, ABOVE_I64} <= ids
    presence = tmp_path / "t.presence.parquet"
    uids = [r[0] for r in con.execute(f"SELECT uid FROM '{presence}' ORDER BY uid").fetchall()]
    assert uids == ["7c9e6679-7425-40de-944b-e07fc1f90ae7", "u1"]
    assert (tmp_path / "t.problems.parquet").exists()


def test_sqlite_read_back_by_sqlite3(run, odd, tmp_path):
    target = tmp_path / "t.sqlite"
    assert run("export", odd, "--to", str(target), "-q").exit_code == 1
    con = sqlite3.connect(target)
    rows = dict(con.execute("SELECT message_idstr, message_id FROM messages").fetchall())
    assert rows[str(U64_MAX)] is None and rows[str(ABOVE_I64)] is None  # beyond SQLite's i64
    assert rows["13"] == 13 and type(rows["13"]) is int
    time, uids, flags = con.execute(
        "SELECT time, to_uids, setting_flags FROM messages WHERE message_idstr = '15'"
    ).fetchone()
    assert time == "2026-07-30 08:00:00.000000"
    assert json.loads(uids) == ["u2", "u3"] and json.loads(flags) == []
    typed = con.execute("SELECT typeof(message_id) FROM messages WHERE message_idstr='13'").fetchone()
    assert typed == ("integer",)
    online = con.execute("SELECT online FROM presence ORDER BY source_line, entry_index").fetchall()
    assert online == [(1,), (0,)]
    con.close()


def test_csv_read_back(run, odd, tmp_path):
    target = tmp_path / "t.csv"
    assert run("export", odd, "--to", str(target), "-q").exit_code == 1
    rows = duckdb.connect().execute(
        f"SELECT message_idstr, to_uids FROM read_csv('{target}', all_varchar=true) "
        "WHERE to_uids IS NOT NULL ORDER BY 1"
    ).fetchall()  # fmt: skip
    assert rows == [("15", '["u2","u3"]'), ("16", '["u7","u8","u9"]')]


# -- the tables against the other commands ----------------------------------------------------


def test_messages_match_classify(run):
    out = run("classify", *ALL_SAMPLES, "-o", "jsonl", "-q").stdout
    classified = [json.loads(t) for t in out.splitlines()]
    rows = _rows(run, "SELECT message_idstr, kind, event, channel_id FROM messages", *ALL_SAMPLES)
    expect = sorted(
        (str(m.get("message_idstr") or m.get("message_id")), m["kind"], m.get("event"), m.get("channel_id"))
        for m in classified
    )
    assert sorted((r["message_idstr"], r["kind"], r["event"], r["channel_id"]) for r in rows) == expect
    assert len(rows) > 20


def test_presence_matches_presence_command(run):
    listed = [json.loads(t) for t in run("presence", *ALL_SAMPLES, "-o", "jsonl", "-q").stdout.splitlines()]
    rows = _rows(run, "SELECT uid, device, status, conn_id, source_file, source_line FROM presence "
                 "WHERE error IS NULL", *ALL_SAMPLES)  # fmt: skip
    assert sorted((r["uid"], r["device"], r["status"], r["conn_id"], f"{r['source_file']}:{r['source_line']}")
                  for r in rows) == sorted(
        (p["uid"], p["device"], p["status"], p["conn_id"], p["source"]) for p in listed
    )  # fmt: skip
    assert rows


def test_problems_match_check(run):
    paths = [str(SAMPLES / "problems.jsonl"), str(SAMPLES / "broken.jsonl")]
    report = json.loads(run("check", *paths, "-o", "json", "-q").stdout)
    rows = _rows(run, "SELECT kind, severity, count(*) AS n FROM problems GROUP BY ALL", *paths)
    found = {r["kind"]: (r["severity"], r["n"]) for r in rows}
    malformed = found.pop("malformed")
    assert malformed == ("error", report["input"]["malformed"])
    assert found == {f["code"]: (f["level"], f["count"]) for f in report["findings"]}


# -- sql --------------------------------------------------------------------------------------


def test_sql_jsonl_keeps_ids_exact(run, odd):
    result = run("sql", "SELECT message_id, sum(message_id) AS s FROM messages WHERE message_id > 100 "
                 "GROUP BY ALL ORDER BY 1", odd, "-q")  # fmt: skip
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f'{{"message_id":{ABOVE_I64},"s":{ABOVE_I64}}}'
    assert lines[1] == f'{{"message_id":{U64_MAX},"s":{U64_MAX}}}'
    total = run("sql", "SELECT sum(message_id) AS s FROM messages", odd, "-q").stdout
    assert json.loads(total)["s"] == U64_MAX + ABOVE_I64 + sum(range(11, 17))  # beyond 64 bits, exact


@pytest.mark.parametrize("fmt, start", [("csv", "kind,n\n"), ("tsv", "kind\tn\n"), ("table", "kind"),
                                        ("json", '[\n{"kind":')])  # fmt: skip
def test_sql_formats(run, fmt, start):
    result = run("sql", "SELECT kind, count(*) AS n FROM messages GROUP BY kind ORDER BY kind",
                 str(SAMPLES / "webhooks.jsonl"), "-o", fmt)  # fmt: skip
    assert result.exit_code == 0 and result.stdout.startswith(start)
    assert "8" in result.stdout and "6" in result.stdout


def test_sql_error_is_one_line_exit_2(run):
    result = run("sql", "SELECT nope FROM messages", str(SAMPLES / "webhooks.jsonl"), "-q")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("wkcli: error: SQL: Binder Error") and "nope" in result.stderr


def test_db_is_kept_and_queried_without_reading_stdin(run, tmp_path):
    db = str(tmp_path / "keep.duckdb")
    first = run("sql", "SELECT count(*) AS n FROM messages", str(SAMPLES / "webhooks.jsonl"), "--db", db)
    assert first.exit_code == 0 and json.loads(first.stdout) == {"n": 14}
    again = run("sql", "--db", db, "SELECT count(*) AS n FROM presence", input="not json at all\n")
    assert again.exit_code == 0 and json.loads(again.stdout) == {"n": 4}
    assert again.stderr == ""  # stdin was not read: no summary, no error about it
    missing = run("sql", "--db", str(tmp_path / "none.duckdb"), "SELECT 1")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    filtered = run("sql", "--db", db, "SELECT count(*) AS n FROM messages", "--kind", "cmd")
    assert filtered.exit_code == 2 and "put them in the query" in filtered.stderr


def test_schema_lists_every_column(run):
    result = run("sql", "--schema")
    assert result.exit_code == 0
    for table, columns in TABLES.items():
        assert f"{table}: " in result.stdout
        for column in columns:
            assert f"  {column.name} " in result.stdout


def test_missing_duckdb_says_how_to_install(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now raises ImportError
    result = run("sql", "SELECT 1", str(SAMPLES / "webhooks.jsonl"))
    assert result.exit_code == 2 and "pip install 'wkcli[sql]'" in result.stderr
    result = run("export", str(SAMPLES / "webhooks.jsonl"), "--to", "x.parquet")
    assert result.exit_code == 2 and "pip install 'wkcli[sql]'" in result.stderr


# -- export options ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a.duckdb", "a.sqlite", "a.parquet", "a.csv"])
def test_append(run, tmp_path, name):
    target = str(tmp_path / name)
    webhooks = str(SAMPLES / "webhooks.jsonl")
    assert run("export", webhooks, "--to", target, "-q").exit_code == 0
    refused = run("export", webhooks, "--to", target, "-q")
    assert refused.exit_code == 2 and "--append" in refused.stderr
    assert run("export", webhooks, "--to", target, "--append", "-q").exit_code == 0
    if name.endswith(".sqlite"):
        count = sqlite3.connect(target).execute("SELECT count(*) FROM messages").fetchone()[0]
    elif name.endswith(".duckdb"):
        count = duckdb.connect(target, read_only=True).execute("SELECT count(*) FROM messages").fetchone()[0]
    else:
        count = duckdb.connect().execute(f"SELECT count(*) FROM '{target}'").fetchone()[0]
    assert count == 28


def test_partition_by_day(run, tmp_path, odd):
    lake = tmp_path / "lake"
    webhooks = str(SAMPLES / "webhooks.jsonl")
    assert run("export", webhooks, odd, "--to", str(lake), "--partition", "day", "-q").exit_code == 1
    assert (lake / "messages" / "day=2026-07-30").is_dir()
    assert run("export", webhooks, "--to", str(lake), "--partition", "day", "--append", "-q").exit_code == 0
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT day, count(*) FROM read_parquet('{lake}/messages/*/*.parquet', hive_partitioning=true) "
        "GROUP BY day"
    ).fetchall()  # fmt: skip
    assert [(str(day), n) for day, n in rows] == [("2026-07-30", 14 + 8 + 14)]


def test_dedupe_and_filters(run, tmp_path):
    problems = str(SAMPLES / "problems.jsonl")
    every = _rows(run, "SELECT count(*) AS n, count(DISTINCT message_idstr) AS d FROM messages", problems)[0]
    once = run("sql", "SELECT count(*) AS n FROM messages", problems, "--dedupe", "-q")
    assert json.loads(once.stdout)["n"] == every["d"] < every["n"]
    cmds = run("sql", "SELECT DISTINCT kind FROM messages", problems, "--kind", "cmd", "-q")
    assert [json.loads(t) for t in cmds.stdout.splitlines()] == [{"kind": "cmd"}]


def test_sql_in_a_pipe_through_the_installed_program(wkcli_proc):
    proc = wkcli_proc("sql", "SELECT kind, count(*) AS n FROM messages GROUP BY kind ORDER BY kind",
                      str(SAMPLES / "webhooks.jsonl"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b'{"kind":"chat","n":8}\n{"kind":"cmd","n":6}\n'
    assert b"records from 1 file" in proc.stderr


def test_plain_commands_do_not_import_duckdb():
    code = "import sys, wkcli.cli; print('duckdb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", ["s.sqlite", "s.duckdb"])
def test_lone_surrogates_are_stored_replaced(run, tmp_path, name):
    body = json.dumps(message(from_uid="u\ud800x", to_uids=["a"]))  # json escapes the lone surrogate
    dump_file = tmp_path / "s.jsonl"
    dump_file.write_text(body + "\n")
    target = str(tmp_path / name)
    result = run("export", str(dump_file), "--to", target, "-q")
    assert result.exit_code == 0, result.stderr
    if name.endswith(".sqlite"):
        found = sqlite3.connect(target).execute("SELECT from_uid FROM messages").fetchall()
    else:
        found = duckdb.connect(target, read_only=True).execute("SELECT from_uid FROM messages").fetchall()
    assert found == [("u?x",)]


def test_scratch_database_is_removed_after_the_query(run, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    webhooks = str(SAMPLES / "webhooks.jsonl")
    assert run("sql", "SELECT count(*) FROM messages", webhooks, "-q").exit_code == 0
    assert run("sql", "SELECT nope", webhooks, "-q").exit_code == 2
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def one_row_batches(monkeypatch):
    """Every row goes to DuckDB at once (no table waits for the end), so a failure comes after
    rows were already inserted."""
    from wkcli.store.duck import DuckLoader

    real = DuckLoader.__init__

    def one_by_one(self, con, batch_rows=1, whole=(), retry=True):
        real(self, con, 1, (), retry)

    monkeypatch.setattr(DuckLoader, "__init__", one_by_one)


def test_failed_append_leaves_the_duckdb_file_as_it_was(run, tmp_path, one_row_batches):
    target = str(tmp_path / "keep.duckdb")
    webhooks = str(SAMPLES / "webhooks.jsonl")
    assert run("export", webhooks, "--to", target, "-q").exit_code == 0
    broken = str(SAMPLES / "broken.jsonl")
    stopped = run("export", webhooks, broken, "--to", target, "--append", "--strict", "-q")
    assert stopped.exit_code == 1 and "broken.jsonl:2" in stopped.stderr
    con = duckdb.connect(target, read_only=True)
    assert con.execute("SELECT count(*) FROM messages").fetchone() == (14,)


def test_failed_reload_keeps_the_previous_tables(run, tmp_path, one_row_batches):
    db = str(tmp_path / "keep.duckdb")
    assert run("sql", "--db", db, "SELECT 1", str(SAMPLES / "webhooks.jsonl"), "-q").exit_code == 0
    stopped = run("sql", "--db", db, "SELECT 1", str(SAMPLES / "broken.jsonl"), "--strict", "-q")
    assert stopped.exit_code == 1
    again = run("sql", "--db", db, "SELECT count(*) AS n FROM messages")
    assert json.loads(again.stdout) == {"n": 14}


def test_messages_read_again_with_more_memory_when_duckdb_runs_out(run, tmp_path, monkeypatch):
    """Rows too long for the first try's memory (here: any) are read again with more; inside a
    DuckDB file's transaction that cannot be, and the error is one line, the file not left."""
    from wkcli.store import duck

    monkeypatch.setattr(duck, "WHOLE_MEMORY_LIMIT", "24MB")
    webhooks = str(SAMPLES / "webhooks.jsonl")
    target = str(tmp_path / "o.parquet")
    assert run("export", webhooks, "--to", target, "-q").exit_code == 0
    assert duckdb.connect().execute(f"SELECT count(*) FROM '{target}'").fetchone() == (14,)
    failed = run("export", webhooks, "--to", str(tmp_path / "o.duckdb"), "-q")
    assert failed.exit_code == 2
    assert "Out of Memory" in failed.stderr and "Traceback" not in failed.stderr
    assert not (tmp_path / "o.duckdb").exists()


def test_duckdb_gets_a_share_of_the_memory_a_container_allows(tmp_path):
    """The memory DuckDB may load a whole table in follows the cgroup's limit where it is lower
    than the machine's (v2's memory.max, v1's memory.limit_in_bytes), and ignores "max"."""
    from wkcli.store import duck

    machine = duck.usable_memory(proc=str(tmp_path / "none"))
    assert machine > 0
    mount = tmp_path / "cgroup"
    (mount / "box").mkdir(parents=True)
    (mount / "box" / "memory.max").write_text("536870912\n")
    proc = tmp_path / "cgroup-v2"
    proc.write_text("0::/box\n")
    assert duck.usable_memory(str(proc), str(mount)) == min(machine, 512 << 20)
    (mount / "box" / "memory.max").write_text("max\n")
    assert duck.usable_memory(str(proc), str(mount)) == machine

    (mount / "memory" / "job").mkdir(parents=True)
    (mount / "memory" / "job" / "memory.limit_in_bytes").write_text(f"{300 << 20}\n")
    proc.write_text("4:memory:/job\n3:cpuset:/\n")
    assert duck.usable_memory(str(proc), str(mount)) == min(machine, 300 << 20)
    proc.write_text("4:memory:/elsewhere\n")  # the namespace shows its own cgroup at the root
    (mount / "memory" / "memory.limit_in_bytes").write_text(f"{9223372036854771712}\n")
    assert duck.usable_memory(str(proc), str(mount)) == machine
    proc.write_text("garbage\n4:memory\n")
    assert duck.usable_memory(str(proc), str(mount)) == machine


def test_json_results_keep_columns_of_the_same_name(run):
    webhooks = str(SAMPLES / "webhooks.jsonl")
    result = run("sql", "-o", "jsonl", "SELECT 1 AS kind, 2 AS kind, 3 AS kind_1", webhooks, "-q")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"kind": 1, "kind_2": 2, "kind_1": 3}
    table = run("sql", "-o", "csv", "SELECT 1 AS kind, 2 AS kind", webhooks, "-q")
    assert table.stdout.splitlines() == ["kind,kind", "1,2"]  # a header may repeat a name


def test_maps_with_keys_that_are_not_text(run):
    query = (
        "SELECT histogram(channel_type) AS h, map {1.5: 'a'} AS d, map {DATE '2020-01-01': 1} AS t "
        "FROM messages"
    )
    result = run("sql", "-o", "jsonl", query, str(SAMPLES / "webhooks.jsonl"), "-q")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"h": {"1": 5, "2": 9}, "d": {"1.5": "a"}, "t": {"2020-01-01": 1}}
    table = run("sql", "-o", "csv", query, str(SAMPLES / "webhooks.jsonl"), "-q")
    assert table.exit_code == 0 and '""2"":9' in table.stdout


def test_a_sqlite_file_is_no_duckdb_database(run, tmp_path):
    made = tmp_path / "dump.sqlite"
    assert run("export", str(SAMPLES / "webhooks.jsonl"), "--to", str(made), "-q").exit_code == 0
    result = run("sql", "--db", str(made), "SELECT count(*) FROM messages")
    assert result.exit_code == 2
    assert result.stderr == f"wkcli: error: {made}: a SQLite database, not a DuckDB one (sqlite3 reads it)\n"
    again = run("export", str(SAMPLES / "webhooks.jsonl"), "--to", str(made), "--as", "duckdb", "--append")
    assert again.exit_code == 2 and "a SQLite database, not a DuckDB one" in again.stderr


@pytest.mark.parametrize(("name", "status"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_during_a_query_stops_it_as_a_signal(tmp_path, name, status):
    import signal
    import time

    from conftest import wkcli_executable

    query = "SELECT sum(i * i) FROM range(100000000000) t(i)"  # minutes of work
    proc = subprocess.Popen(
        [wkcli_executable(), "sql", query, str(SAMPLES / "webhooks.jsonl")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    time.sleep(2.5)  # loaded, and the query running
    proc.send_signal(getattr(signal, name))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == status
    assert out == b""
    assert b"internal error" not in err and b"Traceback" not in err
    assert err.decode().splitlines()[-1] == f"wkcli: stopped by {'Ctrl-C' if name == 'SIGINT' else name}"


def test_a_destination_that_cannot_be_written_is_refused_before_reading(run, tmp_path):
    webhooks = str(SAMPLES / "webhooks.jsonl")
    a_file = tmp_path / "plain"
    a_file.write_text("x\n")
    refusals = {
        str(tmp_path / "none" / "x.parquet"): f"no such directory: {tmp_path / 'none'}",
        "-": "--to names a file",
    }
    for to, said in refusals.items():
        result = run("export", webhooks, "--to", to, "--as", "csv")
        assert result.exit_code == 2 and said in result.stderr
        assert result.stderr.count("\n") == 1  # refused before reading: no account of records
    result = run("export", webhooks, "--to", str(a_file), "--partition", "day", "--append")
    assert result.exit_code == 2 and "is a file: --partition day writes a directory" in result.stderr
    assert a_file.read_text() == "x\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plain"]


@pytest.mark.parametrize("name", ["typo.parquet", "typo.duckdb", "typo.sqlite"])
def test_no_readable_input_writes_no_tables(run, tmp_path, name):
    result = run("export", str(tmp_path / "no-such.jsonl"), "--to", str(tmp_path / name))
    assert result.exit_code == 2 and "No such file or directory" in result.stderr
    assert list(tmp_path.iterdir()) == []  # the corrected command can then run without --append


def test_a_failed_append_leaves_no_scratch_folder(run, tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    target = tmp_path / "t.parquet"
    target.write_text("not parquet\n")
    result = run("export", str(SAMPLES / "webhooks.jsonl"), "--to", str(target), "--append")
    assert result.exit_code == 2 and "t.parquet" in result.stderr
    assert list(scratch.iterdir()) == []
    assert target.read_text() == "not parquet\n"


def test_a_full_temporary_folder_is_an_output_error(run, monkeypatch, tmp_path):
    import errno
    import tempfile

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", full)
    result = run("sql", "SELECT 1", str(SAMPLES / "webhooks.jsonl"), "-q")
    assert result.exit_code == 4
    assert result.stderr == "wkcli: error: cannot write a temporary file: No space left on device\n"
    result = run("export", str(SAMPLES / "webhooks.jsonl"), "--to", str(tmp_path / "never.parquet"), "-q")
    assert result.exit_code == 4 and "No space left on device: the temporary folder" in result.stderr


@pytest.mark.parametrize("args", [["classify"], ["sql", "SELECT 1"], ["count"]])
def test_a_closed_standard_output_is_an_output_error(args):
    import os

    from conftest import wkcli_executable

    proc = subprocess.run(
        [wkcli_executable(), *args, str(SAMPLES / "webhooks.jsonl"), "-q"],
        stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1), timeout=30,
    )  # fmt: skip
    assert proc.returncode == 4
    assert proc.stderr == b"wkcli: error: cannot write to standard output: it is closed\n"
