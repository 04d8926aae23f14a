"""The check engine: every rule of the template against one draft, as findings.

`check()` never raises: a rule that cannot be computed becomes an error finding that says so.
It is cheap enough to run on every keystroke (see bench/).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from nianbao.engine.culprits import culprits_for
from nianbao.engine.figures import texts_for_checks
from nianbao.report.expr.compiler import MAX_BINDINGS, Context, _compare, count_step
from nianbao.report.expr.functions import format_signed, format_value
from nianbao.report.expr.prose import Mention
from nianbao.report.expr.runtime import EvalError
from nianbao.report.expr.runtime import truthy as _truthy
from nianbao.report.model import META_SECTION, CellRef, Column, MetaField, NarrativeField, Row, Section, Table, Template
from nianbao.store.draft import Acknowledgement, Draft

ERROR = "error"
WARNING = "warning"
SEVERITY_LABEL = {ERROR: "错误", WARNING: "提醒"}
MAX_FINDINGS_PER_RULE = 1000  # listed per rule; the rest are counted in one more finding (docs/limits.md)


@dataclass(frozen=True)
class Culprit:
    """A cell that most likely holds the slip behind a failing rule, and why (in Chinese).

    `kind` is one of "last_edit" (the cell changed last turned the rule from passing to failing),
    "swap" (a difference divisible by 9: two digits swapped in this cell), "offset" (offsetting
    differences between columns while the grand total balances), "split" (adjacent single digits
    whose merge repairs the sum). Most likely first.
    """

    cell: CellRef
    kind: str
    reason: str  # e.g. "可能是 自然人/重复申请 多填了 3"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    section: str  # a section id or "meta"
    title: str
    message: str
    key: str = ""  # which binding of the rule, e.g. "c=natural"
    cells: tuple[CellRef, ...] = ()
    fields: tuple[str, ...] = ()
    lhs: object = None
    rhs: object = None
    diff: object = None
    fingerprint: str = ""
    acknowledged: Acknowledgement | None = field(default=None, compare=False)
    stale_ack: Acknowledgement | None = field(default=None, compare=False)
    culprits: tuple[Culprit, ...] = field(default=(), compare=False)  # most likely slip first

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def open(self) -> bool:
        """Still needs attention: any error, or a warning not (validly) accepted."""
        return self.acknowledged is None


@dataclass(frozen=True)
class ScopeMatch:
    """A stated figure that passed because it counts another plausible scope (e.g. 新收+上年结转)."""

    rule: str
    key: str
    scope: str  # the scope's label in the template
    excerpt: str  # the sentence (or binding) it was found in


def context_for(draft: Draft, previous: Draft | None = None) -> Context:
    """The values rules read; bound figures in texts resolved to their cells' current values."""
    prev = None
    if previous is not None:
        prev = Context(previous.template, previous.values, previous.meta, previous.texts)
        prev.texts = texts_for_checks(previous.texts, prev)
    ctx = Context(draft.template, draft.values, draft.meta, draft.texts, prev)
    ctx.texts = texts_for_checks(draft.texts, ctx)
    return ctx


def computed_values(draft: Draft) -> dict[tuple[str, str, str], object]:
    """Every cell's value as the report shows it: inputs, typed totals, computed totals."""
    ctx = context_for(draft)
    return {(c.table, c.row, c.col): ctx.cell((c.table, c.row, c.col)) for c in draft.template.all_cells}


def _binding_key(env: dict[str, Any]) -> str:
    """A stable text naming which binding of a rule a finding is for, e.g. "c=natural"."""
    parts = []
    for name, v in env.items():
        if isinstance(v, NarrativeField):
            parts.append(f"{name}={v.key}")
        elif isinstance(v, (Column, Row, Table, Section, MetaField)):
            parts.append(f"{name}={v.id}")
        elif isinstance(v, Mention):
            parts.append(f"{name}={v.value}")
        elif isinstance(v, dict):  # a record from breakdowns()
            parts.append(f"{name}={v.get('text', '')}")
        else:
            parts.append(f"{name}={v}")
    return ";".join(parts)


