"""wkcli browse: the query language, the index, and the app driven headless by Textual's pilot."""
# ruff: noqa: E501 - the 160-column screen is compared line for line

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wkcli.read.index import COMMAND, MALFORMED, Index
from wkcli.webhook.query import QueryError, parse

pytest.importorskip("textual")

from wkcli.browse.app import BrowseApp  # noqa: E402
from wkcli.browse.view import View  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
PROBLEMS = str(SAMPLES / "problems.jsonl")


def built(*paths: str, follow: bool = False) -> Index:
    index = Index(list(paths), follow=follow)
    if not follow:
        index.build()
    return index


def screen_text(app: BrowseApp) -> str:
    """The text of the whole screen, as the terminal shows it."""
    from textual.strip import Strip

    lines = app.screen._compositor.render_update(full=True)  # noqa: SLF001
    strips: list[Strip] = getattr(lines, "strips", [])
    return "\n".join("".join(seg.text for seg in strip).rstrip() for strip in strips)


async def settle(app: BrowseApp, pilot, until=lambda: True, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if app.index.done and app.view.complete and not app.view.searching and until():
            break
    app._tick()  # noqa: SLF001
    await pilot.pause(0.05)


# -- the query language ---------------------------------------------------------------------


def test_query_gives_criteria_and_free_text():
    query = parse('kind:cmd channel:g1 from:u1001 cmd:typing since:2h "free text" more', {})
    assert query.options["kind"] == ["cmd"]
    assert query.criteria.channels == ["g1"] and query.criteria.senders == ["u1001"]
    assert query.criteria.since is not None
    assert query.cmds == ["typing"]
    assert query.text == "free text more"


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("kind:x", 1, "kind must be cmd or chat"),
        ("channel:g1 foo:bar", 12, "foo is not a filter"),
        ("since:yesterdayish", 1, "cannot read"),
        ('a "b', 3, "never closed"),
        ("since:2h since:3h", 10, "given twice"),
        ("type:nope", 1, "type takes a number"),
    ],
)
def test_query_errors_name_the_column(text, column, words):
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert caught.value.position == column - 1
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"at column {column}:")


# -- the index ------------------------------------------------------------------------------


def test_index_reads_rows_back_by_offset(tmp_path):
    index = built(PROBLEMS)
    assert index.done and index.failure is None
    messages = [index.item(row) for row in range(index.count)]
    assert sum(1 for row in range(index.count) if index.kinds[row] & 15 == COMMAND) == 5
    assert messages[0].id_text == "1877505633800945664"
    assert index.where(0) == f"{PROBLEMS}:1"
    # Every delivery of a message is found by its id.
    assert len(index.deliveries(0)) == 4


def test_index_of_pretty_json_gzip_and_bom(tmp_path):
    assert built(str(SAMPLES / "pretty.json")).item(1).kind == "cmd"
    gzipped = built(str(SAMPLES / "offline.json.gz"))
    spools = list(gzipped._spools)
    assert gzipped.count == 3 and spools
    gzipped.close()  # removes the spool the gzip file was inflated into
    assert not any(os.path.exists(name) for name in spools)
    line = (SAMPLES / "webhooks.jsonl").read_bytes().splitlines()[0]
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + line + b"\r\n" + line)  # no newline at the end
    index = built(str(bom))
    half = index.count // 2
    assert index.count == 2 * half and half
    first, last = index.item(half - 1), index.item(index.count - 1)
    assert getattr(first, "data", None) == getattr(last, "data", None)
    assert getattr(first, "text", None) == getattr(last, "text", None)


def test_malformed_records_are_rows():
    index = built(str(SAMPLES / "broken.jsonl"))
    bad = [row for row in range(index.count) if index.kinds[row] == MALFORMED]
    assert bad
    where, reason = index.errors[bad[0]]
    assert where.startswith(str(SAMPLES / "broken.jsonl") + ":") and reason


def test_view_filters_and_marks_free_text():
    index = built(PROBLEMS)
    view = View(index, parse('kind:cmd "channelUpdate"'))
    view.advance()
    assert view.complete and view.searching and not view.matches
    view.search()
    assert not view.searching
    assert view.totals.cmd == 5 and view.totals.chat == 0
    assert len(view.matches) == 2  # marked, not filtered
    assert len(view.rows) == 5


