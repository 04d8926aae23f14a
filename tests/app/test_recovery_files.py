"""Recovery files are never overwritten by another session: 稍后 keeps them, a draft open in
another nianbao is not offered its live recovery file, 不保存 keeps the last keystrokes."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from nianbao.app.app import NianbaoApp
from nianbao.app.screens.dialogs import ChoiceScreen, QuitScreen
from nianbao.app.screens.draft_files import AUTOSAVE_DELAY
from nianbao.app.screens.editor import EditorScreen
from nianbao.app.screens.recover import RecoverScreen
from nianbao.app.widgets.table_grid import TableGrid
from nianbao.store.draft import load_draft
from nianbao.store.recovery import read_recovery_file, recovery_files, recovery_path, write_recovery

from ..conftest import ROOT

NATURAL = ("t3", "new", "natural")
LICENSING = ("t2", "licensing", "decisions")


def _crashed_session(draft, value: int = 7) -> None:
    """A recovery file like the one a killed app leaves: 本年新收 natural persons = value."""
    d = load_draft(draft)
    d.values[NATURAL] = value
    write_recovery(d, draft)


async def _type_licensing(pilot, app, digits: str) -> None:
    app.editor.show_entry("s2")
    await pilot.pause()
    await pilot.pause()
    app.editor.query_one("#grid-t2", TableGrid).move_to(LICENSING)
    await pilot.press(*digits, "enter")
    await asyncio.sleep(AUTOSAVE_DELAY + 0.4)
    await pilot.pause()


async def test_later_keeps_the_recovery_file_and_this_session_writes_another(seed_copy):
    _crashed_session(seed_copy)
    kept = recovery_path(seed_copy).read_bytes()
    app = NianbaoApp(seed_copy)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, RecoverScreen) and app.screen.newer
        await pilot.press("escape")  # 稍后
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
        assert app.editor.session.draft.values[NATURAL] == 0
        await _type_licensing(pilot, app, "41")
        second = recovery_path(seed_copy, 2)
        assert read_recovery_file(second).values[LICENSING] == 41
        assert recovery_path(seed_copy).read_bytes() == kept  # untouched by this session
        await pilot.press("f2")
        await pilot.pause()
        assert not second.exists() and recovery_path(seed_copy).read_bytes() == kept
    # Next time it is offered again, now older than the saved draft.
    app = NianbaoApp(seed_copy)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, RecoverScreen) and not app.screen.newer
        assert len(app.screen.differences) == 2  # its 7 and, as saved since, the 41 it lacks
        await pilot.click("#restore")
        await pilot.pause()
        assert app.editor.session.draft.values[NATURAL] == 7
        assert app.editor.session.recovery_file == recovery_path(seed_copy)
        await pilot.press("f2")
        await pilot.pause()
        assert recovery_files(seed_copy) == []
    assert load_draft(seed_copy).values[NATURAL] == 7


async def test_discard_removes_only_the_offered_file(seed_copy):
    _crashed_session(seed_copy, 7)
    app = NianbaoApp(seed_copy)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.click("#discard")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen) and recovery_files(seed_copy) == []
        assert app.editor.session.draft.values[NATURAL] == 0


async def test_a_draft_open_in_another_nianbao_is_not_offered_its_live_recovery_file(seed_copy, other_nianbao):
    _crashed_session(seed_copy)  # the other app's autosave
    theirs = recovery_path(seed_copy).read_bytes()
    other_nianbao.holds(seed_copy)
    app = NianbaoApp(seed_copy)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.click("#open")  # 仍然打开
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
        await _type_licensing(pilot, app, "41")
        assert recovery_path(seed_copy).read_bytes() == theirs
        assert read_recovery_file(recovery_path(seed_copy, 2)).values[LICENSING] == 41


async def test_quitting_without_saving_keeps_the_last_keystrokes(seed_copy):
    app = NianbaoApp(seed_copy)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.editor.show_entry("s2")
        await pilot.pause()
        await pilot.pause()
        app.editor.query_one("#grid-t2", TableGrid).move_to(LICENSING)
        await pilot.press("4", "1", "enter", "ctrl+q")  # quit before the autosave delay is up
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("n")  # 不保存
        await pilot.pause()
    assert load_draft(seed_copy).values[LICENSING] == 40
    assert read_recovery_file(recovery_path(seed_copy)).values[LICENSING] == 41


def test_cli_recover_lists_every_file_and_applies_the_newest(seed_copy):
    import os
    import time

    _crashed_session(seed_copy, 7)
    older = recovery_path(seed_copy)
    then = time.time() - 60
    os.utime(older, (then, then))
    d = load_draft(seed_copy)
    d.values[LICENSING] = 41
    write_recovery(d, seed_copy, recovery_path(seed_copy, 2))
    cli = [sys.executable, "-m", "nianbao", "recover"]
    listing = subprocess.run([*cli, str(seed_copy)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert listing.returncode == 0, listing.stderr
    first, second = listing.stdout.index(".seed.toml.recover.2"), listing.stdout.index(".seed.toml.recover(")
    assert first < second  # the newest first
    applied = subprocess.run([*cli, "--apply", str(seed_copy)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert applied.returncode == 0 and "还有 1 个较旧的恢复文件" in applied.stdout
    assert load_draft(seed_copy).values[LICENSING] == 41 and recovery_files(seed_copy) == [older]


async def test_enter_in_the_recover_dialog_restores(seed_copy):
    _crashed_session(seed_copy, 7)
    app = NianbaoApp(seed_copy)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, RecoverScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert app.editor.session.draft.values[NATURAL] == 7


def test_a_recovery_file_that_cannot_be_removed_is_left_quietly(seed_copy, monkeypatch):
    """A read-only folder: saving elsewhere must not crash on the old recovery file."""
    import errno
    from pathlib import Path

    from nianbao.store.recovery import remove_recovery

    _crashed_session(seed_copy)

    def read_only(self, missing_ok=False):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "unlink", read_only)
    remove_recovery(recovery_path(seed_copy))
    monkeypatch.undo()
    assert recovery_path(seed_copy).exists()
