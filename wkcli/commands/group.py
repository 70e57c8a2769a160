"""The top-level command group: usage errors said the way wkcli says every error, on one line."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from typer.core import TyperGroup
from typer.exceptions import Abort, Exit

from wkcli.commands.clicklib import ClickException, NoArgsIsHelpError
from wkcli.errors import ExitCode
from wkcli.text import sanitize


class WkcliGroup(TyperGroup):
    """Runs the command line in click's non-standalone mode, so that its usage errors reach us.

    typer draws them in a box over several lines; wkcli's own errors are one ``wkcli: error:``
    line. Both now read the same: the message, then where to look for help, exit status 2.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError:
            code = ExitCode.USAGE  # the help was printed already
        except ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            path = ctx.command_path if ctx is not None else (prog_name or "wkcli")
            _say(f"wkcli: error: {sanitize(exc.format_message())}")
            _say(f"see '{path} --help'")
            code = exc.exit_code
        except Abort:
            code = ExitCode.INTERRUPTED
        except Exit as exc:
            code = exc.exit_code
        code = int(code or 0) if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _say(text: str) -> None:
    try:
        sys.stderr.write(text.rstrip("\n") + "\n")
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
