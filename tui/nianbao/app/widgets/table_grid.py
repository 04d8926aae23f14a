"""TableGrid: one widget that draws a report table and edits its cells in place.

The whole table is drawn with the Line API (`render_line`) by a single `ScrollView`; the cell
being edited is drawn by the grid itself from an edit buffer, so there is no child widget
at all. A keystroke changes a few strings and repaints the widget: nothing is laid out
again (the prototype in shared/reference/textual-bench measured why this matters).

Three modules, one job each: `grid_layout` says where everything goes (cells in reading
order, column widths, header and body lines, where a key moves the cursor, how far to
scroll) and knows no widget; `grid_paint` turns that and the grid's state into Strips;
this module is the widget: cursor, edit buffer, keys, mouse and the messages it posts.

The grid never stores values: `values(key)` is asked for every visible cell when drawing,
and the host calls `refresh_values()` after it applies a `CellChanged`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from rich.style import Style
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from nianbao.app.widgets.grid_layout import Key, as_key, build_layout, build_structure, describe, fit, wrap_cells
from nianbao.app.widgets.grid_paint import GRID_COMPONENT_CLASSES, GRID_CSS, GridPainter, GridState
from nianbao.app.widgets.ordered_keys import follow_focus, tab_moves_focus
from nianbao.report.template import CellRef, Table
from nianbao.report.values import INTEGER_REASON, ValueProblem, format_cell, parse_input, type_char

__all__ = ["DERIVED_REASON", "INTEGER_REASON", "Key", "TableGrid", "fit", "wrap_cells"]

DERIVED_REASON = "总计由程序计算,不能直接填写"

_key = as_key


class TableGrid(ScrollView, can_focus=True):
    """A report table drawn as one grid, edited in place, spreadsheet-style."""

    DEFAULT_CSS = GRID_CSS  # the look lives with the painting (grid_paint.py)
    COMPONENT_CLASSES = GRID_COMPONENT_CLASSES

    BINDINGS = [
        Binding("up", "move('up')", "上一行", show=False),
        Binding("down", "move('down')", "下一行", show=False),
        Binding("left", "move('left')", "左", show=False),
        Binding("right", "move('right')", "右", show=False),
        Binding("home", "move('home')", "行首", show=False),
        Binding("end", "move('end')", "行尾", show=False),
        Binding("ctrl+home", "move('first')", "第一格", show=False),
        Binding("ctrl+end", "move('last')", "最后一格", show=False),
        Binding("pageup", "move('pageup')", "上翻", show=False),
        Binding("pagedown", "move('pagedown')", "下翻", show=False),
        Binding("enter", "enter", "下一格"),
        Binding("f2", "edit", "修改", show=False),
        Binding("escape", "cancel_edit", "取消修改", show=False),  # the status line says "Esc 取消"
        Binding("backspace", "backspace", "退格", show=False),
        Binding("delete", "clear", "清空", show=False),
    ]

    cursor: reactive[Key] = reactive(("", "", ""), repaint=False, always_update=False)
    """The cell under the cursor, as (table id, row id, column id)."""

    enter_direction: reactive[Literal["down", "right"]] = reactive("down", repaint=False)
    """Where Enter goes next: down the column, or along the row (reading order)."""

    # ------------------------------------------------------------ messages

    class CellChanged(Message):
        """A cell's value changed (sent on every keystroke that leaves a valid number)."""

        def __init__(self, grid: TableGrid, key: Key, value: object, text: str, seq: int = 0) -> None:
            super().__init__()
            self.grid = grid
            self.key = key
            self.value = value  # int, Decimal or None (blank)
            self.text = text
            self.seq = seq  # the grid's change counter: a later change to the key supersedes this

        @property
        def control(self) -> TableGrid:
            return self.grid

    class CursorMoved(Message):
        """The cursor is on another cell."""

        def __init__(self, grid: TableGrid, key: Key) -> None:
            super().__init__()
            self.grid = grid
            self.key = key

        @property
        def control(self) -> TableGrid:
            return self.grid

    class InputRefused(Message):
        """A key was refused; `reason` is the Chinese explanation shown to the clerk."""

        def __init__(self, grid: TableGrid, key: Key, text: str, reason: str) -> None:
            super().__init__()
            self.grid = grid
            self.key = key
            self.text = text
            self.reason = reason

        @property
        def control(self) -> TableGrid:
            return self.grid

    # ------------------------------------------------------------ setup

    def __init__(
        self,
        table: Table,
        values: Callable[[Key], object],
        *,
        id: str | None = None,  # noqa: A002 (Textual's own keyword)
        classes: str | None = None,
        enter_direction: Literal["down", "right"] = "down",
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.table = table
        self._values = values
        self._errors: frozenset[Key] = frozenset()
        self._warnings: frozenset[Key] = frozenset()
        self._notice: str | None = None  # why the last key was refused
        self._edit_key: Key | None = None
        self._edit_text = ""
        self._edit_old: object = None  # value before the edit began
        self._edit_posted: object = None  # last value sent while editing
        # Changes sent but not yet applied by the host, the newest per cell: (seq, value). A
        # save that comes before they arrive takes them from here (`unapplied`).
        self._in_flight: dict[Key, tuple[int, object]] = {}
        self._seq = 0
        self._build_structure()
        self._relayout(79)
        self.set_reactive(TableGrid.enter_direction, enter_direction)
        self.set_reactive(TableGrid.cursor, self._reading[0])

    def _build_structure(self) -> None:
        """Everything that does not depend on the widget's width."""
        s = build_structure(self.table)
        self._structure = s
        self._grid = s.grid  # (block, row id, cells)
        self._pos = s.pos  # cell -> (grid row, slot)
        self._reading = s.reading
        self._derived = s.derived
        self._enter_order = s.enter_order
        self._want_slot = 0

    # ------------------------------------------------------------ public API

    def refresh_values(self) -> None:
        """Repaint with the current values (the host calls this after any change)."""
        self.refresh()

    def set_marks(self, errors: set[Key], warnings: set[Key]) -> None:
        """Cells involved in failing rules: painted with the error / warning backgrounds."""
        new_errors = frozenset(_key(k) for k in errors)
        new_warnings = frozenset(_key(k) for k in warnings) - new_errors
        if (new_errors, new_warnings) != (self._errors, self._warnings):
            self._errors, self._warnings = new_errors, new_warnings
            self.refresh()

    def move_to(self, key: Key | CellRef) -> None:
        """Put the cursor on a cell and scroll it into view."""
        k = _key(key)
        if k not in self._pos:
            raise KeyError(f"{k} 不是{self.table}的单元格")
        self.cursor = k
        self._scroll_to_cursor()

    @property
    def editing(self) -> bool:
        """True while a cell's edit is in progress (digits typed, not yet confirmed)."""
        return self._edit_key is not None

    @property
    def edit_text(self) -> str:
        return self._edit_text if self._edit_key is not None else ""

    @property
    def notice(self) -> str | None:
        """The refusal reason currently shown in the status line, if any."""
        return self._notice

    def describe(self, key: Key | CellRef | None = None) -> str:
        """Full labels of a cell (default: the cursor's): row groups › row · column groups › column."""
        return describe(self.table, _key(key) if key is not None else self.cursor)

    # ------------------------------------------------------------ reactive plumbing

    def validate_cursor(self, value: Key | CellRef) -> Key:
        k = _key(value)
        if k not in self._pos:
            raise ValueError(f"{k} 不是{self.table}的单元格")
        return k

    def watch_cursor(self, old: Key, new: Key) -> None:
        if self._edit_key is not None and self._edit_key != new:
            self._finish_edit(cancel_invalid=True)
        self._notice = None
        self._want_slot = self._pos[new][1]
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.CursorMoved(self, new))

    def validate_enter_direction(self, value: str) -> str:
        if value not in ("down", "right"):
            raise ValueError("enter_direction 只能是 'down' 或 'right'")
        return value

    # ------------------------------------------------------------ layout

    def _relayout(self, width: int) -> None:
        """Column widths, header and body lines for a widget `width` cells wide."""
        self._layout = layout = build_layout(self.table, self._structure, width)
        self._painter = GridPainter(self.table, self._structure, layout, self._values, self._style)
        self.virtual_size = Size(layout.virtual_width, layout.virtual_height)

    @property
    def _label_w(self) -> int:
        return self._layout.label_w

    @property
    def _head_h(self) -> int:
        return self._layout.head_h

    @property
    def _view(self) -> Size:
        """The part of the widget the grid draws on (without scrollbars)."""
        return self.scrollable_content_region.size

    def on_resize(self, event: events.Resize) -> None:
        width = self._view.width
        if width and width != self._layout.width:
            self._relayout(width)
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        view = self._view
        if not view.height or not self._layout.lines:
            return
        now = (int(self.scroll_x), int(self.scroll_y))
        x, y = self._layout.scroll_to_show(self._pos[self.cursor], now, (view.width, view.height))
        if (x, y) != now:
            self.scroll_to(x, y, animate=False, force=True)

    # ------------------------------------------------------------ drawing

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"table-grid--{name}")

    def render_line(self, y: int) -> Strip:
        width, height = self._view
        state = GridState(
            cursor=self.cursor,
            edit_key=self._edit_key,
            edit_text=self._edit_text,
            errors=self._errors,
            warnings=self._warnings,
            notice=self._notice,
            scroll_x=int(self.scroll_x),
            scroll_y=int(self.scroll_y),
            width=width,
            height=height,
        )
        return self._painter.line(y, state, self.rich_style)

    # ------------------------------------------------------------ editing

    def _post_change(self, key: Key, value: object, text: str) -> None:
        self._seq += 1
        self._in_flight[key] = (self._seq, value)
        self.post_message(self.CellChanged(self, key, value, text, self._seq))

    def is_current(self, change: CellChanged) -> bool:
        """False for a change superseded by a later one to the same cell (or already taken by
        `unapplied`): the host skips it. True marks it applied."""
        if self._in_flight.get(change.key, (None,))[0] != change.seq:
            return False
        del self._in_flight[change.key]
        return True

    def unapplied(self) -> dict[Key, object]:
        """The newest value of every cell whose change the host has not received yet; they
        count as applied from now on (their messages will be skipped)."""
        out = {key: value for key, (_, value) in self._in_flight.items()}
        self._in_flight.clear()
        return out

    def _refuse(self, key: Key, text: str, reason: str) -> None:
        self._notice = reason
        self.post_message(self.InputRefused(self, key, text, reason))
        self.refresh()

    def _set_edit(self, key: Key | None, text: str = "") -> None:
        # No refresh_bindings() here: rebuilding the Footer re-lays-out the whole screen
        # (20-25 ms) on the first digit of every cell; Esc is not shown in the Footer anyway.
        self._edit_key = key
        self._edit_text = text if key is not None else ""

    def type_text(self, text: str) -> bool:
        """Type characters into the cursor cell as if from the keyboard; False if one was refused."""
        for ch in text:
            if not self._type_char(ch):
                return False
        return True

    def _type_char(self, ch: str) -> bool:
        key = self.cursor
        if self._derived[key]:
            self._refuse(key, ch, DERIVED_REASON)
            return False
        editing = self._edit_key == key
        typed = type_char(self._edit_text if editing else "", ch, self.table.column_by_id[key[2]])
        if typed.refused:
            self._refuse(key, ch, typed.refused)
            return False
        if not editing:
            self._edit_old = self._values(key)
            self._edit_posted = self._edit_old
        self._notice = None
        self._set_edit(key, typed.text)
        if typed.pending:
            self.refresh()
        else:  # the host repaints after applying the change (refresh_values): one frame, not two
            self._edit_posted = typed.value
            self._post_change(key, typed.value, typed.text)
        return True

    def _finish_edit(self, cancel_invalid: bool = False) -> bool:
        """Confirm the edit in progress. False (still editing) if the text is not a number."""
        key = self._edit_key
        if key is None:
            return True
        column = self.table.column_by_id[key[2]]
        try:
            value = parse_input(self._edit_text, column)
        except ValueProblem as problem:
            if cancel_invalid:
                self._cancel_edit()
                return True
            self._refuse(key, self._edit_text, str(problem))
            return False
        if value != self._edit_posted:
            self._post_change(key, value, self._edit_text)
        self._set_edit(None)
        self.refresh()
        return True

    def _cancel_edit(self) -> None:
        key = self._edit_key
        if key is None:
            return
        old = self._edit_old
        self._set_edit(None)
        if old != self._edit_posted:
            self._post_change(key, old, format_cell(old))  # type: ignore[arg-type]
        self.refresh()

    # ------------------------------------------------------------ keys and mouse

    def on_key(self, event: events.Key) -> None:
        # Keys this grid binds are run here, in arrival order. Left to the binding machinery,
        # an unhandled Enter bubbles to the app first, and digits typed right behind it (a
        # fast typist, a terminal delivering a burst) would be handled before it.
        if follow_focus(self, event) or tab_moves_focus(self, event):
            return
        action = _KEY_ACTIONS.get(event.key)
        if action is not None:
            name, params = action
            if self.check_action(name, params) is False:
                return  # e.g. Escape with no edit in progress: leave it to the screen
            event.stop()
            event.prevent_default()
            getattr(self, f"action_{name}")(*params)
            return
        ch = event.character
        if not event.is_printable or not ch or ch.isspace():
            return
        event.stop()
        event.prevent_default()
        self._type_char(ch)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        self.type_text("".join(event.text.split()))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_edit":
            return self._edit_key is not None
        return True

    def action_cancel_edit(self) -> None:
        if self._edit_key is None:
            raise SkipAction()
        self._notice = None
        self._cancel_edit()

    def action_enter(self) -> None:
        if not self._finish_edit():
            return
        nxt = self._structure.next_input(self.cursor, self.enter_direction)
        if nxt is not None:
            self.cursor = nxt
        else:
            self.refresh()

    def action_edit(self) -> None:
        """Edit the cursor cell's current value instead of replacing it (F2)."""
        key = self.cursor
        if self._derived[key]:
            self._refuse(key, "", DERIVED_REASON)
            return
        if self._edit_key == key:
            return
        self._edit_old = self._edit_posted = self._values(key)
        self._notice = None
        self._set_edit(key, format_cell(self._edit_old))  # type: ignore[arg-type]
        self.refresh()

    def action_backspace(self) -> None:
        if self._edit_key is not None:
            key = self._edit_key
            text = self._edit_text[:-1]
            self._notice = None
            self._set_edit(key, text)
            column = self.table.column_by_id[key[2]]
            try:
                value = parse_input(text, column)
            except ValueProblem:
                self.refresh()
                return
            if value != self._edit_posted:
                self._edit_posted = value
                self._post_change(key, value, text)
            self.refresh()
            return
        self.action_clear()

    def action_clear(self) -> None:
        key = self.cursor
        if self._derived[key]:
            self._refuse(key, "", DERIVED_REASON)
            return
        self._notice = None
        if self._edit_key is not None:
            self._set_edit(key, "")
            if self._edit_posted is not None:
                self._edit_posted = None
                self._post_change(key, None, "")
            self.refresh()
            return
        if self._values(key) is not None:
            self._post_change(key, None, "")
        self.refresh()

    def action_move(self, where: str) -> None:
        if not self._finish_edit():
            return
        page = self._layout.body_height(self._view.height)
        target, want = self._structure.step(self.cursor, where, self._want_slot, page)
        self.cursor = target
        self._want_slot = want  # after the cursor's watcher, which sets it to the new column
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset
        layout = self._layout
        if y < layout.head_h or y >= self._view.height - 1:
            return
        li = y - layout.head_h + int(self.scroll_y)
        if li >= len(layout.lines) or layout.lines[li].kind != "row":
            return
        keys = self._grid[layout.lines[li].grid][2]
        if x < layout.label_w:
            slot = min(self._want_slot, len(keys) - 1)
        else:
            slot = (x - layout.label_w + int(self.scroll_x)) // (layout.cw + 1)
            if slot >= len(keys):
                return
        if self._finish_edit(cancel_invalid=True):
            self.cursor = keys[slot]

    def on_focus(self, event: events.Focus) -> None:
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self._finish_edit(cancel_invalid=True)
        self.refresh()


def _key_actions() -> dict[str, tuple[str, tuple[object, ...]]]:
    from textual.actions import parse

    out = {}
    for b in TableGrid.BINDINGS:
        if b.key == "f2":  # the app's 保存 takes F2
            continue
        _, name, params = parse(b.action)
        out[b.key] = (name, params)
    return out


_KEY_ACTIONS = _key_actions()
