"""The installed ``wkcli`` program: pipes, signals, terminals, exit codes, help."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys

import pytest
from conftest import SAMPLES, read_terminal, wkcli_executable

from wkcli.cli import app

WEBHOOKS = str(SAMPLES / "webhooks.jsonl")


def test_classify_in_a_pipe_prints_jsonl(wkcli_proc):
    proc = wkcli_proc("classify", WEBHOOKS)
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 14
    assert proc.stdout.startswith(b"{") and b'"kind":"' in proc.stdout
    assert b"records from 1 file" in proc.stderr


def test_python_dash_m(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "wkcli", "count", WEBHOOKS, "-o", "json"], capture_output=True, timeout=60
    )
    assert proc.returncode == 0 and b'"cmd":6' in proc.stdout


def test_head_closes_the_pipe_quietly(tmp_path):
    big = tmp_path / "big.jsonl"
    line = (SAMPLES / "webhooks.jsonl").read_bytes()
    big.write_bytes(line * 2000)
    proc = subprocess.run(
        f"'{wkcli_executable()}' classify '{big}' | head -1",
        shell=True,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 1
    assert b"Traceback" not in proc.stderr and b"BrokenPipe" not in proc.stderr
    assert b"Exception" not in proc.stderr


def test_pipe_exit_status_is_zero_after_head(tmp_path):
    big = tmp_path / "big.jsonl"
    big.write_bytes((SAMPLES / "webhooks.jsonl").read_bytes() * 2000)
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"'{wkcli_executable()}' classify '{big}' | head -1 >/dev/null"],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""


def test_ctrl_c_exits_130_without_a_traceback():
    proc = subprocess.Popen(
        [wkcli_executable(), "classify", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    body = (SAMPLES / "webhooks.jsonl").read_bytes()
    proc.stdin.write(body)
    proc.stdin.flush()
    # The first rows arrive while stdin is still open: output is not held back until EOF.
    first = proc.stdout.readline()
    assert first.startswith(b"{")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err


def test_no_path_and_a_terminal_on_stdin_is_a_usage_error():
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.run(
            [wkcli_executable(), "classify"], stdin=terminal, capture_output=True, timeout=30
        )
    finally:
        os.close(controller)
        os.close(terminal)
    assert proc.returncode == 2
    assert b"no input" in proc.stderr


def test_table_on_a_terminal_with_colour_and_no_color():
    def screen(env_extra):
        controller, terminal = pty.openpty()
        env = {**os.environ, "COLUMNS": "150", **env_extra}
        env.pop("NO_COLOR", None) if "NO_COLOR" not in env_extra else None
        proc = subprocess.Popen(
            [wkcli_executable(), "classify", WEBHOOKS], stdout=terminal, stderr=terminal, env=env
        )
        os.close(terminal)
        shown = read_terminal(controller)
        proc.wait(timeout=30)
        os.close(controller)
        return shown.decode("utf-8", "replace")

    coloured = screen({"TERM": "xterm-256color"})
    assert "message id" in coloured and "\x1b[" in coloured
    assert "cmd typing" in coloured
    plain = screen({"TERM": "xterm-256color", "NO_COLOR": "1"})
    assert "message id" in plain and "\x1b[" not in plain
    dumb = screen({"TERM": "dumb"})
    assert "\x1b[" not in dumb


def test_version(wkcli_proc):
    proc = wkcli_proc("--version")
    assert proc.returncode == 0 and proc.stdout.startswith(b"wkcli ")


@pytest.mark.parametrize("name", sorted(c.name for c in app.registered_commands))
def test_every_command_help_leads_with_an_example(run, name):
    result = run(name, "--help")
    assert result.exit_code == 0
    text = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    # Usage line, one-line summary, then the example.
    assert text[0].startswith("Usage: wkcli " + name)
    assert text[2].startswith("Example: wkcli " + name), text[:4]
    assert "Exit status" in result.stdout


def test_running_one_command_loads_only_that_command(tmp_path) -> None:
    import subprocess
    import sys

    dump = tmp_path / "one.jsonl"
    dump.write_bytes(b'{"header": {"sync_once": 1}}\n')
    code = (
        "import sys\n"
        f"sys.argv = ['wkcli', 'count', '-q', {str(dump)!r}]\n"
        "from wkcli.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('wkcli.commands.'))\n"
        "sys.stderr.write(' '.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    loaded = result.stderr.decode().split()
    assert "wkcli.commands.count" in loaded
    assert not {"wkcli.commands.browse", "wkcli.commands.sql", "wkcli.commands.capture"} & set(loaded)
    assert b'"cmd":1' in result.stdout