def _section_of(rule: Any, env: dict[str, Any], cells: list[tuple[str, str, str]], template: Template) -> str:
    if rule.section != "auto":
        return str(rule.section)
    for v in env.values():
        if isinstance(v, NarrativeField):
            return str(v.section_id)
        if isinstance(v, Table):
            return str(v.section_id)
        if isinstance(v, CellRef):
            return str(template.tables[v.table].section_id)
    if cells:
        return template.tables[cells[0][0]].section_id
    return template.sections[0].id if template.sections else META_SECTION


def _fields_of(env: dict[str, Any], section: str, template: Template) -> tuple[str, ...]:
    keys = [v.key for v in env.values() if isinstance(v, NarrativeField)]
    if keys:
        return tuple(keys)
    s = template.section_by_id.get(section)
    return tuple(f.key for f in s.fields) if s else ()


def _bindings(compiled: Any, ctx: Context) -> list[dict[str, Any]]:
    envs: list[dict[str, Any]] = [{}]
    for name, dom in compiled.bindings:
        nxt: list[dict[str, Any]] = []
        for env in envs:
            values = dom(ctx, env)
            if not isinstance(values, (list, tuple)):
                values = [values]
            if len(nxt) + len(values) > MAX_BINDINGS:
                raise EvalError(f"组合超过 {MAX_BINDINGS} 种,规则无法计算")
            nxt.extend({**env, name: v} for v in values)
        envs = nxt
    return envs


