"""Property-based tests of the reader: any bytes, in any input shape, are read without a traceback,
every line is accounted for, and the fast paths give exactly what the general path gives.

A few seconds in CI; ``HYPOTHESIS_PROFILE=long`` runs many more examples locally.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wkcli.output.messages import JsonlWriter
from wkcli.read.accounting import Diagnostics
from wkcli.read.options import ReadOptions, Tuning
from wkcli.read.reader import Reader
from wkcli.webhook.tally import Tally

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
settings.register_profile("long", max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_ints = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.sampled_from([0, 1, 2, -1, 2**64, 2**70, -(2**63) - 1, 1764000000000, 253402300800]),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    _ints,
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "header",
        "sync_once",
        "message_id",
        "message_idstr",
        "timestamp",
        "payload",
        "to_uids",
        "compress",
        "compress_to_uids",
        "channel_id",
        "from_uid",
        "kind",
        "event",
        "setting",
    ]
)


@st.composite
def messages(draw) -> dict:
    """A webhook message, then a few of its keys replaced by anything."""
    message = {
        "header": {"no_persist": 0, "red_dot": 1, "sync_once": draw(st.sampled_from([0, 1]))},
        "setting": 0,
        "message_id": draw(_ints),
        "message_idstr": "1877505633800945664",
        "from_uid": "u1",
        "channel_id": "g1",
        "channel_type": 2,
        "timestamp": draw(st.one_of(st.just(1785398400), _ints)),
        "payload": base64.b64encode(b'{"type":1,"content":"hi"}').decode(),
    }
    if draw(st.booleans()):
        message["to_uids"] = ["u2", "u3"]
    for key in draw(st.lists(_keys, max_size=3)):
        message[key] = draw(_json)
    return message


@st.composite
def bodies(draw):
    kind = draw(st.sampled_from(["offline", "notify", "presence", "any"]))
    if kind == "offline":
        return draw(messages())
    if kind == "notify":
        return draw(st.lists(messages(), min_size=1, max_size=3))
    if kind == "presence":
        return draw(st.lists(st.sampled_from(["u1-1-1-1-1-1", "a-b-c-0-0-7-1-1", "x"]), max_size=3))
    return draw(_json)


@st.composite
def units(draw) -> bytes:
    """One record in one of the shapes a dump can take, or junk."""
    shape = draw(
        st.sampled_from(
            ["jsonl", "pretty", "envelope", "capture", "string-body", "log", "bytes", "bracket", "cut"]
        )
    )
    body = draw(bodies())
    event = draw(st.sampled_from(["msg.notify", "msg.offline", "user.onlinestatus", "x"]))
    if shape == "jsonl":
        text = json.dumps(body)
    elif shape == "pretty":
        text = json.dumps(body, indent=draw(st.sampled_from([1, 2, 4])))
    elif shape == "envelope":
        text = json.dumps({"event": event, "data": body})
    elif shape == "capture":
        text = json.dumps({"received_at": "2026-07-30T08:00:00Z", "path": f"/?event={event}", "body": body})
    elif shape == "string-body":
        text = json.dumps({"event": event, "body": json.dumps(body)})
    elif shape == "log":
        text = f"2026-07-30 10:00:00 INFO webhook event={event} body={json.dumps(body)} took=3ms"
    elif shape == "bracket":
        text = draw(st.sampled_from(["{", "[", "]", "}", "  {", "[INFO] x"]))
    elif shape == "cut":
        full = json.dumps(body)
        text = full[: draw(st.integers(0, len(full)))]
    else:
        return draw(st.binary(max_size=60))
    return text.encode()


@st.composite
def dumps(draw) -> tuple[bytes, int]:
    parts = draw(st.lists(units(), max_size=8))
    end = draw(st.sampled_from([b"\n", b"\r\n"]))
    data = end.join(parts) + draw(st.sampled_from([b"", end]))
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if draw(st.integers(0, 4)) == 0:
        data = gzip.compress(data)
    return data, lines


def _read(path: str, fast: bool, mode: str, input_format: str = "auto"):
    os.environ["WKCLI_FASTPATH"] = "1" if fast else "0"
    errors = io.StringIO()
    diagnostics = Diagnostics(errors, max_shown=10**9)
    out = io.BytesIO()
    # Every file takes the fast path when it can.
    tuning = Tuning(fast_min_bytes=0)
    if mode == "count":
        options = ReadOptions(input_format=input_format, max_line=4096, tuning=tuning)
        reader = Reader([path], None, diagnostics, options)
        tally = Tally(["event", "kind"])
        reader.count_into(tally)
        produced = (tally.cmd, tally.chat, tally.presence, tally.rows())
    else:
        options = ReadOptions(presence=False, input_format=input_format, max_line=4096, tuning=tuning)
        reader = Reader([path], None, diagnostics, options)
        writer = JsonlWriter(out)
        reader.pass_plain_jsonl(out)
        for message in reader:
            writer.write(message)
        writer.close()
        produced = out.getvalue()
    return produced, reader.stats, errors.getvalue()


def _check(tmp_path_factory, data: bytes, lines: int, input_format: str = "auto") -> None:
    path = tmp_path_factory.mktemp("prop") / "dump"
    path.write_bytes(data)
    saved = os.environ.get("WKCLI_FASTPATH")
    try:
        for mode in ("count", "jsonl"):
            fast = _read(str(path), True, mode, input_format)
            slow = _read(str(path), False, mode, input_format)
            assert fast[0] == slow[0]
            assert fast[1].as_dict() == slow[1].as_dict()
            assert fast[2].splitlines() == slow[2].splitlines()
            stats = slow[1]
            assert int(stats.exit_code) in (0, 1, 2)
            # Every line is in one record, a skipped log line, or blank: never more records than lines.
            assert stats.records + stats.skipped <= max(lines, 1)
            assert (int(stats.exit_code) == 1) == (stats.malformed > 0 and not stats.unreadable)
    finally:
        if saved is None:
            os.environ.pop("WKCLI_FASTPATH", None)
        else:
            os.environ["WKCLI_FASTPATH"] = saved


@given(dumps())
def test_any_dump_reads_the_same_on_both_paths(tmp_path_factory, dump):
    _check(tmp_path_factory, *dump)


@given(dumps(), st.sampled_from(["jsonl", "json", "log"]))
def test_forced_input_formats_too(tmp_path_factory, dump, input_format):
    _check(tmp_path_factory, *dump, input_format=input_format)


@given(st.binary(max_size=300))
def test_random_bytes(tmp_path_factory, data):
    lines = data.count(b"\n") + 1
    _check(tmp_path_factory, data, lines)


@given(st.lists(st.builds(json.dumps, messages()), min_size=1, max_size=6))
def test_single_line_records_are_each_one_record(tmp_path_factory, records):
    path = tmp_path_factory.mktemp("prop") / "dump.jsonl"
    path.write_text("\n".join(records) + "\n")
    _, stats, errors = _read(str(path), True, "count")
    assert stats.records == len(records)
    assert stats.messages + stats.malformed + stats.empty >= len(records) - errors.count("warning")


@settings(max_examples=5)
@given(dumps())
def test_the_command_line_never_shows_a_traceback(run, tmp_path_factory, dump):
    path = tmp_path_factory.mktemp("prop") / "dump"
    path.write_bytes(dump[0])
    for args in (["count", "--by", "hour"], ["classify", "-o", "jsonl", "--decode"], ["check"]):
        result = run(*args, str(path), "--max-line", "4K")
        assert result.exit_code in (0, 1, 2), result.stderr
        assert "Traceback" not in result.stderr
