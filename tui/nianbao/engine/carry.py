"""A new year's draft from last year's: what the template's [carry] declares is copied."""

from __future__ import annotations

from decimal import Decimal

from nianbao.engine.checks import computed_values
from nianbao.report.model import Template
from nianbao.store.draft import Draft, new_draft


def carry_forward(previous: Draft, template: Template, year: int | None = None) -> Draft:
    """A new year's draft from last year's: what the template's [carry] declares is copied."""
    draft = new_draft(template, year=year if year is not None else (previous.year + 1 if previous.year else None))
    for m in template.carry_meta:
        if previous.meta.get(m) not in (None, ""):
            draft.meta[m] = previous.meta[m]
    last = computed_values(previous)
    for source, target in template.carry_rows:
        st, _, sr = source.partition(".")
        tt, _, tr = target.partition(".")
        if st not in previous.template.tables or tt not in template.tables:
            continue
        for col in template.tables[tt].columns:
            if (tr, col.id) not in template.tables[tt].cell_set or template.tables[tt].is_derived(tr, col.id):
                continue
            value = last.get((st, sr, col.id))
            if isinstance(value, (int, Decimal)):
                draft.values[(tt, tr, col.id)] = value
    return draft
