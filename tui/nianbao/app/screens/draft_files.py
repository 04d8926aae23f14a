"""Saving, 另存为, export and autosave for the editor: everything that writes a file.

`DraftFiles` is mixed into `EditorScreen`; it needs `self.session` and `_update_header()`.
Nothing here may lose typed work: a failed save keeps the draft in memory and offers 另存为;
a file changed on disk since it was read asks 覆盖 / 重新载入 / 另存为; the lock moves with
the draft on 另存为; the recovery file is this session's own (`Session.recovery_file`).
"""

from __future__ import annotations

import os
from pathlib import Path

from nianbao.app.recent import remember
from nianbao.app.screens.dialogs import ChoiceScreen, ConfirmScreen, PathScreen
from nianbao.errors import os_reason
from nianbao.store.draft import DraftError
from nianbao.store.lock import DraftLocked, holder
from nianbao.store.recovery import free_recovery_path, remove_recovery, write_recovery

AUTOSAVE_DELAY = 0.5  # seconds after the FIRST unsaved change; the promise is "at most one second lost"


def free_sibling(path: Path) -> Path:
    """A name for saving a copy: `NAME-2.toml`, `NAME-3.toml`… beside the draft, or in the home
    folder when the draft's folder cannot be written."""
    folder = path.parent if os.access(path.parent, os.W_OK) else Path.home()
    names = [path.name] if folder != path.parent else []
    names += [f"{path.stem}-{n}{path.suffix}" for n in range(2, 1000)]
    for name in names:
        if not (folder / name).exists():
            return folder / name
    return folder / path.name


