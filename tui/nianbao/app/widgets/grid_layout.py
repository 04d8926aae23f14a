"""Where everything in a TableGrid goes: pure functions and dataclasses, no widget.

`GridStructure` is what does not depend on the widget's width: the cells in reading order,
each cell's grid position, which cells are derived, and where Enter or an arrow key takes
the cursor. `GridLayout` is what does: column widths, the pinned header (nested column groups
with spans, leaf labels wrapped to fit, the corner note), the body lines, and how far to
scroll to show a cell.

Layout, top to bottom:
  header lines (pinned)   nested column groups with spans, leaf labels wrapped to fit;
                          the table's corner note on the left
  body (scrolls)          one line per row, and a heading line where a row group begins;
                          a table drawn in blocks (表二) has a title line and its own column
                          header line(s) per block, inside the body
  status line (pinned)    the cursor cell's labels, a refusal or the edit (grid_paint)

Left to right: row labels (pinned, indented under their groups, truncated with …), then the
value columns (scroll sideways when they do not fit). Widths are terminal cells
(`rich.cells.cell_len`): CJK characters are two cells wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rich.cells import cell_len, get_character_cell_size

from nianbao.report.template import CellRef, Column, Table

Key = tuple[str, str, str]  # (table id, row id, column id)

LABEL_TARGET = 24  # the label column gets at least this much (or its natural width) first
MIN_COL = 6  # narrowest value column, in cells (one digit of padding on the right)
SCROLL_COL = 8  # value column width once the table has to scroll sideways anyway
MAX_COL = 24
MAX_LEAF_LINES = 3  # a column label wraps over at most this many header lines
SEP = "│"
INDENT = "  "
MIN_WIDTH = 20  # narrower widgets are laid out as if this wide


def as_key(ref: CellRef | tuple[str, str, str]) -> Key:
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
class Line:
    """One line of the scrolling body."""

    kind: str  # "row" | "group" | "title" | "head"
    text: str = ""
    depth: int = 0
    block: int = 0
    grid: int = -1  # for rows: index into GridStructure.grid
    sub: int = 0  # for block header lines: which line of the wrapped labels


@dataclass(frozen=True)
class HeadCell:
    """One cell of a pinned header line: a column group's span or a leaf label's line."""

    x: int  # offset in the value area
    width: int
    text: str
    group: bool
    slot: int  # first slot covered


# ---------------------------------------------------------------- width-independent


@dataclass
class GridStructure:
    """Everything about a table's grid that does not depend on the widget's width."""

    blocked: bool  # drawn in blocks, each with its own title and column header lines
    grid: list[tuple[int, str, tuple[Key, ...]]]  # grid rows: (block, row id, cells)
    pos: dict[Key, tuple[int, int]]  # cell -> (grid row, slot)
    reading: list[Key]  # all cells in reading order (row by row)
    derived: dict[Key, bool]
    enter_order: dict[str, list[Key]]  # "down" / "right": the input cells Enter walks
    slots: int  # value columns of the widest block
    down: list[Key] = field(default_factory=list)  # all cells column by column, block by block

    def next_input(self, key: Key, direction: str) -> Key | None:
        """The input cell Enter goes to from `key` ("down" or "right"); None after the last."""
        order = self.enter_order[direction]
        if key in order:
            i = order.index(key) + 1
        else:  # a derived cell: the next input cell after it in that order
            full = self.reading if direction == "right" else self.down
            after = full[full.index(key) + 1 :]
            nxt = next((k for k in after if not self.derived[k]), None)
            i = order.index(nxt) if nxt else len(order)
        return order[i] if i < len(order) else None

    def step(self, key: Key, where: str, want_slot: int, page: int) -> tuple[Key, int]:
        """Where an arrow (Home, End, PgUp …) key takes the cursor: (cell, column to keep).

        Up and down keep `want_slot`, so passing through a narrower block does not lose
        the column; every other move sets it to the new cell's column.
        """
        gi, _ = self.pos[key]
        if where in ("up", "down", "pageup", "pagedown"):
            delta = {"up": -1, "down": 1, "pageup": -page, "pagedown": page}[where]
            gi = max(0, min(len(self.grid) - 1, gi + delta))
            keys = self.grid[gi][2]
            return keys[min(want_slot, len(keys) - 1)], want_slot
        if where in ("left", "right"):
            i = self.reading.index(key) + (1 if where == "right" else -1)
            if 0 <= i < len(self.reading):
                key = self.reading[i]
        elif where == "home":
            key = self.grid[gi][2][0]
        elif where == "end":
            key = self.grid[gi][2][-1]
        elif where == "first":
            key = self.reading[0]
        elif where == "last":
            key = self.reading[-1]
        else:
            return key, want_slot
        return key, self.pos[key][1]


def build_structure(table: Table) -> GridStructure:
    t = table
    grid: list[tuple[int, str, tuple[Key, ...]]] = []
    pos: dict[Key, tuple[int, int]] = {}
    for bi, block in enumerate(t.blocks):
        for r in block.rows:
            keys = tuple((t.id, r, c) for c in block.columns)
            for slot, k in enumerate(keys):
                pos[k] = (len(grid), slot)
            grid.append((bi, r, keys))
    reading: list[Key] = [as_key(c) for c in t.cells]
    derived: dict[Key, bool] = {k: t.is_derived(k[1], k[2]) for k in reading}
    down = column_order(t)
    return GridStructure(
        blocked=len(t.blocks) > 1 or bool(t.blocks[0].title),
        grid=grid,
        pos=pos,
        reading=reading,
        derived=derived,
        enter_order={
            "down": [k for k in down if not derived[k]],
            "right": [k for k in reading if not derived[k]],
        },
        slots=max(len(b.columns) for b in t.blocks),
        down=down,
    )


def column_order(table: Table) -> list[Key]:
    """All cells column by column, block after block (the order Enter walks going down)."""
    t = table
    return [(t.id, r, c) for b in t.blocks for c in b.columns for r in b.rows]


# ---------------------------------------------------------------- width-dependent


@dataclass
class GridLayout:
    """Column widths, pinned header and body lines for one widget width."""

    width: int
    label_w: int  # the pinned row-label column
    cw: int  # every value column (without its separator)
    value_w: int  # all value columns with their separators
    head: list[list[HeadCell]]  # pinned header lines (tables drawn as one block)
    corner: list[str]  # the corner note, wrapped into the label column
    lines: list[Line]  # the scrolling body
    grid_line: list[int]  # grid row -> its body line
    reveal_from: list[int] = field(default_factory=list)  # grid row -> first line shown with it

    @property
    def head_h(self) -> int:
        return len(self.head)

    @property
    def virtual_width(self) -> int:
        return self.label_w + self.value_w

    @property
    def virtual_height(self) -> int:
        return self.head_h + len(self.lines) + 1  # + the status line

    def body_height(self, view_h: int) -> int:
        """Body lines visible in a view `view_h` lines high (pinned header and status excluded)."""
        return max(1, view_h - self.head_h - 1)

    def scroll_to_show(
        self, cell: tuple[int, int], scroll: tuple[int, int], view: tuple[int, int]
    ) -> tuple[int, int]:
        """The scroll offset (x, y) that shows `cell` (grid row, slot), moving as little as possible.

        A row is shown with the headings above it (its group's, its block's title) when they fit.
        """
        gi, slot = cell
        x, y = scroll
        view_w, view_h = view
        line = self.grid_line[gi]
        top = self.reveal_from[gi]
        body_h = self.body_height(view_h)
        if line - top < body_h and top < y:
            y = top
        elif line < y:
            y = line
        elif line >= y + body_h:
            y = line - body_h + 1
        room = max(1, view_w - self.label_w)
        x0 = slot * (self.cw + 1)
        x1 = x0 + self.cw + 2
        if x0 < x:
            x = x0
        elif x1 > x + room:
            x = x1 - room
        return x, y


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def label_width(table: Table, blocked: bool) -> int:
    """Natural width of the row-label column (0 when the table has no row labels)."""
    t = table
    if not t.row_labels:
        return 0
    nat = 0
    for block in t.blocks:
        if blocked:
            nat = max(nat, 1 + cell_len(block.row_header) + 1)
        prev: tuple[str, ...] = ()
        for r in block.rows:
            row = t.row_by_id[r]
            for level in range(_common_prefix(prev, row.group), len(row.group)):
                nat = max(nat, 1 + cell_len(INDENT * level + row.group[level]) + 1)
            nat = max(nat, 1 + cell_len(INDENT * len(row.group) + row.label) + 1)
            prev = row.group
    return nat


def column_widths(table: Table, slots: int, blocked: bool, width: int) -> tuple[int, int]:
    """(label column width, value column width) for a widget `width` cells wide."""
    label_nat = label_width(table, blocked)
    leaf_nat = max(cell_len(c.label) for c in table.columns)
    col_nat = max(MIN_COL, min(MAX_COL, leaf_nat))
    # Label first (up to LABEL_TARGET), then columns, then leftovers back to the label.
    label_w = min(label_nat, LABEL_TARGET)
    rest = width - label_w - 1  # the closing separator
    cw = max(MIN_COL, min(col_nat, rest // slots - 1))
    if label_w + slots * (cw + 1) + 1 > width:  # scrolls sideways anyway: keep labels legible
        cw = max(cw, min(col_nat, SCROLL_COL))
    else:
        label_w = min(label_nat, width - slots * (cw + 1) - 1)
    return label_w, cw


def build_header(cols: list[Column], cw: int) -> list[list[HeadCell]]:
    """Header lines for one block: group spans on top, leaf labels wrapped below them."""
    depth = max(len(c.group) for c in cols)
    leaves = [wrap_cells(c.label, cw, MAX_LEAF_LINES) for c in cols]
    height = max(len(c.group) + len(leaf) for c, leaf in zip(cols, leaves))
    height = max(height, depth + 1)
    head: list[list[HeadCell]] = []
    for level in range(height):
        cells: list[HeadCell] = []
        j = 0
        while j < len(cols):
            c = cols[j]
            if level < len(c.group):
                k = j
                while k < len(cols) and cols[k].group[: level + 1] == c.group[: level + 1]:
                    k += 1
                span = (k - j) * (cw + 1) - 1
                cells.append(HeadCell(j * (cw + 1), span, c.group[level], True, j))
                j = k
            else:
                li = level - len(c.group)
                text = leaves[j][li] if li < len(leaves[j]) else ""
                cells.append(HeadCell(j * (cw + 1), cw, text, False, j))
                j += 1
        head.append(cells)
    return head


def build_layout(table: Table, structure: GridStructure, width: int) -> GridLayout:
    """Column widths, header and body lines for a widget `width` cells wide."""
    t = table
    width = max(width, MIN_WIDTH)
    n = structure.slots
    label_w, cw = column_widths(t, n, structure.blocked, width)

    # Pinned header (tables drawn as one block).
    head: list[list[HeadCell]] = []
    corner: list[str] = []
    if not structure.blocked:
        cols = [t.column_by_id[c] for c in t.blocks[0].columns]
        head = build_header(cols, cw)
        if label_w and head:
            corner = wrap_cells(t.corner or "", label_w - 1, len(head), balanced=False)

    # Body.
    lines: list[Line] = []
    grid_line = [0] * len(structure.grid)
    reveal_from = [0] * len(structure.grid)  # headings shown with a row
    gi = 0
    for bi, block in enumerate(t.blocks):
        block_start = len(lines)
        if structure.blocked:
            if block.title:
                lines.append(Line("title", block.title, block=bi))
            cols = [t.column_by_id[c] for c in block.columns]
            depth = min(MAX_LEAF_LINES, max(len(wrap_cells(c.label, cw, MAX_LEAF_LINES)) for c in cols))
            for sub in range(depth):
                lines.append(Line("head", block.row_header, block=bi, sub=sub))
        prev: tuple[str, ...] = ()
        for ri, r in enumerate(block.rows):
            row = t.row_by_id[r]
            first = len(lines)
            for level in range(_common_prefix(prev, row.group), len(row.group)):
                lines.append(Line("group", row.group[level], depth=level, block=bi))
            grid_line[gi] = len(lines)
            reveal_from[gi] = block_start if ri == 0 else first
            lines.append(Line("row", row.label, depth=len(row.group), block=bi, grid=gi))
            prev = row.group
            gi += 1

    return GridLayout(
        width=width,
        label_w=label_w,
        cw=cw,
        value_w=n * (cw + 1) + 1,
        head=head,
        corner=corner,
        lines=lines,
        grid_line=grid_line,
        reveal_from=reveal_from,
    )


def describe(table: Table, key: Key) -> str:
    """Full labels of a cell: row groups › row · column groups › column."""
    _, r, c = key
    row, col = table.row_by_id[r], table.column_by_id[c]
    col_text = " › ".join((*col.group, col.label))
    if not table.row_labels:
        return col_text
    return f"{' › '.join((*row.group, row.label))} · {col_text}"
