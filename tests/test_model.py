"""The CMD rule and event inference: every case the reference names."""

from __future__ import annotations

import pytest

from wkcli.webhook.model import (
    CHAT,
    CMD,
    MSG_NOTIFY,
    MSG_OFFLINE,
    USER_ONLINESTATUS,
    classify,
    infer_event,
    is_message,
)


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


# The CMD rule's edge cases, as raw JSON text (1e0 and 1.0 stay as written).
SYNC_ONCE_VALUES = [
    b"1",
    b"1.0",
    b"1e0",
    b"0",
    b"0.0",
    b"null",
    b'"1"',
    b"true",
    b"false",
    b"2",
    b"-1",
    b"{}",
    b"[]",
    b"0.5",
    b'""',
]
RULE_EDGE_CASES = (
    [b'{"header":{"sync_once":' + v + b'},"message_id":1}' for v in SYNC_ONCE_VALUES]
    + [b'{"sync_once":' + v + b',"message_id":1}' for v in SYNC_ONCE_VALUES]  # flattened
    + [b'{"header":null,"sync_once":' + v + b',"message_id":1}' for v in SYNC_ONCE_VALUES]
    + [
        b'{"header":{},"message_id":1}',
        b'{"header":null,"message_id":1}',
        b'{"message_id":1}',
        b'{"header":"x","message_id":1}',
        b'{"header":[1],"message_id":1}',
        b'{"header":1,"message_id":1}',
        b'{"header":{"sync_once":1},"sync_once":0}',
        b'{"header":{"sync_once":0},"sync_once":1}',
    ]
)


@pytest.mark.parametrize("line", RULE_EDGE_CASES)
def test_the_fast_decoders_follow_the_cmd_rule(line):
    """Where a fast path decides a kind itself, it is classify's kind, with no anomaly to report."""
    import orjson

    from wkcli.read.fast import decode
    from wkcli.read.fast.jsonl import plain_kind
    from wkcli.webhook.model import CHAT, CMD

    kind, anomaly = classify(orjson.loads(line))
    kinds = (CHAT, CMD)
    # FastJsonl: plain_kind gives 0 or 1, or -1 for the general path.
    k = plain_kind(orjson.loads(line))
    if k >= 0:
        assert (kinds[k], None) == (kind, anomaly)
    # FastCount: a Msg with a Header object is counted by header.sync_once; anything else
    # (a failed decode, no header, a null one) goes to the general path.
    try:
        message = decode.decode_body(line)
    except Exception:  # noqa: BLE001 - refused: the general path judges it
        return
    if type(message) is decode.Msg and type(message.header) is decode.Header:
        assert (kinds[message.header.sync_once or 0], None) == (kind, anomaly)


def test_the_fast_decoders_take_the_plain_cases():
    """The table above is not passed by refusing everything: 0, 1, null and missing are taken."""
    import orjson

    from wkcli.read.fast import decode
    from wkcli.read.fast.jsonl import plain_kind

    for line, k in (
        (b'{"header":{"sync_once":1}}', 1),
        (b'{"header":{"sync_once":0}}', 0),
        (b'{"header":{"sync_once":null}}', 0),
        (b'{"header":{}}', 0),
    ):
        assert plain_kind(orjson.loads(line)) == k
        assert (decode.decode_body(line).header.sync_once or 0) == k