def fingerprint(rule_id: str, key: str, message: str, values: tuple[object, ...] = ()) -> str:
    """What an acknowledgement was given for: the rule, its binding, the message and the values
    of every cell involved, so moving a number between cells also makes it stale."""
    text = "\x00".join([rule_id, key, message, *map(str, values)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _other_scope(compiled: Any, ctx: Context, env: dict[str, Any], lhs: object) -> str | None:
    """The label of another plausible scope the failing binding's figure counts, if any."""
    if not compiled.scopes:
        return None
    saved = ctx.touched
    ctx.touched = []
    try:
        for label, kind, fn in compiled.scopes:
            v = fn(ctx, env)
            if kind == "test" and _truthy(v):
                return str(label)
            if kind == "value" and lhs is not None and _compare("==", lhs, v):
                return str(label)
        return None
    finally:
        ctx.touched = saved


def _excerpt(env: dict[str, Any]) -> str:
    for v in env.values():
        if isinstance(v, Mention):
            return v.sentence
        if isinstance(v, dict) and "text" in v:
            return str(v["text"])
    return _binding_key(env)


def _run_rule(
    rule: Any, ctx: Context, draft: Draft, acks: dict[tuple[str, str], Acknowledgement],
    last_changed: CellRef | None = None, matched: list[ScopeMatch] | None = None,
) -> list[Finding]:
    compiled = rule.compiled
    template = draft.template
    ctx._cache["quant_steps"] = 0  # the work budget of nested all/any is per rule
    found: list[Finding] = []
    envs = _bindings(compiled, ctx) if compiled.bindings else [{}]
    any_ok = False
    unlisted = 0  # failing bindings beyond MAX_FINDINGS_PER_RULE: counted, not built
    for env in envs:
        count_step(ctx)
        ctx.touched = []
        if compiled.when is not None and not _truthy(compiled.when(ctx, env)):
            continue
        lhs = rhs = diff = None
        if compiled.lhs is not None:
            lhs, rhs = compiled.lhs(ctx, env), compiled.rhs(ctx, env)
            ok = _compare(compiled.op, lhs, rhs)
            if isinstance(lhs, (int, Decimal)) or isinstance(rhs, (int, Decimal)):
                if lhs is None or isinstance(lhs, (int, Decimal)):
                    if rhs is None or isinstance(rhs, (int, Decimal)):
                        diff = (lhs or 0) - (rhs or 0)
        else:
            ok = _truthy(compiled.body(ctx, env))
        if not ok and (scope := _other_scope(compiled, ctx, env, lhs)) is not None:
            if matched is not None:
                matched.append(ScopeMatch(rule.id, _binding_key(env), scope, _excerpt(env)))
            ok = True
        if ok:
            any_ok = True
            continue
        if compiled.quant == "any":
            continue
        if len(found) >= MAX_FINDINGS_PER_RULE:
            unlisted += 1
            continue
        finding = _finding(rule, ctx, env, lhs, rhs, diff, template, acks)
        if diff:
            hints = culprits_for(rule, env, ctx, finding, last_changed)
            if hints:
                finding = replace(finding, culprits=hints)
        found.append(finding)
    if unlisted:
        last = found[-1]
        found.append(Finding(rule.id, rule.severity, last.section, rule.title,
                             f"同一规则还有 {unlisted} 处问题未列出(只列前 {MAX_FINDINGS_PER_RULE} 处)",
                             key="+unlisted", fields=last.fields))
    if compiled.quant == "any" and not any_ok:
        ctx.touched = []
        found.append(_finding(rule, ctx, {}, None, None, None, template, acks))
    return found


def _finding(
    rule: Any, ctx: Context, env: dict[str, Any], lhs: object, rhs: object, diff: object, template: Template,
    acks: dict[tuple[str, str], Acknowledgement],
) -> Finding:
    touched = list(dict.fromkeys(ctx.touched))
    msg_env = {**env, "lhs": lhs, "rhs": rhs, "diff": diff}
    parts = []
    for kind, part in rule.compiled.message:
        if kind == "text":
            parts.append(part)
            continue
        v = part(ctx, msg_env)
        parts.append(format_signed(v) if kind == "diff" else format_value(template, v))
    message = "".join(parts)
    key = _binding_key(env)
    section = _section_of(rule, env, touched, template)
    fp = fingerprint(rule.id, key, message, tuple(ctx.cell(k) for k in touched))
    ack = stale = None
    if rule.severity == WARNING:
        prior = acks.get((rule.id, key))
        if prior is not None:
            if prior.fingerprint == fp:
                ack = prior
            else:
                stale = prior
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        section=section,
        title=rule.title,
        message=message,
        key=key,
        cells=tuple(CellRef(*k) for k in touched),
        fields=_fields_of(env, section, template),
        lhs=lhs,
        rhs=rhs,
        diff=diff,
        fingerprint=fp,
        acknowledged=ack,
        stale_ack=stale,
    )


def check(
    draft: Draft, previous: Draft | None = None, ctx: Context | None = None, *,
    last_changed: CellRef | None = None, matched: list[ScopeMatch] | None = None,
) -> list[Finding]:
    """All findings of the draft, in template order of rules and bindings. Never raises.

    Pass `ctx` (from `context_for`) to keep the values it computed, e.g. the totals to show.
    `last_changed` (the cell the clerk edited last) is named first among a failing rule's
    culprits when it is one of the rule's cells. Pass a list as `matched` to learn which stated
    figures passed because they count another plausible scope (see ScopeMatch).
    """
    ctx = ctx or context_for(draft, previous)
    acks = {(a.rule, a.key): a for a in draft.acks}
    findings: list[Finding] = []
    for rule in draft.template.rules:
        if rule.needs_previous and previous is None:
            continue
        try:
            findings.extend(_run_rule(rule, ctx, draft, acks, last_changed, matched))
        except Exception as exc:  # a template bug must not take the clerk's work down with it
            findings.append(
                Finding(rule.id, ERROR, rule.section if rule.section != "auto" else META_SECTION, rule.title,
                        f"规则 {rule.id} 无法计算({exc}),请报告模板维护者")
            )
    return findings


def counts(findings: list[Finding]) -> tuple[int, int]:
    """(errors, open warnings)."""
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings = sum(1 for f in findings if f.severity == WARNING and f.open)
    return errors, warnings


def by_section(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.section, []).append(f)
    return out