# -- the app --------------------------------------------------------------------------------

MAIN_80 = """\
cmd 5  chat 15  presence 5  malformed 0  anomalies 2    samples/problems.jsonl
filter (none: / to filter)
07-30 08:00 █          ▄          ▄          ▁          ▂          ▁ 07-30 08:05
event    kind   channel                 from         to  message id
notify   chat   g1 (group)              u1001            1877505633800945664
notify   chat   g1 (group)              u1002            1877505633800945665
notify   cmd    g1 (group)                               1877505633800945666
notify   chat   g1 (group)              u1001            1877505633800945664
notify   chat   g1 (group)              u1002            1877505633800945665
notify   cmd    g1 (group)                               1877505633800945666
notify   chat   g1 (group)              u1001            1877505700011122688
notify   cmd    g1 (group)              u1003            1877505700011122689
notify   cmd    u1005 (person)          u1004            1877505700011122690
notify   chat   u1001____cmd (person)   ____system       1877505766890123264
notify   chat   systemcmdonline (temp)                   1877505766890123265
notify   chat!  g1 (group)              u1002            1877505766890123266
notify   chat!  g1 (group)              u1003            1877505766890123267
offline  cmd    g1 (group)              ____system    2  1877505884968357888
offline  chat   g1 (group)              u1001         3  1877505633800945664
offline  chat   g1 (group)              u1001         3  1877505633800945664
offline  chat   g1 (group)              u1002         ?  1877505900000000000
offline  chat   g2 (group)              u1001       512  1877506000000000000
offline  chat   g2 (group)              u1001        88  1877506000000000000  ▇▇
 q quit  / filter  ⏎ detail  m malformed  y copy id  r replay  e export  ? keys
"""

MAIN_160 = """\
cmd 5  chat 15  presence 5  malformed 0  anomalies 2    samples/problems.jsonl
filter (none: / to filter)
07-30 08:00 █                          ▃▁                         ▂▂                         ▁                          ▂                          ▁ 07-30 08:05
time                 event    kind   channel                 from         to  message id           payload
2026-07-30 08:00:00  notify   chat   g1 (group)              u1001            1877505633800945664  text: hi
2026-07-30 08:00:01  notify   chat   g1 (group)              u1002            1877505633800945665  image 1280x960
2026-07-30 08:00:01  notify   cmd    g1 (group)                               1877505633800945666  cmd channelUpdate {"channel_id":"g1","channel_type":2}
2026-07-30 08:00:00  notify   chat   g1 (group)              u1001            1877505633800945664  text: hi
2026-07-30 08:00:01  notify   chat   g1 (group)              u1002            1877505633800945665  image 1280x960
2026-07-30 08:00:01  notify   cmd    g1 (group)                               1877505633800945666  cmd channelUpdate {"channel_id":"g1","channel_type":2}
2026-07-30 08:01:00  notify   chat   g1 (group)              u1001            1877505700011122688  cmd typing {"channel_id":"g1","channel_type":2,"from_uid":"u…
2026-07-30 08:01:01  notify   cmd    g1 (group)              u1003            1877505700011122689  text: meeting at 10
"""


async def test_main_screen_at_80x24(monkeypatch):
    monkeypatch.chdir(SAMPLES.parent)
    app = BrowseApp(built("samples/problems.jsonl"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
    # Narrow: classify's priorities decide (the payload preview and the time give way first);
    # ids stay whole, the recipient count is right-aligned.
    assert text == MAIN_80.rstrip("\n")


async def test_main_screen_at_160x45(monkeypatch):
    monkeypatch.chdir(SAMPLES.parent)
    app = BrowseApp(built("samples/problems.jsonl"))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot)
        lines = screen_text(app).splitlines()
    assert lines[:12] == MAIN_160.splitlines()
    assert len(lines) == 45 and "q quit" in lines[-1]


async def test_filter_to_cmds_then_open_a_detail():
    app = BrowseApp(built(PROBLEMS))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"kind:cmd", "enter")
        await settle(app, pilot)
        text = screen_text(app)
        assert "cmd 5  chat 0" in text
        assert "filter kind:cmd" in text
        assert {row.split()[3] for row in text.splitlines()[4:9]} == {"cmd"}
        await pilot.press("enter")
        await pilot.pause(0.1)
        detail = screen_text(app)
        assert "message 1877505633800945666  (seen 2 times: msg.notify ×2)" in detail
        assert "kind      cmd  (header.sync_once is 1)" in detail
        assert "channel_type      2  (group)" in detail
        assert '"cmd": "channelUpdate",' in detail
        assert "warning  duplicate" in detail
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert "filter kind:cmd" in screen_text(app)


