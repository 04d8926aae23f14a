"""Recovery files: unsaved work written beside the draft, like Vim's swap files.

`.NAME.toml.recover` holds the whole draft as it was in the app within a second of the last
change; saving the draft removes it. Opening a draft that has a recovery file holding
something else than the draft offers to restore it (in the app, and with `nianbao recover`,
nianbao/cli/recover_cmd.py).

A recovery file is never overwritten by another session: when the clerk puts the decision
off (稍后), or opens a draft that another running nianbao holds, the session writes
`.NAME.toml.recover.2` (the first free number) instead, like Vim's `.swo` beside a `.swp`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from nianbao.errors import os_reason
from nianbao.store.draft import Draft, DraftError, atomic_write, dumps, parse_draft, read_text
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
