"""From JSON values to messages and presence entries: bodies, envelopes, capture records."""

from __future__ import annotations

import base64

import orjson
import pytest

from wkcli.read.unwrap import Empty, Problem, unwrap
from wkcli.read.values import Value
from wkcli.webhook.model import CMD, Message, PresenceEntry

NOTIFY_MSG = {
    "header": {"no_persist": 0, "red_dot": 1, "sync_once": 0},
    "setting": 0,
    "message_id": 1877505633800945664,
    "message_idstr": "1877505633800945664",
    "client_msg_no": "7e1c0b1d5f6a4d0e",
    "message_seq": 12,
    "from_uid": "u1001",
    "channel_id": "g1",
    "channel_type": 2,
    "timestamp": 1785398400,
    "payload": "eyJjb250ZW50IjoiaGkiLCJ0eXBlIjoxfQ==",
}
TYPING = {
    "header": {"no_persist": 1, "red_dot": 0, "sync_once": 1},
    "setting": 64,
    "message_id": 1877505884968357888,
    "message_idstr": "1877505884968357888",
    "from_uid": "____system",
    "channel_id": "g1",
    "channel_type": 2,
    "timestamp": 1736467260,
    "payload": "eyJjbWQiOiJ0eXBpbmciLCJ0eXBlIjo5OX0=",
    "to_uids": ["u1002", "u1003"],
}


def items(value, hint=None, element=False):
    return list(unwrap(Value(7, value, hint, element), "dump.jsonl"))


def shape(found):
    out = []
    for item in found:
        if isinstance(item, Message):
            out.append(("msg", item.event, item.kind, item.data.get("message_id")))
        elif isinstance(item, PresenceEntry):
            out.append(("presence", item.text))
        elif isinstance(item, Empty):
            out.append(("empty", item.event))
        else:
            out.append(("problem", item.reason))
    return out


def test_raw_notify_array():
    found = items([NOTIFY_MSG, TYPING])
    assert shape(found) == [
        ("msg", "msg.notify", "chat", 1877505633800945664),
        ("msg", "msg.notify", "cmd", 1877505884968357888),
    ]
    assert str(found[0].origin) == "dump.jsonl:7"
    assert found[1].origin is found[0].origin  # one batch
    assert found[0].data is NOTIFY_MSG  # untouched


def test_raw_offline_object_is_recognised_by_its_recipients():
    assert shape(items(TYPING)) == [("msg", "msg.offline", CMD, 1877505884968357888)]


def test_presence_array():
    assert shape(items(["u1001-1-1-1001-1-1", "7c9e6679-7425-40de-944b-e07fc1f90ae7-0-0-88-0-0"])) == [
        ("presence", "u1001-1-1-1001-1-1"),
        ("presence", "7c9e6679-7425-40de-944b-e07fc1f90ae7-0-0-88-0-0"),
    ]


def test_envelope_names_the_event():
    found = items({"event": "msg.offline", "data": NOTIFY_MSG})
    assert shape(found) == [("msg", "msg.offline", "chat", 1877505633800945664)]


def test_old_docs_offline_body_as_an_array():
    assert shape(items({"event": "msg.offline", "data": [TYPING]}))[0][:2] == ("msg", "msg.offline")


def test_capture_record_with_url_and_string_body():
    record = {
        "received_at": "2026-07-30T10:00:00Z",
        "method": "POST",
        "url": "http://biz:8000/webhook?event=msg.notify",
        "headers": {"Content-Type": "application/json"},
        "body": orjson.dumps([NOTIFY_MSG]).decode(),
    }
    (message,) = items(record)
    assert message.event == "msg.notify"
    assert message.received == 1785405600.0
    assert message.data["message_id"] == 1877505633800945664  # exact through the string body


def test_v1_v2_glued_query_string():
    record = {"url": "/hook?token=abc?event=msg.offline", "body": TYPING}
    assert items(record)[0].event == "msg.offline"


@pytest.mark.parametrize(
    "record",
    [
        {"path": "/webhook", "query": "event=user.onlinestatus", "body": ["u1-1-1-1-1-1"]},
        {"query": {"event": "user.onlinestatus"}, "body": ["u1-1-1-1-1-1"]},
        {"params": {"event": ["user.onlinestatus"]}, "data": ["u1-1-1-1-1-1"]},
        {"request": {"method": "POST", "url": "/w?event=user.onlinestatus", "body": ["u1-1-1-1-1-1"]}},
        {"request": {"url": "/w?event=user.onlinestatus", "postData": {"text": '["u1-1-1-1-1-1"]'}}},
    ],
)
def test_event_and_body_from_many_capture_layouts(record):
    assert shape(items(record)) == [("presence", "u1-1-1-1-1-1")]


def test_grpc_capture_has_base64_json_data():
    data = base64.b64encode(orjson.dumps([NOTIFY_MSG])).decode()
    assert shape(items({"event": "msg.notify", "data": data}))[0][:3] == ("msg", "msg.notify", "chat")


def test_base64_flagged_body():
    body = base64.b64encode(orjson.dumps(TYPING)).decode()
    found = items({"url": "/w?event=msg.offline", "isBase64Encoded": True, "body": body})
    assert shape(found) == [("msg", "msg.offline", "cmd", 1877505884968357888)]


