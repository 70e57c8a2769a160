"""user.onlinestatus strings: the 6-part form split from the right, the old 3-part form, bad ones."""

from __future__ import annotations

import pytest

from wkcli.webhook.presence import Presence, PresenceError, device_flag, device_name, parse_presence


def test_six_part_form():
    found = parse_presence("u1001-1-1-1001-1-1")
    assert (found.uid, found.device_flag, found.status, found.conn_id) == ("u1001", 1, 1, 1001)
    assert (found.device_online_count, found.total_online_count) == (1, 1)
    assert found.online and found.device == "web" and not found.old_form


def test_uuid_uids_keep_their_dashes():
    found = parse_presence("7c9e6679-7425-40de-944b-e07fc1f90ae7-0-0-88-0-0")
    assert found.uid == "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    assert (found.device, found.online, found.conn_id, found.total_online_count) == ("app", False, 88, 0)


def test_old_three_part_form_also_with_a_uuid():
    old = parse_presence("u1002-2-1")
    assert (old.uid, old.device, old.online, old.conn_id) == ("u1002", "pc", True, None)
    assert old.old_form
    uuid = parse_presence("7c9e6679-7425-40de-944b-e07fc1f90ae7-99-0")
    assert uuid.uid == "7c9e6679-7425-40de-944b-e07fc1f90ae7" and uuid.device == "system"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("u1003-web-online", "expected uid-deviceFlag-status"),
        ("u1004-1-3-1002-1-1", "status is 3"),
        ("u1004-1-7", "status is 7"),
        ("-1-1", "expected"),
        ("", "expected"),
        ("u1-1-1-1-1-x", "expected"),
        ("u1-١-1", "expected"),  # non-ASCII digits are not numbers here
    ],
)
def test_malformed_strings_say_what_was_expected(text, reason):
    with pytest.raises(PresenceError) as caught:
        parse_presence(text)
    assert reason in str(caught.value)


def test_as_dict_and_device_names():
    row = parse_presence("u1-0-0-5-0-2").as_dict()
    assert row == {
        "uid": "u1", "device_flag": 0, "device": "app", "status": "offline", "conn_id": 5,
        "device_online_count": 0, "total_online_count": 2,
    }  # fmt: skip
    assert device_name(7) == "device 7"
    assert isinstance(parse_presence("a-1-1"), Presence)


def test_device_flag_from_name_or_number():
    assert device_flag("PC") == 2 and device_flag("system") == 99 and device_flag("7") == 7
    with pytest.raises(ValueError):
        device_flag("tablet")
