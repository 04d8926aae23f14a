"""Saving when the file changed on disk, and saving where it cannot be written."""

from __future__ import annotations

import os
import shutil

import pytest

from nianbao.app.app import NianbaoApp
from nianbao.app.screens.dialogs import ChoiceScreen, PathScreen
from nianbao.store.draft import load_draft, save_draft

from ..conftest import SEED
from .keys import burst


@pytest.fixture
def draft_path(tmp_path):
    """A copy of the seed named d.toml."""
    path = tmp_path / "d.toml"
    shutil.copy(SEED, path)
    return path


async def _on_licensing(pilot, app) -> None:
    """The cursor on 表二 行政许可 · 本年处理决定数量 (the seed has 40 there)."""
    from nianbao.app.widgets.table_grid import TableGrid

    app.editor.show_entry("s2")
    await pilot.pause()
    await pilot.pause()
    app.editor.query_one("#grid-t2", TableGrid).move_to(("t2", "licensing", "decisions"))


async def _edit_licensing(pilot, app, value: str):
    await _on_licensing(pilot, app)
    await pilot.press(*value, "enter")


def _colleague_saves(path, penalty: int = 99) -> None:
    """Someone else changes 行政处罚 (22 in the seed) and saves the draft meanwhile."""
    other = load_draft(path)
    other.values[("t2", "penalty", "decisions")] = penalty
    save_draft(other, path)


async def _provoke_conflict(pilot, app, path) -> None:
    """Type 41 into 行政许可, let a colleague save the draft meanwhile, then press F2."""
    await _edit_licensing(pilot, app, "41")
    _colleague_saves(path)
    await pilot.press("f2")
    await pilot.pause()


@pytest.mark.parametrize("choice", ["overwrite", "reload", "save_as", "cancel"])
async def test_save_after_the_file_changed_on_disk_asks(draft_path, choice):
    path = draft_path
    app = NianbaoApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _provoke_conflict(pilot, app, path)
        assert isinstance(app.screen, ChoiceScreen)
        assert "改动" in app.screen.question
        await pilot.click(f"#{choice}")
        await pilot.pause()
        await pilot.pause()
        on_disk = load_draft(path).values
        if choice == "overwrite":
            assert on_disk[("t2", "licensing", "decisions")] == 41
            assert on_disk[("t2", "penalty", "decisions")] == 22
        elif choice == "reload":
            assert app.editor.session.draft.values[("t2", "penalty", "decisions")] == 99
            assert app.editor.session.draft.values[("t2", "licensing", "decisions")] == 40
            assert not app.editor.session.dirty
        elif choice == "save_as":
            assert isinstance(app.screen, PathScreen)
        else:
            assert on_disk[("t2", "penalty", "decisions")] == 99 and app.editor.session.dirty


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
async def test_save_into_a_read_only_folder_keeps_everything(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "d.toml"
    shutil.copy(SEED, path)
    app = NianbaoApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _edit_licensing(pilot, app, "41")
        folder.chmod(0o555)
        try:
            await pilot.press("f2")
            await pilot.pause()
            assert isinstance(app.screen, ChoiceScreen) and "保存失败" in app.screen.question
            assert app.editor.session.draft.values[("t2", "licensing", "decisions")] == 41
            assert app.editor.session.dirty
        finally:
            folder.chmod(0o755)


async def test_save_failure_offers_save_as(draft_path, monkeypatch):
    """A full disk (ENOSPC at write time) keeps the draft in memory and offers 另存为."""
    path = draft_path
    before = path.read_bytes()
    app = NianbaoApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _edit_licensing(pilot, app, "41")
        import nianbao.store.draft

        def full(*a, **k):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(nianbao.store.draft.os, "fsync", full)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        assert "磁盘已满" in app.screen.detail
        monkeypatch.undo()
        await pilot.click("#save_as")
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
    assert path.read_bytes() == before


@pytest.mark.parametrize("last", ["f2", "ctrl+s", "ctrl+q"])
async def test_keys_typed_just_before_saving_or_quitting_count(draft_path, last):
    from nianbao.app.screens.dialogs import QuitScreen

    path = draft_path
    app = NianbaoApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _on_licensing(pilot, app)
        burst(app, "7", "enter", last)
        for _ in range(5):
            await pilot.pause()
        if last == "ctrl+q":
            assert isinstance(app.screen, QuitScreen)  # the 7 made the draft dirty in time
        else:
            assert load_draft(path).values[("t2", "licensing", "decisions")] == 7
            assert not app.editor.session.dirty


async def test_save_as_after_a_conflict_offers_another_name_and_the_same_name_asks_again(draft_path):
    path = draft_path
    app = NianbaoApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _provoke_conflict(pilot, app, path)
        await pilot.click("#save_as")
        await pilot.pause()
        field = app.screen.query_one("#path")
        assert field.value == str(draft_path.parent / "d-2.toml")
        field.value = str(path)  # the clerk types the draft's own name anyway
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen) and "改动" in app.screen.question
        assert load_draft(path).values[("t2", "penalty", "decisions")] == 99  # nothing overwritten


async def test_reload_after_a_conflict_drops_this_sessions_recovery_file(draft_path):
    import asyncio

    from nianbao.app.screens.draft_files import AUTOSAVE_DELAY
    from nianbao.store.recovery import recovery_files

    path = draft_path
    app = NianbaoApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _edit_licensing(pilot, app, "41")
        await asyncio.sleep(AUTOSAVE_DELAY + 0.3)
        assert recovery_files(path)
        _colleague_saves(path)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.click("#reload")
        await pilot.pause()
        await pilot.pause()
        assert recovery_files(path) == []
        assert app.editor.session.draft.values[("t2", "penalty", "decisions")] == 99


async def test_enter_in_the_conflict_dialog_is_the_choice_that_keeps_both(draft_path):
    """Enter (or a key meant for the table) must not overwrite a colleague's save."""
    path = draft_path
    app = NianbaoApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _provoke_conflict(pilot, app, path)
        assert app.screen.focused.id == "save_as"
        await pilot.press("left")
        assert app.screen.focused.id == "reload"
        await pilot.press("right", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
    assert load_draft(path).values[("t2", "penalty", "decisions")] == 99


async def test_the_cell_to_resume_at_is_where_the_cursor_was_when_saving(draft_path):
    path = draft_path
    app = NianbaoApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _on_licensing(pilot, app)
        burst(app, "7", "enter", "f2")  # Enter moves the cursor down to 行政处罚
        for _ in range(5):
            await pilot.pause()
    assert load_draft(path).ui["cell"] == "t2.penalty.decisions"
