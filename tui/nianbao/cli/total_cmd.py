"""`nianbao total OUT A B …`: the tables of several reports added up into a new draft."""

from __future__ import annotations

import argparse
from pathlib import Path

from nianbao.cli.command import SubCommand, err
from nianbao.errors import EXIT_OK, EXIT_UNUSABLE


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("output", help="汇总草稿的文件名")
    p.add_argument("drafts", nargs="+", metavar="draft", help="要汇总的草稿")
    p.add_argument("--org", default="", help="汇总报告的机关名称")


def run(args: argparse.Namespace) -> int:
    from nianbao.engine.aggregate import add_up
    from nianbao.store.draft import load_draft, save_draft

    out = Path(args.output)
    if out.exists():
        err(f"{out} 已存在,不会覆盖")
        return EXIT_UNUSABLE
    total = add_up([(name, load_draft(name)) for name in args.drafts], args.org)
    save_draft(total.draft, out)
    print(f"已把 {len(args.drafts)} 份草稿汇总到 {out}")
    if total.blanks:
        sources = sorted({n for names in total.blanks.values() for n in names})
        print(f"注意:{len(total.blanks)} 个单元格在部分草稿中空白,汇总时只加了有数字的:{'、'.join(sources[:10])}")
    return EXIT_OK


COMMAND = SubCommand(
    "total", "把多份报告的表格相加成一份汇总草稿", add_arguments, run,
    description="把同一年度、同一格式的多份草稿的表格数字相加,写成一份新的汇总草稿(不会覆盖已有文件)。",
)
