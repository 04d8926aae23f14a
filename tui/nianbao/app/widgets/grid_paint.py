"""Drawing a TableGrid's lines: Strips from the layout, the cursor and edit state, and values.

No widget here: the grid hands `GridPainter.line` a `GridState` (cursor, edit in progress,
marks, scroll offset, view size) and the painter returns the Strip for one line of the view.
Styles come from the widget's component classes through a lookup by short name
("header", "cursor", …), so the theme stays in CSS: `GRID_CSS` and the component classes at
the end of this module are the grid widget's DEFAULT_CSS and COMPONENT_CLASSES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from nianbao.app.widgets.grid_layout import (
    INDENT,
    MAX_LEAF_LINES,
    SEP,
    GridLayout,
    GridStructure,
    HeadCell,
    Key,
    Line,
    describe,
    fit,
    wrap_cells,
)
from nianbao.report.template import Table
from nianbao.report.values import format_cell


@dataclass(frozen=True, slots=True)
class GridState:
    """What the lines are drawn with besides the table itself."""

    cursor: Key
    edit_key: Key | None  # the cell being edited, if any
    edit_text: str
    errors: frozenset[Key]
    warnings: frozenset[Key]
    notice: str | None  # why the last key was refused
    scroll_x: int
    scroll_y: int
    width: int  # of the view (scrollbars excluded)
    height: int


def cell_text(value: object, cw: int) -> str:
    """A value right-aligned in a column `cw` wide, one cell of padding; ### if it does not fit."""
    text = format_cell(value)  # type: ignore[arg-type]
    n = cell_len(text)
    if n <= cw - 1:
        return fit(text, cw - 1, "right") + " "
    if n <= cw:
        return fit(text, cw, "right")
    return "#" * cw  # too long for the column: the status line shows it in full


