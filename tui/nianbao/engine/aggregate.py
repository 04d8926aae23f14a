"""Adding up many agencies' reports (a supervisor's 汇总): one draft with every input summed.

Only inputs are summed; totals are then computed as in any draft, so the sum checks like a
single report. Drafts of different templates or years are refused; blank cells are counted
and reported, never silently taken as known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from nianbao.store.draft import Draft, DraftError, new_draft


@dataclass
class Total:
    draft: Draft
    blanks: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)  # cell -> sources blank there
    # Totals typed into a source (an imported report) are not carried: the sum's totals are
    # computed. Each one is listed, so a printed total that disagreed is never dropped silently.
    not_carried: list[tuple[str, tuple[str, str, str], int | Decimal]] = field(default_factory=list)


def add_up(drafts: list[tuple[str, Draft]], org_name: str = "", org_type: str = "") -> Total:
    """Sum the input cells of (name, draft) pairs of one template and one year."""
    if not drafts:
        raise DraftError("没有要汇总的草稿")
    template = drafts[0][1].template
    years = {d.year for _, d in drafts}
    for name, d in drafts:
        if d.template.id != template.id:
            raise DraftError(f"{name}:模板是 {d.template.id},与其他草稿({template.id})不同,不能汇总")
    seen: dict[tuple[str, object], str] = {}
    for name, d in drafts:
        agency = (d.org_name.strip(), d.year)
        if agency[0] and agency in seen:
            raise DraftError(f"{name} 与 {seen[agency]} 是同一机关同一年度({agency[0]} {d.year or ''}年)的报告,不能重复汇总")
        seen[agency] = name
    if len(years) > 1:
        listed = "、".join(str(y) for y in sorted(years, key=lambda y: (y is None, y)))
        raise DraftError(f"这些草稿的年度不同({listed}),不能汇总")
    total = new_draft(template, org_name, years.pop(), org_type)
    blanks: dict[tuple[str, str, str], list[str]] = {}
    for ref in template.input_cells:
        key = (ref.table, ref.row, ref.col)
        values = []
        for name, d in drafts:
            v = d.values.get(key)
            if v is None:
                blanks.setdefault(key, []).append(name)
            else:
                values.append(v)
        if values:
            total.values[key] = sum(values)
    inputs = {(c.table, c.row, c.col) for c in template.input_cells}
    not_carried = [(name, key, v) for name, d in drafts for key, v in d.values.items() if key not in inputs]
    return Total(total, blanks, not_carried)
