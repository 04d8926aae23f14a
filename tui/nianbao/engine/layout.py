"""The report as a format-neutral document: what every writer (Markdown, HTML, DOCX) draws.

Everything comes from the template: the title and opening with metadata filled in, the
sections with their field labels and paragraphs, every table as a grid of cells with their
row and column spans, and the closing lines (联系方式, 发布日期...) declared in ``[[closing]]``.
Writers only decide how a heading, a paragraph or a merged cell looks; none of them knows
the report.

Table grids follow the official layout: the column header groups are merged cells above
their members, the row groups are merged cells left of theirs, and a table of several blocks
(表二) is one table whose block titles span its width, each block with its own header row.
A block with fewer columns than the widest one spreads its columns over the full width.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from nianbao.engine.checks import context_for
from nianbao.engine.figures import resolve
from nianbao.report.model import Block, Section, Table, Template
from nianbao.report.values import format_cell
from nianbao.store.draft import Draft

CellKey = tuple[str, str, str]

# kinds of grid cells
CORNER, GROUP, COLUMN, ROW_LABEL, BLOCK_TITLE, VALUE = "corner", "group", "column", "row", "block", "value"


@dataclass(frozen=True)
class GridCell:
    text: str
    kind: str  # CORNER | GROUP (a header over several columns) | COLUMN | ROW_LABEL | BLOCK_TITLE | VALUE
    row: int  # grid position of the top-left corner, 0-based, counted over the whole table
    col: int
    rowspan: int = 1
    colspan: int = 1
    key: CellKey | None = None  # for VALUE cells: which cell of the draft
    derived: bool = False  # a total computed from other cells


@dataclass
class TablePart:
    """A run of rows: "head" rows repeat on every page (thead), "body" rows hold a block."""

    kind: str  # "head" | "body"
    rows: list[list[GridCell]] = field(default_factory=list)


@dataclass
class TableLayout:
    table: Table
    caption: str  # the table's title when its section has several tables, else ""
    width: int  # grid columns
    label_width: int  # of which row-label columns on the left
    parts: list[TablePart]

    @property
    def rows(self) -> list[list[GridCell]]:
        return [row for part in self.parts for row in part.rows]

    @property
    def height(self) -> int:
        return sum(len(p.rows) for p in self.parts)

    @property
    def value_cells(self) -> list[GridCell]:
        return [c for row in self.rows for c in row if c.kind == VALUE]


@dataclass
class FieldText:
    label: str  # "" when the label would only repeat the section heading
    paragraphs: list[str]


@dataclass
class SectionLayout:
    section: Section
    heading: str
    fields: list[FieldText]
    tables: list[TableLayout]


@dataclass
class ClosingLine:
    text: str
    align: str  # "left" | "right"


@dataclass
class ReportLayout:
    template: Template
    title: str
    opening: list[str]
    sections: list[SectionLayout]
    closing: list[ClosingLine]
    values: dict[CellKey, str]  # every cell as shown (blank stays "")

    @property
    def tables(self) -> list[TableLayout]:
        return [t for s in self.sections for t in s.tables]


# ---------------------------------------------------------------- values as shown


def shown_values(draft: Draft) -> dict[CellKey, str]:
    """Every cell's text as the report shows it. A computed total whose inputs are not all
    filled is blank: a sum of unknowns is unknown, never a 0 (typed totals show as typed)."""
    template = draft.template
    ctx = context_for(draft)
    memo: dict[CellKey, object] = {}

    def value(key: CellKey) -> object:
        if key in memo:
            return memo[key]
        memo[key] = None  # a cycle reads as blank
        v: object = draft.values.get(key)
        if v is None and key in template.derived:
            formula = template.derived[key]
            table = template.tables[key[0]]
            ctx.touched = []
            try:
                formula(ctx, {"row": table.row_by_id[key[1]], "col": table.column_by_id[key[2]]})
                inputs = list(dict.fromkeys(ctx.touched))
                v = ctx.cell(key)
            except Exception:  # a broken formula shows blank; check reports it
                inputs, v = [], None
            if any(value(k) is None for k in inputs if k != key):
                v = None
        memo[key] = v
        return v

    return {(c.table, c.row, c.col): format_cell(value((c.table, c.row, c.col))) for c in template.all_cells}  # type: ignore[arg-type]


# ---------------------------------------------------------------- text


# Characters XML 1.0 cannot hold (C0 controls but tab/newline, DEL and C1, lone surrogates,
# U+FFFE/U+FFFF): a Word file with one of them does not open, and none belongs in a report.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """Text with the characters no document format can hold removed."""
    return _NOT_XML.sub("", text)


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)\}")


def meta_text(draft: Draft, name: str) -> str:
    """One metadata value as printed: one line; a date as 2025年1月20日."""
    v = draft.meta.get(name)
    if v is None:
        return ""
    if isinstance(v, dt.date):
        return f"{v.year}年{v.month}月{v.day}日"
    if name in draft.template.meta_by_id and draft.template.meta_by_id[name].type == "date":
        try:
            d = dt.date.fromisoformat(str(v))
            return f"{d.year}年{d.month}月{d.day}日"
        except ValueError:
            pass
    return " ".join(str(v).splitlines())  # an org name with a newline stays on its line


def fill(pattern: str, draft: Draft) -> tuple[str, bool]:
    """Put metadata into {id} placeholders ({{ and }} are braces). Returns the text and whether
    every placeholder had a value. Plain names only, so a template reaches no Python."""
    complete = True

    def sub(m: re.Match[str]) -> str:
        nonlocal complete
        if m.group(1) is None:
            return str(m.group())[0]
        text = meta_text(draft, m.group(1))
        complete = complete and bool(text.strip())
        return text

    return _PLACEHOLDER.sub(sub, pattern), complete


def lines(text: str) -> list[str]:
    """Each non-blank line is its own paragraph (clerks type one per line)."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def field_label_shown(section: Section) -> bool:
    # A lone field named like its section would only repeat the heading.
    if len(section.fields) != 1:
        return True
    label = section.fields[0].label.strip()
    return not (label and label in section.heading)


