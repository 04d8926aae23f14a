"""The `nianbao` command: `nianbao [DRAFT]` opens the app; `nianbao SUB-COMMAND …` runs one.

Exit codes: 0 clean, 1 errors found, 2 unusable input (nianbao.errors). Messages are Chinese;
no traceback ever reaches a clerk. A sub-command is a module `*_cmd.py` in this package; adding
one is one line in COMMANDS.
"""

from __future__ import annotations

import argparse
import os
import sys

from nianbao import __version__
from nianbao.cli import check_cmd, migrate_cmd, new_cmd, recover_cmd, render_cmd, total_cmd
from nianbao.cli.command import SubCommand, err, open_app
from nianbao.cli.terminal import needs_terminal, prepare_streams, silence_stdout
from nianbao.errors import EXIT_OK, EXIT_UNUSABLE, NianbaoError

# The sub-commands, in the order `nianbao --help` lists them.
COMMANDS: list[SubCommand] = [
    new_cmd.COMMAND,
    check_cmd.COMMAND,
    render_cmd.COMMAND,
    render_cmd.VERIFY,
    recover_cmd.COMMAND,
    total_cmd.COMMAND,
    migrate_cmd.COMMAND,
]

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
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s:%(message)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "expected one argument": "需要一个参数",
    "invalid %(type)s value: %(value)r": "无效的值:%(value)r",
    "%(prog)s: error: %(message)s\n": "%(prog)s:错误:%(message)s\n",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义,可能是 %(matches)s",
}


def _zh(text: str) -> str:
    return _ARGPARSE_ZH.get(text, text)


setattr(argparse, "_", _zh)  # noqa: B010  (argparse looks its gettext `_` up at call time)


def build_parser() -> argparse.ArgumentParser:
    """`nianbao` with one sub-parser per entry of COMMANDS."""
    parser = argparse.ArgumentParser(
        prog="nianbao",
        usage="nianbao [草稿.toml]\n       nianbao 子命令 [参数…]",
        description="在终端里填写、检查并导出《政府信息公开工作年度报告》。\n"
        "nianbao 草稿.toml 打开填写界面;省略文件名时显示开始页。",
        epilog="每个子命令加 -h 查看详细说明,如 nianbao check -h。",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nianbao {__version__}", help="显示版本号并退出")
    subparsers = parser.add_subparsers(dest="command", metavar="子命令")
    for command in COMMANDS:
        sub = subparsers.add_parser(
            command.name,
            prog=f"nianbao {command.name}",
            help=command.summary,
            description=command.description or command.summary,
            epilog=command.epilog or None,
        )
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def _open_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nianbao", description="打开草稿的填写界面。")
    p.add_argument("draft", help="要打开的草稿文件(.toml)")
    return p


def _names_a_draft(arg: str) -> bool:
    """Whether the first argument is a draft to open rather than a (mistyped) sub-command."""
    if arg.startswith("-") or arg in {c.name for c in COMMANDS}:
        return False
    return arg.endswith(".toml") or os.sep in arg or "/" in arg or os.path.exists(arg)


def main(argv: list[str] | None = None) -> int:
    saved = prepare_streams()
    try:
        code = _main(argv)
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            silence_stdout()
        return code
    finally:
        sys.stdout, sys.stderr = saved


def _main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and _names_a_draft(argv[0]):
            return _open_draft(_open_parser().parse_args(argv).draft)
        args = build_parser().parse_args(argv)
        if args.command is None:
            return open_app(None)
        code: int = args.run(args)
        return code
    except NianbaoError as exc:
        from nianbao.store.lock import DraftLocked

        err(str(exc) + ("没有做任何修改。" if isinstance(exc, DraftLocked) else ""))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        silence_stdout()
        return EXIT_OK


def _open_draft(path: str) -> int:
    from nianbao.store.draft import load_draft
    from nianbao.store.recovery import recovery_hint

    try:
        load_draft(path)  # refuse an unreadable draft before any screen opens
    except NianbaoError as exc:
        err(str(exc) + recovery_hint(path))
        return exc.exit_code
    if problem := needs_terminal():  # before the app takes the draft's lock
        err(problem)
        return EXIT_UNUSABLE
    return open_app(path)


if __name__ == "__main__":
    sys.exit(main())
