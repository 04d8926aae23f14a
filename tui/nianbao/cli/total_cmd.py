"""`nianbao total OUT A B …`: the tables of several reports added up into a new draft."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from nianbao.cli.command import SubCommand, err
from nianbao.errors import EXIT_OK, EXIT_UNUSABLE


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("output", help="汇总草稿的文件名")
    p.add_argument("drafts", nargs="+", metavar="draft", help="要汇总的草稿")
    p.add_argument("--org", default="", help="汇总报告的机关名称")


def run(args: argparse.Namespace) -> int:
    from nianbao.engine.aggregate import add_up
    from nianbao.report.model import CellRef
    from nianbao.store.draft import load_draft, save_draft
    from nianbao.store.lock import holder
    from nianbao.store.recovery import is_newer, recovery_files

    out = Path(args.output)
    if out.exists():
        err(f"{out} 已存在,不会覆盖")
        return EXIT_UNUSABLE
    seen: dict[str, str] = {}
    for name in args.drafts:
        real = os.path.realpath(name)
        if real in seen:
            err(f"{name} 与 {seen[real]} 是同一个文件,不能重复汇总")
            return EXIT_UNUSABLE
        seen[real] = name
    total = add_up([(name, load_draft(name)) for name in args.drafts], args.org)
    save_draft(total.draft, out)
    print(f"已把 {len(args.drafts)} 份草稿汇总到 {out}")
    for name in args.drafts:
        other = holder(name)
        if other is not None:
            unsaved = any(is_newer(rec, name) for rec in recovery_files(name))
            print(f"注意:{name}:{other.describe()}" + (",有尚未保存的修改" if unsaved else "")
                  + ";汇总用的是文件中已保存的内容")
    if total.blanks:
        sources = sorted({n for names in total.blanks.values() for n in names})
        print(f"注意:{len(total.blanks)} 个单元格在部分草稿中空白,汇总时只加了有数字的:{'、'.join(sources[:10])}")
    if total.not_carried:
        print(f"注意:下列 {len(total.not_carried)} 个填写的合计没有汇总(汇总报告的合计由各项相加算出):")
        template = total.draft.template
        for name, key, value in total.not_carried:
            print(f"  {name}:{template.describe_cell(CellRef(*key))} = {value}")
    return EXIT_OK


COMMAND = SubCommand(
    "total", "把多份报告的表格相加成一份汇总草稿", add_arguments, run,
    description="把同一年度、同一格式的多份草稿的表格数字相加,写成一份新的汇总草稿(不会覆盖已有文件)。",
)
