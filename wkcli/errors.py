"""Exit statuses and the error types that map onto them, in one place."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every record was read
    MALFORMED = 1  # finished, but some input was malformed (or a check found warnings)
    USAGE = 2  # bad options, or a file that could not be read
    INTERNAL = 3  # a bug in wkcli
    OUTPUT = 4  # the output could not be written (a full disk, an I/O error)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    TERMINATED = 143  # SIGTERM (128 + SIGTERM)


class WkcliError(Exception):
    """An error meant for the user: printed as one line, never as a traceback."""

    exit_code = ExitCode.USAGE


class UsageError(WkcliError):
    exit_code = ExitCode.USAGE


class BadValue(UsageError):
    """A value the core cannot use; ``what`` names the parameter it came in (``kind``, ``since``, ``by``).

    ``text`` has the parameter as its subject ("must be cmd or chat, not 'x'"), or, with
    ``aside``, remarks on the value after a colon ("cannot read 'x' as a time"). The command
    layer names the parameter by its flag (``naming("--kind")``); elsewhere it is named as it is.
    """

    def __init__(self, what: str, text: str, aside: bool = False) -> None:
        self.what = what
        self.text = text
        self.aside = aside
        super().__init__(self.naming(what))

    def naming(self, name: str) -> str:
        return f"{name}: {self.text}" if self.aside else f"{name} {self.text}"


class UnreadableInput(WkcliError):
    """A path that cannot be opened or read at all."""

    exit_code = ExitCode.USAGE


class OutputError(WkcliError):
    """Writing the output failed (ENOSPC, EIO, EFBIG ...): the machine's trouble, not a bug.

    Deliberately not an OSError, so that no reader mistakes it for an input it could not read.
    """

    exit_code = ExitCode.OUTPUT


class StrictStop(WkcliError):
    """``--strict`` met a bad record; ``reported``: its error line was printed already."""

    exit_code = ExitCode.MALFORMED

    def __init__(self, message: str, reported: bool = False) -> None:
        super().__init__(message)
        self.reported = reported


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the signal finds the program.

    A KeyboardInterrupt, so that every path that stops cleanly on Ctrl-C (closing writers,
    ending a --follow, stopping workers) stops the same way on SIGTERM.
    """