async def test_a_bad_filter_is_shown_inline_and_keeps_the_view():
    app = BrowseApp(built(PROBLEMS))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"kind:x", "enter")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "^ at column 1: kind must be cmd or chat, not 'x'" in text
        assert "cmd 5  chat 15" in text


async def test_copy_sends_osc52_with_the_message_id():
    app = BrowseApp(built(PROBLEMS))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        written: list[str] = []
        driver = app._driver  # noqa: SLF001
        original = driver.write
        driver.write = lambda data: (written.append(data), original(data))[1]
        await pilot.press("down", "y")
        await pilot.pause(0.05)
        assert app.clipboard == "1877505633800945665"
        assert "\x1b]52;c;MTg3NzUwNTYzMzgwMDk0NTY2NQ==\x07" in written


async def test_export_writes_what_classify_writes(tmp_path, run):
    target = tmp_path / "cmds.jsonl"
    app = BrowseApp(built(PROBLEMS), base={"kind": ["cmd"]})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        for _ in range(100):
            await pilot.pause(0.05)
            if type(app.screen).__name__ == "AskScreen":
                break
        app.screen.query_one("#answer").value = str(target)
        await pilot.press("enter")
        await settle(app, pilot, until=lambda: app.status.startswith("exported"))
    expected = run("classify", PROBLEMS, "--kind", "cmd", "-o", "jsonl").stdout
    assert target.read_text() == expected
    assert app.status == f"exported 5 messages to {target}"


async def test_follow_shows_new_messages_at_the_end(tmp_path):
    lines = (SAMPLES / "webhooks.jsonl").read_text().splitlines()
    dump = tmp_path / "grow.jsonl"
    dump.write_text(lines[0] + "\n")
    app = BrowseApp(Index([str(dump)], follow=True))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(40):
            await pilot.pause(0.05)
            if app.view.rows:
                break
        app._tick()  # noqa: SLF001
        first = len(app.view.rows)
        await pilot.press("G")
        with dump.open("a") as out:
            out.write("\n".join(lines[1:4]) + "\n")
        for _ in range(60):
            await pilot.pause(0.05)
            app._tick()  # noqa: SLF001
            if len(app.view.rows) > first:
                break
        await pilot.pause(0.3)
        app._tick()  # noqa: SLF001
        assert len(app.view.rows) > first
        assert app.query_one("MessageList").cursor == len(app.view.rows) - 1


