"""The report model: what a template declares, as plain dataclasses.

No loading and no rules here; `nianbao.report.template` builds these from TOML and `nianbao.report.expr` compiles
the rules against them. Both import this module, never each other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nianbao.report.expr.compiler import CompiledRule

META_SECTION = "meta"


@dataclass(frozen=True)
class MetaField:
    id: str
    label: str
    type: str  # text | choice | year | date
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class NarrativeField:
    id: str
    section_id: str
    label: str
    guidance: str = ""
    required: bool = False
    min_chars: int = 0

    @property
    def key(self) -> str:
        """Key of this field in a draft's [text] table, e.g. ``s1.active``."""
        return f"{self.section_id}.{self.id}"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    index: int
    group: tuple[str, ...] = ()
    type: str = "count"  # count | amount
    places: int = 0
    unit: str = "件"
    formula: str | None = None

    @property
    def derived(self) -> bool:
        return self.formula is not None

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Row:
    id: str
    label: str
    index: int
    group: tuple[str, ...] = ()
    short: str = ""
    help: str = ""
    formula: str | None = None

    @property
    def derived(self) -> bool:
        return self.formula is not None

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Block:
    """A rectangle of a table drawn with its own header (table 二 has four)."""

    title: str
    row_header: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class CellRef:
    table: str
    row: str
    col: str

    def __str__(self) -> str:
        return f"{self.table}.{self.row}.{self.col}"


@dataclass
class Table:
    id: str
    section_id: str
    title: str
    columns: list[Column]
    rows: list[Row]
    blocks: list[Block]
    corner: str = ""
    row_labels: bool = True
    number: str = ""  # the section's number (二, 三…), set when the template is loaded

    @cached_property
    def column_by_id(self) -> dict[str, Column]:
        return {c.id: c for c in self.columns}

    @cached_property
    def row_by_id(self) -> dict[str, Row]:
        return {r.id: r for r in self.rows}

    @cached_property
    def cells(self) -> list[CellRef]:
        """Every cell of the table, in reading order (block by block, row by row)."""
        out: list[CellRef] = []
        for block in self.blocks:
            for r in block.rows:
                for c in block.columns:
                    out.append(CellRef(self.id, r, c))
        return out

    @cached_property
    def cell_set(self) -> frozenset[tuple[str, str]]:
        return frozenset((c.row, c.col) for c in self.cells)

    def is_derived(self, row: str, col: str) -> bool:
        return self.row_by_id[row].derived or self.column_by_id[col].derived

    @cached_property
    def input_cells(self) -> list[CellRef]:
        return [c for c in self.cells if not self.is_derived(c.row, c.col)]

    def column_parts(self, col: Column) -> list[Column]:
        """The non-derived columns sharing a derived column's header group."""
        return [c for c in self.columns if c.group == col.group and not c.derived]

    def cell_label(self, row: str, col: str) -> str:
        r, c = self.row_by_id[row], self.column_by_id[col]
        parts = [*c.group[-1:], c.label]
        if self.row_labels:
            return f"“{r.label}”行“{'/'.join(parts)}”"
        return f"“{'/'.join(parts)}”"

    def __str__(self) -> str:
        return f"表{self.number}" if self.number else f"表“{self.title}”"


@dataclass
class Section:
    id: str
    heading: str
    nav: str
    fields: list[NarrativeField]
    tables: list[str]

    @property
    def number(self) -> str:
        return self.heading.split("、", 1)[0]

    def __str__(self) -> str:
        return self.heading


@dataclass
class Rule:
    id: str
    severity: str  # error | warning
    section: str  # a section id, "meta" or "auto"
    title: str
    check: str
    message: str
    when: str | None = None
    needs_previous: bool = False
    # other plausible scopes of a stated figure: (label, "value" | "test", expression)
    scopes: tuple[tuple[str, str, str], ...] = ()
    compiled: CompiledRule | None = field(default=None, repr=False, compare=False)  # set by compile_template


@dataclass(frozen=True)
class ClosingLine:
    """A line printed after the last section (联系方式, 机关名称, 发布日期), with {meta} placeholders;
    left out when one of its placeholders is blank."""

    text: str
    align: str = "left"  # left | right


@dataclass
class Template:
    id: str
    version: int
    name: str
    basis: str
    title: str
    opening: str
    meta: list[MetaField]
    sections: list[Section]
    tables: dict[str, Table]
    rules: list[Rule]
    path: str = ""
    migrations: list[dict[str, Any]] = field(default_factory=list)
    formulas: dict[tuple[str, str, str], Any] = field(default_factory=dict, repr=False)  # compiled by nianbao.report.expr
    derived: dict[tuple[str, str, str], Any] = field(default_factory=dict, repr=False)  # (table, row, col) -> its formula
    carry_meta: tuple[str, ...] = ()  # metadata a new year's draft copies from last year's
    carry_rows: tuple[tuple[str, str], ...] = ()  # ("t3.next_year", "t3.carried"): source -> target row
    closing: tuple[ClosingLine, ...] = ()  # lines after the last section, see schema/README.md

    @cached_property
    def section_by_id(self) -> dict[str, Section]:
        return {s.id: s for s in self.sections}

    @cached_property
    def meta_by_id(self) -> dict[str, MetaField]:
        return {m.id: m for m in self.meta}

    @cached_property
    def fields(self) -> list[NarrativeField]:
        return [f for s in self.sections for f in s.fields]

    @cached_property
    def field_by_key(self) -> dict[str, NarrativeField]:
        return {f.key: f for f in self.fields}

    @cached_property
    def all_cells(self) -> list[CellRef]:
        return [c for t in self.tables.values() for c in t.cells]

    @cached_property
    def input_cells(self) -> list[CellRef]:
        return [c for t in self.tables.values() for c in t.input_cells]

    def column(self, ref: CellRef) -> Column:
        return self.tables[ref.table].column_by_id[ref.col]

    def describe_cell(self, ref: CellRef) -> str:
        table = self.tables[ref.table]
        return f"{table}{table.cell_label(ref.row, ref.col)}"
