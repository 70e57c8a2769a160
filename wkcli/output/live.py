"""Views for the live tools: a line per captured request, replay results, ``count --follow``'s redrawing."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TextIO

from wkcli.output.terminal import Painter, Terminal, wants_color
from wkcli.read.accounting import plural
from wkcli.read.jsontext import dumps

__all__ = ["CaptureView", "FollowedCounts", "Painter", "ReplayView"]


def _clock(seconds: float, utc: bool) -> str:
    moment = datetime.fromtimestamp(seconds, timezone.utc if utc else None)
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


class CaptureView:
    """One line per request received by ``wkcli capture`` (plain text, cheap to make).

    Lines are queued in memory and written by ``flush``, which the server calls from a thread
    of its own: a terminal that stops reading (Ctrl-S, a paused pager) can then never hold up
    the capture. Past ``max_queued`` lines the view drops lines and says how many.
    """

    def __init__(self, stream: TextIO, color: bool, utc: bool = False, max_queued: int = 10_000) -> None:
        self.stream = stream
        self.paint = Painter(color)
        self.utc = utc
        self.max_queued = max_queued
        self._queued: deque[str] = deque()  # appended by the server, taken by flush: thread-safe
        self._dropped = 0

    @classmethod
    def for_terminal(cls, terminal: Terminal, color_mode: str, utc: bool = False) -> CaptureView:
        return cls(terminal.stderr, wants_color(color_mode, terminal.stderr_isatty), utc)

    def __call__(self, info: Any) -> None:
        paint = self.paint
        # Every piece goes through paint, which escapes it: the request's path, event, remote
        # address and errors are the sender's text.
        parts = [paint(_clock(info.received, self.utc), "dim")]
        event = info.event or "-"
        parts.append(paint(f"{event:<17}", "cyan"))
        if getattr(info, "disconnected", False):
            parts.append(paint(f"disconnected: {info.error or ''}", "yellow"))
            parts.append(paint(f"{info.method} {info.path} from {info.remote}", "dim"))
        elif not info.recorded:
            parts.append(paint(f"{info.status} refused: {info.error or ''}", "bold red"))
            parts.append(paint(f"{info.method} {info.path} from {info.remote}", "dim"))
        elif info.error is not None:
            parts.append(paint(f"recorded, malformed: {info.error}", "yellow"))
        else:
            parts.append(self._contents(info))
        if getattr(info, "repeats", 0):
            parts.append(self._retry(info))
        if info.forward_status is not None or info.forward_error is not None:
            parts.append(self._forward(info))
        if getattr(info, "injected", False) or getattr(info, "delay_ms", None):
            answer = f"answered {info.status}" + (" (injected)" if info.injected else "")
            if info.delay_ms:
                answer += f" after {info.delay_ms:,.0f} ms"
            parts.append(paint(answer, "red" if info.status != 200 else "yellow"))
        if len(self._queued) < self.max_queued:
            self._queued.append("  ".join(parts) + "\n")
        else:
            self._dropped += 1

    def flush(self) -> None:
        """Write the queued lines (from one thread, while the server goes on queueing)."""
        queued = self._queued
        lines = [queued.popleft() for _ in range(len(queued))]
        dropped, self._dropped = self._dropped, 0
        if dropped:
            note = f"... {dropped:,} lines not shown: the terminal was not keeping up"
            lines.append(self.paint(note, "yellow") + "\n")
        if lines:
            self.stream.write("".join(lines))
            self.stream.flush()

    def _contents(self, info: Any) -> str:
        paint = self.paint
        if info.presence and not info.messages:
            return plural(info.presence, "presence entry", "presence entries")
        if not info.messages and not info.problems:
            return paint("empty body", "dim")
        text = plural(info.messages, "message") + " ("
        text += paint(f"{info.cmd} cmd", "bold magenta") if info.cmd else "0 cmd"
        text += ", " + paint(f"{info.chat} chat", "green") + ")"
        if info.problems:
            text += "  " + paint(f"{info.problems} not readable", "yellow")
        return text

    def _retry(self, info: Any) -> str:
        # WuKongIM delivers a message again only when the last delivery did not get 200.
        text = f"retry: delivery #{info.retry_no} of {info.retry_id}"
        if info.messages > 1:
            text += f" ({info.repeats} of {info.messages} messages seen before)"
        return self.paint(text, "yellow")

    def _forward(self, info: Any) -> str:
        if info.forward_error is not None:
            return self.paint(f"-> forward failed: {info.forward_error} (answered 502)", "bold red")
        style = "green" if info.forward_status == 200 else "yellow"
        return self.paint(f"-> {info.forward_status} in {info.forward_ms:.1f} ms", style)


class ReplayView:
    """One line per replayed request: JSON in a pipe, aligned text on a terminal."""

    def __init__(self, terminal: Terminal, color_mode: str) -> None:
        self.terminal = terminal
        self.text = terminal.stdout_isatty
        self.paint = Painter(wants_color(color_mode, terminal.stdout_isatty))

    def __call__(self, result: Any) -> None:
        if self.text:
            self._text(result)
        else:
            out = self.terminal.stdout_bytes
            line = dumps(result.as_dict())
            if b"\n" in line or b"\r" in line:
                # A body captured pretty-printed is spliced in as it was; in JSON, raw line breaks
                # can only be whitespace between tokens, so dropping them keeps one object per line.
                line = line.replace(b"\r", b"").replace(b"\n", b"")
            out.write(line + b"\n")
            out.flush()

    def _text(self, result: Any) -> None:
        paint = self.paint
        if result.dry_run:
            status = paint("dry-run", "dim")
        elif result.error is not None:
            status = paint(f"error: {result.error}", "bold red")
        else:
            status = paint(str(result.status), "green" if result.status == 200 else "yellow")
        if getattr(result, "attempts", 1) > 1:
            status += paint(f" (attempt {result.attempts})", "dim")
        request = result.request
        if request.messages or not request.presence:
            what = plural(request.messages, "message")
        else:
            what = plural(request.presence, "presence entry", "presence entries")
        if request.partial:
            what += " (part of a batch)"
        ms = "" if result.ms is None else f"{result.ms:8.1f} ms"
        event = paint(f"{request.event:<17}", "cyan")
        line = "  ".join([status, paint(ms), event, paint(what), paint(str(request.origin), "dim")])
        self.terminal.stdout.write(line + "\n")
        self.terminal.stdout.flush()


class FollowedCounts:
    """``count --follow``: totals redrawn in place on a terminal, a JSON line per change in a pipe."""

    def __init__(
        self,
        terminal: Terminal,
        render: Callable[[], Any],
        report: Callable[[], dict[str, Any]],
        live: bool = True,
    ) -> None:
        self.terminal = terminal
        self.live = live
        self.render = render  # a rich renderable of the current totals
        self.report = report  # the current totals as a dict
        self._live: Any = None
        self._last: bytes | None = None
        self._last_refresh = 0.0

    def __enter__(self) -> FollowedCounts:
        if self.live:
            from rich.live import Live

            from wkcli.output.console import make_console

            self._live = Live(
                self.render(), console=make_console(self.terminal), auto_refresh=False, transient=False
            )
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self.render(), refresh=True)
            self._live.stop()
            self._live = None

    def clear(self) -> None:
        """Erase the drawn totals before a diagnostic line is printed on the same terminal.

        Otherwise the next redraw moves up by the table's height from below the new line and
        leaves the previous frame's top rows behind. The table is drawn again, under the line,
        at the next refresh.
        """
        if self._live is None:
            return
        render = self._live._live_render
        if render._shape is not None:
            self._live.console.control(render.position_cursor())  # erase upwards to the top line
            self._live.console.file.flush()
            render._shape = None  # the next frame starts where the cursor is: below the message

    def refresh(self, force: bool = False) -> None:
        """Called when the reader has caught up with the file (and so is about to wait)."""
        now = time.monotonic()
        if not force and now - self._last_refresh < 0.2:
            return
        self._last_refresh = now
        if self._live is not None:
            self._live.update(self.render(), refresh=True)
            return
        line = dumps(self.report())
        if line != self._last:
            self._last = line
            out = self.terminal.stdout_bytes
            out.write(line + b"\n")
            out.flush()
