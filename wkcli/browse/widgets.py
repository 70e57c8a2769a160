"""The browser's widgets: the message list (rows drawn as they scroll into view) and the dialogs."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Input, Static

from wkcli.browse.rows import Cell, Layout, cells
from wkcli.browse.view import View

_CACHE_ROWS = 2000
_CURSOR = Style(reverse=True)
_MATCH = Style(underline=True)

KEYS = (
    ("↑ ↓ PgUp PgDn", "move"),
    ("g / G", "first / last row (the last once the index is complete)"),
    ("/", "filter: kind:cmd event:msg.offline channel:g1 type:group from:u1001"),
    ("", 'since:2h until:… id:… cmd:typing ctype:text "free text"  (Esc closes the bar)'),
    ("n / N", "next / previous row the free text is found in (searched in the background)"),
    ("Enter", "detail of the message: fields, payload, every delivery, check findings"),
    ("", "(in the detail: Esc, q or Enter back; y copy id; r replay)"),
    ("m", "show / hide malformed records"),
    ("y", "copy the message id (OSC 52: works over SSH)"),
    ("r", "replay the message to the --to URL (after a confirmation)"),
    ("e", "export the rows shown to a JSONL file (what classify -o jsonl writes)"),
    ("?", "this help"),
    ("q", "quit (in a dialog or the detail, Esc goes back)"),
)


class MessageList(ScrollView):
    """The rows of a view; a row is read from its file and laid out only when it is drawn."""

    can_focus = True
    # Rows are fitted to the width: no horizontal scrollbar may cover the last row.
    DEFAULT_CSS = "MessageList { overflow-x: hidden; }"

    BINDINGS = [
        Binding("up", "move(-1)", "up", show=False),
        Binding("down", "move(1)", "down", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("home,g", "jump(0)", "first", show=False),
        Binding("end,G", "jump(-1)", "last", show=False),
    ]

    def __init__(self, view: View, utc: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.view = view
        self.utc = utc
        self.cursor = 0
        self.layout_ = Layout()
        self._cells: OrderedDict[int, list[Cell]] = OrderedDict()
        self.on_layout: Any = None  # told when column widths change (the column header follows)

    def set_view(self, view: View) -> None:
        self.view = view
        self.cursor = 0
        self.sync()
        self.scroll_to(y=0, animate=False)

    def current_row(self) -> int | None:
        rows = self.view.rows
        return rows[self.cursor] if self.cursor < len(rows) else None

    def sync(self) -> None:
        """Take in rows the view found since the last call; at the end, stay at the end."""
        count = len(self.view.rows)
        size: Size = self.virtual_size  # type: ignore[has-type,unused-ignore]  # Any without Textual
        at_end = self.cursor >= max(size.height - 1, 0)
        width = self.scrollable_content_region.width or self.size.width
        if self.layout_.width != width:
            self.layout_.fit(width)
            self._changed()
        if size.height != count or size.width != width:
            # As wide as the rows are laid out: a vertical scrollbar narrows both, never one only.
            self.virtual_size = Size(width, count)
            if at_end and self.virtual_size.height and self.view.index.follow and count:
                self.cursor = count - 1
                self._show_cursor()
            self.refresh()
        self.cursor = min(self.cursor, max(count - 1, 0))

    def _changed(self) -> None:
        self._cells.clear()
        if self.on_layout is not None:
            self.on_layout()
        self.refresh()

    def cells_of(self, row: int) -> list[Cell]:
        found = self._cells.get(row)
        if found is None:
            found = cells(self.view.index, row, self.utc)
            self._cells[row] = found
            if len(self._cells) > _CACHE_ROWS:
                self._cells.popitem(last=False)
            if self.layout_.measure(found):
                self.layout_.fit(self.layout_.width)
                if self.on_layout is not None:
                    self.call_later(self.on_layout)
                self.call_later(self.refresh)
        return found

    def render_line(self, y: int) -> Strip:
        scroll_y = int(self.scroll_offset.y)
        position = scroll_y + y
        width = self.size.width
        rows = self.view.rows
        if position >= len(rows):
            return Strip.blank(width)
        row = rows[position]
        pieces = self.layout_.line(self.cells_of(row))
        extra = _CURSOR if position == self.cursor and self.has_focus else None
        if extra is None and position == self.cursor:
            extra = Style(bold=True, reverse=True, dim=True)
        marked = self.view.matches and _contains(self.view.matches, position)
        segments = []
        for text, style in pieces:
            rich_style = Style.parse(style) if style else Style()
            if marked:
                rich_style += _MATCH
            if extra is not None:
                rich_style += extra
            segments.append(Segment(text, rich_style))
        return Strip(segments).adjust_cell_length(width, _CURSOR if extra is _CURSOR else None)

    def action_move(self, delta: int) -> None:
        self._go(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._go(self.cursor + direction * max(self.size.height - 1, 1))

    def action_jump(self, where: int) -> None:
        self._go(len(self.view.rows) - 1 if where < 0 else 0)

    def go_to(self, position: int) -> None:
        self._go(position)

    def _go(self, position: int) -> None:
        count = len(self.view.rows)
        self.cursor = max(0, min(position, count - 1))
        self._show_cursor()
        self.refresh()

    def _show_cursor(self) -> None:
        top = int(self.scroll_offset.y)
        height = max(self.size.height, 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)


def _contains(sorted_positions: Any, position: int) -> bool:
    from bisect import bisect_left

    at = bisect_left(sorted_positions, position)
    return at < len(sorted_positions) and sorted_positions[at] == position


def line_text(pieces: list[Cell]) -> Text:
    """Cells as one rich ``Text`` (never markup: the text is data)."""
    text = Text(no_wrap=True, overflow="crop")
    for piece, style in pieces:
        text.append(piece, style=style or None)
    return text


class DetailScreen(Screen[None]):
    """One message in full; Esc, q or Enter go back to the list."""

    BINDINGS = [
        Binding("escape,q,enter", "app.pop_screen", "back"),
        Binding("y", "app.copy_id", "copy id"),
        Binding("r", "app.replay", "replay"),
    ]

    def __init__(self, lines: list[str], row: int) -> None:
        super().__init__()
        self.lines = lines
        self.row = row

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(Text("\n".join(self.lines), no_wrap=False), id="detail-text")
        yield Footer()


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,enter", "app.pop_screen", "close")]

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("wkcli browse: keys\n\n", style="bold")
        for key, meaning in KEYS:
            text.append(f"{key:<14}", style="bold")
            text.append(f"{meaning}\n")
        with Vertical(id="help"):
            yield Static(text)


class AskScreen(ModalScreen[Any]):
    """A one-line question: a file name to export to, or yes / no before a replay."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, question: str, value: str = "", yes_no: bool = False) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.yes_no = yes_no

    def compose(self) -> ComposeResult:
        with Vertical(id="ask"):
            yield Static(Text(self.question))
            if not self.yes_no:
                yield Input(value=self.value, id="answer")
            yield Static(
                Text("y: yes   n / Esc: no" if self.yes_no else "Enter: ok   Esc: cancel", style="dim")
            )

    def on_key(self, event: Any) -> None:
        if self.yes_no and event.key in ("y", "n"):
            event.stop()
            self.dismiss(event.key == "y")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(False if self.yes_no else None)
