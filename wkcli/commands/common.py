"""What every command shares: option definitions, the session (streams, diagnostics), error mapping."""

from __future__ import annotations

import functools
import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer

from wkcli.errors import ExitCode, OutputError, Terminated, UsageError, WkcliError
from wkcli.webhook.filters import Criteria
from wkcli.output.terminal import Terminal, guard_stdout, input_is_output
from wkcli.read.accounting import Diagnostics, summary_line
from wkcli.read.lines import parse_size
from wkcli.read.options import ReadOptions
from wkcli.read.reader import Reader
from wkcli.read.values import INPUT_FORMATS
from wkcli.text import sanitize

if TYPE_CHECKING:
    from wkcli.output.progress import ProgressLine

EXIT_CODES_HELP = (
    "Exit status: 0 every record was read; 1 finished, but some input was malformed; "
    "2 usage error or unreadable file; 4 the output could not be written (a full disk); "
    "130 interrupted (Ctrl-C); 143 terminated (SIGTERM)."
)

FILTERS = "Filters"
INPUT = "Input"
OUTPUT = "Output"

# Options defined once and reused by every command that reads dumps.
Paths = Annotated[
    Optional[list[str]],
    typer.Argument(
        help="Dump files: JSONL, JSON, pretty-printed JSON, capture records, log lines; "
        "gzip is recognised by content. '-' or no path reads stdin.",
        show_default=False,
        metavar="PATH",
    ),
]
Kind = Annotated[
    Optional[list[str]],
    typer.Option("--kind", "-k", metavar="KIND", help="Keep only 'cmd' or 'chat' messages.", rich_help_panel=FILTERS),
]
Event = Annotated[
    Optional[list[str]],
    typer.Option(
        "--event",
        "-e", metavar="EVENT",
        help="Keep only these events (msg.notify, msg.offline, user.onlinestatus). Repeatable, "
        "or comma-separated.",
        rich_help_panel=FILTERS,
    ),
]
Channel = Annotated[
    Optional[list[str]],
    typer.Option("--channel", "-c", metavar="CHANNEL", help="Keep only this channel_id. Repeatable.", rich_help_panel=FILTERS),
]
ChannelType = Annotated[
    Optional[list[str]],
    typer.Option(
        "--channel-type", metavar="TYPE",
        help="Keep only this channel_type: a number or a name (person, group, community, ...).",
        rich_help_panel=FILTERS,
    ),
]
Sender = Annotated[
    Optional[list[str]],
    typer.Option("--from", "-f", metavar="UID", help="Keep only messages from this from_uid. Repeatable.", rich_help_panel=FILTERS),
]
Since = Annotated[
    Optional[str],
    typer.Option(
        "--since", metavar="TIME",
        help="Keep messages sent at or after this time: 2h, 30m, 1d, today, 2026-07-30T10:00, "
        "Unix seconds. Times without a zone are local.",
        rich_help_panel=FILTERS,
    ),
]
Until = Annotated[
    Optional[str],
    typer.Option("--until", metavar="TIME", help="Keep messages sent before this time (same forms as --since).", rich_help_panel=FILTERS),
]
Limit = Annotated[
    Optional[int],
    typer.Option("--limit", "-n", metavar="N", help="Stop after this many matching messages.", rich_help_panel=FILTERS),
]
InputFormat = Annotated[
    str,
    typer.Option(
        "--input-format", metavar="FORMAT",
        help="How to read the input: auto, jsonl (one value per line), json (values may span "
        "lines), log (text before the JSON).",
        rich_help_panel=INPUT,
    ),
]
Follow = Annotated[
    bool,
    typer.Option(
        "--follow",
        "-F",
        help="Keep reading as the file grows, like tail -F (survives truncation and rotation); "
        "Ctrl-C to stop.",
        rich_help_panel=INPUT,
    ),
]
Jobs = Annotated[
    Optional[int],
    typer.Option(
        "--jobs",
        "-j",
        metavar="N",
        help="Processes for a regular file of 64 MiB or more (default: one per core, but one for "
        "classify output above 2 GiB; 1 reads in one process). Results, output order and line "
        "numbers are the same either way.",
        rich_help_panel=INPUT,
    ),
]
DEFAULT_MAX_LINE = "64M"  # lines.MAX_LINE, as it appears in --help
MaxLine = Annotated[
    str,
    typer.Option(
        "--max-line", metavar="SIZE",
        help="Longest line (or pretty-printed value) read, e.g. 16M or 1G; a longer one is reported "
        "with its size and skipped without being held in memory.",
        rich_help_panel=INPUT,
    ),
]
Strict = Annotated[
    bool,
    typer.Option("--strict", help="Stop at the first bad record (exit 1).", rich_help_panel=INPUT),
]
Color = Annotated[
    str,
    typer.Option(
        "--color", metavar="WHEN",
        help="Colour: auto (a terminal, unless NO_COLOR or TERM=dumb), always, never.",
        rich_help_panel=OUTPUT,
    ),
]
Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No warnings and no summary on stderr (errors still show).", rich_help_panel=OUTPUT),
]
Utc = Annotated[
    bool,
    typer.Option("--utc", help="Show times in UTC instead of local time.", rich_help_panel=OUTPUT),
]


