"""TableGrid: one widget that draws a report table and edits its cells in place.

The whole table is drawn with the Line API (`render_line`) by a single `ScrollView`; the cell
being edited is drawn by the grid itself from an edit buffer, so there is no child widget
at all. A keystroke changes a few strings and repaints the widget: nothing is laid out
again (the prototype in shared/reference/textual-bench measured why this matters).

Layout, top to bottom:
  header lines (pinned)   nested column groups with spans, leaf labels wrapped to fit;
                          the table's corner note on the left
  body (scrolls)          one line per row, and a heading line where a row group begins;
                          a table drawn in blocks (表二) has a title line and its own column
                          header line(s) per block, inside the body
  status line (pinned)    the cursor cell's full row and column labels, or the reason the
                          last key was refused (red), or the edit in progress

Left to right: row labels (pinned, indented under their groups, truncated with …), then the
value columns (scroll sideways when they do not fit). Widths are terminal cells
(`rich.cells.cell_len`): CJK characters are two cells wide.

The grid never stores values: `values(key)` is asked for every visible cell when drawing,
and the host calls `refresh_values()` after it applies a `CellChanged`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Literal

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.template import CellRef, Column, Table
from tui.values import ValueProblem, format_cell, parse_input

Key = tuple[str, str, str]  # (table id, row id, column id)

DERIVED_REASON = "总计由程序计算,不能直接填写"
INTEGER_REASON = "件数应为整数"

LABEL_TARGET = 24  # the label column gets at least this much (or its natural width) first
MIN_COL = 6  # narrowest value column, in cells (one digit of padding on the right)
SCROLL_COL = 8  # value column width once the table has to scroll sideways anyway
MAX_COL = 24
MAX_LEAF_LINES = 3  # a column label wraps over at most this many header lines
SEP = "│"
INDENT = "  "

# "1," "1,2" "12,345,6": thousands separators being typed; valid once complete.
_PARTIAL_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})*,\d{0,2}")


def _key(ref: CellRef | tuple[str, str, str]) -> Key:
    if isinstance(ref, CellRef):
        return (ref.table, ref.row, ref.col)
    table, row, col = ref
    return (table, row, col)


def fit(text: str, width: int, align: str = "left", fill: str = " ") -> str:
    """`text` padded or truncated (with …) to exactly `width` terminal cells."""
    if width <= 0:
        return ""
    n = cell_len(text)
    if n > width:
        kept: list[str] = []
        used = 0
        for ch in text:
            w = get_character_cell_size(ch)
            if used + w > width - 1:
                break
            kept.append(ch)
            used += w
        return "".join(kept) + "…" + " " * (width - 1 - used)
    pad = width - n
    if align == "right":
        return fill * pad + text
    if align == "center":
        left = pad // 2
        return fill * left + text + fill * (pad - left)
    return text + fill * pad


def wrap_cells(text: str, width: int, max_lines: int, balanced: bool = True) -> list[str]:
    """Break `text` into lines of at most `width` cells (the last one truncated with …).

    Balanced wrapping splits 商业企业 into 商业/企业 rather than 商业企/业.
    """
    if width <= 0 or max_lines <= 0:
        return []
    total = cell_len(text)
    if total <= width:
        return [text]
    count = min(max_lines, math.ceil(total / width))
    target = min(width, math.ceil(total / count)) if balanced else width
    lines: list[str] = []
    current = ""
    for ch in text:
        if current and len(lines) < count - 1 and cell_len(current + ch) > target:
            lines.append(current)
            current = ch
        else:
            current += ch
    lines.append(current)
    return [fit(line, width) if cell_len(line) > width else line for line in lines]


@dataclass(frozen=True)
class _Line:
    """One line of the scrolling body."""

    kind: str  # "row" | "group" | "title" | "head"
    text: str = ""
    depth: int = 0
    block: int = 0
    grid: int = -1  # for rows: index into TableGrid._grid
    sub: int = 0  # for block header lines: which line of the wrapped labels


@dataclass(frozen=True)
class _HeadCell:
    x: int  # offset in the value area
    width: int
    text: str
    group: bool
    slot: int  # first slot covered


class TableGrid(ScrollView, can_focus=True):
    """A report table drawn as one grid, edited in place, spreadsheet-style."""

    DEFAULT_CSS = """
    TableGrid {
        height: 1fr;
        background: $surface;
        color: $foreground;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;

        & > .table-grid--header {
            background: $panel;
            color: $foreground;
            text-style: bold;
        }
        & > .table-grid--header-cursor {
            background: $panel;
            color: $text-accent;
            text-style: bold underline;
        }
        & > .table-grid--corner {
            background: $panel;
            color: $text-muted;
        }
        & > .table-grid--title {
            background: $boost;
            color: $foreground;
            text-style: bold;
        }
        & > .table-grid--label {
            color: $foreground;
        }
        & > .table-grid--cursor-label {
            color: $text-accent;
            text-style: bold;
        }
        & > .table-grid--group {
            color: $text-muted;
            text-style: bold;
        }
        & > .table-grid--separator {
            color: $foreground 25%;
        }
        & > .table-grid--cell {
            color: $foreground;
        }
        & > .table-grid--derived {
            background: $boost;
            color: $text-muted;
            text-style: bold;
        }
        & > .table-grid--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .table-grid--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .table-grid--editing {
            background: $accent-muted;
            color: $foreground;
            text-style: bold underline;
        }
        & > .table-grid--error {
            background: $error-muted;
        }
        & > .table-grid--warning {
            background: $warning-muted;
        }
        & > .table-grid--status {
            background: $panel;
            color: $text-muted;
        }
        & > .table-grid--refused {
            background: $error-muted;
            color: $text-error;
            text-style: bold;
        }
    }
    """

    COMPONENT_CLASSES = {
        "table-grid--header",
        "table-grid--header-cursor",
        "table-grid--corner",
        "table-grid--title",
        "table-grid--label",
        "table-grid--cursor-label",
        "table-grid--group",
        "table-grid--separator",
        "table-grid--cell",
        "table-grid--derived",
        "table-grid--cursor",
        "table-grid--editing",
        "table-grid--error",
        "table-grid--warning",
        "table-grid--status",
        "table-grid--refused",
    }

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
        Binding("enter", "enter", "确认并下一格"),
        Binding("f2", "edit", "修改", show=False),
        Binding("escape", "cancel_edit", "取消修改"),
        Binding("backspace", "backspace", "退格", show=False),
        Binding("delete", "clear", "清空"),
    ]

    cursor: reactive[Key] = reactive(("", "", ""), repaint=False, always_update=False)
    """The cell under the cursor, as (table id, row id, column id)."""

    enter_direction: reactive[Literal["down", "right"]] = reactive("down", repaint=False)
    """Where Enter goes next: down the column, or along the row (reading order)."""

    # ------------------------------------------------------------ messages

    class CellChanged(Message):
        """A cell's value changed (sent on every keystroke that leaves a valid number)."""

        def __init__(self, grid: TableGrid, key: Key, value: object, text: str) -> None:
            super().__init__()
            self.grid = grid
            self.key = key
            self.value = value  # int, Decimal or None (blank)
            self.text = text

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
        id: str | None = None,
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
        self._build_structure()
        self._layout_width = -1
        self._relayout(79)
        self.set_reactive(TableGrid.enter_direction, enter_direction)
        self.set_reactive(TableGrid.cursor, self._reading[0])

    def _build_structure(self) -> None:
        """Everything that does not depend on the widget's width."""
        t = self.table
        self._blocked = len(t.blocks) > 1 or bool(t.blocks[0].title)
        self._grid: list[tuple[int, str, tuple[Key, ...]]] = []  # (block, row id, cells)
        self._pos: dict[Key, tuple[int, int]] = {}  # cell -> (grid row, slot)
        for bi, block in enumerate(t.blocks):
            for r in block.rows:
                keys = tuple((t.id, r, c) for c in block.columns)
                for slot, k in enumerate(keys):
                    self._pos[k] = (len(self._grid), slot)
                self._grid.append((bi, r, keys))
        self._reading: list[Key] = [_key(c) for c in t.cells]
        self._derived: dict[Key, bool] = {k: t.is_derived(k[1], k[2]) for k in self._reading}
        down: list[Key] = []
        for block in t.blocks:
            for c in block.columns:
                down.extend((t.id, r, c) for r in block.rows)
        self._enter_order = {
            "down": [k for k in down if not self._derived[k]],
            "right": [k for k in self._reading if not self._derived[k]],
        }
        self._slots = max(len(b.columns) for b in t.blocks)
        self._want_slot = 0

    # ------------------------------------------------------------ public API

    def refresh_values(self) -> None:
        """Repaint with the current values (the host calls this after any change)."""
        self.refresh()

    def set_marks(self, errors: set[Key], warnings: set[Key]) -> None:
        """Cells involved in failing rules: painted with the error / warning backgrounds."""
        self._errors = frozenset(_key(k) for k in errors)
        self._warnings = frozenset(_key(k) for k in warnings) - self._errors
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
        _, r, c = _key(key) if key is not None else self.cursor
        row, col = self.table.row_by_id[r], self.table.column_by_id[c]
        col_text = " › ".join((*col.group, col.label))
        if not self.table.row_labels:
            return col_text
        return f"{' › '.join((*row.group, row.label))} · {col_text}"

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
        t = self.table
        width = max(width, 20)
        self._layout_width = width
        n = self._slots
        # Natural widths.
        lines: list[_Line] = []
        label_nat = 0
        for bi, block in enumerate(t.blocks):
            if self._blocked:
                label_nat = max(label_nat, 1 + cell_len(block.row_header) + 1)
            prev: tuple[str, ...] = ()
            for r in block.rows:
                row = t.row_by_id[r]
                common = 0
                while common < min(len(prev), len(row.group)) and prev[common] == row.group[common]:
                    common += 1
                for level in range(common, len(row.group)):
                    label_nat = max(label_nat, 1 + cell_len(INDENT * level + row.group[level]) + 1)
                label_nat = max(label_nat, 1 + cell_len(INDENT * len(row.group) + row.label) + 1)
                prev = row.group
        if not t.row_labels:
            label_nat = 0
        leaf_nat = max(cell_len(c.label) for c in t.columns)
        col_nat = max(MIN_COL, min(MAX_COL, leaf_nat))
        # Label first (up to LABEL_TARGET), then columns, then leftovers back to the label.
        label_w = min(label_nat, LABEL_TARGET)
        rest = width - label_w - 1  # the closing separator
        cw = max(MIN_COL, min(col_nat, rest // n - 1))
        if label_w + n * (cw + 1) + 1 > width:  # scrolls sideways anyway: keep labels legible
            cw = max(cw, min(col_nat, SCROLL_COL))
        else:
            label_w = min(label_nat, width - n * (cw + 1) - 1)
        self._label_w = label_w
        self._cw = cw
        self._value_w = n * (cw + 1) + 1

        # Pinned header (tables drawn as one block).
        self._head: list[list[_HeadCell]] = []
        self._corner: list[str] = []
        if not self._blocked:
            cols = [t.column_by_id[c] for c in t.blocks[0].columns]
            self._head = self._build_header(cols)
            if label_w and self._head:
                text = t.corner or ""
                self._corner = wrap_cells(text, label_w - 1, len(self._head), balanced=False)
        self._head_h = len(self._head)

        # Body.
        self._grid_line: list[int] = [0] * len(self._grid)
        self._reveal_from: list[int] = [0] * len(self._grid)  # headings shown with a row
        gi = 0
        for bi, block in enumerate(t.blocks):
            block_start = len(lines)
            if self._blocked:
                if block.title:
                    lines.append(_Line("title", block.title, block=bi))
                cols = [t.column_by_id[c] for c in block.columns]
                depth = min(MAX_LEAF_LINES, max(len(wrap_cells(c.label, cw, MAX_LEAF_LINES)) for c in cols))
                for sub in range(depth):
                    lines.append(_Line("head", block.row_header, block=bi, sub=sub))
            prev = ()
            for ri, r in enumerate(block.rows):
                row = t.row_by_id[r]
                common = 0
                while common < min(len(prev), len(row.group)) and prev[common] == row.group[common]:
                    common += 1
                first = len(lines)
                for level in range(common, len(row.group)):
                    lines.append(_Line("group", row.group[level], depth=level, block=bi))
                self._grid_line[gi] = len(lines)
                self._reveal_from[gi] = block_start if ri == 0 else first
                lines.append(_Line("row", row.label, depth=len(row.group), block=bi, grid=gi))
                prev = row.group
                gi += 1
        self._lines = lines
        self.virtual_size = Size(label_w + self._value_w, self._head_h + len(lines) + 1)

    def _build_header(self, cols: list[Column]) -> list[list[_HeadCell]]:
        cw = self._cw
        depth = max(len(c.group) for c in cols)
        leaves = [wrap_cells(c.label, cw, MAX_LEAF_LINES) for c in cols]
        height = max(len(c.group) + len(leaf) for c, leaf in zip(cols, leaves))
        height = max(height, depth + 1)
        head: list[list[_HeadCell]] = []
        for level in range(height):
            cells: list[_HeadCell] = []
            j = 0
            while j < len(cols):
                c = cols[j]
                if level < len(c.group):
                    k = j
                    while k < len(cols) and cols[k].group[: level + 1] == c.group[: level + 1]:
                        k += 1
                    span = (k - j) * (cw + 1) - 1
                    cells.append(_HeadCell(j * (cw + 1), span, c.group[level], True, j))
                    j = k
                else:
                    li = level - len(c.group)
                    text = leaves[j][li] if li < len(leaves[j]) else ""
                    cells.append(_HeadCell(j * (cw + 1), cw, text, False, j))
                    j += 1
            head.append(cells)
        return head

    @property
    def _view(self) -> Size:
        """The part of the widget the grid draws on (without scrollbars)."""
        return self.scrollable_content_region.size

    def on_resize(self, event: events.Resize) -> None:
        width = self._view.width
        if width and width != self._layout_width:
            self._relayout(width)
        self._scroll_to_cursor()
        self.refresh()

    @property
    def _body_height(self) -> int:
        return max(1, self._view.height - self._head_h - 1)

    def _scroll_to_cursor(self) -> None:
        if not self._view.height or not self._lines:
            return
        gi, slot = self._pos[self.cursor]
        line = self._grid_line[gi]
        top = self._reveal_from[gi]
        body_h = self._body_height
        y = int(self.scroll_y)
        if line - top < body_h and top < y:
            y = top
        elif line < y:
            y = line
        elif line >= y + body_h:
            y = line - body_h + 1
        x = int(self.scroll_x)
        view_w = max(1, self._view.width - self._label_w)
        x0 = slot * (self._cw + 1)
        x1 = x0 + self._cw + 2
        if x0 < x:
            x = x0
        elif x1 > x + view_w:
            x = x1 - view_w
        if (x, y) != (int(self.scroll_x), int(self.scroll_y)):
            self.scroll_to(x, y, animate=False, force=True)

    # ------------------------------------------------------------ drawing

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"table-grid--{name}")

    def render_line(self, y: int) -> Strip:
        width, height = self._view
        base = self.rich_style
        if y == height - 1:
            return self._render_status(width)
        if y < self._head_h:
            label = self._render_corner(y)
            value = self._render_header(y)
        else:
            li = y - self._head_h + int(self.scroll_y)
            if li >= len(self._lines):
                return Strip.blank(width, base)
            line = self._lines[li]
            if line.kind == "title":
                return Strip([Segment(fit(" " + line.text, width), self._style("title"))], width)
            if line.kind == "head":
                label = self._render_label(" " + line.text if line.sub == 0 else "", "header")
                value = self._render_block_header(line)
            elif line.kind == "group":
                label = self._render_label(" " + INDENT * line.depth + line.text, "group")
                value = self._render_blank_row(line.block)
            else:
                gi = line.grid
                on_row = self._pos[self.cursor][0] == gi
                label = self._render_label(
                    " " + INDENT * line.depth + line.text, "cursor-label" if on_row else "label"
                )
                value = self._render_row(gi)
        sx = int(self.scroll_x)
        value = value.crop(sx, sx + max(0, width - self._label_w))
        return Strip.join([label, value]).adjust_cell_length(width, base)

    def _render_label(self, text: str, style: str) -> Strip:
        w = self._label_w
        if not w:
            return Strip([])
        return Strip([Segment(fit(text, w), self._style(style))], w)

    def _render_corner(self, y: int) -> Strip:
        w = self._label_w
        if not w:
            return Strip([])
        text = " " + self._corner[y] if y < len(self._corner) else ""
        return Strip([Segment(fit(text, w), self._style("corner"))], w)

    def _render_header(self, y: int) -> Strip:
        view_x0 = int(self.scroll_x)
        view_x1 = view_x0 + self._view.width - self._label_w
        head = self._style("header")
        hot = self._style("header-cursor")
        cursor_slot = self._pos[self.cursor][1]
        segments: list[Segment] = []
        for cell in self._head[y]:
            segments.append(Segment(SEP, head))
            if cell.group:
                # Centre the group's name on the visible part of its span, so it stays
                # readable when the table is scrolled sideways.
                text = f" {cell.text} " if cell.text else ""
                start = max(cell.x + 1, view_x0)
                end = min(cell.x + 1 + cell.width, view_x1)
                if end - start < cell_len(text):
                    start, end = cell.x + 1, cell.x + 1 + cell.width
                left = start - cell.x - 1
                right = cell.x + 1 + cell.width - end
                middle = fit(text, end - start, "center", "─")
                segments.append(Segment("─" * left + middle + "─" * right, head))
            else:
                style = hot if cell.slot == cursor_slot and cell.text else head
                segments.append(Segment(fit(cell.text, cell.width, "center"), style))
        segments.append(Segment(SEP, head))
        return Strip(segments).extend_cell_length(self._value_w, self.rich_style)

    def _render_block_header(self, line: _Line) -> Strip:
        head = self._style("header")
        hot = self._style("header-cursor")
        cw = self._cw
        block = self.table.blocks[line.block]
        cursor_block, cursor_slot = self._grid[self._pos[self.cursor][0]][0], self._pos[self.cursor][1]
        segments: list[Segment] = []
        for slot, c in enumerate(block.columns):
            leaf = wrap_cells(self.table.column_by_id[c].label, cw, MAX_LEAF_LINES)
            text = leaf[line.sub] if line.sub < len(leaf) else ""
            style = hot if (cursor_block, cursor_slot) == (line.block, slot) and text else head
            segments.append(Segment(SEP, head))
            segments.append(Segment(fit(text, cw, "center"), style))
        segments.append(Segment(SEP, head))
        return Strip(segments).extend_cell_length(self._value_w, self.rich_style)

    def _render_blank_row(self, block: int) -> Strip:
        sep = self._style("separator")
        base = self.rich_style
        blank = " " * self._cw
        segments: list[Segment] = []
        for _ in self.table.blocks[block].columns:
            segments.append(Segment(SEP, sep))
            segments.append(Segment(blank, base))
        segments.append(Segment(SEP, sep))
        return Strip(segments).extend_cell_length(self._value_w, base)

    def _render_row(self, gi: int) -> Strip:
        cw = self._cw
        sep = self._style("separator")
        plain = self._style("cell")
        derived = self._style("derived")
        error_bg = Style(bgcolor=self._style("error").bgcolor)
        warning_bg = Style(bgcolor=self._style("warning").bgcolor)
        cursor = self.cursor
        segments: list[Segment] = []
        for k in self._grid[gi][2]:
            style = derived if self._derived[k] else plain
            if k in self._errors:
                style = style + error_bg
            elif k in self._warnings:
                style = style + warning_bg
            if k == self._edit_key:
                text = self._edit_text
                room = cw - 1
                if cell_len(text) > room:
                    text = "…" + text[-(room - 1):]
                text = fit(text, room, "right") + "▏"
                style = style + self._style("editing")
            else:
                text = self._cell_text(self._values(k), cw)
                if k == cursor:
                    style = style + self._style("cursor")
            segments.append(Segment(SEP, sep))
            segments.append(Segment(text, style))
        segments.append(Segment(SEP, sep))
        return Strip(segments).extend_cell_length(self._value_w, self.rich_style)

    @staticmethod
    def _cell_text(value: object, cw: int) -> str:
        text = format_cell(value)  # type: ignore[arg-type]
        n = cell_len(text)
        if n <= cw - 1:
            return fit(text, cw - 1, "right") + " "
        if n <= cw:
            return fit(text, cw, "right")
        return "#" * cw  # too long for the column: the status line shows it in full

    def _render_status(self, width: int) -> Strip:
        if self._notice:
            return Strip([Segment(fit(" ✗ " + self._notice, width), self._style("refused"))], width)
        key = self.cursor
        row, col = self.table.row_by_id[key[1]], self.table.column_by_id[key[2]]
        short = f"{row.label} · {col.label}" if self.table.row_labels else col.label
        value = format_cell(self._values(key))  # type: ignore[arg-type]
        for desc in (self.describe(key), short):
            if self._edit_key == key:
                text = f"✎ {self._edit_text}  Enter 确认 · Esc 取消 · {desc}"
            else:
                text = f"{desc}(自动计算)" if self._derived[key] else desc
                if cell_len(value) > self._cw - 1:  # shown as ### in the cell
                    text = f"{value} · {text}"
            if cell_len(text) + 1 <= width:
                break
        return Strip([Segment(fit(" " + text, width), self._style("status"))], width)

    # ------------------------------------------------------------ editing

    def _post_change(self, key: Key, value: object, text: str) -> None:
        self.post_message(self.CellChanged(self, key, value, text))

    def _refuse(self, key: Key, text: str, reason: str) -> None:
        self._notice = reason
        self.post_message(self.InputRefused(self, key, text, reason))
        self.refresh()

    def _set_edit(self, key: Key | None, text: str = "") -> None:
        was = self._edit_key is not None
        self._edit_key = key
        self._edit_text = text if key is not None else ""
        if was != (key is not None):
            self.refresh_bindings()

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
        column = self.table.column_by_id[key[2]]
        s = unicodedata.normalize("NFKC", ch)
        editing = self._edit_key == key
        candidate = (self._edit_text if editing else "") + s
        try:
            value = parse_input(candidate, column)
        except ValueProblem as problem:
            if not self._pending_ok(candidate, column):
                reason = str(problem)
                if column.type == "count" and s == ".":
                    reason = INTEGER_REASON
                elif s not in "0123456789.,":  # say what is wrong with the key itself
                    try:
                        parse_input(s, column)
                    except ValueProblem as own:
                        reason = str(own)
                self._refuse(key, ch, reason)
                return False
            pending = True
            value = None
        else:
            pending = False
        if not editing:
            self._edit_old = self._values(key)
            self._edit_posted = self._edit_old
        self._notice = None
        self._set_edit(key, candidate)
        if not pending:
            self._edit_posted = value
            self._post_change(key, value, candidate)
        self.refresh()
        return True

    @staticmethod
    def _pending_ok(text: str, column: Column) -> bool:
        """Not a number yet, but could become one with more keys (1, → 1,234; . → .5)."""
        if _PARTIAL_THOUSANDS.fullmatch(text):
            return True
        return column.type == "amount" and text == "."

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
        order = self._enter_order[self.enter_direction]
        key = self.cursor
        if key in order:
            i = order.index(key) + 1
        else:  # a derived cell: the next input cell after it in that order
            full = self._reading if self.enter_direction == "right" else self._column_order()
            after = full[full.index(key) + 1 :]
            nxt = next((k for k in after if not self._derived[k]), None)
            i = order.index(nxt) if nxt else len(order)
        if i < len(order):
            self.cursor = order[i]
        else:
            self.refresh()

    def _column_order(self) -> list[Key]:
        t = self.table
        return [(t.id, r, c) for b in t.blocks for c in b.columns for r in b.rows]

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
        gi, slot = self._pos[self.cursor]
        if where in ("up", "down", "pageup", "pagedown"):
            step = {"up": -1, "down": 1, "pageup": -self._body_height, "pagedown": self._body_height}[where]
            gi = max(0, min(len(self._grid) - 1, gi + step))
            keys = self._grid[gi][2]
            target = keys[min(self._want_slot, len(keys) - 1)]
            want = self._want_slot
            self.cursor = target
            self._want_slot = want  # keep the column when passing through narrower blocks
        elif where in ("left", "right"):
            i = self._reading.index(self.cursor) + (1 if where == "right" else -1)
            if 0 <= i < len(self._reading):
                self.cursor = self._reading[i]
            self._want_slot = self._pos[self.cursor][1]
        elif where == "home":
            self.cursor = self._grid[gi][2][0]
            self._want_slot = 0
        elif where == "end":
            self.cursor = self._grid[gi][2][-1]
            self._want_slot = self._pos[self.cursor][1]
        elif where == "first":
            self.cursor = self._reading[0]
            self._want_slot = 0
        elif where == "last":
            self.cursor = self._reading[-1]
            self._want_slot = self._pos[self.cursor][1]
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset
        if y < self._head_h or y >= self._view.height - 1:
            return
        li = y - self._head_h + int(self.scroll_y)
        if li >= len(self._lines) or self._lines[li].kind != "row":
            return
        keys = self._grid[self._lines[li].grid][2]
        if x < self._label_w:
            slot = min(self._want_slot, len(keys) - 1)
        else:
            slot = (x - self._label_w + int(self.scroll_x)) // (self._cw + 1)
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
