"""Cutting dumps into JSON values: every input shape, with exact line numbers."""

from __future__ import annotations

import gzip
import io

import pytest

from wkcli.errors import UnreadableInput
from wkcli.read.source import Input, TruncatedInput, iter_lines, open_input
from wkcli.read.values import Bad, Skip, Value, read_values


def values(text: str | bytes, input_format: str = "auto"):
    data = text.encode() if isinstance(text, str) else text
    return list(read_values(iter(data.split(b"\n")), input_format))


def summary(items):
    out = []
    for item in items:
        if isinstance(item, Value):
            out.append((item.line, "value", item.value))
        elif isinstance(item, Bad):
            out.append((item.line, "bad", item.reason))
        else:
            out.append((item.line, "skip", None))
    return out


def test_jsonl_one_value_per_line_with_blank_lines_skipped():
    got = summary(values('{"a":1}\n\n  \n[1,2]\n["u1-1-1"]\n'))
    assert got == [(1, "value", {"a": 1}), (4, "value", [1, 2]), (5, "value", ["u1-1-1"])]


def test_crlf_line_endings():
    got = summary(values('{"a":1}\r\n{"b":2}\r\n'))
    assert got == [(1, "value", {"a": 1}), (2, "value", {"b": 2})]


def test_message_ids_near_two_to_the_64_stay_exact():
    (item,) = values('{"message_id":18446744073709551615}')
    assert item.value["message_id"] == 18446744073709551615
    assert type(item.value["message_id"]) is int


def test_pretty_printed_values_one_after_another():
    text = '{\n  "event": "msg.notify",\n  "data": [\n    {"message_id": 1}\n  ]\n}\n{\n  "x": "}{]["\n}\n'
    got = summary(values(text))
    assert got == [
        (1, "value", {"event": "msg.notify", "data": [{"message_id": 1}]}),
        (7, "value", {"x": "}{]["}),
    ]


def test_a_large_pretty_array_is_streamed_element_by_element():
    text = '[\n  {\n    "message_id": 1\n  },\n  {\n    "message_id": 2\n  },\n  "u1-1-1-1-1-1"\n]\n'
    items = values(text)
    assert [(i.line, i.value, i.element) for i in items] == [
        (2, {"message_id": 1}, True),
        (5, {"message_id": 2}, True),
        (8, "u1-1-1-1-1-1", True),
    ]


def test_compact_elements_inside_a_pretty_array():
    items = values('[\n{"a":1},\n{"a":2}\n]\n')
    assert [(i.line, i.value) for i in items] == [(2, {"a": 1}), (3, {"a": 2})]


def test_a_bad_element_is_reported_and_the_array_goes_on():
    got = summary(values('[\n{"a":1},\n{"a":,\n{"a":3}\n]\n'))
    assert got[0] == (2, "value", {"a": 1})
    assert got[1][0:2] == (3, "bad")
    assert got[2] == (4, "value", {"a": 3})


def test_a_cut_off_line_does_not_swallow_the_lines_after_it():
    got = summary(values('{"header": {"sync_once": 1}, "payl\n{"a": 2}\nplain words\n{"a": 4}\n'))
    assert got[0][:2] == (1, "bad")
    assert "invalid JSON" in got[0][2]
    assert got[1] == (2, "value", {"a": 2})
    assert got[2][:2] == (3, "bad")
    assert got[3] == (4, "value", {"a": 4})


def test_a_pretty_value_cut_off_by_a_new_top_level_value():
    got = summary(values('{\n  "a": 1,\n{"b": 2}\n'))
    assert got == [(1, "bad", "incomplete JSON value (the record seems cut off)"), (3, "value", {"b": 2})]


def test_a_pretty_value_cut_off_at_end_of_input():
    got = summary(values('{"a": 1}\n{\n  "b": [\n'))
    assert got[0] == (1, "value", {"a": 1})
    assert got[1][:2] == (2, "bad") and "end of input" in got[1][2]


def test_an_unclosed_top_level_array_is_reported():
    got = summary(values('[\n  {"a": 1}\n'))
    assert got[0] == (2, "value", {"a": 1})
    assert got[1][:2] == (1, "bad") and "never closed" in got[1][2]