class Session:
    """One run of a command: the terminal, the diagnostics stream and the reader."""

    # The session of the running command, for ``guarded`` to account for an interrupted read.
    current: Session | None = None

    def __init__(self, color: str = "auto", quiet: bool = False, warnings: bool = True) -> None:
        if color not in ("auto", "always", "never"):
            raise UsageError(f"--color must be auto, always or never, not {color!r}")
        self.terminal = Terminal.from_sys(color)
        self.quiet = quiet
        self.diagnostics = Diagnostics(self.terminal.stderr, quiet=quiet, warnings=warnings)
        self.last_reader: Reader | None = None
        Session.current = self

    def reader(
        self,
        paths: list[str] | None,
        criteria: Criteria,
        input_format: str = "auto",
        strict: bool = False,
        on_wait: Callable[[], None] | None = None,
        presence: bool = True,
        follow: bool = False,
        jobs: int | None = None,
        progress: Callable[[str, int, int], None] | None = None,
        flush_before_diagnostics: bool = True,
        max_line: str = DEFAULT_MAX_LINE,
    ) -> Reader:
        """The reader for a command's inputs and options.

        ``on_wait`` runs before each read that may block and, unless ``flush_before_diagnostics``
        is false, before each warning or error too (so it shows next to the rows it is about).
        """
        if input_format not in INPUT_FORMATS:
            raise UsageError(f"--input-format must be one of {', '.join(INPUT_FORMATS)}")
        try:
            line_cap = parse_size(max_line)
        except ValueError as exc:
            raise UsageError(f"--max-line: {exc}") from None
        paths = list(paths or [])
        if (not paths or "-" in paths) and self.terminal.stdin_isatty:
            raise UsageError(
                "no input: name a dump file (wkcli classify dump.jsonl) or pipe one in "
                "(cat dump.jsonl | wkcli classify); see --help"
            )
        if on_wait is not None and flush_before_diagnostics:
            self.diagnostics.run_before_emit(on_wait)
        if paths.count("-") > 1:
            raise UsageError("'-' (stdin) can only be read once")
        same = input_is_output(paths or ["-"])
        if same is not None:
            raise UsageError(f"{'standard input' if same == '-' else same}: input file is output file")
        options = ReadOptions(
            input_format=input_format,
            strict=strict,
            presence=presence,
            follow=follow,
            jobs=check_jobs(jobs),
            on_wait=on_wait,
            progress=progress,
            max_line=line_cap,
        )
        self.last_reader = Reader(paths or ["-"], criteria, self.diagnostics, options)
        return self.last_reader

    def finish(self, reader: Reader, filtered: bool | None = None) -> ExitCode:
        """Print the account of every record on stderr and return the exit status.

        ``filtered`` says whether the user asked for a subset (then the number that matched is
        given); by default, whether the reader's criteria select anything.
        """
        self._account(reader, filtered)
        return reader.stats.exit_code

    def interrupted(self, how: str) -> None:
        """The account of what was read before Ctrl-C or SIGTERM stopped the command."""
        if self.last_reader is not None:
            self._account(self.last_reader, None, f"stopped by {how}: ")

    def _account(self, reader: Reader, filtered: bool | None, prefix: str = "") -> None:
        hidden = self.diagnostics.hidden_note()
        if hidden:
            self.diagnostics.note(hidden + " (the counts below include them)")
        if filtered is None:
            criteria = reader.criteria
            filtered = bool(
                criteria.kinds or criteria.events or criteria.channels or criteria.channel_types
                or criteria.senders or criteria.since is not None or criteria.until is not None
            )
        self.diagnostics.note(prefix + summary_line(reader.stats, filtered))


