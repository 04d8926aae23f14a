"""Bound figures: a number in the narrative that is a cell of the tables, not a copy of it.

The draft stores a bound figure as a placeholder naming the cell, ``{{t3.new.total}}`` (table,
row and column ids, as in the template), so the TOML stays readable and the figure follows the
table. The screen and the export show the cell's current value; the checks see the value
between two private-use marks (see `prose.BOUND_OPEN`) so no text rule ever reads a bound
figure as a stated number, while breakdowns still add it up.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nianbao.report.expr.compiler import Context
from nianbao.report.expr.functions import format_number
from nianbao.report.expr.prose import BOUND_CLOSE, BOUND_OPEN
from nianbao.report.model import CellRef, Template

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w{0,63})\.([A-Za-z_]\w{0,63})\.([A-Za-z_]\w{0,63})\s*\}\}")
UNKNOWN = "〔未知单元格 {ref}〕"


def placeholder(ref: CellRef) -> str:
    """The text a bound figure is stored as."""
    return f"{{{{{ref.table}.{ref.row}.{ref.col}}}}}"


def bound_cells(text: str, template: Template) -> list[CellRef]:
    """The cells the text's bound figures name (unknown cells left out)."""
    out = []
    for m in PLACEHOLDER.finditer(text or ""):
        t, r, c = m.groups()
        if t in template.tables and (r, c) in template.tables[t].cell_set:
            out.append(CellRef(t, r, c))
    return out


def _shown(value: object) -> str:
    if value is None:
        return "空"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float) or hasattr(value, "as_tuple"):
        return format_number(value)
    return str(value)


def resolve(text: str, template: Template, cell: Callable[[tuple[str, str, str]], object], marks: bool = False) -> str:
    """The text with every bound figure replaced by its cell's current value.

    `cell` reads a value by (table, row, col) key; with `marks` the value is wrapped in the
    private-use marks the checks expect.
    """
    if not text or "{{" not in text:
        return text

    def value(m: re.Match[str]) -> str:
        t, r, c = m.groups()
        if t not in template.tables or (r, c) not in template.tables[t].cell_set:
            return UNKNOWN.format(ref=f"{t}.{r}.{c}")
        shown = _shown(cell((t, r, c)))
        return f"{BOUND_OPEN}{shown}{BOUND_CLOSE}" if marks else shown

    return PLACEHOLDER.sub(value, text)


def texts_for_checks(texts: dict[str, str], ctx: Context) -> dict[str, str]:
    """The draft's texts as the rules read them: bound figures as marked current values."""
    if not any(t and "{{" in t for t in texts.values()):
        return texts
    return {k: resolve(v, ctx.template, ctx.cell, marks=True) if v else v for k, v in texts.items()}


def shown_text(text: str, template: Template, values: dict[tuple[str, str, str], object]) -> str:
    """A field's text as the screen and the export show it (values from `computed_values`)."""
    return resolve(text, template, values.get)