async def test_replay_sends_the_selected_message(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from http_sink import Sink

    with Sink() as sink:
        app = BrowseApp(built(PROBLEMS), to=sink.url)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            await pilot.press("r")
            for _ in range(100):  # the confirmation must be up before it is answered
                await pilot.pause(0.05)
                if type(app.screen).__name__ == "AskScreen":
                    break
            await pilot.press("y")
            await settle(app, pilot, until=lambda: app.status.startswith("replayed"), seconds=20)
            assert app.status.startswith("replayed: HTTP 200"), app.status
        assert len(sink.hits) == 1
        assert sink.hits[0].query == "event=msg.notify"
        assert json.loads(sink.hits[0].body)[0]["message_idstr"] == "1877505633800945664"


# -- the command ----------------------------------------------------------------------------


def test_browse_needs_a_terminal(wkcli_proc):
    proc = wkcli_proc("browse", PROBLEMS)
    assert proc.returncode == 2
    assert b"needs a terminal" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_browse_without_textual_says_how_to_install(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "textual", None)
    monkeypatch.setitem(sys.modules, "wkcli.browse.app", None)
    result = run("browse", PROBLEMS)
    assert result.exit_code == 2
    assert "pip install 'wkcli[browse]'" in result.stderr


def test_other_commands_do_not_import_textual():
    code = "import sys, wkcli.cli; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"


# -- the index built in another process, codes, follow ---------------------------------------

ARRAYS = (
    "row_record",
    "row_sub",
    "kinds",
    "events",
    "times",
    "rec_file",
    "rec_offset",
    "rec_size",
    "rec_line",
)


def test_an_index_built_in_another_process_is_the_same():
    paths = [PROBLEMS, str(SAMPLES / "broken.jsonl"), str(SAMPLES / "offline.json.gz")]
    here = built(*paths)
    there = Index(paths, process=True)
    try:
        there.build()
        assert there.done and there.failure is None and there.count == here.count
        for name in ARRAYS:
            assert getattr(there, name).tobytes() == getattr(here, name).tobytes(), name
        for name, field in here.fields.items():
            assert there.fields[name].codes == field.codes and there.fields[name].values == field.values
        assert there.errors == here.errors and there.names == here.names
        # Rows read back, the gzip file's from the spool the other process wrote.
        assert [there.where(r) for r in range(there.count)] == [here.where(r) for r in range(here.count)]
        assert there.item(there.count - 1).data == here.item(here.count - 1).data
        assert len(there.deliveries(0)) == 4
    finally:
        there.close()
        here.close()


@pytest.mark.parametrize(
    "query",
    [
        "channel:g1",
        "from:u1001,u1003",
        "type:person",
        "cmd:typing",
        "ctype:text",
        "ctype:99 kind:chat",
        "channel:g2 ctype:1",
    ],
)
def test_field_filters_by_code_keep_what_the_message_filters_keep(query):
    from dataclasses import replace

    from wkcli.webhook.filters import build
    from wkcli.webhook.model import Message
    from wkcli.webhook.query import matcher

    index = built(PROBLEMS)
    parsed = parse(query)
    view = View(index, parsed, show_malformed=False)
    view.advance()
    keep, extra = build(parsed.criteria), matcher(replace(parsed, text=""))
    expected = [
        row
        for row in range(index.count)
        if type(index.item(row)) is Message
        and keep(index.item(row))
        and (extra is None or extra(index.item(row)))
    ]
    assert list(view.rows) == expected and expected


def test_following_every_file_across_rotation_and_truncation(tmp_path):
    import os
    import threading

    lines = (SAMPLES / "webhooks.jsonl").read_text().splitlines()
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(lines[0] + "\n")
    second.write_text(lines[1] + "\n")
    index = Index([str(first), str(second)], follow=True)
    thread = threading.Thread(target=index.build, daemon=True)
    thread.start()

    def wait(test) -> None:
        deadline = time.monotonic() + 20
        while not test() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert test()

    try:
        wait(lambda: len(index.names) == 2 and index.count >= 2)
        at_start = index.count
        with first.open("a") as out:  # the first file grows too, not only the last
            out.write(lines[2] + "\n")
        wait(lambda: index.count > at_start)
        assert index.where(index.count - 1) == f"{first}:2"
        os.rename(second, tmp_path / "b.jsonl.1")  # rotated: the new file's rows follow
        second.write_text(lines[3] + "\n")
        wait(lambda: len(index.names) == 3 and index.count > at_start + 1)
        assert index.notices == [f"{second} was rotated: the new file's rows follow"]
        assert index.where(index.count - 1) == f"{second}:1"
        first.write_text(lines[4] + "\n")  # truncated in place: its rows start over
        wait(lambda: len(index.names) == 4 and index.gone == [0])
        assert index.notices[-1] == f"{first} was truncated: its rows start over"
        view = View(index, parse(""))
        wait(lambda: view.advance() == 0 and index.count > 0 and view.judged == index.count)
        files = {index.rec_file[index.row_record[row]] for row in view.rows}
        assert 0 not in files and {1, 2, 3} <= files
    finally:
        index.close()
        thread.join(5)


@pytest.mark.parametrize("width", [60, 78, 100, 130, 160])
def test_the_list_shows_the_columns_classify_shows(width):
    from wkcli.browse.rows import Layout, cells
    from wkcli.output.layout import table_lines
    from wkcli.output.table import COLUMNS, message_cells

    index = built(PROBLEMS)
    messages = [row for row in range(index.count) if index.kinds[row] & 15 != 2]
    layout = Layout()
    for row in messages:
        layout.measure(cells(index, row, False))
    layout.fit(width)
    header = "".join(text for text, _ in layout.header()).split()
    table = [message_cells(index.item(row)) for row in messages]
    assert header == table_lines(COLUMNS, table, width, color=False)[0].split()
    row = next(row for row in messages if message_cells(index.item(row))[5][0] == "512")
    line = "".join(text for text, _ in layout.line(cells(index, row, False)))
    if "to" in header:  # right-aligned: the count ends where the header's "to" ends
        end = "".join(text for text, _ in layout.header()).index("to  message") + 2
        assert line[end - 4 : end] == " 512"


def test_a_malformed_row_spans_the_columns_after_kind():
    from wkcli.browse.rows import Layout, cells

    index = built(str(SAMPLES / "broken.jsonl"))
    bad = next(row for row in range(index.count) if index.kinds[row] == MALFORMED)
    layout = Layout()
    layout.fit(100)
    line = "".join(text for text, _ in layout.line(cells(index, bad, False)))
    where, reason = index.errors[bad]
    assert line.split()[:2] == ["bad", f"{where}:"] and reason[:20] in line
    assert len(line) <= 100


# -- the end --------------------------------------------------------------------------------


def test_a_crash_ends_the_app_with_one_line(capsys):
    from textual.widgets import Static

    from wkcli.browse.app import run_app

    class Broken(Static):
        def render(self):
            raise RuntimeError("a widget that cannot draw")

    class Crashing(BrowseApp):
        def compose(self):
            yield from super().compose()
            yield Broken()

    index = built(PROBLEMS)
    failure = run_app(Crashing(index), headless=True, size=(80, 24))
    assert failure == "RuntimeError: a widget that cannot draw"
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err


def test_the_command_says_why_the_app_stopped(run, monkeypatch):
    import io
    from types import SimpleNamespace

    import wkcli.browse.app as browse_app
    import wkcli.commands.browse as command

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stderr = Tty()  # the terminal the app is drawn on
    monkeypatch.setattr(command, "sys", SimpleNamespace(stdout=Tty(), stdin=Tty(), stderr=stderr))
    monkeypatch.setattr(browse_app, "run_app", lambda app: "ValueError: bad\x1b[31m")
    result = run("browse", PROBLEMS)
    assert result.exit_code == 3
    assert stderr.getvalue() == "wkcli: error: browse stopped: ValueError: bad\\x1b[31m\n"


async def test_the_detail_has_its_own_keys():
    app = BrowseApp(built(PROBLEMS))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        for _ in range(40):
            await pilot.pause(0.05)
            if type(app.screen).__name__ == "DetailScreen":
                break
        await pilot.pause(0.1)
        footer = screen_text(app).splitlines()[-1]
        assert "back" in footer and "copy id" in footer and "replay" in footer
        assert "filter" not in footer and "malformed" not in footer and "export" not in footer
        await pilot.press("m", "slash")  # keys of the list do nothing here
        await pilot.pause(0.1)
        assert app.show_malformed and type(app.screen).__name__ == "DetailScreen"
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert "m malformed" in screen_text(app).splitlines()[-1]


async def test_a_new_filter_stops_the_search_for_free_text():
    app = BrowseApp(built(PROBLEMS))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *'"hi"', "enter")
        await settle(app, pilot)
        searched = app.view
        assert len(searched.matches) == 4 and not searched.searching
        assert "4 rows hold the text" in screen_text(app)
        await pilot.press("slash", "ctrl+u", *"kind:cmd", "enter")
        await settle(app, pilot)
        assert searched.stopped.is_set() and app.view is not searched
        assert not app.view.matches and "cmd 5  chat 0" in screen_text(app)


