"""click, as the installed typer provides it: its own copy (typer 0.25 and later) or the click package."""

from __future__ import annotations

from types import ModuleType

try:  # typer that vendors click keeps it here, and no click package may be installed at all
    from typer import _click as click
    from typer._click.globals import get_current_context
except ImportError:  # older typer depends on the click package
    import click  # type: ignore[no-redef]
    from click import get_current_context  # type: ignore[no-redef]

clicklib: ModuleType = click  # typed loosely: the two copies are the same API under two names


class _Never(Exception):
    """Stands for an exception this click does not have, so that ``except`` clauses stay valid."""


# click 8.2 raises this when a group is called with no arguments (after printing its help).
NoArgsIsHelpError: type[Exception] = getattr(clicklib.exceptions, "NoArgsIsHelpError", _Never)
ClickException = clicklib.exceptions.ClickException


def current_command_name() -> str | None:
    """The running subcommand's name (``count``), when click is running one."""
    ctx = get_current_context(silent=True)
    return ctx.info_name if ctx is not None else None
