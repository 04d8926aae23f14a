"""`nianbao recover DRAFT [--apply | --discard]`: the recovery files of a draft, what they
would change, and applying or discarding the newest (store/recovery.py keeps the files)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nianbao.cli.command import SubCommand, err
from nianbao.errors import EXIT_OK, EXIT_UNUSABLE
from nianbao.store.draft import Draft, DraftError, load_draft, save_draft
from nianbao.store.lock import acquire
from nianbao.store.recovery import differences, is_newer, read_recovery_file, recovery_files, remove_recovery


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("draft", help="草稿文件")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--apply", action="store_true", help="用恢复文件的内容覆盖草稿")
    group.add_argument("--discard", action="store_true", help="删除恢复文件")


def run(args: argparse.Namespace) -> int:
    """List the recovery files and what they would change; apply or discard the newest."""
    path = Path(args.draft)
    files = recovery_files(path)
    if not files:
        print(f"{path}:没有恢复文件,无需恢复")
        return EXIT_OK
    saved: Draft | None = None
    if path.exists():
        try:
            saved = load_draft(path)
        except DraftError as exc:  # the recovery file may be exactly what is needed now
            print(f"注意:草稿本身无法读取,无法逐项比较:{exc}", file=sys.stderr)
    if args.discard or args.apply:
        # Changing the draft or its recovery file under a running app would lose that app's work:
        # hold the draft's lock while we do it (raises DraftLocked, exit code 2, if it is open).
        with acquire(path):
            return _apply_or_discard(args.discard, path, files, saved)
    unreadable = 0
    for rec in files:
        try:
            recovered = read_recovery_file(rec)
        except DraftError as exc:
            err(f"恢复文件无法读取:{exc}")
            unreadable += 1
            continue
        if saved is None:
            print(f"恢复文件 {rec}:{recovered.org_name or '(未填机关名称)'} {recovered.year or ''} 年,可以用它恢复草稿")
            continue
        diffs = differences(saved, recovered)
        newer = "比草稿新" if is_newer(rec, path) else "比草稿旧"
        print(f"恢复文件 {rec}({newer}),与已保存的草稿有 {len(diffs)} 处不同:")
        for d in diffs:
            print(f"  {d.place}:{d.saved or '空'} → {d.recovered or '空'}")
    print("恢复:nianbao recover --apply 草稿;丢弃:nianbao recover --discard 草稿(都只处理最新的一个)")
    return EXIT_UNUSABLE if unreadable == len(files) else EXIT_OK


def _apply_or_discard(discard: bool, path: Path, files: list[Path], saved: Draft | None) -> int:
    rec = files[0]
    rest = f";还有 {len(files) - 1} 个较旧的恢复文件" if len(files) > 1 else ""
    if discard:
        problem = remove_recovery(rec)
        if problem:
            print(f"nianbao:无法删除恢复文件 {rec}({problem}),它仍在原处", file=sys.stderr)
            return EXIT_UNUSABLE
        print(f"已删除恢复文件 {rec}{rest}")
        return EXIT_OK
    try:
        recovered = read_recovery_file(rec)
    except DraftError as exc:
        err(f"恢复文件无法读取:{exc}")
        return EXIT_UNUSABLE
    diffs = differences(saved, recovered) if saved else []
    if saved is None and path.exists():  # an unreadable draft is kept aside, not overwritten
        kept = _free_name(path.with_name(path.name + ".bak"))
        os.replace(path, kept)
        print(f"无法读取的原草稿已改名为 {kept.name}")
    save_draft(recovered, path)
    remove_recovery(rec)
    counted = f"({len(diffs)} 处不同)" if saved is not None else ""
    print(f"已用恢复文件 {rec.name} 更新 {path}{counted}{rest}")
    return EXIT_OK


def _free_name(path: Path) -> Path:
    n, candidate = 1, path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{n}")
    return candidate


COMMAND = SubCommand("recover", "查看并恢复自动保存的内容", add_arguments, run, description="查看自动保存的恢复文件,并恢复或丢弃。")