def test_log_lines_with_a_prefix_and_the_event_named_in_it():
    items = values(
        '2026-07-30 10:00:00 INFO webhook event=msg.offline body={"message_id":1} took=3ms\n'
        '[2026-07-30 10:00:01] INFO webhook body=["u1-1-1-1-1-1"]\n'
        'Jul 30 10:00:02 host app[99]: POST /hook?event=msg.notify [{"message_id":2}]\n'
    )
    assert [(i.line, i.value, i.hint) for i in items] == [
        (1, {"message_id": 1}, "msg.offline"),
        (2, ["u1-1-1-1-1-1"], None),
        (3, [{"message_id": 2}], "msg.notify"),
    ]


def test_plain_log_lines_are_skipped_but_plain_text_is_an_error():
    got = summary(values("2026-07-30 10:00:00 INFO server started\nhello world\n"))
    assert got[0] == (1, "skip", None)
    assert got[1][:2] == (2, "bad") and "hello world" in got[1][2]


def test_cut_off_json_is_never_mistaken_for_a_log_prefix():
    # The inner {"sync_once": 1} must not be picked out of the cut-off record as a message.
    got = summary(values('[{"header":{"sync_once":1},"message_id":5,"payl\n'))
    assert got[0][:2] == (1, "bad")
    got = summary(values('2026-07-30 INFO body={"header":{"sync_once":1},"message_id":5\n'))
    assert got[0][:2] in ((1, "bad"), (1, "skip"))


def test_a_json_string_line_is_a_value():
    (item,) = values('"{\\"a\\":1}"\n')
    assert item.value == '{"a":1}'


def test_input_format_jsonl_does_not_join_lines():
    got = summary(values("{\n}\n", input_format="jsonl"))
    assert [g[1] for g in got] == ["bad", "bad"]


def test_input_format_json_joins_any_open_value():
    got = summary(values('{"a":\n 1}\n', input_format="json"))
    assert got == [(1, "value", {"a": 1})]


def test_invalid_utf8_is_reported():
    got = summary(values(b'{"a":"\xff\xfe"}\n'))
    assert got[0][:2] == (1, "bad")
    assert "UTF-8" in got[0][2]


def test_nan_is_not_json():
    got = summary(values('{"a": NaN}\n'))
    assert got[0][:2] == (1, "bad")


def test_gzip_is_recognised_by_content_whatever_the_name(tmp_path):
    path = tmp_path / "capture.log"  # no .gz in the name
    path.write_bytes(gzip.compress(b'\xef\xbb\xbf{"a":1}\r\n{"a":2}\n'))
    with open_input(str(path)) as source:
        assert source.compressed
        lines = list(iter_lines(source))
    assert lines == [b'{"a":1}\r', b'{"a":2}']


def test_bom_is_removed(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a":1}\n')
    with open_input(str(path)) as source:
        items = list(read_values(iter_lines(source)))
    assert items[0].value == {"a": 1}


def test_truncated_gzip_keeps_what_was_read_then_says_so(tmp_path):
    data = gzip.compress(b"".join(b'{"n":%d}\n' % i for i in range(5000)))
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) // 2])
    got = []
    with open_input(str(path)) as source, pytest.raises(TruncatedInput, match="truncated"):
        for line in iter_lines(source):
            got.append(line)
    assert len(got) > 100
    assert got[0] == b'{"n":0}'


def test_missing_file_and_directory_are_unreadable(tmp_path):
    with pytest.raises(UnreadableInput, match="No such file"):
        open_input(str(tmp_path / "nope.jsonl"))
    with pytest.raises(UnreadableInput, match="is a directory"):
        open_input(str(tmp_path))


def test_on_wait_is_called_before_reads_that_may_block():
    calls = []
    source = Input("<stdin>", io.BufferedReader(io.BytesIO(b'{"a":1}\n')), interactive=True)
    lines = list(iter_lines(source, on_wait=lambda: calls.append(1)))
    assert lines == [b'{"a":1}']
    assert calls  # flushed at least before the first read


def test_skip_type_is_distinct():
    assert isinstance(values("2026-07-30 12:00:00 DEBUG tick\n")[0], Skip)
