"""``FastReport``: ``report`` over plain messages, on ``check``'s fast path (``check.FastCheck``).

Besides what ``check`` judges, each plain message is counted for the report's panels in a
``webhook.report_part.ReportPart`` (in a worker, for its range), which the main process adds to the
``Report`` in file order; retries are the checker's duplicates, as on the general path.
"""

from __future__ import annotations

from typing import Any

from wkcli.read.fast.check import FastCheck
from wkcli.read.fast.counts import EVENTS
from wkcli.read.fast.records import PRESENCE, PRESENCE_TYPE
from wkcli.read.options import ReadOptions
from wkcli.webhook.filters import Criteria
from wkcli.webhook.report import Report
from wkcli.webhook.report_part import ReportPart


class FastReport(FastCheck):
    """``report``'s counts and ``check``'s rules over plain messages, in workers too."""

    _every_payload = True  # content types are counted for every message

    def __init__(self, report: Report, criteria: Criteria, options: ReadOptions) -> None:
        super().__init__(report.checker, criteria, options)
        self.report = report
        self.replay.on_presence = report.presence_state  # flapping users: states in file order

    def more(
        self,
        rec: Any,
        k: int,
        e: int,
        decoded: Any,
        uids: Any,
        line: int,
        id_text: str,
        received: float | None,
    ) -> Any:
        unset = self._unset
        channel = rec.channel_id
        sender = rec.from_uid
        recipients = None if e != 1 else -1 if uids is None else len(uids)
        return (
            k == 1,
            EVENTS[e],
            rec.timestamp,
            None if channel is unset else channel,
            None if sender is unset else sender,
            decoded,
            recipients,
            id_text,
            line,
            received,
        )

    def presence_more(self, counted: ReportPart, parsed: Any, received: float | None) -> bytes:
        if parsed is None:
            counted.add_presence(None, received)
            return b""
        uid = parsed.uid.encode()
        flag = str(parsed.device_flag).encode()  # digits an int() read: at most 4,300
        counted.add_presence(parsed.online, received)
        return PRESENCE.pack(PRESENCE_TYPE, parsed.online, len(uid), len(flag)) + uid + flag

    def new_more(self) -> ReportPart:
        return self.report.new_part()

    def add_more(self, counted: ReportPart, more: Any) -> None:
        counted.add(*more)

    def fold_more(self, counted: ReportPart) -> None:
        self.report.take_part(counted, self.source_name)
