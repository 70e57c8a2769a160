"""``wkcli check``: find the mistakes business servers make with CMDs, recipients and retries."""

from __future__ import annotations

from typing import Annotated

import typer

from wkcli.commands import options
from wkcli.commands.session import Session, guarded
from wkcli.errors import ExitCode, UsageError
from wkcli.output.base import FINDINGS, pick_format
from wkcli.webhook.filters import Criteria

EXIT_HELP = (
    "Exit status: 0 no warnings (informational findings only); 1 some warning was found, or "
    "some input was malformed; 2 usage error or unreadable file; 4 the output could not be written; "
    "130 interrupted (Ctrl-C); 143 terminated (SIGTERM)."
)

Format = Annotated[
    str,
    typer.Option(
        "--format",
        "-o",
        metavar="FORMAT",
        help=FINDINGS.help(": the findings as data"),
        rich_help_panel=options.OUTPUT,
    ),
]
Examples = Annotated[
    int,
    typer.Option("--examples", help="Examples to show per finding.", rich_help_panel=options.OUTPUT),
]


@guarded
def check(
    paths: options.Paths = None,
    event: options.Event = None,
    channel: options.Channel = None,
    sender: options.Sender = None,
    since: options.Since = None,
    until: options.Until = None,
    fmt: Format = "auto",
    examples: Examples = 3,
    input_format: options.InputFormat = "auto",
    max_line: options.MaxLine = options.DEFAULT_MAX_LINE,
    strict: options.Strict = False,
    color: options.Color = "auto",
    quiet: options.Quiet = False,
    jobs: options.Jobs = None,
) -> ExitCode:
    """Find the mistakes in a dump: CMDs sent as chat, bad sync_once, retried duplicates, ...

    Example: `wkcli check dump.jsonl`

    Each kind of problem is reported once, counted, with what it usually means and examples
    (file:line and message id): type-99 payloads marked chat, sync_once 1 on non-CMD payloads,
    command channels marked chat, sync_once values WuKongIM never sends, CMDs in msg.offline,
    the same message delivered twice in one event (a receiver not answering exactly HTTP 200),
    senders among their own offline recipients, recipients that cannot be unpacked, and presence
    strings that do not parse. Exits 1 when there is any warning.
    """
    if examples < 0:
        raise UsageError("--examples must be 0 or more")
    # Per-message warnings become findings; bad records are still reported on stderr.
    session = Session(color, quiet, warnings=False)
    terminal = session.terminal
    fmt = pick_format(FINDINGS, fmt, terminal)
    criteria = Criteria.from_options(event=event, channel=channel, sender=sender, since=since, until=until)
    # Imported here: every wkcli run loads this module, few of them run check.
    from wkcli.output.findings import Checked, findings_summary
    from wkcli.webhook.checks import Checker

    checker = Checker(max_examples=examples)
    reader = session.reader(
        paths, criteria, input_format, strict, jobs=jobs, progress=True, max_line=max_line
    )
    try:
        for item in reader.check_into(checker):
            checker.add(item)
    finally:
        session.reading_done()
    writer = FINDINGS.open(fmt, terminal)
    writer.write(Checked(checker, reader.stats))
    writer.close()
    session.diagnostics.note(findings_summary(checker.warnings, checker.infos))
    code = session.finish(reader)
    if checker.warnings and code == ExitCode.OK:
        code = ExitCode.MALFORMED
    return code
