"""`nianbao new DRAFT --org … --year …`: a new draft (never over an existing file), then the app."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nianbao.cli.command import SubCommand, err, open_app
from nianbao.errors import EXIT_OK, EXIT_UNUSABLE


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("draft", help="新草稿的文件名,如 2025年报.toml")
    p.add_argument("--org", default="", help="机关全称")
    p.add_argument("--year", type=int, help="报告年度,如 2025")
    p.add_argument("--type", dest="org_type", default="", help="机关类型,如 县级人民政府部门")
    p.add_argument("--from", dest="previous", help="上年的草稿:沿用机关信息,上年结转取上年的结转下年度")
    p.add_argument("--template", default="gov-info-disclosure-2021", help="模板 id(默认 2021 年格式)")
    p.add_argument("--no-open", action="store_true", help="只建文件,不打开界面")


def run(args: argparse.Namespace) -> int:
    from nianbao.engine.carry import carry_forward
    from nianbao.report.template import load_template
    from nianbao.store.draft import DraftError, load_draft, new_draft, save_draft

    path = Path(args.draft)
    if path.suffix != ".toml":
        path = path.with_name(path.name + ".toml")
    if path.exists():
        err(f"{path} 已存在,不会覆盖。打开它请用:nianbao {path}")
        return EXIT_UNUSABLE
    template = load_template(args.template)
    if args.org_type and "org_type" in template.meta_by_id:
        choices = template.meta_by_id["org_type"].choices
        if choices and args.org_type not in choices:
            err(f"机关类型“{args.org_type}”不是可选值:{'、'.join(choices)}")
            return EXIT_UNUSABLE
    if args.year is not None and not 1990 <= args.year <= 2200:
        err(f"年度 {args.year} 不对,应为四位年份,如 2025")
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
        err(f"{path.parent} 文件夹不存在")
        return EXIT_UNUSABLE
    try:
        save_draft(draft, path)
    except DraftError as exc:
        err(str(exc))
        return EXIT_UNUSABLE
    print(f"已新建草稿 {path}")
    if not args.no_open and sys.stdin.isatty() and sys.stdout.isatty():
        return open_app(str(path))
    return EXIT_OK


COMMAND = SubCommand(
    "new", "新建草稿并打开", add_arguments, run,
    description="新建一份草稿(不会覆盖已有文件),然后打开填写界面。",
)
