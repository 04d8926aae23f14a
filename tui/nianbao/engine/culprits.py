"""Which cell is probably wrong: culprit hints for a failing sum or 勾稽 rule.

Called on each failing finding that has a numeric difference. Every hint is verified, not
guessed: the rule's binding is run again with the suspected slip undone, and only a change that
makes it pass is named. Kinds, most likely first (see `Culprit`):

- last_edit: the cell the clerk changed last is among the rule's cells and undoing the difference
  there repairs the rule;
- swap: the difference is divisible by 9 and swapping two adjacent digits of one cell repairs it;
- split: two adjacent cells hold single digits whose merge (12 typed as 1 and 2) repairs it;
- offset: another binding of the same rule fails by the opposite difference (自然人 +3,
  商业企业 −3 while 总计 balances), and moving the difference between the two cells of one row
  (or column) repairs both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nianbao.report.expr.compiler import Context
from nianbao.report.expr.runtime import truthy
from nianbao.report.model import CellRef, Template

if TYPE_CHECKING:
    from nianbao.engine.checks import Culprit, Finding

Key = tuple[str, str, str]
MAX_TRIALS = 600  # re-runs of one binding per finding: bounded, whatever the table
MAX_CULPRITS = 5

_ROW_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+\.)")
_TRAILING_NOTE = re.compile(r"\([^()]*\)$")


def cell_name(template: Template, key: Key) -> str:
    """A short name for a hint: "自然人/重复申请", "行政复议/结果纠正"."""
    table = template.tables[key[0]]
    col = table.column_by_id[key[2]]
    if not table.row_labels:
        return "/".join([*col.group[:1], col.label])
    row = table.row_by_id[key[1]].label
    row = _TRAILING_NOTE.sub("", _ROW_NUMBERING.sub("", row)) or row
    return f"{col.label}/{row}"


class _Trial:
    """Re-runs one binding of a rule on changed values, at most MAX_TRIALS times."""

    def __init__(self, rule: Any, env: dict[str, Any], ctx: Context):
        self.compiled = rule.compiled
        self.env = env
        self.ctx = ctx
        self.left = MAX_TRIALS

    def passes(self, changes: Mapping[Key, object], env: dict[str, Any] | None = None) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        values = dict(self.ctx.values)
        values.update(changes)
        c = Context(self.ctx.template, values, self.ctx.meta, self.ctx.texts, self.ctx.prev)
        try:
            return truthy(self.compiled.body(c, self.env if env is None else env))
        except Exception:  # a trial that cannot be computed proves nothing
            return False


def _inputs(ctx: Context, keys: list[Key]) -> list[Key]:
    """The cells a clerk typed behind `keys`: inputs and typed totals; computed totals expanded."""
    out: dict[Key, None] = {}
    template = ctx.template
    todo = list(keys)
    seen: set[Key] = set()
    while todo:
        key = todo.pop(0)
        if key in seen:
            continue
        seen.add(key)
        if key in ctx.values or key not in template.derived:
            out[key] = None
            continue
        table = template.tables[key[0]]
        probe = Context(template, ctx.values, ctx.meta, ctx.texts, ctx.prev)
        try:
            template.derived[key](probe, {"row": table.row_by_id[key[1]], "col": table.column_by_id[key[2]]})
        except Exception:
            continue
        todo.extend(probe.touched)
    return list(out)


def _int(v: object) -> int | None:
    if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
        return None
    if isinstance(v, Decimal) and v != v.to_integral_value():
        return None
    return int(v)


def _swaps(v: int) -> list[int]:
    s = str(v)
    out = []
    for i in range(len(s) - 1):
        if s[i] != s[i + 1]:
            out.append(int(s[:i] + s[i + 1] + s[i] + s[i + 2 :]))
    return out


def _neighbours(template: Template, key: Key) -> list[Key]:
    """The next cell to the right and the next one down (in template order)."""
    table = template.tables[key[0]]
    rows = [r.id for r in table.rows]
    cols = [c.id for c in table.columns]
    out = []
    ci, ri = cols.index(key[2]), rows.index(key[1])
    if ci + 1 < len(cols) and (key[1], cols[ci + 1]) in table.cell_set:
        out.append((key[0], key[1], cols[ci + 1]))
    if ri + 1 < len(rows) and (rows[ri + 1], key[2]) in table.cell_set:
        out.append((key[0], rows[ri + 1], key[2]))
    return out


def _sibling_failures(rule: Any, env: dict[str, Any], ctx: Context, diff: int) -> list[tuple[dict[str, Any], list[Key]]]:
    """Other bindings of the rule failing by exactly −diff, with their cells."""
    compiled = rule.compiled
    if not compiled.bindings or compiled.lhs is None:
        return []
    probe = Context(ctx.template, ctx.values, ctx.meta, ctx.texts, ctx.prev)
    envs: list[dict[str, Any]] = [{}]
    try:
        for name, dom in compiled.bindings:
            nxt: list[dict[str, Any]] = []
            for e in envs:
                values = dom(probe, e)
                nxt.extend({**e, name: v} for v in (values if isinstance(values, (list, tuple)) else [values]))
            envs = nxt
    except Exception:
        return []
    out = []
    for e in envs[:200]:
        if e == env:
            continue
        probe.touched = []
        try:
            d = _int(compiled.lhs(probe, e)) , _int(compiled.rhs(probe, e))
        except Exception:
            continue
        if d[0] is None and d[1] is None:
            continue
        if (d[0] or 0) - (d[1] or 0) == -diff:
            out.append((e, list(dict.fromkeys(probe.touched))))
    return out


def culprits_for(rule: Any, env: dict[str, Any], ctx: Context, finding: Finding, last_changed: CellRef | None = None) -> tuple[Culprit, ...]:
    """The likely slips behind one failing finding, most likely first; () when none is verified."""
    from nianbao.engine.checks import Culprit

    diff = _int(finding.diff)
    if not diff or rule.compiled.lhs is None:
        return ()
    template = ctx.template
    keys = _inputs(ctx, [(c.table, c.row, c.col) for c in finding.cells])
    if not keys:
        return ()
    trial = _Trial(rule, env, ctx)
    value = {k: _int(ctx.values.get(k)) for k in keys}
    d = abs(diff)
    out: list[Culprit] = []

    def add(key: Key, kind: str, reason: str) -> None:
        if len(out) < MAX_CULPRITS and all(c.cell != CellRef(*key) or c.kind != kind for c in out):
            out.append(Culprit(CellRef(*key), kind, reason))

    def more_or_less(key: Key) -> str | None:
        v = value.get(key)
        if v is None:
            return None
        for new in (v - d, v + d):
            if new >= 0 and trial.passes({key: new}):
                return f"多填了 {d}" if new < v else f"少填了 {d}"
        return None

    if last_changed is not None:
        last = (last_changed.table, last_changed.row, last_changed.col)
        if last in value and (how := more_or_less(last)) is not None:
            add(last, "last_edit", f"可能是刚修改的 {cell_name(template, last)} {how}")

    if d % 9 == 0:
        for key in keys:
            v = value[key]
            if v is None or v < 10:
                continue
            for new in _swaps(v):
                if abs(new - v) == d and trial.passes({key: new}):
                    add(key, "swap", f"可能是 {cell_name(template, key)} 的数字颠倒了:填的是 {v},应为 {new}")

    key_set = set(keys)
    for key in keys:
        a = value[key]
        if a is None or not 0 <= a <= 9:
            continue
        for other in _neighbours(template, key):
            b = value.get(other) if other in key_set else None
            if b is None or not 0 <= b <= 9 or (a == 0 and b == 0):
                continue
            merged = a * 10 + b
            for into, empty in ((key, other), (other, key)):
                if trial.passes({into: merged, empty: 0}):
                    add(into, "split", f"可能是 {cell_name(template, key)} 和 {cell_name(template, other)} 本是一个数 {merged},被分填在两格")
                    break

    exact: list[tuple[Key, str]] = []
    loose: list[tuple[Key, str]] = []
    for other_env, other_cells in _sibling_failures(rule, env, ctx, diff):
        other_keys = _inputs(ctx, other_cells)
        for key in keys:
            for k2 in other_keys:
                if k2 == key or k2[0] != key[0] or (k2[1] != key[1] and k2[2] != key[2]):
                    continue  # only within one row or one column of a table
                v, w = value.get(key), _int(ctx.values.get(k2))
                if v is None or w is None:
                    continue
                for delta in (-d, d):
                    if v + delta < 0 or w - delta < 0:
                        continue
                    change = {key: v + delta, k2: w - delta}
                    if trial.passes(change) and trial.passes(change, other_env):
                        word = "多填了" if delta < 0 else "少填了"
                        back = "少填了" if delta < 0 else "多填了"
                        reason = f"可能是 {cell_name(template, key)} {word} {d}、{cell_name(template, k2)} {back} {d}(填错了位置)"
                        # a misfiled entry leaves the right cell empty: the receiving cell holds 0
                        whole = (delta < 0 and w == 0) or (delta > 0 and v == 0)
                        (exact if whole else loose).append((key, reason))
                        break
    for key, reason in exact + loose:
        add(key, "offset", reason)
    return tuple(out)
