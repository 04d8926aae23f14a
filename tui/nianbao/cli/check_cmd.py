"""`nianbao check DRAFT… [--json]`: every rule of the template over one or more drafts.

Exit code 0 no errors (warnings allowed), 1 errors found, 2 a file unusable. `--json` prints one
document of the same shape for one file or many (docs/cli-json.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nianbao.cli.command import SubCommand
from nianbao.cli.terminal import json_safe, raw_stream, silence_stdout
from nianbao.errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, NianbaoError, printable

if TYPE_CHECKING:
    from nianbao.engine.checks import Finding
    from nianbao.store.draft import Draft

JSON_SCHEMA_VERSION = 1  # bump when a key changes meaning or goes away (adding keys does not)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("drafts", nargs="+", metavar="draft", help="一个或多个草稿文件")
    p.add_argument("--json", action="store_true", help="以 JSON 输出,便于程序处理(格式见 docs/cli-json.md)")
    p.add_argument("--previous", metavar="上年草稿", help="上年的草稿(启用跨年度检查;默认用草稿中 previous 指定的文件)")
    p.add_argument("--assess", metavar="规则包", help="同时做评估预检,如 generic(schema/assessments/ 中的规则包),列出每项预计扣分")


@dataclass
class Report:
    """What checking one file found."""

    file: str
    error: str = ""  # why the file is unusable ("" when it was checked)
    draft: Draft | None = None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    matched: list[Any] = field(default_factory=list)  # stated figures that matched another scope
    assessment: dict[str, Any] | None = None  # the --assess pack's expected deductions

    @property
    def usable(self) -> bool:
        return self.draft is not None

    def counts(self) -> tuple[int, int]:
        from nianbao.engine.checks import counts

        return counts(self.findings)


def check_one(name: str, previous_name: str | None, assess: str | None = None) -> Report:
    from nianbao.engine.checks import check
    from nianbao.store.draft import DraftError, load_draft, load_previous

    try:
        draft = load_draft(name)
        notes: list[str] = []
        previous: Draft | None
        if previous_name:
            previous = load_draft(previous_name)
        else:
            try:
                previous = load_previous(draft, name)
            except DraftError as exc:
                previous = None
                notes.append(f"上年草稿无法读取,跳过跨年度检查:{exc}")
        notes += draft.notes()
        matched: list[Any] = []
        findings = check(draft, previous, matched=matched)
        assessment = _assessment(assess, draft, previous) if assess else None
    except NianbaoError as exc:
        return Report(name, error=str(exc))
    return Report(name, draft=draft, findings=findings, notes=notes, matched=matched, assessment=assessment)


def _assessment(name: str, draft: Draft, previous: Draft | None) -> dict[str, Any]:
    """The assessment pack's expected deductions for one draft, as a JSON-ready dict."""
    from nianbao.engine.assess import assess, load_pack, results_json

    pack = load_pack(name, draft.template)
    return results_json(pack, assess(pack, draft, previous))


def run(args: argparse.Namespace) -> int:
    reports = [check_one(name, args.previous, args.assess) for name in args.drafts]
    try:
        if args.json:
            print(json_safe(json.dumps(json_document(reports), ensure_ascii=False, indent=2)))
        else:
            print_reports(reports)
        sys.stdout.flush()
    except BrokenPipeError:  # `check … | head`: the exit code still says what was found
        silence_stdout()
    return exit_code(reports)


def exit_code(reports: list[Report]) -> int:
    if any(not r.usable for r in reports):
        return EXIT_UNUSABLE
    if any(r.counts()[0] for r in reports):
        return EXIT_FINDINGS
    return EXIT_OK


# ---------------------------------------------------------------- JSON


def json_document(reports: list[Report]) -> dict[str, Any]:
    """One document for one file or many: {"schema_version": 1, "reports": [...]}."""
    return {"schema_version": JSON_SCHEMA_VERSION, "reports": [report_json(r) for r in reports]}