def pick_format(fmt: str, formats: tuple[str, ...], terminal: Terminal, on_terminal: str, in_pipe: str) -> str:
    """Check ``--format`` against ``formats`` and resolve ``auto`` by where stdout goes."""
    if fmt not in formats:
        raise UsageError(f"--format must be one of {', '.join(formats)}, not {fmt!r}")
    if fmt == "auto":
        return on_terminal if terminal.stdout_isatty else in_pipe
    return fmt


def progress_line(session: Session, quiet: bool) -> ProgressLine | None:
    """A progress line on stderr for large files, when stderr is a terminal (never in pipes).

    Returns it (its ``update`` is the reader's ``progress``; ``clear()`` it when reading is
    done), or None. Diagnostics clear it first: make it before the reader.
    """
    terminal = session.terminal
    if quiet or not terminal.stderr_isatty:
        return None
    from wkcli.output.progress import ProgressLine

    bar = ProgressLine(terminal.stderr)
    session.diagnostics.run_before_emit(bar.clear)
    return bar


def check_jobs(jobs: int | None) -> int | None:
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, not {jobs}")
    return jobs


F = TypeVar("F", bound=Callable[..., Any])


def guarded(command: F) -> F:
    """Run a command so that no traceback reaches the user and exit statuses are the documented ones."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        guard_stdout()
        Session.current = None
        previous = _catch_sigterm()
        try:
            code = _run(command, args, kwargs)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        if code:
            raise typer.Exit(int(code))

    return run  # type: ignore[return-value]


def _run(command: Callable[..., Any], args: Any, kwargs: Any) -> int:
    try:
        try:
            code = command(*args, **kwargs)
            # Output still buffered fails here, inside the net, not at interpreter exit.
            sys.stdout.flush()
        except typer.Exit:
            raise
        except OutputError as exc:
            _say(f"wkcli: error: {exc}")
            _silence_stdout()  # what is still buffered would fail again at exit
            code = exc.exit_code
        except WkcliError as exc:
            _say(f"wkcli: error: {exc}")
            code = exc.exit_code
        except KeyboardInterrupt as exc:
            terminated = isinstance(exc, Terminated)
            _stop_output()
            if Session.current is not None:
                Session.current.interrupted("SIGTERM" if terminated else "Ctrl-C")
            code = ExitCode.TERMINATED if terminated else ExitCode.INTERRUPTED
        except BrokenPipeError:
            # The reader of our output went away (`| head`): stop quietly.
            _silence_stdout()
            code = ExitCode.OK
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("WKCLI_DEBUG"):
                traceback.print_exc()
            _say(
                f"wkcli: internal error: {type(exc).__name__}: {exc} "
                "(this is a bug in wkcli; run with WKCLI_DEBUG=1 for details)"
            )
            code = ExitCode.INTERNAL
    except KeyboardInterrupt as exc:
        # A second signal while the first was being handled: stop now, still without a traceback.
        _silence_stdout()
        code = ExitCode.TERMINATED if isinstance(exc, Terminated) else ExitCode.INTERRUPTED
    return int(code or 0)


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _catch_sigterm() -> Any:
    """Turn SIGTERM into ``Terminated`` for the command's run; returns the handler it replaced."""
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # not the main thread (a library caller): leave it alone
        return None


def _stop_output() -> None:
    """After Ctrl-C or SIGTERM: write out the whole lines already made, then write no more.

    Writers hand the buffer whole lines only, so what reaches stdout ends at a line's end.
    """
    try:
        sys.stdout.flush()
    except (KeyboardInterrupt, OSError, WkcliError, ValueError):
        pass
    _silence_stdout()


def _say(line: str) -> None:
    try:
        sys.stderr.write(sanitize(line) + "\n")  # errors quote file names and values
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's final flush cannot fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
