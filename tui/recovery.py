"""Recovery files: unsaved work written beside the draft, like Vim's swap files.

`.NAME.toml.recover` holds the whole draft as it was in the app within a second of the last
change; saving the draft removes it. Opening a draft with a newer recovery file offers to
restore it (in the app, and with `nianbao recover`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .draft import Draft, DraftError, atomic_write, dumps, parse_draft, read_text, save_draft
from .errors import EXIT_OK, EXIT_UNUSABLE
from .lock import acquire


def recovery_path(path: Path | str) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.recover")


def write_recovery(draft: Draft, path: Path | str) -> Path:
    target = recovery_path(path)
    atomic_write(target, dumps(draft).encode("utf-8"))
    return target


def remove_recovery(path: Path | str) -> None:
    try:
        recovery_path(path).unlink()
    except FileNotFoundError:
        pass


def pending_recovery(path: Path | str) -> Path | None:
    """The recovery file if it exists and is newer than the draft."""
    rec = recovery_path(path)
    try:
        rec_time = rec.stat().st_mtime
    except OSError:
        return None
    try:
        draft_time = Path(path).stat().st_mtime
    except OSError:
        return rec
    return rec if rec_time >= draft_time else None


def load_recovery(path: Path | str) -> Draft:
    rec = recovery_path(path)
    return parse_draft(read_text(rec), str(rec))


@dataclass(frozen=True)
class Difference:
    place: str  # Chinese description of the field or cell
    saved: str
    recovered: str


def differences(saved: Draft, recovered: Draft) -> list[Difference]:
    """What the recovery file would change, field by field, in template order."""
    from .values import format_cell

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
            out.append(Difference(f"{section.heading}“{f.label}”", _short(a), _short(b)))
    for ref in t.all_cells:
        key = (ref.table, ref.row, ref.col)
        a, b = saved.values.get(key), recovered.values.get(key)
        if a != b:
            out.append(Difference(t.describe_cell(ref), format_cell(a) or "空", format_cell(b) or "空"))
    return out


def _short(text: str, width: int = 30) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def recover_command(args) -> int:
    """`nianbao recover DRAFT [--apply | --discard]`."""
    from .draft import load_draft

    path = Path(args.draft)
    rec = recovery_path(path)
    if not rec.exists():
        print(f"{path}:没有恢复文件,无需恢复")
        return EXIT_OK
    try:
        recovered = load_recovery(path)
    except DraftError as exc:
        print(f"nianbao:恢复文件无法读取:{exc}", file=os.sys.stderr)
        return EXIT_UNUSABLE
    saved = load_draft(path) if path.exists() else None
    if args.discard or args.apply:
        # Changing the draft or its recovery file under a running app would lose that app's work:
        # hold the draft's lock while we do it (raises DraftLocked, exit code 2, if it is open).
        with acquire(path):
            return _apply_or_discard(args, path, rec, saved, recovered)
    diffs = differences(saved, recovered) if saved else []
    newer = "比草稿新" if pending_recovery(path) else "比草稿旧"
    print(f"恢复文件 {rec}({newer}),与已保存的草稿有 {len(diffs)} 处不同:")
    for d in diffs:
        print(f"  {d.place}:{d.saved or '空'} → {d.recovered or '空'}")
    print("恢复:nianbao recover --apply 草稿;丢弃:nianbao recover --discard 草稿")
    return EXIT_OK


def _apply_or_discard(args, path: Path, rec: Path, saved, recovered) -> int:
    if args.discard:
        remove_recovery(path)
        print(f"已删除恢复文件 {rec}")
        return EXIT_OK
    diffs = differences(saved, recovered) if saved else []
    if args.apply:
        save_draft(recovered, path)
        remove_recovery(path)
        print(f"已用恢复文件更新 {path}({len(diffs)} 处不同)")
    return EXIT_OK
