"""Payload decoding: content types, CMD names, previews, odd payloads as labels, the decoded view."""

from __future__ import annotations

import base64

from hypothesis import example, given, settings
from hypothesis import strategies as st
from wk_fixtures import b64, cmd, gzip_uids, message, text

from wkcli.webhook import payload as p
from wkcli.webhook.model import channel_type_name


def test_text_payload_is_json_with_type_and_preview():
    decoded = p.decode_payload({"payload": "eyJjb250ZW50IjoiaGkiLCJ0eXBlIjoxfQ=="})
    assert decoded.status == p.JSON
    assert decoded.value == {"content": "hi", "type": 1}
    assert decoded.content_type == 1 and decoded.type_name == "text"
    assert decoded.cmd is None
    assert p.preview(decoded) == "text: hi"


def test_cmd_payload_names_the_cmd_and_shows_its_params():
    decoded = p.decode_payload({"payload": cmd("typing", channel_id="g1", channel_type=2)})
    assert decoded.cmd == "typing" and decoded.type_name == "cmd" and decoded.is_cmd_payload
    assert p.preview(decoded) == 'cmd typing {"channel_id":"g1","channel_type":2}'


def test_image_and_file_previews():
    image = p.decode_payload({"payload": b64({"type": 2, "url": "a.jpg", "width": 1280, "height": 960})})
    assert p.preview(image) == "image 1280x960"
    file = p.decode_payload({"payload": b64({"type": 8, "url": "f", "name": "report.pdf", "size": 9})})
    assert p.preview(file) == "file: report.pdf"


def test_content_type_names_cover_system_calls_and_unknown_numbers():
    assert p.content_type_name(1000) == "friend apply"
    assert p.content_type_name(1004) == "friend accepted"
    assert p.content_type_name(1500) == "system"
    assert p.content_type_name(9990) == "call"
    assert p.content_type_name(42) == "type 42"
    assert p.content_type_name("typing") == "typing"  # apps with string types
    assert p.content_type_name(None) == ""


def test_odd_payloads_are_labels_not_errors():
    assert p.decode_payload({"payload": None}).status == p.NULL
    assert p.decode_payload({"payload": ""}).status == p.EMPTY
    assert p.decode_payload({}).status == p.MISSING
    assert p.decode_payload({"payload": "not base64!"}).status == p.NOT_BASE64
    assert p.decode_payload({"payload": 12}).status == p.NOT_BASE64
    plain = p.decode_payload({"payload": base64.b64encode(b"hello there").decode()})
    assert plain.status == p.TEXT and plain.value == "hello there"
    assert p.preview(plain) == "(not JSON) 'hello there'"
    binary = p.decode_payload({"payload": base64.b64encode(b"\x00\x01\xff\xfe").decode()})
    assert binary.status == p.BINARY and p.preview(binary) == "(binary)"


def test_signal_bit_marks_an_encrypted_payload_even_if_it_happens_to_parse():
    decoded = p.decode_payload({"setting": 0x20, "payload": text("hi")})
    assert decoded.status == p.ENCRYPTED and decoded.value is None
    assert p.preview(decoded) == "(encrypted)"


def test_payload_logged_already_decoded_is_accepted():
    decoded = p.decode_payload({"payload": {"type": 99, "cmd": "unreadClear"}})
    assert decoded.status == p.JSON and decoded.cmd == "unreadClear"


def test_setting_bits_are_named_high_bit_first():
    assert p.setting_flags(0) == []
    assert p.setting_flags(0x80 | 0x20 | 0x08) == ["receipt", "signal (end-to-end encrypted)", "topic"]
    assert p.setting_flags(0x40) == ["0x40 (TangSengDaoDao cmd mark)"]
    assert p.setting_flags(0x100) == ["0x100"]
    assert p.setting_flags("64") == []


def test_channel_type_labels():
    assert channel_type_name(1) == "person"
    assert channel_type_name(12) == "agent group"
    assert channel_type_name(77) == "type 77"


def test_message_view_of_a_cmd():
    view = p.message_view(message(payload=cmd("channelUpdate", channel_id="g1"), sync_once=1, setting=64))
    assert view["payload"] == {"type": 99, "cmd": "channelUpdate", "param": {"channel_id": "g1"}}
    assert view["content_type"] == 99 and view["content_type_name"] == "cmd"
    assert view["cmd"] == "channelUpdate" and view["param"] == {"channel_id": "g1"}
    assert view["channel_type_name"] == "group"
    assert view["setting_flags"] == ["0x40 (TangSengDaoDao cmd mark)"]
    assert view["time"] == "2026-07-30T08:00:00+00:00"  # the tests run with TZ=UTC
    assert "to_uids" not in view  # msg.notify messages carry no recipients


def test_message_view_unpacks_recipients_and_times_in_utc():
    data = message(compress="gzip", compress_to_uids=gzip_uids(["u2", "u3"]))
    view = p.message_view(data, utc=True)
    assert view["recipients"] == "unpacked" and view["to_uids"] == ["u2", "u3"]
    assert view["time"] == "2026-07-30T08:00:00+00:00"
    assert view["cmd"] is None


def test_message_view_never_changes_the_message():
    data = message(to_uids=["u2"])
    before = repr(data)
    p.message_view(data)
    assert repr(data) == before


_LEAVES = (
    st.none() | st.booleans() | st.integers(-200, 200) | st.floats(allow_nan=False) | st.text(max_size=8)
)
_KEYS = st.sampled_from(["type", "cmd", "content"])


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        _LEAVES,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
        max_leaves=6,
    ),
    st.booleans(),
    st.booleans(),
)
@example({"cmd": "typing"}, True, True)
@example({"type": 99, "content": "x"}, False, False)
def test_a_cmd_payload_is_never_ruled_out_by_the_first_look(value, ascii_only, escaped):
    """``may_be_cmd_payload`` (the fast path's cheap look) says False only where
    ``decode_payload`` finds no CMD payload: for any JSON, however its text is escaped."""
    import json

    from wkcli.webhook.payload import JSON, decode_payload, may_be_cmd_payload

    raw = json.dumps(value, ensure_ascii=ascii_only)
    if escaped:
        raw = raw.replace('"cmd"', '"\\u0063md"')  # the same key, spelled with an escape
    text = base64.b64encode(raw.encode()).decode()
    decoded = decode_payload({"payload": text})
    if decoded.status == JSON and decoded.is_cmd_payload:
        assert may_be_cmd_payload(text)
    assert not may_be_cmd_payload("not base64!")
