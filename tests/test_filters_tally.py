"""Filters and grouped counts as a library: Criteria, build(), Tally."""

from __future__ import annotations

import json

import pytest

from wkcli.errors import UsageError
from wkcli.webhook.filters import Criteria, build
from wkcli.webhook.model import Message, Origin, PresenceEntry
from wkcli.webhook.tally import Tally

ORIGIN = Origin("d.jsonl", 1)


def msg(sync_once=0, channel="g1", ctype=2, sender="u1", ts=1785398400, event="msg.notify", **extra):
    data = {"header": {"sync_once": sync_once}, "channel_id": channel, "channel_type": ctype,
            "from_uid": sender, "timestamp": ts, **extra}  # fmt: skip
    return Message(data, event, ORIGIN)


def test_empty_criteria_keep_everything():
    keep = build(Criteria())
    assert keep(msg()) and keep(PresenceEntry("u-1-1", ORIGIN))


def test_each_criterion():
    assert build(Criteria.from_options(kind=["cmd"]))(msg(1))
    assert not build(Criteria.from_options(kind=["cmd"]))(msg(0))
    assert build(Criteria.from_options(channel_type=["group"]))(msg(ctype=2))
    assert not build(Criteria.from_options(channel_type=["person"]))(msg(ctype=2))
    assert build(Criteria.from_options(channel_type=["agent_group"]))(msg(ctype=12))
    assert build(Criteria.from_options(sender=["u1,u2"]))(msg(sender="u2"))
    assert build(Criteria.from_options(channel=["g1"]))(msg())
    assert not build(Criteria.from_options(channel=["g2"]))(msg())
    assert build(Criteria.from_options(event=["msg.notify"]))(msg())


def test_kind_filter_never_keeps_presence():
    assert not build(Criteria.from_options(kind=["chat"]))(PresenceEntry("u-1-1", ORIGIN))


def test_time_window_uses_timestamp_then_receive_time():
    keep = build(Criteria(since=1785398400, until=1785398460))
    assert keep(msg(ts=1785398400))
    assert not keep(msg(ts=1785398460))  # until is exclusive
    no_ts = Message({"message_id": 1}, None, ORIGIN, received=1785398430)
    assert keep(no_ts)
    assert not keep(Message({"message_id": 1}, None, ORIGIN))  # no time at all
    assert keep(PresenceEntry("u-1-1", ORIGIN, received=1785398401))


def test_bad_options():
    with pytest.raises(UsageError):
        Criteria.from_options(kind=["CMD!"])
    with pytest.raises(UsageError):
        Criteria.from_options(limit=-1)


def test_tally_totals_and_groups():
    tally = Tally(["kind", "channel_id"])
    for item in (msg(1), msg(0), msg(0), msg(0, channel="g2"), PresenceEntry("u-1-1", ORIGIN)):
        tally.add(item)
    assert (tally.cmd, tally.chat, tally.presence, tally.messages) == (1, 3, 1, 4)
    assert tally.rows() == [(("chat", "g1"), 2), (("chat", "g2"), 1), (("cmd", "g1"), 1)]


def test_tally_by_event_includes_presence():
    tally = Tally(["event"])
    tally.add(msg())
    tally.add(PresenceEntry("u-1-1", ORIGIN))
    assert dict(tally.rows()) == {("msg.notify",): 1, ("user.onlinestatus",): 1}


def test_tally_dotted_paths_and_missing_values():
    tally = Tally(["header.sync_once", "nope.deeper"])
    tally.add(msg(1))
    tally.add(Message({"message_id": 5}, None, ORIGIN))
    assert dict(tally.rows()) == {(1, None): 1, (None, None): 1}


def test_tally_unhashable_values_are_grouped_by_their_json():
    tally = Tally(["header"])
    tally.add(msg(1))
    tally.add(msg(1))
    assert tally.rows() == [(('{"sync_once":1}',), 2)]


def test_tally_rejects_empty_field_names():
    with pytest.raises(UsageError):
        Tally(["header."])


def test_count_by_a_list_holding_numbers_beyond_a_double(run, tmp_path):
    wide = "7" * 5000
    dump = tmp_path / "wide.jsonl"
    dump.write_text(
        '{"header":{"sync_once":0},"message_id":5,"to_uids":["a"],"x":[1e400]}\n'
        f'{{"header":{{"sync_once":0}},"message_id":6,"to_uids":["a"],"x":[{wide}]}}\n'
    )
    result = run("count", "--by", "x", str(dump), "-o", "json")
    assert result.exit_code == 0, result.stderr
    groups = {group["x"]: group["count"] for group in json.loads(result.stdout)["groups"]}
    assert groups == {"[1e400]": 1, f"[{wide}]": 1}  # grouped under their own text
