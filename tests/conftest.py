"""Shared fixtures: an isolated environment, and helpers to run the CLI in-process and as a real process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wkcli.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch):
    """No test depends on the developer's terminal, colour settings or time zone."""
    for name in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "WKCLI_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    time.tzset()


@pytest.fixture
def run():
    """Run ``wkcli ARGS`` in-process; returns the click Result (stdout, stderr, exit_code)."""

    def invoke(*args: str, input: str | bytes | None = None):
        runner = CliRunner()
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke


def wkcli_executable() -> str:
    """The installed ``wkcli`` entry point next to this interpreter."""
    candidate = Path(sys.executable).parent / "wkcli"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("wkcli")
    if found is None:
        pytest.skip("the wkcli entry point is not installed")
    return found


def read_terminal(controller: int, seconds: float = 30.0) -> bytes:
    """What a pseudo-terminal's controller side receives until the other side is closed by all
    (or ``seconds`` pass)."""
    chunks: list[bytes] = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            data = os.read(controller, 65536)
        except OSError:  # the other side closed (EIO)
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


@pytest.fixture
def wkcli_proc():
    """Run the real ``wkcli`` executable as a subprocess (no terminal)."""

    def invoke(*args: str, input: bytes | None = None, env: dict[str, str] | None = None, **kw):
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [wkcli_executable(), *args],
            input=input,
            capture_output=True,
            env=full_env,
            timeout=60,
            **kw,
        )

    return invoke
