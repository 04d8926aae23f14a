"""`nianbao migrate DRAFT [--dry-run]`: a draft of an older template version upgraded on disk."""

from __future__ import annotations

import argparse

from nianbao.cli.command import SubCommand
from nianbao.errors import EXIT_OK


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("draft", help="草稿文件")
    p.add_argument("--dry-run", action="store_true", help="只列出会移动或修改的内容,不写文件")


def run(args: argparse.Namespace) -> int:
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


COMMAND = SubCommand(
    "migrate", "把旧版模板的草稿升级到当前模板", add_arguments, run,
    description="按模板中声明的迁移步骤,把旧版本模板的草稿升级(原文件另存为 .bak)。",
)