class GridPainter:
    """Draws one table's lines; `layout` is replaced whenever the widget's width changes."""

    def __init__(
        self,
        table: Table,
        structure: GridStructure,
        layout: GridLayout,
        values: Callable[[Key], object],
        style: Callable[[str], Style],
    ) -> None:
        self.table = table
        self.structure = structure
        self.layout = layout
        self.values = values
        self.style = style  # component style by short name: "header" → table-grid--header

    def line(self, y: int, state: GridState, base: Style) -> Strip:
        """Line `y` of the view: pinned header, body line, or the status line (the last)."""
        lay = self.layout
        width = state.width
        if y == state.height - 1:
            return self.status(state)
        if y < lay.head_h:
            label = self.corner(y)
            value = self.header(y, state, base)
        else:
            li = y - lay.head_h + state.scroll_y
            if li >= len(lay.lines):
                return Strip.blank(width, base)
            line = lay.lines[li]
            if line.kind == "title":
                return Strip([Segment(fit(" " + line.text, width), self.style("title"))], width)
            if line.kind == "head":
                label = self.label(" " + line.text if line.sub == 0 else "", "header")
                value = self.block_header(line, state, base)
            elif line.kind == "group":
                label = self.label(" " + INDENT * line.depth + line.text, "group")
                value = self.blank_row(line.block, base)
            else:
                gi = line.grid
                on_row = self.structure.pos[state.cursor][0] == gi
                text = " " + INDENT * line.depth + line.text
                label = self.label(text, "cursor-label" if on_row else "label")
                value = self.row(gi, state, base)
        sx = state.scroll_x
        value = value.crop(sx, sx + max(0, width - lay.label_w))
        return Strip.join([label, value]).adjust_cell_length(width, base)

    # ------------------------------------------------------------ the label column

    def label(self, text: str, style: str) -> Strip:
        w = self.layout.label_w
        if not w:
            return Strip([])
        return Strip([Segment(fit(text, w), self.style(style))], w)

    def corner(self, y: int) -> Strip:
        w = self.layout.label_w
        if not w:
            return Strip([])
        corner = self.layout.corner
        text = " " + corner[y] if y < len(corner) else ""
        return Strip([Segment(fit(text, w), self.style("corner"))], w)

    # ------------------------------------------------------------ the value columns

    def header(self, y: int, state: GridState, base: Style) -> Strip:
        lay = self.layout
        view_x0 = state.scroll_x
        view_x1 = view_x0 + state.width - lay.label_w
        head = self.style("header")
        hot = self.style("header-cursor")
        cursor_slot = self.structure.pos[state.cursor][1]
        segments: list[Segment] = []
        cell: HeadCell
        for cell in lay.head[y]:
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
        return Strip(segments).extend_cell_length(lay.value_w, base)

    def block_header(self, line: Line, state: GridState, base: Style) -> Strip:
        head = self.style("header")
        hot = self.style("header-cursor")
        cw = self.layout.cw
        block = self.table.blocks[line.block]
        gi, cursor_slot = self.structure.pos[state.cursor]
        cursor_block = self.structure.grid[gi][0]
        segments: list[Segment] = []
        for slot, c in enumerate(block.columns):
            leaf = wrap_cells(self.table.column_by_id[c].label, cw, MAX_LEAF_LINES)
            text = leaf[line.sub] if line.sub < len(leaf) else ""
            style = hot if (cursor_block, cursor_slot) == (line.block, slot) and text else head
            segments.append(Segment(SEP, head))
            segments.append(Segment(fit(text, cw, "center"), style))
        segments.append(Segment(SEP, head))
        return Strip(segments).extend_cell_length(self.layout.value_w, base)

    def blank_row(self, block: int, base: Style) -> Strip:
        sep = self.style("separator")
        blank = " " * self.layout.cw
        segments: list[Segment] = []
        for _ in self.table.blocks[block].columns:
            segments.append(Segment(SEP, sep))
            segments.append(Segment(blank, base))
        segments.append(Segment(SEP, sep))
        return Strip(segments).extend_cell_length(self.layout.value_w, base)

    def row(self, gi: int, state: GridState, base: Style) -> Strip:
        cw = self.layout.cw
        style_of = self.style
        sep = style_of("separator")
        plain = style_of("cell")
        derived = style_of("derived")
        error_bg = Style(bgcolor=style_of("error").bgcolor)
        warning_bg = Style(bgcolor=style_of("warning").bgcolor)
        is_derived = self.structure.derived
        segments: list[Segment] = []
        for k in self.structure.grid[gi][2]:
            style = derived if is_derived[k] else plain
            if k in state.errors:
                style = style + error_bg
            elif k in state.warnings:
                style = style + warning_bg
            if k == state.edit_key:
                text = state.edit_text
                room = cw - 1
                if cell_len(text) > room:
                    text = "…" + text[-(room - 1):]
                text = fit(text, room, "right") + "▏"
                style = style + style_of("editing")
            else:
                text = cell_text(self.values(k), cw)
                if k == state.cursor:
                    style = style + style_of("cursor")
            segments.append(Segment(SEP, sep))
            segments.append(Segment(text, style))
        segments.append(Segment(SEP, sep))
        return Strip(segments).extend_cell_length(self.layout.value_w, base)

    # ------------------------------------------------------------ the status line

    def status(self, state: GridState) -> Strip:
        width = state.width
        if state.notice:
            return Strip([Segment(fit(" ✗ " + state.notice, width), self.style("refused"))], width)
        key = state.cursor
        table = self.table
        row, col = table.row_by_id[key[1]], table.column_by_id[key[2]]
        short = f"{row.label} · {col.label}" if table.row_labels else col.label
        value = format_cell(self.values(key))  # type: ignore[arg-type]
        for desc in (describe(table, key), short):
            if state.edit_key == key:
                text = f"✎ {state.edit_text}  Enter 确认 · Esc 取消 · {desc}"
            else:
                text = f"{desc}(自动计算)" if self.structure.derived[key] else desc
                if cell_len(value) > self.layout.cw - 1:  # shown as ### in the cell
                    text = f"{value} · {text}"
            if cell_len(text) + 1 <= width:
                break
        return Strip([Segment(fit(" " + text, width), self.style("status"))], width)


# The grid's look: theme variables only, one component class per kind of cell.
GRID_CSS = """
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

GRID_COMPONENT_CLASSES = {
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