# ---------------------------------------------------------------- grids


def _spread(n: int, width: int) -> list[int]:
    """Spans of n columns filling `width` grid columns (the last ones take the remainder)."""
    base, extra = divmod(width, n)
    return [base + (1 if i >= n - extra else 0) for i in range(n)]


def _head_cells(paths: list[tuple[str, ...]], spans: list[int], depth: int, top: int, left: int) -> list[list[GridCell]]:
    """Column header rows: a group spans its adjacent members, a leaf reaches the last row."""
    rows: list[list[GridCell]] = [[] for _ in range(depth)]
    starts = [left + sum(spans[:i]) for i in range(len(spans))]
    for level in range(depth):
        i = 0
        while i < len(paths):
            path = paths[i]
            if len(path) <= level:
                i += 1
                continue
            if len(path) == level + 1:
                rows[level].append(GridCell(path[level], COLUMN, top + level, starts[i], depth - level, spans[i]))
                i += 1
                continue
            j = i + 1
            while j < len(paths) and len(paths[j]) > level + 1 and paths[j][: level + 1] == path[: level + 1]:
                j += 1
            rows[level].append(GridCell(path[level], GROUP, top + level, starts[i], 1, sum(spans[i:j])))
            i = j
    return rows


def _label_cells(paths: list[tuple[str, ...]], depth: int, top: int) -> list[list[GridCell]]:
    """Row label cells per row: a group label spans its adjacent rows, a leaf the rest."""
    out: list[list[GridCell]] = []
    for i, path in enumerate(paths):
        cells = []
        for level, text in enumerate(path):
            if level == len(path) - 1:
                cells.append(GridCell(text, ROW_LABEL, top + i, level, 1, depth - level))
                continue
            prefix = path[: level + 1]
            if i > 0 and len(paths[i - 1]) > level + 1 and paths[i - 1][: level + 1] == prefix:
                continue  # spanned from above
            j = i + 1
            while j < len(paths) and len(paths[j]) > level + 1 and paths[j][: level + 1] == prefix:
                j += 1
            cells.append(GridCell(text, ROW_LABEL, top + i, level, j - i, 1))
        out.append(cells)
    return out


