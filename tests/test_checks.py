"""The check engine: each finding over small realistic messages, and what must not be reported."""

from __future__ import annotations

from wk_fixtures import TRUNCATED_GZIP, b64, cmd, gzip_uids, message, text

from wkcli.webhook.checks import INFO, RULES, WARNING, Checker
from wkcli.webhook.model import MSG_NOTIFY, MSG_OFFLINE, Message, Origin, PresenceEntry


def run(*items) -> Checker:
    checker = Checker()
    for item in items:
        checker.add(item)
    return checker


def notify(data, line=1, index=0):
    return Message(data, MSG_NOTIFY, Origin("d.jsonl", line), index=index)


def offline(data, line=1):
    return Message(data, MSG_OFFLINE, Origin("d.jsonl", line))


def codes(checker: Checker) -> dict[str, int]:
    return {finding.code: finding.count for finding in checker.findings()}


def test_every_rule_has_a_level_title_and_meaning():
    for code, rule in RULES.items():
        assert rule.code == code and rule.level in (WARNING, INFO)
        assert rule.title and len(rule.meaning) > 40


def test_clean_traffic_finds_nothing():
    checker = run(
        notify(message(1, text("hi"))),
        notify(message(2, cmd("unreadClear", channel_id="g1"), sync_once=1, from_uid=""), index=1),
        offline(message(1, text("hi"), to_uids=["u2", "u3"], source_id=1001), line=2),
    )
    assert checker.findings() == [] and checker.warnings == 0 and checker.messages == 3


def test_type_99_payload_marked_chat():
    checker = run(notify(message(payload=cmd("typing", channel_id="g1"))))
    (finding,) = checker.findings()
    assert finding.code == "cmd-payload-as-chat" and finding.level == WARNING
    example = finding.examples[0]
    assert example.source == "d.jsonl:1" and example.message_id == "1877505633800945664"
    assert example.detail == "cmd typing, sync_once 0"


def test_sync_once_on_a_chat_payload_warns_but_on_a_system_message_only_informs():
    checker = run(
        notify(message(1, text("meeting at 10"), sync_once=1)),
        notify(message(2, b64({"type": 1000, "content": "u4 wants to add you"}), sync_once=1)),
        notify(message(3, b64({"type": "typing"}), sync_once=1)),  # a string type: not judged
        notify(message(4, None, sync_once=1) | {"payload": None}),  # nothing to judge
    )
    assert codes(checker) == {"sync-once-not-cmd": 1, "sync-once-system": 1}
    levels = {f.code: f.level for f in checker.findings()}
    assert levels == {"sync-once-not-cmd": WARNING, "sync-once-system": INFO}


def test_command_channels_marked_chat():
    checker = run(
        notify(message(1, text("x"), channel_id="u1001____cmd", channel_type=1)),
        notify(message(2, text("x"), channel_id="systemcmdonline", channel_type=8)),
        notify(message(3, cmd("x"), sync_once=1, channel_id="u1001____cmd", channel_type=1)),
    )
    assert codes(checker) == {"cmd-channel-as-chat": 2}


def test_sync_once_values_wukongim_never_sends():
    odd = [message(i, text("x"), sync_once=value) for i, value in enumerate(["1", True, 2, None], 1)]
    no_header = {"header": "0", "message_id": 9, "payload": text("x")}
    checker = run(*[notify(data) for data in odd], notify(no_header))
    finding = {f.code: f for f in checker.findings()}["sync-once-invalid"]
    assert finding.count == 4  # null sync_once is simply chat
    assert '"1" (a string)' in finding.examples[0].detail


def test_cmd_inside_msg_offline_is_informational():
    checker = run(offline(message(payload=cmd("typing"), sync_once=1, to_uids=["u2"])))
    assert codes(checker) == {"cmd-in-offline": 1}
    assert checker.warnings == 0 and checker.infos == 1


def test_a_retried_notify_batch_is_a_duplicate():
    batch = [message(1, text("a")), message(2, text("b"))]
    checker = run(
        *[notify(data, line=1, index=i) for i, data in enumerate(batch)],
        *[notify(data, line=2, index=i) for i, data in enumerate(batch)],
    )
    finding = checker.findings()[0]
    assert (finding.code, finding.count) == ("duplicate", 2)
    assert finding.examples[0].source == "d.jsonl:2"
    assert finding.examples[0].detail == "delivered before at d.jsonl:1"
    assert "exactly HTTP 200" in finding.rule.meaning


