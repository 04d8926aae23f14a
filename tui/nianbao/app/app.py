"""The Textual application: wires screens together; holds no report knowledge of its own."""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen

from nianbao.app.recent import remember
from nianbao.app.screens.dialogs import ChoiceScreen, NewDraftRequest, NewDraftScreen, QuitScreen
from nianbao.app.screens.editor import EditorScreen
from nianbao.app.screens.recover import RecoverScreen
from nianbao.app.screens.start import StartScreen
from nianbao.app.textual_fixes import SafeCommandPalette  # (importing it also applies the other fixes)
from nianbao.app.widgets.navigator import entries
from nianbao.editing.session import REVIEW_ENTRY, Session
from nianbao.errors import NianbaoError
from nianbao.report.template import load_template
from nianbao.store.draft import new_draft, save_draft
from nianbao.store.lock import REFRESH_EVERY, DraftLocked, Lock, acquire, lock_path
from nianbao.store.recovery import (
    differences,
    is_newer,
    read_recovery_file,
    recovery_files,
    recovery_hint,
    remove_recovery,
)

LOCK_RETRY_EVERY = 30  # seconds: how soon an unlocked open draft takes the lock once it can


class NianbaoApp(App):
    CSS_PATH = "nianbao.tcss"
    TITLE = "nianbao"
    BINDINGS = [
        Binding("ctrl+q", "quit", "退出", id="app.quit", priority=True),
        Binding("f10", "quit", "退出", show=False, id="app.quit_f10"),
        Binding("ctrl+p", "command_palette", "命令", show=False, id="app.palette", priority=True),
        Binding("f1", "command_palette", "命令", show=False, id="app.palette_f1", priority=True),
    ]

    def __init__(self, path: str | Path | None = None, folder: Path | None = None):
        super().__init__()
        self.start_path = Path(path) if path else None
        self.folder = folder or Path.cwd()
        self.locks: list[Lock] = []  # released when the app ends (see release_locks)

    def on_mount(self) -> None:
        # Another PC on a shared folder sees our lock as live only while it is refreshed.
        self.set_interval(REFRESH_EVERY, lambda: [lock.refresh() for lock in self.locks])
        self.set_interval(LOCK_RETRY_EVERY, self.claim_lock)
        if self.start_path:
            self.open_draft(self.start_path)
        else:
            self.push_screen(StartScreen(self.folder))

    def pop_screen(self):
        # The start screen and the editor are never closed by popping: a late second dismiss
        # (a dialog's, or the command palette's) must not leave a blank app behind.
        if isinstance(self.screen, (EditorScreen, StartScreen)):
            return AwaitComplete.nothing()
        return super().pop_screen()

    @property
    def editor(self) -> EditorScreen | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, EditorScreen):
                return screen
        return None

    # ---------------------------------------------------------------- opening
    def open_draft(self, path: Path, force: bool = False) -> None:
        try:
            session = Session.open(path)
        except NianbaoError as exc:
            self.notify(str(exc) + recovery_hint(path), severity="error", timeout=12)
            if not isinstance(self.screen, StartScreen):
                self.push_screen(StartScreen(self.folder))
            return
        if force:
            # The clerk opens it although another running nianbao has it: that one keeps its
            # lock (taking it over would leave a third instance unwarned once we quit), and its
            # recovery file is its live work, not ours to offer or delete; this session
            # autosaves under a free name.
            self.notify("这份草稿也在别处打开着:保存时如发现那边已改动,会先询问", severity="warning", timeout=8)
            remember(path)
            self._show_editor(session)
            return
        try:
            lock = acquire(path)
        except DraftLocked as exc:

            def decide(choice: str | None) -> None:
                if choice == "open":
                    self.open_draft(path, force=True)
                elif not isinstance(self.screen, StartScreen):
                    self.push_screen(StartScreen(self.folder))

            self.push_screen(
                ChoiceScreen("这份草稿已在别处打开", [("open", "仍然打开"), ("cancel", "取消")], str(exc), default="cancel"),
                decide,
            )
            return
        self.locks.append(lock)
        if lock.problem:
            self.notify(lock.problem, severity="warning", timeout=8)
        remember(path)
        offer = self._recovery_to_offer(session)
        if lock.took_over is not None and offer is None:  # (with an offer, the dialog says enough)
            self.notify("上次打开这份草稿的程序没有正常退出", timeout=6)
        if offer is not None:
            rec, recovered, diffs = offer
            others = len(recovery_files(path)) - 1
            screen = RecoverScreen(diffs, newer=is_newer(rec, path), others=others)
            self.push_screen(screen, partial(self._after_recover, session, rec, recovered))
            return
        self._show_editor(session)

    def _recovery_to_offer(self, session: Session):
        """(file, draft, differences) of the newest recovery file that holds something the
        saved draft does not; recovery files holding nothing new are removed."""
        for rec in recovery_files(session.path):
            try:
                recovered = read_recovery_file(rec)
            except NianbaoError as exc:
                self.notify(f"恢复文件无法读取,已保留未动:{exc}", severity="warning", timeout=8)
                continue
            diffs = differences(session.draft, recovered)
            if diffs:
                return rec, recovered, diffs
            remove_recovery(rec)
        return None

    def _after_recover(self, session: Session, rec: Path, recovered, choice: str | None) -> None:
        if choice == "restore":
            session = Session(recovered, session.path, session.previous, session.disk)
            session.dirty = True
            session.recovery_file = rec  # autosaves continue in it; saving removes it
            self.notify("已恢复自动保存的内容,请检查后保存(F2)", timeout=6)
        elif choice == "discard":
            remove_recovery(rec)
        else:
            self.notify(f"恢复文件已保留({rec.name}),下次打开时会再询问", timeout=6)
        self._show_editor(session)

    def reopen(self, session: Session) -> None:
        """A fresh editor on the session (after reloading its draft from disk)."""
        self.switch_screen(EditorScreen(session))
        self.notify("已重新载入磁盘上的草稿", timeout=4)

    def _show_editor(self, session: Session) -> None:
        screen = EditorScreen(session)
        if isinstance(self.screen, StartScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def new_draft_dialog(self, folder: Path) -> None:
        import datetime as dt

        template = load_template()
        year = dt.date.today().year - 1

        def create(request: NewDraftRequest | None) -> None:
            if request is None:
                return
            draft = new_draft(template, request.org_name, request.year, request.org_type)
            try:
                save_draft(draft, request.path)
            except NianbaoError as exc:
                self.notify(str(exc), severity="error", timeout=10)
                return
            self.open_draft(request.path)

        self.push_screen(NewDraftScreen(template, year, folder), create)

    def claim_lock(self) -> None:
        """Lock the open draft if it is not locked yet: it was opened anyway while another
        nianbao held it and that one has quit since, or no lock could be written (full disk)."""
        editor = self.editor
        path = editor.session.path if editor is not None else None
        target = os.path.abspath(lock_path(path)) if path is not None else ""
        if path is None or any(lock.held and os.path.abspath(lock.file) == target for lock in self.locks):
            return
        try:
            self.lock_draft(path, quiet=True)
        except DraftLocked:
            pass  # still open elsewhere

    def lock_draft(self, path: Path, quiet: bool = False) -> None:
        """Hold a lock on `path` too (another name for the open draft). Raises DraftLocked."""
        lock = acquire(path)
        if not lock.acquired:
            if not quiet:
                self.notify(lock.problem, severity="warning", timeout=8)
            return
        self.locks.append(lock)

    def unlock_draft(self, path: Path) -> None:
        """Release this app's locks on `path` (the draft now lives under another name)."""
        keep, target = [], os.path.abspath(lock_path(path))
        for lock in self.locks:
            if os.path.abspath(lock.file) == target:
                lock.release()
            else:
                keep.append(lock)
        self.locks = keep

    def release_locks(self) -> None:
        for lock in self.locks:
            lock.release()
        self.locks.clear()

    def on_unmount(self) -> None:
        self.release_locks()

    # ---------------------------------------------------------------- quitting
    async def action_quit(self) -> None:
        editor = self.editor
        if editor is not None and not isinstance(self.screen, QuitScreen):
            editor.after_pending_input(self._quit)  # keys typed just before Ctrl+Q count
        else:
            self._quit()

    def _quit(self) -> None:
        editor = self.editor
        if editor is None or not editor.session.dirty:
            self.exit()
            return

        def decide(choice: str | None) -> None:
            if choice == "save":
                if editor.action_save():
                    self.exit()
            elif choice == "discard":
                editor.flush_recovery()  # 不保存 keeps the typing in the recovery file, to be offered again
                self.exit()

        if not isinstance(self.screen, QuitScreen):
            self.push_screen(QuitScreen(), decide)

    # ---------------------------------------------------------------- command palette
    def action_command_palette(self) -> None:
        editor = self.editor
        if editor is not None and self.screen is editor:
            editor.after_pending_input(self._open_palette)  # keys typed before F1 go where they were typed
        else:
            self._open_palette()

    def _open_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            # No fixed id: a palette opened while the last one is still being removed would clash.
            palette = SafeCommandPalette(placeholder="输入要做的事,如 保存、跳转、导出、检查…")
            self.push_screen(palette)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's own entries (Keys, Maximize, Theme, Screenshot…) are English and not for clerks.
        yield SystemCommand("程序: 退出", "退出 nianbao(有未保存的修改会先询问;Ctrl+Q 或 F10)", self.action_quit)
        editor = self.editor
        if editor is None:
            yield SystemCommand("草稿: 新建", "新建一份年报草稿", lambda: self.new_draft_dialog(self.folder))
            return
        for entry, label in entries(editor.session):
            yield SystemCommand(f"跳转: {label}", f"打开“{label}”", partial(editor.show_entry, entry))
        yield SystemCommand("草稿: 保存", "保存草稿(F2 或 Ctrl+S)", editor.action_save)
        yield SystemCommand("草稿: 另存为", "换个文件名保存(F3)", editor.action_save_as)
        yield SystemCommand("导出报告", "导出为 Markdown、网页或 Word(F6)", editor.action_export)
        yield SystemCommand("检查: 下一个问题", "跳到下一个错误或提醒(F8)", editor.action_next_problem)
        yield SystemCommand("检查: 上一个问题", "跳到上一个错误或提醒(Shift+F8)", editor.action_previous_problem)
        yield SystemCommand("检查: 全部问题", "打开“检查与导出”", partial(editor.show_entry, REVIEW_ENTRY))
        yield SystemCommand("提醒: 接受", "说明理由并接受当前提醒(F7)", editor.action_accept_warning)
        yield SystemCommand("表格: 切换回车方向", "回车后向下或向右移动(F5)", editor.action_toggle_direction)