def _path(group: Sequence[str], label: str) -> tuple[str, ...]:
    return (*group, label)


def _block_rows(table: Table, block: Block, values: dict[CellKey, str], top: int,
                label_width: int, value_width: int) -> tuple[list[list[GridCell]], int]:
    """The header rows and the data rows of one block; returns (rows, header row count)."""
    columns = [table.column_by_id[c] for c in block.columns]
    rows = [table.row_by_id[r] for r in block.rows]
    spans = _spread(len(columns), value_width)
    col_paths = [_path(c.group, c.label) for c in columns]
    depth = max(len(p) for p in col_paths)
    head = _head_cells(col_paths, spans, depth, top, label_width)
    if label_width:
        corner = block.row_header or table.corner
        head[0].insert(0, GridCell(corner, CORNER, top, 0, depth, label_width))
    body_top = top + depth
    labels = _label_cells([_path(r.group, r.label) for r in rows], label_width, body_top) if label_width else [[] for _ in rows]
    body = []
    for i, (row, cells) in enumerate(zip(rows, labels)):
        line = list(cells)
        col = label_width
        for column, span in zip(columns, spans):
            key = (table.id, row.id, column.id)
            line.append(GridCell(values.get(key, ""), VALUE, body_top + i, col, 1, span, key,
                                 table.is_derived(row.id, column.id)))
            col += span
        body.append(line)
    return head + body, depth


def block_grid(table: Table, block: Block, values: dict[CellKey, str]) -> tuple[list[list[GridCell]], int]:
    """One block on its own (as Markdown's HTML tables draw it): (rows, header row count)."""
    label_width = max(len(table.row_by_id[r].group) + 1 for r in block.rows) if table.row_labels and block.rows else 0
    return _block_rows(table, block, values, 0, label_width, len(block.columns))


def table_layout(table: Table, values: dict[CellKey, str], caption: str = "") -> TableLayout:
    """The table as one grid: a head part for a one-block table, a body part per block else."""
    value_width = max(len(b.columns) for b in table.blocks)
    label_width = 0
    if table.row_labels:
        label_width = max(len(table.row_by_id[r].group) + 1 for b in table.blocks for r in b.rows)
    width = label_width + value_width
    parts: list[TablePart] = []
    top = 0
    single = len(table.blocks) == 1
    for block in table.blocks:
        lines: list[list[GridCell]] = []
        if block.title.strip():
            lines.append([GridCell(block.title, BLOCK_TITLE, top, 0, 1, width)])
            top += 1
        rows, depth = _block_rows(table, block, values, top, label_width, value_width)
        top += len(rows)
        head_count = len(lines) + depth
        lines += rows
        if single:
            parts.append(TablePart("head", lines[:head_count]))
            parts.append(TablePart("body", lines[head_count:]))
        else:
            parts.append(TablePart("body", lines))
    return TableLayout(table, caption, width, label_width, parts)


# ---------------------------------------------------------------- the document


def report_layout(draft: Draft) -> ReportLayout:
    template = draft.template
    values = shown_values(draft)
    sections = []
    for section in template.sections:
        labelled = field_label_shown(section)
        fields = [FieldText(f.label if labelled else "", lines(resolve(draft.texts.get(f.key, ""), template, values.get)))
                  for f in section.fields]  # bound figures show their cell's current value
        titled = len(section.tables) > 1
        tables = [table_layout(template.tables[tid], values, template.tables[tid].title if titled else "")
                  for tid in section.tables]
        sections.append(SectionLayout(section, section.heading, fields, tables))
    closing = []
    for line in template.closing:
        text, complete = fill(line.text, draft)
        if complete and text.strip():
            closing.append(ClosingLine(" ".join(text.split()), line.align))
    return ReportLayout(
        template=template,
        title=" ".join(fill(template.title, draft)[0].split()),
        opening=lines(fill(template.opening, draft)[0]),
        sections=sections,
        closing=closing,
        values=values,
    )


def value_order(layout: ReportLayout) -> list[CellKey]:
    """Every value cell in reading order: the order the writers put them in the document."""
    return [c.key for t in layout.tables for c in t.value_cells if c.key is not None]
