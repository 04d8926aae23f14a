"""Assessment packs: a supervisor's scoring criteria, checked in advance (评估预检).

A pack is template-like data, ``schema/assessments/NAME.toml``: items written in the same safe
rule language as the template's rules, each with the points it costs. `assess()` runs every item
on a draft and says, per item, whether points are expected to be deducted and how many.
docs/assessments.md documents the format.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from nianbao.engine.checks import _run_rule, context_for
from nianbao.errors import TemplateError
from nianbao.report.expr.compiler import Compiler, Context, Scope
from nianbao.report.expr.functions import format_number
from nianbao.report.expr.parser import ExprError, parse
from nianbao.report.expr.runtime import truthy
from nianbao.report.model import Rule, Template
from nianbao.report.template import template_dirs
from nianbao.store.draft import Draft

DEDUCT, OK, UNDECIDED, SKIPPED = "deduct", "ok", "undecided", "skipped"
STATUS_LABEL = {DEDUCT: "预计扣分", OK: "符合", UNDECIDED: "待定", SKIPPED: "未评估"}


@dataclass
class Item:
    rule: Rule
    points: Decimal
    per: Any = None  # compiled expression: deduction = points × per (when the item fails)
    undecided: Any = None  # compiled condition: the item cannot be judged (e.g. no date given)
    undecided_message: str = ""


@dataclass(frozen=True)
class Pack:
    id: str
    name: str
    path: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Result:
    id: str
    title: str
    status: str  # deduct | ok | undecided | skipped
    points: Decimal
    deduction: Decimal
    messages: tuple[str, ...]


def available_packs() -> list[str]:
    names: set[str] = set()
    for d in template_dirs():
        names.update(p.stem for p in (d / "assessments").glob("*.toml"))
    return sorted(names)


def pack_path(name: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name or ""):
        raise TemplateError(f"未知的评估规则包 “{name[:60]}”(可用:{'、'.join(available_packs()) or '无'})")
    direct = Path(name)
    for d in template_dirs():
        p = d / "assessments" / f"{name}.toml"
        if p.is_file():
            return p
    if direct.suffix == ".toml" and direct.is_file():
        return direct
    raise TemplateError(f"未知的评估规则包 “{name}”(可用:{'、'.join(available_packs()) or '无'})")


def _points(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise TemplateError(f"{where}:points 应是非负的数")
    return Decimal(str(value))


def _expr(compiler: Compiler, template: Template, src: object, names: set[str], where: str) -> Any:
    if not isinstance(src, str):
        raise TemplateError(f"{where}:应是表达式(字符串)")
    try:
        return compiler._node(parse(src), Scope(template, set(names)))
    except ExprError as exc:
        raise TemplateError(f"{where} 第 {exc.pos + 1} 个字符:{exc.message}\n  {src}") from None


def load_pack(name_or_path: str, template: Template) -> Pack:
    """Read and compile a pack against the draft's template; TemplateError names the place."""
    path = Path(name_or_path) if name_or_path.endswith(".toml") else pack_path(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateError(f"评估规则包 {path}:无法读取({exc.strerror or exc})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"评估规则包 {path}:不是有效的 TOML:{exc}") from None
    head = data.get("assessment", {})
    wanted = head.get("template")
    if wanted and wanted != template.id:
        raise TemplateError(f"评估规则包 {path} 适用于模板 “{wanted}”,草稿用的是 “{template.id}”")
    compiler = Compiler(template)
    items = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("items", []), 1):
        where = f"评估规则包 {path}:第 {i} 项"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or raw["id"] in seen:
            raise TemplateError(f"{where}:缺少 id 或 id 重复")
        iid = raw["id"]
        seen.add(iid)
        where = f"评估规则包 {path}:项目 {iid}"
        for key in ("check", "message"):
            if not isinstance(raw.get(key), str):
                raise TemplateError(f"{where}:缺少 {key}")
        rule = Rule(
            id=iid, severity="warning", section=raw.get("section", "auto"), title=str(raw.get("title", iid)),
            check=raw["check"], message=raw["message"], when=raw.get("when"),
            needs_previous=bool(raw.get("needs_previous", False)),
        )
        try:
            rule.compiled = compiler.compile_rule(rule)
        except TemplateError as exc:
            raise TemplateError(str(exc).replace(f"模板 {template.path}:规则", f"评估规则包 {path}:项目", 1)) from None
        rule.needs_previous = rule.needs_previous or rule.compiled.uses_prev
        item = Item(rule, _points(raw.get("points", 0), where))
        if "per" in raw:
            item.per = _expr(compiler, template, raw["per"], set(), f"{where} 的 per")
        if "undecided" in raw:
            item.undecided = _expr(compiler, template, raw["undecided"], set(), f"{where} 的 undecided")
            item.undecided_message = str(raw.get("undecided_message", "无法判断"))
        items.append(item)
    return Pack(str(head.get("id", path.stem)), str(head.get("name", path.stem)), str(path), tuple(items))


def _one(item: Item, ctx: Context, draft: Draft, has_previous: bool) -> Result:
    rule = item.rule
    if rule.needs_previous and not has_previous:
        return Result(rule.id, rule.title, SKIPPED, item.points, Decimal(0), ("需要上年报告的草稿(--previous),未评估",))
    if item.undecided is not None and truthy(item.undecided(ctx, {})):
        return Result(rule.id, rule.title, UNDECIDED, item.points, Decimal(0), (item.undecided_message,))
    failed = _run_rule(rule, ctx, draft, {})
    if not failed:
        return Result(rule.id, rule.title, OK, item.points, Decimal(0), ())
    times = Decimal(len(failed))
    if item.per is not None:
        per = item.per(ctx, {})
        times = Decimal(str(per if isinstance(per, (int, Decimal)) else 0))
    return Result(rule.id, rule.title, DEDUCT, item.points, item.points * times, tuple(f.message for f in failed))


def assess(pack: Pack, draft: Draft, previous: Draft | None = None) -> list[Result]:
    """Every item of the pack on the draft. Never raises: an item that cannot be computed is
    reported as undecided, saying so."""
    ctx = context_for(draft, previous)
    out = []
    for item in pack.items:
        try:
            out.append(_one(item, ctx, draft, previous is not None))
        except Exception as exc:  # a broken pack must not take the check down
            out.append(Result(item.rule.id, item.rule.title, UNDECIDED, item.points, Decimal(0),
                              (f"无法计算({exc}),请报告规则包维护者",)))
    return out


def total_deduction(results: list[Result]) -> Decimal:
    return sum((r.deduction for r in results), Decimal(0))


def results_json(pack: Pack, results: list[Result]) -> dict[str, object]:
    return {
        "pack": pack.id,
        "name": pack.name,
        "total_deduction": format_number(total_deduction(results)),
        "items": [
            {
                "id": r.id,
                "title": r.title,
                "status": r.status,
                "points": format_number(r.points),
                "deduction": format_number(r.deduction),
                "messages": list(r.messages),
            }
            for r in results
        ],
    }