def test_list_of_envelopes():
    found = items(
        [{"event": "msg.notify", "data": [NOTIFY_MSG]}, {"event": "user.onlinestatus", "data": ["u-1-1"]}]
    )
    assert shape(found) == [("msg", "msg.notify", "chat", 1877505633800945664), ("presence", "u-1-1")]


def test_log_prefix_hint_names_the_event():
    assert items(NOTIFY_MSG, hint="msg.offline")[0].event == "msg.offline"


def test_record_event_beats_the_hint():
    assert items({"event": "msg.notify", "data": [NOTIFY_MSG]}, hint="msg.offline")[0].event == "msg.notify"


def test_elements_of_a_streamed_array_are_one_notify_body():
    assert shape(items(NOTIFY_MSG, element=True)) == [("msg", "msg.notify", "chat", 1877505633800945664)]
    assert shape(items("u1-1-1-1-1-1", element=True)) == [("presence", "u1-1-1-1-1-1")]


def test_empty_body_is_not_an_error():
    assert shape(items([])) == [("empty", None)]
    assert shape(items({"event": "msg.notify", "data": []})) == [("empty", "msg.notify")]


def test_bad_elements_are_problems_and_the_good_ones_still_count():
    found = shape(items([NOTIFY_MSG, 42, {"foo": 1}]))
    assert found[0][0] == "msg"
    assert found[1] == ("problem", "element 2 of the msg.notify body is a number, not a message object")
    assert found[2][0] == "problem" and "element 3" in found[2][1]


def test_presence_body_with_a_non_string():
    found = shape(items({"event": "user.onlinestatus", "data": ["u1-1-1", 7]}))
    assert found == [
        ("presence", "u1-1-1"),
        ("problem", "element 2 of the user.onlinestatus body is a number, not a string"),
    ]


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ({"status": "ok"}, "not a webhook body or capture record: an object with keys 'status'"),
        ({}, "an empty object is not a webhook body"),
        (42, "a number is not a webhook body"),
        ("hello", "a JSON string is not a webhook body"),
        ({"event": "msg.notify", "body": "not json"}, "body is a string that is not JSON"),
        ({"event": "msg.notify", "body": None}, "empty (null) body"),
    ],
)
def test_values_that_are_not_webhooks(value, needle):
    (problem,) = items(value)
    assert isinstance(problem, Problem) and problem.malformed
    assert needle in problem.reason


def test_unknown_event_names_are_kept():
    (message,) = items({"event": "message.created", "data": NOTIFY_MSG})
    assert message.event == "message.created"


def test_double_encoded_body_line():
    found = items(orjson.dumps([NOTIFY_MSG]).decode())
    assert shape(found)[0][:2] == ("msg", "msg.notify")


def test_the_records_the_fast_paths_read_by_their_keys_have_no_other_meaning():
    """A key the fast paths let by in an envelope or capture record must name nothing the general
    reader looks for besides the event, body and time it already takes from them."""
    from wkcli.read import unwrap

    meaningful = {*unwrap.EVENT_KEYS, "type", *unwrap.BODY_KEYS, *unwrap.TIME_KEYS, *unwrap.NESTED_KEYS}
    meaningful |= {"body_base64", "bodyBase64", "isBase64Encoded", "body_encoding"}
    taken = {"event", "data", "body", "received_at"}
    for keys in (unwrap.ENVELOPE_KEYS, unwrap.CAPTURE_KEYS):
        assert (keys - taken) & meaningful == set()  # URL and query keys: the event key comes first
    # Without an event key, the URL names it: no other URL or query key may be there either.
    http = unwrap.HTTP_CAPTURE_KEYS - {"url", "body", "received_at"}
    assert http & (meaningful | set(unwrap.URL_KEYS) | set(unwrap.QUERY_DICT_KEYS)) == set()


def test_records_are_read_first_only_where_a_message_read_would_lead_to_them():
    """A fast path tries a line that opens as a record as one first only when reading it as its
    message type would have sent it to the record decoders anyway: no field but ``data`` and
    ``body`` may be a key a record has."""
    import msgspec

    from wkcli.read.fast import decode, rowdecode
    from wkcli.read.fast.groups import _decoder

    assert decode.records_first(decode.Msg)
    assert decode.records_first(decode.Full)
    assert decode.records_first(rowdecode.Row)
    for field in ("received_at", "url", "method", "path", "event"):
        message = msgspec.defstruct("M", [("header", object, None), (field, object, None)])
        assert not decode.records_first(message), field
    assert decode.records_first(_decoder([("channel_id",), ("header", "red_dot")])[1])
    assert not decode.records_first(_decoder([("received_at",)])[1])
    assert not decode.records_first(_decoder([("channel_id",), ("remote",)])[1])
    for opening in decode.RECORD_OPENINGS:
        assert opening.startswith(b'{"') and opening[2:-1].decode() in unwrap_keys()


def unwrap_keys() -> set[str]:
    from wkcli.read import unwrap as module

    return set(module.ENVELOPE_KEYS | module.CAPTURE_KEYS | module.HTTP_CAPTURE_KEYS)
