"""msg.offline recipients: to_uids, compress_to_uids (v3 gzip) and the truncated v1/v2 gzip."""

from __future__ import annotations

import base64
import gzip

from wk_fixtures import TRUNCATED_GZIP, b64, gzip_uids, message

from wkcli.webhook import recipients as r


def test_plain_to_uids_are_listed():
    found = r.recipients(message(to_uids=["u1002", "u1003"], source_id=1001))
    assert found.status == r.LISTED and found.uids == ["u1002", "u1003"] and found.count == 2


def test_v3_gzip_with_trailing_newline_is_unpacked():
    found = r.recipients(message(compress="gzip", compress_to_uids=gzip_uids(["u1", "u2"], newline=True)))
    assert found.status == r.UNPACKED and found.uids == ["u1", "u2"] and found.reason is None


def test_gzip_without_newline_and_python_gzip_are_unpacked_too():
    assert r.recipients(message(compress="gzip", compress_to_uids=gzip_uids(["u9"], newline=False))).uids == [
        "u9"
    ]
    packed = base64.b64encode(gzip.compress(b'["a","b"]')).decode()
    assert r.recipients(message(compress="gzip", compress_to_uids=packed)).uids == ["a", "b"]


def test_v1_v2_header_only_gzip_is_recipients_unknown_not_unreadable():
    found = r.recipients(message(to_uids=[], compress="gzip", compress_to_uids=TRUNCATED_GZIP))
    assert found.status == r.UNKNOWN and found.uids is None and found.count is None
    assert "10-byte gzip header" in found.reason


def test_gzip_cut_in_the_middle_is_also_unknown():
    whole = base64.b64decode(gzip_uids([f"u{i}" for i in range(3000)]))
    cut = base64.b64encode(whole[: len(whole) // 2]).decode()
    found = r.recipients(message(compress="gzip", compress_to_uids=cut))
    assert found.status == r.UNKNOWN and "cut short" in found.reason


def test_what_wukongim_never_sends_is_unreadable_with_a_reason():
    cases = {
        "not standard base64": "%%%",
        "not gzip data": b64(["u1", "u2"]),
        "corrupt gzip": base64.b64encode(
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff"
        ).decode(),
        "not JSON": base64.b64encode(gzip.compress(b"u1,u2")).decode(),
        "not an array": base64.b64encode(gzip.compress(b'{"uids":["u1"]}')).decode(),
        "not only uid strings": base64.b64encode(gzip.compress(b'["u1",2]')).decode(),
    }
    for expected, packed in cases.items():
        found = r.recipients(message(compress="gzip", compress_to_uids=packed))
        assert found.status == r.UNREADABLE, expected
        assert expected in found.reason, (expected, found.reason)


def test_other_odd_recipient_fields():
    assert r.recipients(message(compress="zstd", compress_to_uids=gzip_uids(["u1"]))).status == r.UNREADABLE
    assert r.recipients(message(compress="gzip")).status == r.UNREADABLE
    assert r.recipients(message(to_uids="u1")).status == r.UNREADABLE
    assert r.recipients(message(compress_to_uids=12)).status == r.UNREADABLE


def test_messages_without_recipient_fields():
    assert r.recipients(message()).status == r.NONE
    assert r.recipients(message(to_uids=None)).status == r.NONE
    # v1/v2 with compression off: an empty compress_to_uids next to a real list
    found = r.recipients(message(to_uids=["u5"], compress="", compress_to_uids=""))
    assert found.status == r.LISTED and found.uids == ["u5"]


def test_warning_for_names_unknown_and_unreadable_only():
    assert r.warning_for(message()) is None
    assert r.warning_for(message(to_uids=["u1"])) is None
    assert r.warning_for(message(compress="gzip", compress_to_uids=TRUNCATED_GZIP)).startswith(
        "recipients unknown"
    )
    assert r.warning_for(message(compress="gzip", compress_to_uids="%%")).startswith(
        "recipients cannot be unpacked"
    )


def test_a_gzip_bomb_is_not_unpacked():
    import base64
    import gzip

    from wkcli.webhook.recipients import TOO_LARGE, unpack, warning_for

    bomb = gzip.compress(b"[" + b'"u1001",' * (2 << 20) + b'"u1"]', 9)  # 16 MiB of uids
    found = unpack(base64.b64encode(bomb).decode())
    assert found.status == TOO_LARGE and found.uids is None and "4 MiB" in found.reason
    many = gzip.compress(("[" + ",".join(['"u"'] * 200_000) + "]").encode())  # small, too many
    assert unpack(base64.b64encode(many).decode()).status == TOO_LARGE
    message = {"compress": "gzip", "compress_to_uids": base64.b64encode(bomb).decode()}
    assert warning_for(message).startswith("recipients too large to unpack")


def test_check_reports_a_recipient_bomb(run, tmp_path):
    import base64
    import gzip
    import json

    from wk_fixtures import message

    bomb = gzip.compress(b"[" + b'"u1001",' * (2 << 20) + b'"u1"]', 9)
    body = message(1877505884968357888) | {
        "compress": "gzip",
        "compress_to_uids": base64.b64encode(bomb).decode(),
    }
    path = tmp_path / "bomb.jsonl"
    path.write_text(json.dumps(body) + "\n")
    result = run("check", str(path), "-o", "json")
    codes = [f["code"] for f in json.loads(result.stdout)["findings"]]
    assert "recipients-too-large" in codes and result.exit_code == 1