def report_json(r: Report) -> dict[str, Any]:
    errors, warnings = r.counts()
    return {
        "file": r.file,
        "usable": r.usable,
        "error": r.error or None,
        "org": r.draft.org_name if r.draft else None,
        "year": r.draft.year if r.draft else None,
        "errors": errors,
        "warnings": warnings,
        "notes": r.notes,
        "findings": [finding_json(f) for f in r.findings],
        "scopes_matched": [{"rule": m.rule, "key": m.key, "scope": m.scope, "text": m.excerpt} for m in r.matched],
        **({"assessment": r.assessment} if r.assessment is not None else {}),
    }


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "section": f.section,
        "title": f.title,
        "message": f.message,
        "key": f.key,
        "cells": [str(c) for c in f.cells],
        "lhs": _plain(f.lhs),
        "rhs": _plain(f.rhs),
        "diff": _plain(f.diff),
        "acknowledged": f.acknowledged.reason if f.acknowledged else None,
        "culprits": [{"cell": str(c.cell), "kind": c.kind, "reason": c.reason} for c in f.culprits],
    }


def _plain(v: object) -> object:
    """A number as JSON: exact decimals as their shortest text form (never a binary float)."""
    from nianbao.report.expr.functions import format_number

    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, Decimal | float):
        return format_number(v)
    return str(v)


# ---------------------------------------------------------------- text


def print_reports(reports: list[Report]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from nianbao.engine.checks import SEVERITY_LABEL

    out = Console(file=raw_stream(sys.stdout), highlight=False)
    err = Console(file=raw_stream(sys.stderr), highlight=False)
    p = printable  # rich writes to the raw streams: every value from a file made printable first
    for r in reports:
        if r.draft is None:
            err.print(Text(p(f"✗ {r.error}"), style="bold red"), soft_wrap=True)
            continue
        draft = r.draft
        title = p(f"{r.file}:{draft.org_name or '(未填机关)'} {draft.year or ''}年")
        for note in r.notes:
            out.print(Text(p(f"注意:{note}"), style="yellow"))
        for m in r.matched:
            out.print(Text(p(f"说明:{m.rule} 正文“{m.excerpt}”按“{m.scope}”口径与表格一致,不提醒"), style="dim"), soft_wrap=True)
        if not r.findings:
            out.print(Text(f"✓ {title}:没有发现问题", style="green"))
            if r.assessment is not None:
                _print_assessment(out, r.assessment)
            continue
        table = Table(title=Text(title), title_justify="left", show_lines=False, expand=False)
        table.add_column("规则", no_wrap=True)
        table.add_column("类别", no_wrap=True)
        table.add_column("部分", no_wrap=True)
        table.add_column("说明", overflow="fold")
        sections = {s.id: s.number for s in draft.template.sections}
        for f in r.findings:
            kind = SEVERITY_LABEL[f.severity]
            style = "red" if f.is_error else "yellow"
            if f.acknowledged:
                kind, style = "已接受", "dim"
            message = f.message + (f"(已接受:{f.acknowledged.reason})" if f.acknowledged else "")
            table.add_row(Text(p(f.rule)), Text(kind, style=style), Text(p(sections.get(f.section, "基本信息"))), Text(p(message)))
        out.print(table)
        errors, warnings = r.counts()
        out.print(Text(f"{errors} 个错误,{warnings} 个提醒", style="bold red" if errors else "bold yellow"))
        if r.assessment is not None:
            _print_assessment(out, r.assessment)


def _print_assessment(out: Any, assessment: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    from nianbao.engine.assess import STATUS_LABEL

    table = Table(title=f"评估预检:{assessment['name']}", title_justify="left", expand=False)
    table.add_column("项目", no_wrap=True)
    table.add_column("结果", no_wrap=True)
    table.add_column("预计扣分", justify="right", no_wrap=True)
    table.add_column("说明", overflow="fold")
    styles = {"deduct": "red", "ok": "green", "undecided": "yellow", "skipped": "dim"}
    for item in assessment["items"]:
        table.add_row(
            Text(printable(f"{item['id']} {item['title']}")), Text(STATUS_LABEL[item["status"]], style=styles[item["status"]]),
            item["deduction"], Text(printable(";".join(item["messages"]))),
        )
    out.print(table)
    out.print(Text(f"预计共扣 {assessment['total_deduction']} 分(以评估机关的实际评分为准)", style="bold"))


COMMAND = SubCommand(
    "check", "检查草稿,退出码 0 无错误 / 1 有错误 / 2 文件无法使用", add_arguments, run,
    description="检查草稿,列出错误和提醒。",
    epilog="退出码:0 没有错误(可能有提醒);1 有错误;2 文件无法读取或格式不对。",
)
