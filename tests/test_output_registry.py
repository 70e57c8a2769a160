"""The output registry, the writer interface, and flag-naming usage errors from plain core errors."""

from __future__ import annotations

import importlib
import io

import pytest

from wkcli.commands import count, presence
from wkcli.commands.session import _flag
from wkcli.errors import BadValue, UsageError
from wkcli.output import base
from wkcli.output.terminal import Terminal
from wkcli.webhook.filters import Criteria

OUTPUTS = [base.MESSAGES, base.PRESENCE, base.COUNTS, base.FINDINGS, base.SHOW]


def terminal(isatty: bool) -> Terminal:
    return Terminal(io.StringIO(), io.StringIO(), io.StringIO(), False, isatty, False, False)


@pytest.mark.parametrize("output", OUTPUTS, ids=lambda output: output.what)
def test_every_registered_writer_opens_and_has_the_interface(output: base.Output) -> None:
    for fmt, where in output.writers.items():
        module, name = where.split(":")
        cls = getattr(importlib.import_module(module), name)
        for method in ("open", "write", "flush", "close"):
            assert callable(getattr(cls, method)), (fmt, method)
    assert output.defaults[0] in output.writers and output.defaults[1] in output.writers


def test_defaults_follow_where_stdout_goes() -> None:
    assert base.pick_format(base.MESSAGES, "auto", terminal(True)) == "table"
    assert base.pick_format(base.MESSAGES, "auto", terminal(False)) == "jsonl"
    assert base.pick_format(base.COUNTS, "auto", terminal(False)) == "json"
    assert base.pick_format(base.SHOW, "auto", terminal(True)) == "text"
    assert base.pick_format(base.FINDINGS, "json", terminal(True)) == "json"
    with pytest.raises(BadValue) as caught:
        base.pick_format(base.SHOW, "xml", terminal(True))
    assert caught.value.what == "fmt"


def test_core_errors_name_the_parameter_not_a_flag() -> None:
    with pytest.raises(BadValue) as caught:
        Criteria.from_options(kind=["x"])
    assert isinstance(caught.value, UsageError)
    assert (caught.value.what, str(caught.value)) == ("kind", "kind must be cmd or chat, not 'x'")
    with pytest.raises(BadValue) as caught:
        Criteria.from_options(since="someday")
    assert caught.value.naming("--since").startswith("--since: cannot read 'someday'")


def test_the_command_layer_finds_the_flag_of_a_parameter() -> None:
    run = count.count.__wrapped__  # type: ignore[attr-defined]
    assert _flag(run, "sender") == "--from"
    assert _flag(run, "fmt") == "--format"
    assert _flag(run, "channel_type") == "--channel-type"
    assert _flag(presence.presence.__wrapped__, "online") == "--online"  # type: ignore[attr-defined]
    assert _flag(run, "unknown_thing") == "--unknown-thing"