def test_the_same_message_in_notify_and_offline_is_not_a_duplicate():
    checker = run(notify(message(1)), offline(message(1, to_uids=["u2"]), line=2))
    assert checker.findings() == []


def test_v3_chunks_with_disjoint_recipients_are_not_duplicates():
    chunks = [[f"u{i}" for i in range(512)], ["u512", "u513"]]
    checker = run(
        *[
            offline(message(5, compress="gzip", compress_to_uids=gzip_uids(c)), line=n)
            for n, c in enumerate(chunks, 1)
        ]
    )
    assert codes(checker) == {"offline-chunks": 1}
    assert checker.findings()[0].examples[0].detail == "first chunk at d.jsonl:1"


def test_offline_redelivered_with_overlapping_or_unknown_recipients_is_a_duplicate():
    checker = run(
        offline(message(7, to_uids=["u2", "u3"]), line=1),
        offline(message(7, to_uids=["u3"]), line=2),
        offline(message(8, to_uids=[], compress="gzip", compress_to_uids=TRUNCATED_GZIP), line=3),
        offline(message(8, to_uids=[], compress="gzip", compress_to_uids=TRUNCATED_GZIP), line=4),
    )
    found = codes(checker)
    assert found["duplicate"] == 2 and found["recipients-unknown"] == 2
    details = [e.detail for e in {f.code: f for f in checker.findings()}["duplicate"].examples]
    assert details == [
        "recipients overlap those of the delivery at d.jsonl:1",
        "delivered before at d.jsonl:3",
    ]


def test_truncated_gzip_alone_is_no_warning():
    checker = run(offline(message(to_uids=[], compress="gzip", compress_to_uids=TRUNCATED_GZIP)))
    assert codes(checker) == {"recipients-unknown": 1} and checker.warnings == 0


def test_sender_among_its_own_recipients_and_unreadable_recipients():
    checker = run(
        offline(message(1, from_uid="u1001", to_uids=["u1001", "u2"])),
        offline(message(2, compress="gzip", compress_to_uids=b64(["u1"])), line=2),
    )
    assert codes(checker) == {"sender-in-recipients": 1, "recipients-unreadable": 1}


def test_presence_strings_that_do_not_parse():
    origin = Origin("d.jsonl", 3)
    checker = run(
        PresenceEntry("u1001-1-1-1001-1-1", origin, index=0),
        PresenceEntry("u1003-web-online", origin, index=1),
    )
    finding = checker.findings()[0]
    assert (finding.code, finding.count, checker.presence) == ("presence-malformed", 1, 2)
    assert finding.examples[0].source == "d.jsonl:3"
    assert finding.examples[0].detail.startswith('entry 2 "u1003-web-online"')
    assert finding.examples[0].message_id is None


def test_examples_are_capped_but_everything_is_counted():
    checker = Checker(max_examples=2)
    for i in range(5):
        checker.add(notify(message(i + 1, cmd("typing")), index=i))
    finding = checker.findings()[0]
    assert finding.count == 5 and len(finding.examples) == 2


def test_report_lists_warnings_first_with_exact_ids():
    checker = run(
        offline(message(payload=cmd("typing"), sync_once=1, to_uids=["u2"])),
        notify(message(payload=cmd("typing"))),
        notify(message(payload=cmd("typing")), line=2),
    )
    report = checker.report()
    assert [f["code"] for f in report["findings"]] == ["cmd-payload-as-chat", "duplicate", "cmd-in-offline"]
    assert report["warnings"] == 3 and report["info"] == 1
    assert report["findings"][0]["examples"][0]["message_id"] == "1877505633800945664"


def test_event_names_wukongim_does_not_send_are_informational():
    checker = run(Message(message(1), "msg.stream", Origin("d.jsonl", 1)))
    assert codes(checker) == {"unknown-event": 1} and checker.warnings == 0
    assert checker.findings()[0].examples[0].detail == 'event "msg.stream"'
