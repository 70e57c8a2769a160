"""The ``wkcli browse`` Textual app: a header with totals and a histogram, the list, a filter bar, dialogs."""

from __future__ import annotations

import io
import threading
import time
from functools import partial
from typing import Any

from rich.console import Console
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from wkcli.browse.detail import detail_lines
from wkcli.browse.view import View
from wkcli.browse.widgets import AskScreen, DetailScreen, HelpScreen, MessageList, line_text
from wkcli.read.index import Index
from wkcli.text import sanitize
from wkcli.webhook.model import Message
from wkcli.webhook.query import Query, QueryError, parse
from wkcli.webhook.times import format_time

_TICK = 0.2  # seconds between looks at what the background threads found
_LIST_ACTIONS = frozenset({"filter", "detail", "next_match", "malformed", "export"})
_ERROR_WIDTH = 400  # wide enough that the exception's own line is not wrapped


class BrowseApp(App[int]):
    """Browse an index of dumps; ``base`` holds the command line's filters, which the filter bar adds to."""

    CSS = """
    #top { height: 3; }
    #columns { height: 1; }
    MessageList { height: 1fr; }
    #bar { height: auto; display: none; }
    #bar.open { display: block; }
    #bar-error { height: 1; }
    #help, #ask { width: 90%; height: auto; border: round $accent; padding: 1 2; background: $panel; }
    HelpScreen, AskScreen { align: center middle; }
    """
    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("slash", "filter", "filter"),
        Binding("enter", "detail", "detail"),
        Binding("n", "next_match(1)", "next", show=False),
        Binding("N", "next_match(-1)", "previous", show=False),
        Binding("m", "malformed", "malformed"),
        Binding("y", "copy_id", "copy id"),
        Binding("r", "replay", "replay"),
        Binding("e", "export", "export"),
        Binding("question_mark", "help", "keys"),
    ]
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        index: Index,
        base: dict[str, Any] | None = None,
        to: str | None = None,
        utc: bool = False,
        timeout: float = 10.0,
    ) -> None:
        super().__init__()
        self.index = index
        self.base = dict(base or {})
        self.to = to
        self.utc = utc
        self.timeout = timeout
        self.query_text = ""
        self.show_malformed = True
        self.failure: str | None = None
        self.status = ""
        self.started = time.monotonic()
        self.view = View(index, parse("", self.base), self.show_malformed)
        self._threads: list[threading.Thread] = []
        self._notices = 0
        self._reading = False  # a message's detail is being read

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="top")
        yield Static(id="columns")
        yield MessageList(self.view, self.utc, id="list")
        with Vertical(id="bar"):
            yield Input(
                placeholder='kind:cmd channel:g1 from:u1001 since:2h "free text"',
                id="query",
                select_on_focus=False,  # / again refines the filter rather than replacing it
            )
            yield Static(id="bar-error")
        yield Footer()

    def on_mount(self) -> None:
        self.list = self.query_one(MessageList)
        self.list.on_layout = self._draw_columns
        self.list.focus()
        self._start(self.index.build, "wkcli-index")
        self._start_view()
        self.set_interval(_TICK, self._tick)
        self._tick()

    def _start(self, target: Any, name: str, *args: Any) -> None:
        thread = threading.Thread(target=self._guard, args=(target, *args), name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _guard(self, target: Any, *args: Any) -> None:
        try:
            target(*args)
        except Exception as exc:  # noqa: BLE001 - the app ends with one line, never a traceback
            self.failure = f"{type(exc).__name__}: {exc}"

    def _start_view(self) -> None:
        self._start(self.view.run, "wkcli-filter")

    def _tick(self) -> None:
        try:
            self._update()
        except NoMatches:
            pass  # a last tick while the app closes: its widgets are already gone

    def _update(self) -> None:
        failure = self.failure or self.index.failure
        if failure:
            self.failure = failure
            self.exit(return_code=3)
            return
        notices = self.index.notices
        if len(notices) > self._notices:
            self._notices = len(notices)
            self.status = notices[-1]  # a followed file rotated or truncated: said in the header
        if self.view.stale:
            self._restart(self.view.query)  # the truncated file's rows go; what it holds now follows
            return
        self.list.sync()
        self._draw_top()
        self.list.refresh()

    def _draw_columns(self) -> None:
        self.query_one("#columns", Static).update(line_text(self.list.layout_.header()))

    def _draw_top(self) -> None:
        index = self.index
        view = self.view
        totals = view.totals
        width = self.size.width
        top = Text()
        for label, number, style in (
            ("cmd", totals.cmd, "bold magenta"),
            ("chat", totals.chat, "green"),
            ("presence", totals.presence, "cyan"),
            ("malformed", totals.malformed, "red" if totals.malformed else ""),
            ("anomalies", totals.anomalies, "red" if totals.anomalies else ""),
        ):
            top.append(f"{label} ")
            top.append(f"{number:,}", style=style or None)
            top.append("  ")
        if not index.done:
            total = index.bytes_total
            share = f" {index.bytes_read * 100 // total}%" if total else ""
            label = "following" if index.follow and index.bytes_read >= total else f"indexing{share}"
            top.append(label, style="yellow")
        elif not view.complete:
            top.append(f"filtering {view.judged * 100 // max(index.count, 1)}%", style="yellow")
        elif view.searching:
            found = view.searched * 100 // max(len(view.rows), 1)
            top.append(f"searching {found}%", style="yellow")
        top.append("  ")
        # A rotated or truncated file is a new entry in ``names`` under the same name: said once.
        top.append(sanitize(", ".join(dict.fromkeys(index.names or index.paths))), style="dim")
        lines = [top]
        top = Text()
        query = self.query_text
        top.append("filter ", style="dim")
        top.append(sanitize(query) if query else "(none: / to filter)", style="bold" if query else "dim")
        if view.query.text:
            top.append(f"   {len(view.matches):,} rows hold the text (n / N)", style="dim")
        if self.status:
            top.append("   ")
            top.append(sanitize(self.status), style="yellow")
        lines.append(top)
        top = Text()
        span = view.span()
        if span is not None:
            first, last = (format_time(t, self.utc)[5:16] for t in span)
            bars = view.histogram(max(width - len(first) - len(last) - 2, 0))
            top.append(first + " ", style="dim")
            for bar, cmd in bars:
                top.append(bar, style="magenta" if cmd else "green")
            top.append(" " + last, style="dim")
        lines.append(top)
        for line in lines:
            line.truncate(max(width, 1), overflow="ellipsis")
        self.query_one("#top", Static).update(Text("\n").join(lines))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Over a message's detail, keys that act on the list are neither shown nor run.
        if action in _LIST_ACTIONS and isinstance(self.screen, DetailScreen):
            return False
        return True

    # -- the filter bar ---------------------------------------------------------------------

    def action_filter(self) -> None:
        bar = self.query_one("#bar")
        bar.add_class("open")
        field = self.query_one("#query", Input)
        field.value = self.query_text
        field.cursor_position = len(field.value)
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "query":
            self._apply(event.value, quiet=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "query" and self._apply(event.value):
            self.query_one("#bar").remove_class("open")
            self.list.focus()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.view.hold()  # reading rows again for free text waits while keys come
        await super().on_event(event)

    def on_key(self, event: Any) -> None:
        if event.key == "escape" and self.query_one("#bar").has_class("open"):
            event.stop()
            self.query_one("#bar").remove_class("open")
            self.list.focus()

    def _apply(self, text: str, quiet: bool = False) -> bool:
        """Use ``text`` as the filter when it reads; else show why under the bar."""
        error = self.query_one("#bar-error", Static)
        try:
            query = parse(text, self.base)
        except QueryError as exc:
            # The caret stands under the column of the input (inside its border and padding).
            message = Text(" " * (exc.position + 2) + "^ ", style="bold red")
            message.append(sanitize(str(exc)), style="red")
            error.update(message)
            return False
        error.update("")
        self._set_query(text, query)
        return True

    def _set_query(self, text: str, query: Query) -> None:
        current = self.view.query
        if text == self.query_text and query.criteria == current.criteria and query.text == current.text:
            return
        self.query_text = text
        self._restart(query)

    def _restart(self, query: Query) -> None:
        self.view.stopped.set()
        self.view = View(self.index, query, self.show_malformed)
        self.list.set_view(self.view)
        self._start_view()
        self._tick()

    def action_malformed(self) -> None:
        self.show_malformed = not self.show_malformed
        self._restart(self.view.query)
        self.status = "malformed records shown" if self.show_malformed else "malformed records hidden"

    def action_next_match(self, direction: int) -> None:
        matches = self.view.matches
        if not matches:
            self.status = "no free text to look for" if not self.view.query.text else "not found"
            return
        cursor = self.list.cursor
        if direction > 0:
            after = [m for m in matches if m > cursor]
            target = after[0] if after else matches[0]
        else:
            before = [m for m in matches if m < cursor]
            target = before[-1] if before else matches[-1]
        self.list.go_to(target)

    # -- the selected row -------------------------------------------------------------------

    def _selected(self) -> tuple[int, Message] | None:
        row = self.list.current_row()
        if row is None:
            return None
        item = self.index.item(row)
        return (row, item) if type(item) is Message else None

    def action_detail(self) -> None:
        # Read and laid out in a thread (a 64 MB field takes a while): the keys keep working.
        row = self.list.current_row()
        if row is not None and not self._reading:
            self._reading = True
            self.status = "reading the message…"
            self.run_worker(partial(self._read_detail, row), name="detail", thread=True)

    def _read_detail(self, row: int) -> tuple[list[str], int]:
        return detail_lines(self.index, row, self.utc), row

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "detail" or event.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return
        self._reading = False
        result = event.worker.result
        if event.state == WorkerState.SUCCESS and result is not None:
            self.status = "" if self.status == "reading the message…" else self.status
            self.push_screen(DetailScreen(*result))

    def action_copy_id(self) -> None:
        selected = self._selected()
        if selected is None or not selected[1].id_text:
            self.status = "no message id to copy"
            return
        self.copy_to_clipboard(selected[1].id_text)
        self.status = f"copied {selected[1].id_text}"
        self._draw_top()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_replay(self) -> None:
        selected = self._selected()
        if selected is None:
            self.status = "no message to replay"
            return
        if not self.to:
            self.status = "replay needs a URL: start wkcli browse with --to URL"
            return
        row, message = selected
        question = f"Replay message {message.id_text or '?'} ({message.event or 'no event'}) to {self.to}?"

        def answer(yes: Any) -> None:
            if yes:
                self.status = "replaying…"
                self._start(self._replay, "wkcli-replay", row)

        self.push_screen(AskScreen(sanitize(question), yes_no=True), answer)

    def _replay(self, row: int) -> None:
        from wkcli.browse.actions import replay_row

        self.status = replay_row(self.index, row, self.to or "", self.timeout)

    def action_export(self) -> None:
        def answer(name: Any) -> None:
            if name:
                self.status = "exporting…"
                self._start(self._export, "wkcli-export", name)

        self.push_screen(AskScreen("Export the rows shown (JSONL) to file:", "wkcli-export.jsonl"), answer)

    def _export(self, name: str) -> None:
        from wkcli.browse.actions import export_rows

        self.status = export_rows(self.index, self.view, name)

    # -- the end ----------------------------------------------------------------------------

    def on_unmount(self) -> None:
        self.view.stopped.set()
        self.index.stopping.set()


def run_app(app: BrowseApp, headless: bool = False, size: tuple[int, int] | None = None) -> str | None:
    """Run the app to its end; what stopped it, as one line (None: the user quit).

    Textual ends the app on any exception a widget or handler raises and prints a traceback on
    its error console; the app's error console keeps that text instead, and its last line (the
    exception) is what the user is told.
    """
    buffer = io.StringIO()
    app.error_console = Console(file=buffer, width=_ERROR_WIDTH, color_system=None, markup=False)
    try:
        app.run(headless=headless, size=size)
    except Exception as exc:  # noqa: BLE001 - the app ends with one line, never a traceback
        return f"{type(exc).__name__}: {exc}"
    if app.failure:
        return app.failure
    if app.return_code:
        # Textual shows the first error; a note on how many more there were may follow it.
        lines = [line.strip() for line in buffer.getvalue().splitlines()]
        lines = [line for line in lines if line and not line.startswith("NOTE:")]
        return lines[-1] if lines else f"the app ended with status {app.return_code}"
    return None
