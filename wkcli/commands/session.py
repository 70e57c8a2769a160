"""A command's run: its terminal, diagnostics and reader (Session); where failures become exit statuses."""

from __future__ import annotations

import errno
import functools
import os
import signal
import sys
import traceback
import typing
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import typer

from wkcli.errors import BadValue, ExitCode, OutputError, StrictStop, Terminated, UsageError, WkcliError
from wkcli.output.terminal import Terminal, guard_stdout, input_is_output
from wkcli.read.accounting import Diagnostics, summary_line
from wkcli.read.lines import MAX_LINE, parse_size
from wkcli.read.options import ReadOptions
from wkcli.read.reader import Reader
from wkcli.read.values import INPUT_FORMATS
from wkcli.text import hide_credentials, sanitize
from wkcli.webhook.filters import Criteria

if TYPE_CHECKING:
    from wkcli.cluster.run import ClusterRunner
    from wkcli.output.base import Writer
    from wkcli.output.progress import ProgressLine


class Session:
    """One run of a command: the terminal, the diagnostics stream and the reader."""

    # The session of the running command, for ``guarded`` to account for an interrupted read.
    current: Session | None = None

    def __init__(self, color: str = "auto", quiet: bool = False, warnings: bool = True) -> None:
        if color not in ("auto", "always", "never"):
            raise UsageError(f"--color must be auto, always or never, not {color!r}")
        self.terminal = Terminal.from_sys(color)
        self.quiet = quiet
        # Run before each diagnostic line, latest first: clear the progress line, flush the rows
        # it is about.
        self._before_diagnostics: list[Callable[[], None]] = []
        self.diagnostics = Diagnostics(
            self.terminal.stderr, quiet=quiet, warnings=warnings, before_emit=self._clear_the_way
        )
        self.last_reader: Reader | None = None
        self._progress: ProgressLine | None = None
        self._cluster: ClusterRunner | None = None
        self._accounted = False  # the account of every record has been given
        Session.current = self

    def reader(
        self,
        paths: list[str] | None,
        criteria: Criteria,
        input_format: str = "auto",
        strict: bool = False,
        *,
        writer: Writer[Any] | None = None,
        on_wait: Callable[[], None] | None = None,
        presence: bool = True,
        follow: bool = False,
        merge: bool = False,
        jobs: int | None = None,
        progress: bool = False,
        max_line: str | None = None,
        cluster: str | None = None,
        writes: Sequence[str] = (),
    ) -> Reader:
        """The one place a command builds its Reader.

        ``writer`` is flushed whenever the input makes the reader wait and before each
        diagnostic line (``on_wait`` is only the former); ``progress`` shows a progress line on
        stderr for large files, when stderr is a terminal. ``writes`` names the files the
        command writes (``--html``): none of them, nor standard output, may be an input.
        """
        if input_format not in INPUT_FORMATS:
            raise UsageError(
                f"--input-format must be one of {', '.join(INPUT_FORMATS)}, not {input_format!r}"
            )
        paths = list(paths or [])
        command = _command_name()
        if not paths:
            # `-f dump.jsonl` typed with the habit of `tail -f`: -f is --from, -F is --follow.
            named = next((uid for uid in criteria.senders if os.path.isfile(uid)), None)
            if named is not None:
                raise UsageError(
                    f"{named!r} is a file, but -f is --from UID; did you mean -F (follow)? "
                    f"wkcli {command} -F {named}"
                )
        if (not paths or "-" in paths) and self.terminal.stdin_isatty:
            raise UsageError(
                f"no input: name a dump file (wkcli {command} dump.jsonl) or pipe one in "
                f"(cat dump.jsonl | wkcli {command}); see wkcli {command} --help"
            )
        if writer is not None:
            on_wait = writer.flush
            self._before_diagnostics.insert(0, writer.flush)
        if paths.count("-") > 1:
            raise UsageError("'-' (stdin) can only be read once")
        if jobs is not None and jobs < 1:
            raise UsageError(f"--jobs must be 1 or more, not {jobs}")
        update = None
        if progress and not self.quiet and self.terminal.stderr_isatty:
            from wkcli.output.progress import ProgressLine

            self._progress = ProgressLine(self.terminal.stderr)
            update = self._progress.update
            self._before_diagnostics.insert(0, self._progress.clear)
        try:
            line_cap = parse_size(max_line) if max_line is not None else MAX_LINE
        except ValueError as exc:
            raise BadValue("max_line", str(exc)) from None
        options = ReadOptions(
            max_line=line_cap,
            input_format=input_format,
            strict=strict,
            presence=presence,
            follow=follow,
            merge=merge,
            jobs=jobs,
            on_wait=on_wait,
            progress=update,
            ranges=self._cluster_runner(cluster),
        )
        reader = Reader(paths or ["-"], criteria, self.diagnostics, options)
        same = input_is_output(reader.paths, writes)  # directories' files too
        if same is not None:
            raise UsageError(f"{'standard input' if same == '-' else same}: input file is output file")
        self.last_reader = reader
        return reader

    def _cluster_runner(self, address: str | None) -> Any:
        """The runner that reads on the cluster at ``address`` (connected on first use), or None."""
        if not address:
            return None
        from wkcli.cluster.run import ClusterRunner  # only with --cluster: Dask stays unimported

        self._cluster = ClusterRunner(address, note=self.diagnostics.note)
        return self._cluster

    def before_diagnostics(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` before each diagnostic line (e.g. to take a live view off the terminal)."""
        self._before_diagnostics.insert(0, hook)

    def status(self, text: str) -> None:
        """Say on the progress line what happens now that the reading is done (terminals only)."""
        if self._progress is not None:
            self._progress.say(text)

    def reading_done(self) -> None:
        """Take the progress line away (also when interrupted: the account follows on the same terminal)."""
        if self._progress is not None:
            self._progress.clear()
        if self._cluster is not None:
            self._cluster.close()  # after Ctrl-C too: the cluster's queued tasks are cancelled

    def _clear_the_way(self) -> None:
        for hook in self._before_diagnostics:
            hook()

    def finish(self, reader: Reader, filtered: bool | None = None) -> ExitCode:
        """Print the account of every record on stderr and return the exit status.

        ``filtered`` says whether the user asked for a subset (then the number that matched is
        given); by default, whether the reader's criteria select anything.
        """
        if self._cluster is not None and not self._cluster.asked:
            self.diagnostics.note(
                "--cluster: nothing was read on the cluster: these options need the general "
                "reader, which runs here (the cluster reads count and classify -o jsonl)"
            )
        self._account(reader, filtered)
        self.explain(reader)
        return reader.stats.exit_code

    def explain(self, reader: Reader) -> None:
        """Say why the filters left nothing (the input's events, its time range), and what the
        time window could not place."""
        from wkcli.webhook.filters import untimed_note, why_nothing

        stats = reader.stats
        note = untimed_note(reader.seen)
        if note:
            self.diagnostics.note(note)
        if stats.matched == 0 and stats.records and reader.criteria.selects():
            for reason in why_nothing(reader.criteria, stats.events, reader.seen):
                self.diagnostics.note("nothing matched: " + reason)

    def interrupted(self, how: str) -> None:
        """The account of what was read before Ctrl-C or SIGTERM stopped the command (once
        given, as when a query ran on what was read: only that it stopped)."""
        if self._accounted:
            self.diagnostics.note(f"stopped by {how}")
        elif self.last_reader is not None:
            self._account(self.last_reader, None, f"stopped by {how}: ")

    def _account(self, reader: Reader, filtered: bool | None, prefix: str = "") -> None:
        hidden = self.diagnostics.hidden_note()
        if hidden:
            self.diagnostics.note(hidden + " (the counts below include them)")
        if filtered is None:
            filtered = reader.criteria.selects()
        self.diagnostics.note(prefix + summary_line(reader.stats, filtered))
        self._accounted = True


def _command_name() -> str:
    """The running subcommand's name (``count``), for messages that show how to call it."""
    from wkcli.commands.clicklib import current_command_name

    return current_command_name() or "classify"


F = TypeVar("F", bound=Callable[..., Any])


def guarded(command: F) -> F:
    """Run a command so that no traceback reaches the user and exit statuses are the documented ones."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        guard_stdout()
        Session.current = None
        previous = _catch_signals()
        try:
            code = _run(command, args, kwargs)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if code:
            raise typer.Exit(int(code))

    return cast(F, run)


def _run(command: Callable[..., Any], args: Any, kwargs: Any) -> int:
    try:
        try:
            code = command(*args, **kwargs)
            # Output still buffered fails here, inside the net, not at interpreter exit.
            sys.stdout.flush()
        except typer.Exit:
            raise
        except StrictStop as exc:
            # The bad record was reported already, as every error is: say only why we stopped.
            stopped = "wkcli: stopped at the first bad record (--strict)"
            _say(stopped if exc.reported else f"wkcli: error: {exc}")
            code = exc.exit_code
        except BadValue as exc:
            _say(f"wkcli: error: {exc.naming(_flag(command, exc.what))}")
            code = exc.exit_code
        except OutputError as exc:
            _say(f"wkcli: error: {exc}")
            _silence_stdout()  # what is still buffered would fail again at exit
            code = exc.exit_code
        except WkcliError as exc:
            code = _interrupted()  # e.g. DuckDB's "interrupted", made one line of SQL error
            if code is None:
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
        except OSError as exc:
            code = _interrupted()
            if code is not None:
                return int(code)
            if exc.errno == errno.ENOSPC:
                # A full disk where a command keeps its work (TMPDIR): an output error, as stdout's.
                _say(f"wkcli: error: cannot write {exc.filename or 'a temporary file'}: {exc.strerror}")
                code = ExitCode.OUTPUT
            else:
                code = _internal(exc)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            code = _interrupted()
            if code is not None:
                return int(code)
            code = _internal(exc)
    except KeyboardInterrupt as exc:
        # A second signal while the first was being handled: stop now, still without a traceback.
        _silence_stdout()
        code = ExitCode.TERMINATED if isinstance(exc, Terminated) else ExitCode.INTERRUPTED
    return int(code or 0)


def _internal(exc: BaseException) -> ExitCode:
    """Say that ``exc`` is a bug (its traceback with WKCLI_DEBUG=1)."""
    if os.environ.get("WKCLI_DEBUG"):
        traceback.print_exc()
    _say(
        f"wkcli: internal error: {type(exc).__name__}: {exc} "
        "(this is a bug in wkcli; run with WKCLI_DEBUG=1 for details)"
    )
    return ExitCode.INTERNAL


def _flag(command: Callable[..., Any], what: str) -> str:
    """The option by which ``command`` takes its parameter ``what`` (``sender``: ``--from``).

    Read from the command's own declaration (``Annotated[..., typer.Option("--from", ...)]``),
    so the message names exactly the flag the user typed, whatever the core calls it.
    """
    try:
        hint = typing.get_type_hints(command, include_extras=True).get(what)
    except (NameError, TypeError):  # an annotation that cannot be resolved: fall back to the name
        hint = None
    for info in getattr(hint, "__metadata__", ()):
        # Inside Annotated, typer takes Option's first argument as a name too ("default").
        names = [getattr(info, "default", None), *(getattr(info, "param_decls", None) or ())]
        for declared in names:
            if isinstance(declared, str) and declared.startswith("--"):
                return declared.split("/")[0]  # "--online/--offline": the first
    return "--" + what.replace("_", "-")


# The signals received during the command's run. A library that runs native code (DuckDB)
# may turn the exception a signal raised into an error of its own ("Query interrupted"):
# the command then still ends as interrupted, not as a bug.
_signalled: list[int] = []


def _on_signal(signum: int, frame: object) -> None:
    _signalled.append(signum)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _catch_signals() -> dict[int, Any]:
    """Turn SIGTERM into ``Terminated`` and Ctrl-C into KeyboardInterrupt, remembering each, for
    the command's run; returns the handlers it replaced."""
    _signalled.clear()
    replaced: dict[int, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            if signum == signal.SIGINT and signal.getsignal(signum) is not signal.default_int_handler:
                continue  # Ctrl-C ignored (nohup, a worker) or handled by the caller: leave it
            replaced[signum] = signal.signal(signum, _on_signal)
        except (ValueError, OSError):  # not the main thread (a library caller): leave it alone
            pass
    return replaced


def _interrupted() -> int | None:
    """The exit status of a run that a signal stopped, or None."""
    if not _signalled:
        return None
    terminated = signal.SIGTERM in _signalled
    _stop_output()
    if Session.current is not None:
        Session.current.interrupted("SIGTERM" if terminated else "Ctrl-C")
    return ExitCode.TERMINATED if terminated else ExitCode.INTERRUPTED


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
        sys.stderr.write(hide_credentials(sanitize(line)) + "\n")  # errors quote file names and values
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
