"""Exit statuses and the error types that map onto them, in one place."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every record was read
    MALFORMED = 1  # finished, but some input was malformed (or a check found warnings)
    USAGE = 2  # bad options, or a file that could not be read
    INTERNAL = 3  # a bug in wkcli
    INTERRUPTED = 130  # Ctrl-C


class WkcliError(Exception):
    """An error meant for the user: printed as one line, never as a traceback."""

    exit_code = ExitCode.USAGE


class UsageError(WkcliError):
    exit_code = ExitCode.USAGE


class UnreadableInput(WkcliError):
    """A path that cannot be opened or read at all."""

    exit_code = ExitCode.USAGE


class StrictStop(WkcliError):
    """``--strict`` met a bad record."""

    exit_code = ExitCode.MALFORMED