class DraftFiles:
    # ---------------------------------------------------------------- saving
    def action_save(self) -> bool:
        """Save; False if it did not happen now (a question was asked, or it failed)."""
        self.sync_from_widgets()
        if self.session.path is None:
            self.action_save_as()
            return False
        changed = self.session.changed_on_disk()
        if changed:
            self.app.push_screen(
                ChoiceScreen(
                    "草稿文件在磁盘上已被改动",
                    [("overwrite", "覆盖"), ("reload", "重新载入"), ("save_as", "另存为"), ("cancel", "取消")],
                    f"{changed}。覆盖会丢掉那边的修改;重新载入会丢掉这里未保存的修改;另存为两边都保留。",
                    default="save_as",
                ),
                self._resolve_conflict,
            )
            return False
        return self._write()

    def _resolve_conflict(self, choice: str | None) -> None:
        if choice == "overwrite":
            self._write()
        elif choice == "reload":
            try:
                self.session.reload()
            except DraftError as exc:
                self.notify(str(exc), severity="error", timeout=10)
                return
            self._drop_recovery()  # the clerk chose to drop these edits
            self.app.reopen(self.session)
        elif choice == "save_as":
            self.action_save_as(elsewhere=True)

    def _write(self) -> bool:
        try:
            self.session.save()
        except DraftError as exc:
            # Nothing is lost: the draft stays in memory (and in the recovery file if it could
            # be written); offer another place.
            self.app.push_screen(
                ChoiceScreen("保存失败,内容仍在,没有丢失", [("save_as", "另存为…"), ("cancel", "稍后")], str(exc)),
                lambda choice: self.action_save_as(elsewhere=True) if choice == "save_as" else None,
            )
            return False
        self._drop_recovery()
        self._update_header()
        self.notify(f"已保存 {self.session.path.name}", timeout=2)
        remember(self.session.path)
        return True

    def action_save_as(self, elsewhere: bool = False) -> None:
        """Ask for a file name and save there. `elsewhere`: the current file is not an option
        (it changed on disk, or cannot be written), so another name is offered."""
        if self.session.path is None:
            default = "年报草稿.toml"
        else:
            default = str(free_sibling(self.session.path) if elsewhere else self.session.path)

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            if self._same_file(path):
                self.action_save()  # the same file: its conflict check and failures apply
                return
            other = holder(path)
            if other is not None:
                self.notify(f"不能保存到 {path.name}:{other.describe()}", severity="error", timeout=10)
                return
            if path.exists():
                self.app.push_screen(
                    ConfirmScreen(f"{path.name} 已存在,覆盖它吗?", yes="覆盖", no="取消", default="no"),
                    lambda yes: self._save_as(path) if yes else None,
                )
                return
            self._save_as(path)

        self.app.push_screen(PathScreen("另存为", default, ".toml"), chosen)

    def _same_file(self, path: Path) -> bool:
        old = self.session.path
        try:
            return old is not None and old.resolve() == path.resolve()
        except (OSError, RuntimeError):
            return False

    def _save_as(self, path: Path) -> None:
        """Save under `path`; the lock moves with the draft (the new file is locked before it
        is written, the old one released after)."""
        self.sync_from_widgets()
        old, moving = self.session.path, not self._same_file(path)
        if moving:
            try:
                self.app.lock_draft(path)
            except DraftLocked as exc:
                self.notify(f"不能保存到 {path.name}:{exc.holder.describe()}", severity="error", timeout=10)
                return
        try:
            self.session.save(path)
        except DraftError as exc:
            if moving:
                self.app.unlock_draft(path)
            self.notify(str(exc), severity="error", timeout=10)
            return
        if moving and old is not None:
            self.app.unlock_draft(old)
        self._drop_recovery()
        self._update_header()
        self.notify(f"已另存为 {path}", timeout=3)
        remember(path)

    def action_export(self) -> None:
        from nianbao.engine.exports import LABEL, SUFFIX

        errors, _ = self.session.counts()

        def write(fmt: str, path: Path | None) -> None:
            if path is None:
                return
            from nianbao.engine.exports import export_bytes
            from nianbao.store.draft import atomic_write

            self.sync_from_widgets()
            try:
                from nianbao.store.sidefile import side_file_mode

                # never wider than the draft
                atomic_write(path, export_bytes(self.session.draft, fmt), mode=side_file_mode(self.session.path))
            except OSError as exc:
                self.notify(f"{path}:无法写入({os_reason(exc)})", severity="error", timeout=10)
                return
            self.notify(f"已导出 {path}", timeout=4)

        def ask_path(fmt: str | None) -> None:
            if fmt not in SUFFIX:
                return
            suffix = SUFFIX[fmt]
            base = self.session.path.with_suffix(suffix) if self.session.path else Path("年报" + suffix)
            self.app.push_screen(PathScreen(f"导出 {LABEL[fmt]} 到", str(base), suffix), lambda p: write(fmt, p))

        def ask_format(ok: bool | None = True) -> None:
            if ok:
                self.app.push_screen(ChoiceScreen("导出为哪种格式?", [(f, LABEL[f]) for f in SUFFIX]), ask_path)

        if errors:
            self.app.push_screen(ConfirmScreen(f"报告还有 {errors} 个错误,仍要导出吗?", "仍要导出", "返回修改", default="no"), ask_format)
        else:
            ask_format()

    # ---------------------------------------------------------------- autosave
    def _schedule_autosave(self) -> None:
        # A throttle, not a debounce: a write already pending keeps its time, so steady typing
        # (a key every 0.2 s for minutes) still writes the recovery file twice a second. The
        # write runs from the timer, between keys, never inside a key's handler.
        if self.session.path is None or self._autosave_timer is not None:
            return
        self._autosave_timer = self.set_timer(AUTOSAVE_DELAY, self._write_recovery)

    def flush_recovery(self) -> None:
        """Write the recovery file now (before quitting without saving)."""
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
        self._write_recovery()

    def _drop_recovery(self) -> None:
        """The draft is saved: this session's recovery file has nothing left to keep."""
        if self.session.recovery_file is not None:
            remove_recovery(self.session.recovery_file)
            self.session.recovery_file = None

    def _write_recovery(self) -> None:
        self._autosave_timer = None
        self.sync_from_widgets()
        if self.session.path is None or not self.session.dirty:
            return
        if self.session.recovery_file is None:
            self.session.recovery_file = free_recovery_path(self.session.path)
        try:
            write_recovery(self.session.draft, self.session.path, self.session.recovery_file)
        except OSError as exc:
            reason = os_reason(exc)
            if reason != getattr(self, "_autosave_failure", None):  # say it once, not every keystroke
                self.notify(f"自动保存失败({reason}),请尽快另存(F3)", severity="error", timeout=8)
            self._autosave_failure = reason
        else:
            self._autosave_failure = None
