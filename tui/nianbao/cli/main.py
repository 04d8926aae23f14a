"""The `nianbao` command: new / check / render / recover, or open the terminal app.

Exit codes: 0 clean, 1 errors found, 2 unusable input (see README). Messages are Chinese;
no traceback ever reaches a clerk.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from nianbao import __version__
from nianbao.errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, NianbaoError

SUBCOMMANDS = ("new", "check", "render", "verify", "recover", "total", "migrate")

# argparse prints its own words in English; these are the ones a clerk meets.
_ARGPARSE_ZH = {
    "usage: ": "用法:",
    "positional arguments": "参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "the following arguments are required: %s": "缺少参数:%s",
    "unrecognized arguments: %s": "无法识别的参数:%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r(可选:%(choices)s)",
    "expected one argument": "需要一个参数",
    "invalid %(type)s value: %(value)r": "无效的值:%(value)r",
    "%(prog)s: error: %(message)s\n": "%(prog)s:错误:%(message)s\n",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义,可能是 %(matches)s",
}


def _zh(text: str) -> str:
    return _ARGPARSE_ZH.get(text, text)


argparse._ = _zh  # argparse looks `_` up at call time


def _parser_for_app() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nianbao",
        description="在终端里填写、检查并导出《政府信息公开工作年度报告》。",
        epilog=(
            "子命令:\n"
            "  nianbao new 草稿.toml --org 机关全称 --year 2025   新建草稿并打开\n"
            "  nianbao check 草稿.toml…                          检查,退出码 0 无错误 / 1 有错误 / 2 文件无法使用\n"
            "  nianbao render 草稿.toml [-o 报告.md|.html|.docx]  导出报告(Markdown、网页或 Word)\n"
            "  nianbao verify 报告.html 草稿.toml                 核对已发布报告中的数字与草稿是否一致\n"
            "  nianbao recover 草稿.toml                         查看并恢复自动保存的内容\n"
            "  nianbao total 汇总.toml 甲.toml 乙.toml…            把多份报告的表格相加成一份汇总草稿\n"
            "  nianbao migrate 草稿.toml [--dry-run]              把旧版模板的草稿升级到当前模板\n"
            "每个子命令加 -h 查看详细说明。"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("draft", nargs="?", help="要打开的草稿文件(.toml);省略时显示开始页")
    p.add_argument("--version", action="version", version=f"nianbao {__version__}", help="显示版本号并退出")
    return p


def _parser_for(command: str) -> argparse.ArgumentParser:
    if command == "new":
        p = argparse.ArgumentParser(prog="nianbao new", description="新建一份草稿(不会覆盖已有文件),然后打开填写界面。")
        p.add_argument("draft", help="新草稿的文件名,如 2025年报.toml")
        p.add_argument("--org", default="", help="机关全称")
        p.add_argument("--year", type=int, help="报告年度,如 2025")
        p.add_argument("--type", dest="org_type", default="", help="机关类型,如 县级人民政府部门")
        p.add_argument("--from", dest="previous", help="上年的草稿:沿用机关信息,上年结转取上年的结转下年度")
        p.add_argument("--template", default="gov-info-disclosure-2021", help="模板 id(默认 2021 年格式)")
        p.add_argument("--no-open", action="store_true", help="只建文件,不打开界面")
    elif command == "check":
        p = argparse.ArgumentParser(prog="nianbao check", description="检查草稿,列出错误和提醒。")
        p.add_argument("drafts", nargs="+", metavar="draft", help="一个或多个草稿文件")
        p.add_argument("--json", action="store_true", help="以 JSON 输出,便于程序处理")
        p.add_argument("--previous", help="上年的草稿(启用跨年度检查;默认用草稿中 previous 指定的文件)")
        p.epilog = "退出码:0 没有错误(可能有提醒);1 有错误;2 文件无法读取或格式不对。"
    elif command in ("render", "verify"):
        from nianbao.cli import render_cmd

        p = render_cmd.render_parser() if command == "render" else render_cmd.verify_parser()
    elif command == "migrate":
        p = argparse.ArgumentParser(prog="nianbao migrate", description="按模板中声明的迁移步骤,把旧版本模板的草稿升级(原文件另存为 .bak)。")
        p.add_argument("draft", help="草稿文件")
        p.add_argument("--dry-run", action="store_true", help="只列出会移动或修改的内容,不写文件")
    elif command == "total":
        p = argparse.ArgumentParser(
            prog="nianbao total",
            description="把同一年度、同一格式的多份草稿的表格数字相加,写成一份新的汇总草稿(不会覆盖已有文件)。",
        )
        p.add_argument("output", help="汇总草稿的文件名")
        p.add_argument("drafts", nargs="+", metavar="draft", help="要汇总的草稿")
        p.add_argument("--org", default="", help="汇总报告的机关名称")
    else:
        p = argparse.ArgumentParser(prog="nianbao recover", description="查看自动保存的恢复文件,并恢复或丢弃。")
        p.add_argument("draft", help="草稿文件")
        group = p.add_mutually_exclusive_group()
        group.add_argument("--apply", action="store_true", help="用恢复文件的内容覆盖草稿")
        group.add_argument("--discard", action="store_true", help="删除恢复文件")
    return p


def _err(message: str) -> None:
    print(f"nianbao:{message}", file=sys.stderr)


# ---------------------------------------------------------------- commands


def cmd_new(args) -> int:
    from nianbao.engine.carry import carry_forward
    from nianbao.report.template import load_template
    from nianbao.store.draft import DraftError, load_draft, new_draft, save_draft

    path = Path(args.draft)
    if path.suffix != ".toml":
        path = path.with_name(path.name + ".toml")
    if path.exists():
        _err(f"{path} 已存在,不会覆盖。打开它请用:nianbao {path}")
        return EXIT_UNUSABLE
    template = load_template(args.template)
    if args.org_type and "org_type" in template.meta_by_id:
        choices = template.meta_by_id["org_type"].choices
        if choices and args.org_type not in choices:
            _err(f"机关类型“{args.org_type}”不是可选值:{'、'.join(choices)}")
            return EXIT_UNUSABLE
    if args.year is not None and not 1990 <= args.year <= 2200:
        _err(f"年度 {args.year} 不对,应为四位年份,如 2025")
        return EXIT_UNUSABLE
    if args.previous:
        prev = load_draft(args.previous)
        draft = carry_forward(prev, template, args.year)
        draft.previous = os.path.relpath(Path(args.previous).resolve(), path.resolve().parent)
    else:
        draft = new_draft(template)
        if args.year is not None:
            draft.meta["year"] = args.year
    if args.org:
        draft.meta["org_name"] = args.org
    if args.org_type:
        draft.meta["org_type"] = args.org_type
    if not path.parent.exists():
        _err(f"{path.parent} 文件夹不存在")
        return EXIT_UNUSABLE
    try:
        save_draft(draft, path)
    except DraftError as exc:
        _err(str(exc))
        return EXIT_UNUSABLE
    print(f"已新建草稿 {path}")
    if not args.no_open and sys.stdin.isatty() and sys.stdout.isatty():
        return open_app(str(path))
    return EXIT_OK


def _finding_json(f, template) -> dict:
    from nianbao.report.expr.functions import format_number

    def plain(v):
        if v is None or isinstance(v, (bool, int, str)):
            return v
        return format_number(v) if hasattr(v, "as_tuple") or isinstance(v, float) else str(v)

    return {
        "rule": f.rule,
        "severity": f.severity,
        "section": f.section,
        "title": f.title,
        "message": f.message,
        "key": f.key,
        "cells": [str(c) for c in f.cells],
        "lhs": plain(f.lhs),
        "rhs": plain(f.rhs),
        "diff": plain(f.diff),
        "acknowledged": f.acknowledged.reason if f.acknowledged else None,
    }


def cmd_check(args) -> int:
    from nianbao.engine.checks import check, counts
    from nianbao.store.draft import DraftError, load_draft, load_previous

    results = []
    worst = EXIT_OK
    for name in args.drafts:
        entry: dict = {"file": name}
        try:
            draft = load_draft(name)
            notes = []
            if args.previous:
                previous = load_draft(args.previous)
            else:
                try:
                    previous = load_previous(draft, name)
                except DraftError as exc:
                    previous = None
                    notes.append(f"上年草稿无法读取,跳过跨年度检查:{exc}")
            notes += draft.notes()
            findings = check(draft, previous)
        except NianbaoError as exc:
            entry.update(usable=False, error=str(exc))
            results.append(entry)
            worst = EXIT_UNUSABLE
            continue
        errors, warnings = counts(findings)
        entry.update(
            usable=True,
            org=draft.org_name,
            year=draft.year,
            errors=errors,
            warnings=warnings,
            notes=notes,
            findings=[_finding_json(f, draft.template) for f in findings],
            _draft=draft,
            _findings=findings,
        )
        results.append(entry)
        if errors and worst == EXIT_OK:
            worst = EXIT_FINDINGS
    if args.json:
        clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in results]
        print(json.dumps(clean if len(clean) > 1 else clean[0], ensure_ascii=False, indent=2))
    else:
        _print_check(results)
    return worst


def _print_check(results: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from nianbao.engine.checks import SEVERITY_LABEL

    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    for r in results:
        if not r["usable"]:
            err.print(Text(f"✗ {r['error']}", style="bold red"), soft_wrap=True)
            continue
        draft = r["_draft"]
        title = f"{r['file']}:{draft.org_name or '(未填机关)'} {draft.year or ''}年"
        for note in r["notes"]:
            out.print(Text(f"注意:{note}", style="yellow"))
        if not r["_findings"]:
            out.print(Text(f"✓ {title}:没有发现问题", style="green"))
            continue
        table = Table(title=title, title_justify="left", show_lines=False, expand=False)
        table.add_column("规则", no_wrap=True)
        table.add_column("类别", no_wrap=True)
        table.add_column("部分", no_wrap=True)
        table.add_column("说明", overflow="fold")
        sections = {s.id: s.number for s in draft.template.sections}
        for f in r["_findings"]:
            kind = SEVERITY_LABEL[f.severity]
            style = "red" if f.severity == "error" else "yellow"
            if f.acknowledged:
                kind, style = "已接受", "dim"
            message = f.message + (f"(已接受:{f.acknowledged.reason})" if f.acknowledged else "")
            table.add_row(f.rule, Text(kind, style=style), sections.get(f.section, "基本信息"), message)
        out.print(table)
        summary = f"{r['errors']} 个错误,{r['warnings']} 个提醒"
        out.print(Text(summary, style="bold red" if r["errors"] else "bold yellow"))


def cmd_render(args) -> int:
    from nianbao.cli.render_cmd import cmd_render as render

    return render(args)


def cmd_verify(args) -> int:
    from nianbao.cli.render_cmd import cmd_verify as verify

    return verify(args)


def cmd_total(args) -> int:
    from nianbao.engine.aggregate import add_up
    from nianbao.store.draft import load_draft, save_draft

    out = Path(args.output)
    if out.exists():
        _err(f"{out} 已存在,不会覆盖")
        return EXIT_UNUSABLE
    total = add_up([(name, load_draft(name)) for name in args.drafts], args.org)
    save_draft(total.draft, out)
    print(f"已把 {len(args.drafts)} 份草稿汇总到 {out}")
    if total.blanks:
        sources = sorted({n for names in total.blanks.values() for n in names})
        print(f"注意:{len(total.blanks)} 个单元格在部分草稿中空白,汇总时只加了有数字的:{'、'.join(sources[:10])}")
    return EXIT_OK


def cmd_migrate(args) -> int:
    from nianbao.store.migrate_files import migrate_file

    report, backup = migrate_file(args.draft, dry_run=args.dry_run)
    if not report:
        print(f"{args.draft}:已是当前模板版本,无需迁移")
        return EXIT_OK
    print(("将要进行的修改:" if args.dry_run else "已完成的修改:") + f"({len(report)} 项)")
    for line in report:
        print(f"  {line}")
    if backup:
        print(f"原文件已备份为 {backup}")
    return EXIT_OK


def cmd_recover(args) -> int:
    from nianbao.store.recovery import recover_command

    return recover_command(args)


def open_app(path: str | None) -> int:
    from nianbao.app.main import run_app

    return run_app(path)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            command = argv.pop(0)
            args = _parser_for(command).parse_args(argv)
            commands = {
                "new": cmd_new,
                "check": cmd_check,
                "render": cmd_render,
                "verify": cmd_verify,
                "recover": cmd_recover,
                "total": cmd_total,
                "migrate": cmd_migrate,
            }
            return commands[command](args)
        args = _parser_for_app().parse_args(argv)
        if args.draft:
            from nianbao.store.draft import load_draft
            from nianbao.store.recovery import recovery_hint

            try:
                load_draft(args.draft)  # refuse an unreadable draft before any screen opens
            except NianbaoError as exc:
                _err(str(exc) + recovery_hint(args.draft))
                return exc.exit_code
        return open_app(args.draft)
    except NianbaoError as exc:
        from nianbao.store.lock import DraftLocked

        _err(str(exc) + ("没有做任何修改。" if isinstance(exc, DraftLocked) else ""))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