async def ticked_until(app: BrowseApp, pilot: Any, test: Callable[[], object]) -> None:
    """Let the app tick (as its timer would) until ``test()`` holds; else fail, saying where
    the index and the view are."""
    for _ in range(200):
        await pilot.pause(0.05)
        app._tick()  # noqa: SLF001
        if test():
            return
    index = app.index
    raise AssertionError((index.notices, index.gone, index.count, app.view.judged, app.status, index.names))


async def test_a_followed_file_cut_short_starts_its_rows_over(tmp_path):
    lines = (SAMPLES / "webhooks.jsonl").read_text().splitlines()
    dump = tmp_path / "grow.jsonl"
    dump.write_text("\n".join(lines[:3]) + "\n")
    app = BrowseApp(Index([str(dump)], follow=True))
    async with app.run_test(size=(100, 30)) as pilot:
        until = functools.partial(ticked_until, app, pilot)

        await until(lambda: app.view.rows)
        before = set(app.view.rows)
        dump.write_text(lines[3] + "\n")  # truncated in place (copytruncate), then written to
        await until(lambda: "truncated" in app.status and app.view.rows)
        assert app.status == f"{dump} was truncated: its rows start over"  # shown in the header
        await until(lambda: app.view.judged >= app.index.count and app.view.rows)
        assert not before & set(app.view.rows)
        assert {app.index.where(row) for row in app.view.rows} == {f"{dump}:1"}


