"""Input that is not JSON text at all: one clear error per file, not one per line."""

from __future__ import annotations

import json

from conftest import SAMPLES


def test_a_binary_file_is_one_error(run, tmp_path):
    path = tmp_path / "core.dump"
    path.write_bytes(bytes(range(256)) * 64)
    result = run("count", str(path), str(SAMPLES / "webhooks.jsonl"))
    assert result.exit_code == 1
    assert f"{path}: error: binary data, not JSON text" in result.stderr
    assert result.stderr.count("error") == 1
    report = json.loads(result.stdout)
    assert report["malformed"] == 1 and report["messages"] == 14  # the next file is still read


def test_utf16_text_is_called_out(run, tmp_path):
    path = tmp_path / "utf16.jsonl"
    path.write_bytes((SAMPLES / "webhooks.jsonl").read_text().encode("utf-16"))
    result = run("count", str(path))
    assert "binary data, not JSON text (a binary file, or UTF-16?)" in result.stderr


def test_control_bytes_in_a_text_line_are_shown_escaped(run):
    result = run("count", "-", input=b"abc\x01\x1b[31mdef\n")
    assert (
        "<stdin>:1: error: not JSON, and no JSON found in the line: 'abc\\x01\\x1b[31mdef'" in result.stderr
    )
    assert "\x1b" not in result.stderr
