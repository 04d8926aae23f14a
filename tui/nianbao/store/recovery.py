"""Recovery files: unsaved work written beside the draft, like Vim's swap files.

`.NAME.toml.recover` holds the whole draft as it was in the app within a second of the last
change; saving the draft removes it. Opening a draft that has a recovery file holding
something else than the draft offers to restore it (in the app, and with `nianbao recover`).

A recovery file is never overwritten by another session: when the clerk puts the decision
off (稍后), or opens a draft that another running nianbao holds, the session writes
`.NAME.toml.recover.2` (the first free number) instead, like Vim's `.swo` beside a `.swp`.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from nianbao.errors import EXIT_OK, EXIT_UNUSABLE, os_reason
from nianbao.store.draft import Draft, DraftError, atomic_write, dumps, parse_draft, read_text, save_draft
from nianbao.store.lock import acquire
from nianbao.store.sidefile import is_own_regular_file, real_draft, side_file_mode


def recovery_path(path: Path | str, number: int = 1) -> Path:
    path = real_draft(path)  # one draft, one set of recovery files, whatever name opened it
    return path.with_name(f".{path.name}.recover" + ("" if number == 1 else f".{number}"))


def recovery_files(path: Path | str) -> list[Path]:
    """Every recovery file of the draft, the newest first: only regular files of this user, so
    a planted link to someone else's file is never offered (nor read) as this draft's work."""
    path = real_draft(path)
    folder = path.parent if str(path.parent) else Path(".")
    pattern = re.compile(re.escape(f".{path.name}.recover") + r"(\.[0-9]{1,6})?")
    found = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        if pattern.fullmatch(name) and is_own_regular_file(folder / name):
            try:
                found.append((os.lstat(folder / name).st_mtime_ns, folder / name))
            except OSError:
                pass
    return [p for _, p in sorted(found, key=lambda x: (-x[0], str(x[1])))]


def free_recovery_path(path: Path | str) -> Path:
    """Where a new session of the draft may write its recovery file without touching another's."""
    number = 1
    while recovery_path(path, number).exists() or recovery_path(path, number).is_symlink():
        number += 1
    return recovery_path(path, number)


def write_recovery(draft: Draft, path: Path | str, target: Path | None = None) -> Path:
    target = target or recovery_path(path)
    # Never wider than the draft; a link planted under the recovery name is replaced, not followed.
    atomic_write(target, dumps(draft).encode("utf-8"), mode=side_file_mode(path), follow_links=False)
    return target


def remove_recovery(rec: Path) -> str:
    """Remove a recovery file if it can be; one left behind (a read-only folder) is only offered
    again, with nothing new in it, and removed then. Returns why it is still there ("" if gone)."""
    try:
        rec.unlink()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        return os_reason(exc)
    return ""


def is_newer(rec: Path, path: Path | str) -> bool:
    """Whether the recovery file was written after the draft was last saved."""
    try:
        rec_time = rec.lstat().st_mtime
    except OSError:
        return False
    try:
        draft_time = Path(path).stat().st_mtime
    except OSError:
        return True
    return rec_time >= draft_time


def read_recovery_file(rec: Path) -> Draft:
    if rec.is_symlink():
        raise DraftError(f"{rec}:是符号链接,不作为恢复文件读取")
    return parse_draft(read_text(rec), str(rec))


def load_recovery(path: Path | str) -> Draft:
    return read_recovery_file(recovery_path(path))


@dataclass(frozen=True)
class Difference:
    place: str  # Chinese description of the field or cell
    saved: str
    recovered: str


def differences(saved: Draft, recovered: Draft) -> list[Difference]:
    """What the recovery file would change, field by field, in template order."""
    from nianbao.report.values import format_cell

    t = recovered.template
    out: list[Difference] = []
    for m in t.meta:
        a, b = saved.meta.get(m.id), recovered.meta.get(m.id)
        if (a or "") != (b or ""):
            out.append(Difference(f"基本信息“{m.label}”", str(a or ""), str(b or "")))
    for f in t.fields:
        a, b = saved.texts.get(f.key, ""), recovered.texts.get(f.key, "")
        if a != b:
            section = t.section_by_id[f.section_id]
            out.append(Difference(f"{section.heading}“{f.label}”", *_changed_part(a, b)))
    for ref in t.all_cells:
        key = (ref.table, ref.row, ref.col)
        a, b = saved.values.get(key), recovered.values.get(key)
        if a != b:
            out.append(Difference(t.describe_cell(ref), format_cell(a) or "空", format_cell(b) or "空"))
    return out


def _changed_part(a: str, b: str, context: int = 8, width: int = 30) -> tuple[str, str]:
    """The two texts cut down to where they differ, with a little context on each side, so a
    change at the end of a long paragraph still shows."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1

    def cut(text: str) -> str:
        lo, hi = max(0, start - context), len(text) - max(0, end - context)
        piece = text[lo:hi]
        if len(piece) > width:
            piece = piece[: width - 1] + "…"
        return ("…" if lo > 0 else "") + piece.replace("\n", " ") + ("…" if hi < len(text) else "")

    return cut(a), cut(b)


def recovery_hint(path: Path | str) -> str:
    """For the message about a draft that cannot be read: where its unsaved work is."""
    files = recovery_files(path)
    if not files:
        return ""
    return f";另有自动保存的恢复文件 {files[0].name},可用 nianbao recover {Path(path).name} 查看并恢复"


def recover_command(args) -> int:
    """`nianbao recover DRAFT [--apply | --discard]`: list the recovery files and what they
    would change; apply or discard the newest."""
    from nianbao.store.draft import load_draft

    path = Path(args.draft)
    files = recovery_files(path)
    if not files:
        print(f"{path}:没有恢复文件,无需恢复")
        return EXIT_OK
    saved = None
    if path.exists():
        try:
            saved = load_draft(path)
        except DraftError as exc:  # the recovery file may be exactly what is needed now
            print(f"注意:草稿本身无法读取,无法逐项比较:{exc}", file=sys.stderr)
    if args.discard or args.apply:
        # Changing the draft or its recovery file under a running app would lose that app's work:
        # hold the draft's lock while we do it (raises DraftLocked, exit code 2, if it is open).
        with acquire(path):
            return _apply_or_discard(args, path, files, saved)
    unreadable = 0
    for rec in files:
        try:
            recovered = read_recovery_file(rec)
        except DraftError as exc:
            print(f"nianbao:恢复文件无法读取:{exc}", file=sys.stderr)
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


def _apply_or_discard(args, path: Path, files: list[Path], saved) -> int:
    rec = files[0]
    rest = f";还有 {len(files) - 1} 个较旧的恢复文件" if len(files) > 1 else ""
    if args.discard:
        problem = remove_recovery(rec)
        if problem:
            print(f"nianbao:无法删除恢复文件 {rec}({problem}),它仍在原处", file=sys.stderr)
            return EXIT_UNUSABLE
        print(f"已删除恢复文件 {rec}{rest}")
        return EXIT_OK
    try:
        recovered = read_recovery_file(rec)
    except DraftError as exc:
        print(f"nianbao:恢复文件无法读取:{exc}", file=sys.stderr)
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