@pytest.mark.parametrize("width", [80, 100, 200])
@pytest.mark.parametrize("last", ["message", "malformed"])
async def test_the_last_row_is_not_hidden_under_a_scrollbar(tmp_path, monkeypatch, width, last):
    # More rows than the list's height: it scrolls up and down, and every row fits the width.
    monkeypatch.chdir(tmp_path)
    dump = tmp_path / "plain.jsonl"
    lines = (SAMPLES / "webhooks.jsonl").read_text().splitlines(keepends=True) * 6
    dump.write_text("".join(lines[:3]))
    app = BrowseApp(Index(["plain.jsonl"], follow=True))
    async with app.run_test(size=(width, 15)) as pilot:
        until = functools.partial(ticked_until, app, pilot)

        await until(lambda: app.view.rows)
        # The rest comes once the list is laid out, as a large dump's rows do.
        with dump.open("a") as out:
            out.write("".join(lines[3:]) + ("{not json\n" if last == "malformed" else ""))
        await until(lambda: app.view.judged == app.index.count > len(lines))
        await pilot.press("G")
        await pilot.pause(0.2)
        app._tick()  # noqa: SLF001
        await pilot.pause(0.1)
        screen = screen_text(app).splitlines()
        listed = app.query_one("MessageList")
        assert listed.cursor == len(app.view.rows) - 1 > 15
        assert not listed.show_horizontal_scrollbar
    # The cursor's row, the last, is the last line above the footer.
    row = app.view.rows[-1]
    if last == "malformed":
        assert screen[-2].split()[:2] == ["bad", f"{app.index.where(row)}:"]
    else:
        assert app.index.item(row).id_text in screen[-2]


def test_browse_with_stderr_redirected_says_so_on_the_terminal():
    import pty

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import read_terminal, wkcli_executable

    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [wkcli_executable(), "browse", PROBLEMS], stdin=terminal, stdout=terminal, stderr=subprocess.DEVNULL
    )
    os.close(terminal)
    try:
        code = proc.wait(timeout=30)  # Textual would draw into /dev/null, and wait for keys
    finally:
        proc.kill()
        proc.wait()
    shown = read_terminal(controller)
    os.close(controller)
    assert code == 2
    assert shown.decode().splitlines() == [
        "wkcli: error: wkcli browse needs a terminal (stderr is not one, and the app is drawn on it)"
    ]


async def test_the_header_names_a_followed_file_once_across_truncation_and_rotation(tmp_path):
    lines = (SAMPLES / "webhooks.jsonl").read_text().splitlines()
    dump = tmp_path / "bf.jsonl"
    dump.write_text("\n".join(lines[:3]) + "\n")
    app = BrowseApp(Index([str(dump)], follow=True))
    async with app.run_test(size=(250, 30)) as pilot:
        until = functools.partial(ticked_until, app, pilot)

        await until(lambda: app.view.rows)
        dump.write_text(lines[3] + "\n")  # truncated in place
        await until(lambda: "truncated" in app.status)
        os.rename(dump, tmp_path / "bf.jsonl.1")  # rotated
        dump.write_text(lines[4] + "\n")
        await until(lambda: "rotated" in app.status)
        await pilot.pause(0.1)
        header = screen_text(app).splitlines()[0]
    assert len(app.index.names) == 3  # three files read under one name
    assert header.count("bf.jsonl") == 1, header
    assert header.endswith(str(dump))
