"""Send template webhooks (``wkcli trigger``) to a business server, or write their bodies as a dump."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import BinaryIO

from wkcli.live.headers import merged
from wkcli.live.replay import Outgoing, ReplaySummary, Result
from wkcli.live.sender import SendOptions, StopFlag, default_headers, send_all
from wkcli.webhook.model import Origin
from wkcli.webhook.templates import Builder

SOURCE = "trigger"


def requests(builder: Builder, count: int) -> Iterator[Outgoing]:
    """``count`` requests, built one at a time (so ``--count 1000000`` holds one in memory)."""
    for number in range(1, count + 1):
        event, body = builder.next()
        kind = builder.spec.kind
        presence = len(builder.spec.devices) if kind == "presence" else 0
        yield Outgoing(event, body, Origin(SOURCE, number), 0 if presence else 1, presence)


def write_dump(builder: Builder, count: int, out: BinaryIO) -> int:
    """Write the bodies one per line (JSONL), as a dump every wkcli command reads; returns how many."""
    written = 0
    for request in requests(builder, count):
        out.write(request.body + b"\n")
        written += 1
    out.flush()
    return written


def trigger(
    builder: Builder,
    count: int,
    url: str,
    on_result: Callable[[Result], None],
    options: SendOptions,
    dry_run: bool = False,
    stop: StopFlag | None = None,
) -> ReplaySummary:
    """Send ``count`` template webhooks to ``url`` (or only describe them); return the tally."""
    summary = ReplaySummary()

    def record(result: Result) -> None:
        if not result.dry_run:
            summary.add(result)
        on_result(result)

    if dry_run:
        headers = merged(default_headers(), options.headers)
        for request in requests(builder, count):
            record(Result(request, dry_run=True, url=request.url(url), headers=headers))
        return summary

    def fresh(request: Outgoing) -> Result:
        return Result(request, url=request.url(url))

    asyncio.run(send_all(requests(builder, count), url, fresh, record, options, stop))
    return summary
