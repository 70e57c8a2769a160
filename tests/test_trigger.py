"""wkcli trigger: each template is classified as intended, ids are WuKongIM's, requests reach a server."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from http_sink import Sink

from wkcli.read.unwrap import unwrap
from wkcli.read.values import Value
from wkcli.webhook.model import Message, PresenceEntry
from wkcli.webhook.payload import decode_payload
from wkcli.webhook.presence import parse_presence
from wkcli.webhook.recipients import UNKNOWN, UNPACKED, recipients
from wkcli.webhook.templates import Builder, Snowflake, Spec, snowflake_time

# (spec, event, kind, content type, cmd, recipients status, recipients)
CASES = [
    (Spec("chat"), "msg.notify", "chat", 1, None, "none", None),
    (Spec("chat", content="image"), "msg.notify", "chat", 2, None, "none", None),
    (Spec("chat", content="file"), "msg.notify", "chat", 8, None, "none", None),
    (Spec("cmd", cmd="typing"), "msg.notify", "cmd", 99, "typing", "none", None),
    (
        Spec("cmd", cmd="unreadClear", params={"unread": 3}),
        "msg.notify",
        "cmd",
        99,
        "unreadClear",
        "none",
        None,
    ),
    (Spec("cmd", cmd="channelUpdate"), "msg.notify", "cmd", 99, "channelUpdate", "none", None),
    (Spec("cmd", cmd="channelUpdate", sync_once=0), "msg.notify", "chat", 99, "channelUpdate", "none", None),
    (Spec("offline", to_uids=["a", "b"]), "msg.offline", "chat", 1, None, "listed", ["a", "b"]),
    (
        Spec("offline", to_uids=["a", "b"], compress=True),
        "msg.offline",
        "chat",
        1,
        None,
        UNPACKED,
        ["a", "b"],
    ),
    (Spec("offline", compress=True, wk_version=2), "msg.offline", "chat", 1, None, UNKNOWN, None),
    (Spec("system"), "msg.notify", "chat", 1001, None, "none", None),
    (Spec("system", system_type=1000), "msg.notify", "cmd", 1000, None, "none", None),
]


@pytest.mark.parametrize("spec, event, kind, content_type, cmd, status, uids", CASES)
def test_what_trigger_builds_classify_reads_as_intended(
    spec, event, kind, content_type, cmd, status, uids
) -> None:
    sent_event, body = Builder(spec).next()
    assert sent_event == event
    # Read back as a raw body, with no event named: the shape alone must tell it.
    (item,) = list(unwrap(Value(1, orjson.loads(body)), "t"))
    assert type(item) is Message and item.event == event and item.kind == kind
    decoded = decode_payload(item.data)
    assert decoded.content_type == content_type and decoded.cmd == cmd
    found = recipients(item.data)
    assert found.status == status and found.uids == uids
    assert item.data["message_idstr"] == str(item.data["message_id"])


def test_offline_compression_is_built_as_each_version_builds_it() -> None:
    import base64
    import gzip

    _, v3 = Builder(Spec("offline", to_uids=["a"], compress=True)).next()
    body = orjson.loads(v3)
    assert "to_uids" not in body and body["compress"] == "gzip"
    assert gzip.decompress(base64.b64decode(body["compress_to_uids"])) == b'["a"]\n'
    _, v2 = Builder(Spec("offline", compress=True, wk_version=2)).next()
    body = orjson.loads(v2)
    header_only = base64.b64decode(body["compress_to_uids"])
    assert body["to_uids"] == [] and len(header_only) == 10 and header_only[:2] == b"\x1f\x8b"
    assert list(body)[:3] == ["header", "setting", "message_id"]  # v2's field order
    assert list(orjson.loads(v3))[:3] == ["header", "setting", "expire"]  # v3's


def test_presence_entries_read_back() -> None:
    event, body = Builder(
        Spec("presence", sender="7c9e6679-7425-40de", devices=[0, 2], status="offline")
    ).next()
    items = list(unwrap(Value(1, orjson.loads(body)), "t"))
    assert event == "user.onlinestatus" and all(type(item) is PresenceEntry for item in items)
    parsed = [parse_presence(item.text) for item in items]
    assert [(p.uid, p.device_flag, p.online) for p in parsed] == [
        ("7c9e6679-7425-40de", 0, False),
        ("7c9e6679-7425-40de", 2, False),
    ]


def test_ids_are_snowflakes_distinct_and_increasing() -> None:
    ids = Snowflake(node=3)
    made = [ids.next() for _ in range(5000)]  # more than 4096 in one millisecond: borrows the next
    assert len(set(made)) == 5000 and made == sorted(made)
    assert abs(snowflake_time(made[0]) - time.time()) < 5
    assert (made[0] >> 12) & 1023 == 3
    assert 1.8e18 < made[0] < 9.2e18  # above 2^53, inside int64


def test_trigger_sends_count_webhooks_to_a_real_server(run) -> None:
    with Sink() as sink:
        result = run(
            "trigger", "cmd", "--to", sink.url, "--cmd", "unreadClear", "--param", "unread=0", "--count", "3",
            "--rate", "200", "--set", "extra=1", "--channel", "g9", "--from", "u7", "-H", "X-App: 1",
        )  # fmt: skip
        hits = sink.wait_for(3)
    assert result.exit_code == 0, result.stderr
    assert "3 requests sent, 3 answered 200" in result.stderr
    bodies = [orjson.loads(hit.body)[0] for hit in hits]
    assert all(hit.query == "event=msg.notify" and hit.headers["X-App"] == "1" for hit in hits)
    assert len({b["message_id"] for b in bodies}) == 3
    assert [b["message_seq"] for b in bodies] == [1, 2, 3]
    assert all(b["channel_id"] == "g9" and b["from_uid"] == "u7" for b in bodies)
    payload = decode_payload(bodies[0]).value
    assert payload["extra"] == 1 and payload["param"]["unread"] == 0


def test_jsonl_dump_is_read_by_classify(run, tmp_path: Path) -> None:
    dump = run("trigger", "offline", "-o", "jsonl", "--count", "4", "--compress", "--to-uids", "a,b,c")
    assert dump.exit_code == 0
    path = tmp_path / "d.jsonl"
    path.write_text(dump.stdout)
    classified = run("classify", str(path))
    rows = [orjson.loads(line) for line in classified.stdout.splitlines()]
    assert [(r["event"], r["kind"]) for r in rows] == [("msg.offline", "chat")] * 4
    assert classified.exit_code == 0


def test_list_dry_run_and_usage_errors(run) -> None:
    listed = run("trigger", "--list")
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [
        "chat",
        "cmd",
        "offline",
        "presence",
        "system",
    ]
    dry = run("trigger", "chat", "--to", "http://127.0.0.1:9/w", "--dry-run", "--count", "2")
    rows = [orjson.loads(line) for line in dry.stdout.splitlines()]
    assert [r["url"] for r in rows] == ["http://127.0.0.1:9/w?event=msg.notify"] * 2
    assert rows[0]["body"][0]["message_id"] != rows[1]["body"][0]["message_id"]
    bad = (
        ["bogus"], ["chat"], ["chat", "--content", "gif", "-o", "jsonl"], ["system", "--type", "5"],
        ["chat", "--sync-once", "2", "-o", "jsonl"], ["cmd", "--param", "novalue", "-o", "jsonl"],
    )  # fmt: skip
    for args in bad:
        result = run("trigger", *args)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.stderr
