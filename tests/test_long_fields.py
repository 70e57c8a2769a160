"""A field megabytes long: cut into lines in linear time, shown cut by ``show``, and browse stays live."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from wkcli.output import wrap
from wkcli.read.index import Index


def long_dump(tmp_path: Path, length: int) -> Path:
    """One message whose channel_id is ``length`` characters long."""
    message = {
        "header": {"sync_once": 0}, "message_id": 1, "channel_id": "c" * length, "channel_type": 2,
        "from_uid": "u", "timestamp": 1785398400, "payload": "",
    }  # fmt: skip
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps([message]) + "\n")
    return path


def test_a_long_unit_is_cut_measuring_each_character_a_few_times(monkeypatch):
    measured = [0]

    def counting(function):
        def measure(text, *args):
            measured[0] += len(text)
            return function(text, *args)

        return measure

    monkeypatch.setattr(wrap, "cell_len", counting(wrap.cell_len))
    monkeypatch.setattr(wrap, "set_cell_size", counting(wrap.set_cell_size))
    length = 200_000
    lines = wrap.wrap_words("x" * length, 100, " " * 22, "    field   ")
    # Every piece is a whole line of the unit, and together they are all of it.
    assert lines[0] == "    field   " + "x" * 88
    assert all(line == " " * 22 + "x" * 78 for line in lines[1:-1])
    assert sum(line.count("x") for line in lines) == length
    # Measuring what is left of the unit for each line would be length² / 156 characters.
    assert measured[0] < 10 * length


def test_show_cuts_a_megabyte_field_at_once(run, tmp_path):
    path = long_dump(tmp_path, 1 << 20)
    started = time.monotonic()
    result = run("show", "1", str(path))
    took = time.monotonic() - started
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    field = next(n for n, line in enumerate(lines) if line.lstrip().startswith("channel_id"))
    assert lines[field + 7].strip() == "… (1,048,576 characters in all)"
    assert lines[field + 8].lstrip().startswith("channel_type")
    assert len(result.stdout) < 5000
    assert took < 5, took  # it was minutes: each line measured all that was left of the value


pytest.importorskip("textual")

from wkcli.browse import app as browse_app  # noqa: E402
from wkcli.browse.app import BrowseApp  # noqa: E402


def screen_text(app: BrowseApp) -> str:
    lines = app.screen._compositor.render_update(full=True)  # noqa: SLF001
    return "\n".join("".join(seg.text for seg in strip).rstrip() for strip in getattr(lines, "strips", []))


async def wait_for(pilot, test, seconds: float = 10.0) -> float:
    started = time.monotonic()
    while not test():
        assert time.monotonic() - started < seconds, "timed out"
        await pilot.pause(0.05)
    return time.monotonic() - started


async def test_browse_opens_the_detail_of_a_megabyte_field(tmp_path):
    index = Index([str(long_dump(tmp_path, 1 << 20))])
    index.build()
    app = BrowseApp(index)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.view.complete and app.view.rows)
        await pilot.press("enter")
        took = await wait_for(pilot, lambda: type(app.screen).__name__ == "DetailScreen")
        await pilot.pause(0.1)
        text = screen_text(app)
    assert took < 5, took
    assert "… (1,048,576 characters in all)" in text
    assert "channel_type      2  (group)" in text


async def test_browse_answers_keys_while_a_detail_is_read(monkeypatch):
    from wkcli.read.index import Index as RowIndex

    samples = Path(__file__).resolve().parent.parent / "samples"
    index = RowIndex([str(samples / "problems.jsonl")])
    index.build()
    go_on = threading.Event()
    real = browse_app.detail_lines

    def slow(index, row, utc=False):  # a 64 MB field takes a while to read
        go_on.wait(5)
        return real(index, row, utc)

    monkeypatch.setattr(browse_app, "detail_lines", slow)
    app = BrowseApp(index)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.view.complete and app.view.rows)
        await pilot.press("enter")
        await pilot.pause(0.3)
        app._tick()  # noqa: SLF001
        await pilot.pause(0.05)
        # Still the list, saying what it does, and moving with the keys.
        assert type(app.screen).__name__ != "DetailScreen"
        assert "reading the message…" in screen_text(app)
        await pilot.press("down")
        assert app.list.cursor == 1
        go_on.set()
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DetailScreen")
        await pilot.pause(0.1)
        # The row Enter was pressed on is the one shown.
        assert "message 1877505633800945664" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause(0.2)
        app._tick()  # noqa: SLF001
        await pilot.pause(0.05)
        assert "reading the message" not in screen_text(app)
