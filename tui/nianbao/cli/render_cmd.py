"""`nianbao render DRAFT [-o FILE]`: the report as Markdown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nianbao.cli.command import SubCommand, err
from nianbao.errors import EXIT_OK, EXIT_UNUSABLE, os_reason


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("draft", help="草稿文件")
    p.add_argument("-o", "--output", help="输出文件(默认输出到屏幕)")
    p.add_argument("--tables", choices=("pipe", "html"), default="pipe", help="表格写法:pipe(默认)或 html(保留合并单元格)")


def run(args: argparse.Namespace) -> int:
    from nianbao.engine.render import render_markdown
    from nianbao.store.draft import atomic_write, load_draft

    draft = load_draft(args.draft)
    text = render_markdown(draft, tables=args.tables)
    if args.output:
        out = Path(args.output)
        try:
            from nianbao.store.sidefile import side_file_mode

            atomic_write(out, text.encode("utf-8"), mode=side_file_mode(args.draft))  # never wider than the draft
        except OSError as exc:
            err(f"{out}:无法写入({os_reason(exc)})")
            return EXIT_UNUSABLE
        print(f"已导出 {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


COMMAND = SubCommand("render", "导出 Markdown 报告", add_arguments, run, description="把草稿导出为 Markdown 报告。")
