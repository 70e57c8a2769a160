"""The CMD rule and event inference: every case the reference names."""

from __future__ import annotations

import pytest

from wkcli.webhook.model import CHAT, CMD, MSG_NOTIFY, MSG_OFFLINE, USER_ONLINESTATUS, classify, infer_event, is_message


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ({"header": {"no_persist": 0, "red_dot": 0, "sync_once": 1}}, CMD),
        ({"header": {"sync_once": 1.0}}, CMD),
        ({"header": {"sync_once": 0}}, CHAT),
        ({"header": {"sync_once": 0.0}}, CHAT),
        ({"header": {"no_persist": 1, "red_dot": 0}}, CHAT),  # field missing
        ({"message_id": 1}, CHAT),  # header missing
        ({"header": None, "message_id": 1}, CHAT),
        ({"header": {"sync_once": None}}, CHAT),
        # No header object: a flattened top-level sync_once decides.
        ({"sync_once": 1, "message_id": 1}, CMD),
        ({"header": None, "sync_once": 1}, CMD),
        ({"sync_once": 0, "message_id": 1}, CHAT),
        # A header object wins over a stray top-level field.
        ({"header": {"sync_once": 0}, "sync_once": 1}, CHAT),
        ({"header": {}, "sync_once": 1}, CHAT),
    ],
)
def test_ordinary_values_classify_without_anomaly(message, kind):
    assert classify(message) == (kind, None)


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("1", '"1" (a string)'),
        ("0", '"0" (a string)'),
        (True, "true (a boolean)"),
        (False, "false (a boolean)"),
        (2, "sync_once is 2, expected 0 or 1"),
        (-1, "sync_once is -1"),
        (0.5, "sync_once is 0.5"),
        ([1], "(an array)"),
        ({"v": 1}, "(an object)"),
    ],
)
def test_anything_but_the_number_one_is_chat_and_odd_values_are_anomalies(value, needle):
    kind, anomaly = classify({"header": {"sync_once": value}})
    assert kind == CHAT
    assert anomaly is not None and needle in anomaly


def test_true_is_not_one_even_though_python_says_so():
    assert True == 1  # noqa: E712 - the trap the rule avoids
    assert classify({"header": {"sync_once": True}})[0] == CHAT


def test_top_level_anomaly_is_reported_too():
    kind, anomaly = classify({"sync_once": "1", "message_id": 1})
    assert kind == CHAT and anomaly and "a string" in anomaly


def test_header_that_is_not_an_object_is_an_anomaly():
    kind, anomaly = classify({"header": "sync_once=1"})
    assert kind == CHAT
    assert anomaly == "header is a string, not an object: counted as chat"


@pytest.mark.parametrize(
    ("body", "event"),
    [
        ([{"message_id": 1}], MSG_NOTIFY),
        (["u1-1-1-1-1-1"], USER_ONLINESTATUS),
        ({"message_id": 1, "to_uids": ["u2"]}, MSG_OFFLINE),
        ({"message_id": 1, "compress": "gzip", "compress_to_uids": "H4sIAAAAAAAA/w=="}, MSG_OFFLINE),
        ({"message_id": 1}, None),  # a lone message object: the event cannot be told
        ([], None),
        ([1, 2], None),
    ],
)
def test_event_is_inferred_from_the_body_shape(body, event):
    assert infer_event(body) == event


def test_message_detection_needs_a_message_key():
    assert is_message({"message_idstr": "1"})
    assert is_message({"channel_id": "g1"})
    assert not is_message({"event": "msg.notify", "data": []})
    assert not is_message(["message_id"])
