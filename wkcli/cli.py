"""The ``wkcli`` command line: puts the commands together and maps every failure to an exit status."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from wkcli import __version__
from wkcli.commands.group import WkcliGroup
from wkcli.commands.options import EXIT_CODES_HELP
from wkcli.errors import ExitCode, Terminated

# Each command: its module in wkcli.commands, and the name of its --help epilog there (None: the
# shared one). Modules are imported when their command is registered, so that ``wkcli count``
# loads what count needs and not the browser's, the SQL engine's or the server's code.
COMMANDS: dict[str, str | None] = {
    "classify": None,
    "count": None,
    "presence": None,
    "show": "EXIT_HELP",
    "check": "EXIT_HELP",
    "report": None,
    "capture": "EXIT_HELP",
    "replay": "EXIT_HELP",
    "trigger": "EXIT_HELP",
    "export": None,
    "sql": None,
    "browse": "EXIT_HELP",
}


def build_app(only: str | None = None) -> typer.Typer:
    """The command line with every command, or with ``only`` that one (the one being run)."""
    import importlib

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
    for name, epilog in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"wkcli.commands.{name}")
        app.command(name, epilog=getattr(module, epilog) if epilog else EXIT_CODES_HELP)(
            getattr(module, name)
        )
    app.callback()(_root)
    return app


def _version(value: bool) -> None:
    if value:
        print(f"wkcli {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Triage captured WuKongIM webhook traffic: which messages are CMDs, which are chat."""


def __getattr__(name: str) -> typer.Typer:
    # ``wkcli.cli.app``, every command registered: for tests and tools that drive the whole CLI.
    if name == "app":
        return build_app()
    raise AttributeError(name)


def main() -> None:
    # Running one command: only it is registered (help, completion and the rest see them all).
    word = sys.argv[1] if len(sys.argv) > 1 else None
    completing = any(key.startswith("_WKCLI_COMPLETE") for key in os.environ)
    only = word if word in COMMANDS and not completing else None
    try:
        build_app(only)(prog_name="wkcli")
    except Terminated:
        sys.exit(ExitCode.TERMINATED)
    except KeyboardInterrupt:
        sys.exit(ExitCode.INTERRUPTED)
