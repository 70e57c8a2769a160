"""The ``wkcli`` command line: puts the commands together and maps every failure to an exit status."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from wkcli import __version__
from wkcli.commands import (
    browse,
    capture,
    check,
    classify,
    count,
    export,
    presence,
    replay,
    report,
    show,
    sql,
    trigger,
)
from wkcli.commands.group import WkcliGroup
from wkcli.commands.options import EXIT_CODES_HELP
from wkcli.errors import ExitCode, Terminated

app = typer.Typer(
    name="wkcli",
    cls=WkcliGroup,
    help="Triage captured WuKongIM webhook traffic: which messages are CMDs, which are chat.\n\n"
    "Example: wkcli classify samples/webhooks.jsonl",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.command("classify", epilog=EXIT_CODES_HELP)(classify.classify)
app.command("count", epilog=EXIT_CODES_HELP)(count.count)
app.command("presence", epilog=EXIT_CODES_HELP)(presence.presence)
app.command("show", epilog=show.EXIT_HELP)(show.show)
app.command("check", epilog=check.EXIT_HELP)(check.check)
app.command("report", epilog=EXIT_CODES_HELP)(report.report)
app.command("capture", epilog=capture.EXIT_HELP)(capture.capture)
app.command("replay", epilog=replay.EXIT_HELP)(replay.replay)
app.command("trigger", epilog=trigger.EXIT_HELP)(trigger.trigger)
app.command("export", epilog=EXIT_CODES_HELP)(export.export)
app.command("sql", epilog=EXIT_CODES_HELP)(sql.sql)
app.command("browse", epilog=browse.EXIT_HELP)(browse.browse)


def _version(value: bool) -> None:
    if value:
        print(f"wkcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Triage captured WuKongIM webhook traffic: which messages are CMDs, which are chat."""


def main() -> None:
    try:
        app(prog_name="wkcli")
    except Terminated:
        sys.exit(ExitCode.TERMINATED)
    except KeyboardInterrupt:
        sys.exit(ExitCode.INTERRUPTED)
