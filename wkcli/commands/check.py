"""``wkcli check``: find the mistakes business servers make with CMDs, recipients and retries."""

from __future__ import annotations

from typing import Annotated

import typer

from wkcli.commands import common
from wkcli.errors import ExitCode, UsageError
from wkcli.webhook.filters import Criteria

FORMATS = ("auto", "text", "json")

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
        help="text (default on a terminal), json (default in a pipe): the findings as data.",
        rich_help_panel=common.OUTPUT,
    ),
]
Examples = Annotated[
    int,
    typer.Option("--examples", help="Examples to show per finding.", rich_help_panel=common.OUTPUT),
]


@common.guarded
def check(
    paths: common.Paths = None,
    event: common.Event = None,
    channel: common.Channel = None,
    sender: common.Sender = None,
    since: common.Since = None,
    until: common.Until = None,
    fmt: Format = "auto",
    examples: Examples = 3,
    input_format: common.InputFormat = "auto",
    strict: common.Strict = False,
    max_line: common.MaxLine = common.DEFAULT_MAX_LINE,
    color: common.Color = "auto",
    quiet: common.Quiet = False,
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
    session = common.Session(color, quiet, warnings=False)
    terminal = session.terminal
    fmt = common.pick_format(fmt, FORMATS, terminal, "text", "json")
    criteria = Criteria.from_options(event=event or (), channel=channel or (), sender=sender or (),
                                     since=since, until=until)  # fmt: skip
    # Imported here: every wkcli run loads this module, few of them run check.
    from wkcli.webhook.checks import Checker
    from wkcli.read.jsontext import dumps
    from wkcli.output import insight

    checker = Checker(max_examples=examples)
    reader = session.reader(paths, criteria, input_format, strict, max_line=max_line)
    for item in reader:
        checker.add(item)
    if fmt == "json":
        report = checker.report()
        report["input"] = reader.stats.as_dict()
        terminal.stdout_bytes.write(dumps(report) + b"\n")
        terminal.stdout_bytes.flush()
    else:
        insight.write_findings_text(terminal.stdout, checker.findings(), terminal.color)
        terminal.stdout.flush()
    session.diagnostics.note(insight.findings_summary(checker.warnings, checker.infos))
    code = session.finish(reader)
    if checker.warnings and code == ExitCode.OK:
        code = ExitCode.MALFORMED
    return code
