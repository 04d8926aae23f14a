"""Saving when the file changed on disk, and saving where it cannot be written."""

from __future__ import annotations

import os
import shutil

import pytest

from tui.app.app import NianbaoApp
from tui.app.screens.dialogs import ChoiceScreen, PathScreen
from tui.draft import load_draft, save_draft

from ..conftest import SEED


async def _edit_licensing(pilot, app, value: str):
    app.editor.show_entry("s2")
    await pilot.pause()
    await pilot.pause()
    from tui.app.widgets.table_grid import TableGrid

    app.editor.query_one("#grid-t2", TableGrid).move_to(("t2", "licensing", "decisions"))
    await pilot.press(*value, "enter")


@pytest.mark.parametrize("choice", ["overwrite", "reload", "save_as", "cancel"])
async def test_save_after_the_file_changed_on_disk_asks(tmp_path, choice):
    path = tmp_path / "d.toml"
    shutil.copy(SEED, path)
    app = NianbaoApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _edit_licensing(pilot, app, "41")
        other = load_draft(path)  # a colleague changes another cell and saves
        other.values[("t2", "penalty", "decisions")] = 99
        save_draft(other, path)
        await pilot.press("f2")
        await pilot.pause()
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


async def test_save_failure_offers_save_as(tmp_path, monkeypatch):
    """A full disk (ENOSPC at write time) keeps the draft in memory and offers 另存为."""
    path = tmp_path / "d.toml"
    shutil.copy(SEED, path)
    before = path.read_bytes()
    app = NianbaoApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _edit_licensing(pilot, app, "41")
        import tui.draft

        def full(*a, **k):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(tui.draft.os, "fsync", full)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        assert "磁盘已满" in app.screen.detail
        monkeypatch.undo()
        await pilot.click("#save_as")
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
    assert path.read_bytes() == before
