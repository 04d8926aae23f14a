"""`nianbao render` (Markdown, web page or Word file) and `nianbao verify` (a published copy's
figures against the draft).

render refuses a draft with errors (exit 1, nothing written) unless --force; --with-record
appends a validation record. verify exits 0 when every figure matches, 1 when one differs,
2 when the copy or the draft cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nianbao.cli.command import SubCommand
from nianbao.engine.exports import BY_SUFFIX, FORMATS, export_bytes
from nianbao.errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, NianbaoError, os_reason, printable

if TYPE_CHECKING:
    from nianbao.store.draft import Draft


def render_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("draft", help="草稿文件")
    p.add_argument("-o", "--output", help="输出文件(默认输出到屏幕;按扩展名 .md/.html/.docx 选择格式)")
    p.add_argument("--format", choices=FORMATS, help="md(Markdown,默认)、html(网页)或 docx(Word)")
    p.add_argument("--tables", choices=("pipe", "html"), default="pipe",
                   help="Markdown 的表格写法:pipe(默认)或 html(保留合并单元格)")
    p.add_argument("--force", action="store_true", help="草稿有错误也导出")
    p.add_argument("--with-record", action="store_true",
                   help="在报告末尾附校验记录(检查时间、版本、检查结果和数据摘要,可用 nianbao verify 核对)")


def verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("published", help="已发布的报告文件")
    p.add_argument("draft", help="草稿文件(.toml)")


def _err(message: str) -> None:
    print(f"nianbao:{printable(message)}", file=sys.stderr)


def _format_of(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.output:
        return BY_SUFFIX.get(Path(args.output).suffix.lower(), "md")
    return "md"


def cmd_render(args: argparse.Namespace) -> int:
    from nianbao.engine.checks import check, counts
    from nianbao.engine.layout import shown_values
    from nianbao.engine.record import make_record
    from nianbao.store.draft import atomic_write, load_draft, load_previous

    draft = load_draft(args.draft)
    try:
        previous = load_previous(draft, args.draft)
    except NianbaoError:  # last year's draft only adds cross-year warnings; render without them
        previous = None
    findings = check(draft, previous)
    errors, _ = counts(findings)
    if errors and not args.force:
        _err(f"{args.draft} 有 {errors} 个错误,没有导出。运行 nianbao check {args.draft} 查看;确需导出请加 --force")
        return EXIT_FINDINGS
    if errors:
        _err(f"注意:{args.draft} 有 {errors} 个错误,按 --force 仍然导出")
    fmt = _format_of(args)
    record = make_record(draft, findings, shown_values(draft), forced=bool(errors)).text() if args.with_record else ""
    data = export_bytes(draft, fmt, tables=args.tables, record=record)
    if not args.output:
        if fmt == "docx" and sys.stdout.isatty():
            _err("Word 文件不能输出到屏幕,请用 -o 指定文件名,如 -o 报告.docx")
            return EXIT_UNUSABLE
        sys.stdout.buffer.write(data) if fmt == "docx" else sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return EXIT_OK
    out = Path(args.output)
    try:
        from nianbao.store.sidefile import side_file_mode

        atomic_write(out, data, mode=side_file_mode(args.draft))  # never wider than the draft
    except OSError as exc:
        _err(f"{out}:无法写入({os_reason(exc)})")
        return EXIT_UNUSABLE
    print(f"已导出 {printable(str(out))}", file=sys.stderr)
    return EXIT_OK


def _describe(draft: Draft, key: tuple[str, str, str]) -> str:
    from nianbao.report.model import CellRef

    return str(draft.template.describe_cell(CellRef(*key)))


def cmd_verify(args: argparse.Namespace) -> int:
    from nianbao.engine.verify import compare, read_published
    from nianbao.store.draft import load_draft

    draft = load_draft(args.draft)
    published = read_published(Path(args.published), draft)
    result = compare(published, draft)
    name = printable(args.published)
    if not result.matches:
        print(f"✗ {name} 与 {printable(args.draft)} 不一致:")
    for key, got, want in result.differences[:50]:
        print(f"  {_describe(draft, key)}:报告中为“{got or '空白'}”,草稿为“{want or '空白'}”")
    if len(result.differences) > 50:
        print(f"  ……共 {len(result.differences)} 处不一致")
    if result.missing:
        print(f"  报告中少了 {result.missing} 个数字(表格不全或不是按此模板导出的)")
    if result.record_digest is not None:
        if result.record_digest != result.draft_digest:
            print("  校验记录的数据摘要与草稿不符:草稿在校验后改过,或报告附的是另一份草稿的记录")
        if result.record_digest != result.published_digest:
            print("  报告中的数字与其校验记录不符:报告在校验后被改动过")
    if result.matches:
        extra = ",与校验记录的数据摘要一致" if result.record_digest else ""
        print(f"✓ {name} 中的 {result.cells} 个数字与 {printable(args.draft)} 一致{extra}")
        return EXIT_OK
    return EXIT_FINDINGS


COMMAND = SubCommand(
    "render", "导出报告(Markdown、网页或 Word)", render_arguments, cmd_render,
    description="把草稿导出为报告:Markdown(默认)、网页(HTML)或 Word(DOCX)。草稿有错误时不导出,除非加 --force。",
    epilog="退出码:0 已导出;1 草稿有错误未导出;2 文件无法读取或写入。",
)

VERIFY = SubCommand(
    "verify", "核对已发布报告中的数字与草稿是否一致", verify_arguments, cmd_verify,
    description="核对已发布的报告(.md/.html/.docx)中的数字是否与草稿一致。",
    epilog="退出码:0 数字一致;1 有不一致;2 文件无法读取。",
)
