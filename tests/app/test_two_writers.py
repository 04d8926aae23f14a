"""Two nianbao on one draft: the second is warned; a lock left by a dead process is taken over."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from nianbao.app.app import NianbaoApp
from nianbao.app.screens.dialogs import ChoiceScreen
from nianbao.app.screens.editor import EditorScreen
from nianbao.store.draft import load_draft
from nianbao.store.lock import lock_path

from ..conftest import SEED


def _foreign_lock(path, pid: int) -> None:
    """A lock written by another process on this machine (alive or not)."""
    import socket

    lock_path(path).write_text(
        json.dumps({"pid": pid, "host": socket.gethostname(), "user": "wang", "started": "2025-01-20T09:00:00+08:00", "token": "x"}),
        encoding="utf-8",
    )


@pytest.fixture
def held_draft(tmp_path, other_nianbao):
    """A copy of the seed (d.toml) that another running nianbao holds open."""
    path = tmp_path / "d.toml"
    shutil.copy(SEED, path)
    other_nianbao.holds(path)
    return path


async def _open_anyway(pilot) -> None:
    await pilot.pause()
    assert isinstance(pilot.app.screen, ChoiceScreen)
    await pilot.click("#open")
    await pilot.pause()
    assert isinstance(pilot.app.screen, EditorScreen)


async def test_a_draft_open_elsewhere_warns_and_can_still_be_opened(tmp_path, held_draft, other_nianbao):
    path = held_draft
    app = NianbaoApp(path, folder=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        assert str(other_nianbao.pid) in app.screen.detail and "wang" in app.screen.detail
        await _open_anyway(pilot)


async def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    path = tmp_path / "d.toml"
    shutil.copy(SEED, path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _foreign_lock(path, dead.pid)
    app = NianbaoApp(path, folder=tmp_path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
        assert json.loads(lock_path(path).read_text())["pid"] != dead.pid
        assert any("没有正常退出" in n.message for n in app._notifications)
    assert not lock_path(path).exists()  # released when the app ends


async def _save_as(pilot, app, name: str) -> None:
    await pilot.press("f3")
    await pilot.pause()
    field = app.screen.query_one("#path")
    field.value = ""
    await pilot.press(*name, "enter")
    await pilot.pause()
    await pilot.pause()


async def test_save_as_moves_the_lock_to_the_new_file(tmp_path):
    path, copy = tmp_path / "d.toml", tmp_path / "副本.toml"
    shutil.copy(SEED, path)
    app = NianbaoApp(path, folder=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert lock_path(path).exists()
        await _save_as(pilot, app, str(copy))
        assert isinstance(app.screen, EditorScreen) and app.editor.session.path == copy
        assert lock_path(copy).exists() and not lock_path(path).exists()
    assert not lock_path(copy).exists()


async def test_save_as_over_an_existing_file_asks_first(tmp_path):
    path, other = tmp_path / "d.toml", tmp_path / "other.toml"
    shutil.copy(SEED, path)
    other.write_text("# someone's file\n", encoding="utf-8")
    app = NianbaoApp(path, folder=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _save_as(pilot, app, str(other))
        assert "已存在" in app.screen.query_one(".dialog-title").render().plain
        await pilot.press("escape")
        await pilot.pause()
        assert other.read_text(encoding="utf-8") == "# someone's file\n"
        assert app.editor.session.path == path
        await _save_as(pilot, app, str(other))
        await pilot.click("#yes")
        await pilot.pause()
        assert app.editor.session.path == other and load_draft(other).meta == load_draft(path).meta


async def test_save_as_onto_a_draft_open_elsewhere_is_refused(tmp_path, other_nianbao):
    path, taken = tmp_path / "d.toml", tmp_path / "taken.toml"
    shutil.copy(SEED, path)
    shutil.copy(SEED, taken)
    before = taken.read_bytes()
    other_nianbao.holds(taken)
    app = NianbaoApp(path, folder=tmp_path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        await _save_as(pilot, app, str(taken))  # refused before asking whether to overwrite it
        assert isinstance(app.screen, EditorScreen) and app.editor.session.path == path
        assert any("不能保存到 taken.toml" in n.message and str(other_nianbao.pid) in n.message for n in app._notifications)
    assert taken.read_bytes() == before


async def test_opening_anyway_leaves_the_other_instances_lock_alone(tmp_path, held_draft, other_nianbao):
    path = held_draft
    before = lock_path(path).read_bytes()
    app = NianbaoApp(path, folder=tmp_path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await _open_anyway(pilot)
        assert lock_path(path).read_bytes() == before
        assert not any("没有正常退出" in n.message for n in app._notifications)
        assert any("也在别处打开着" in n.message for n in app._notifications)
    assert lock_path(path).read_bytes() == before  # still the other one's after we quit


async def test_a_draft_opened_anyway_takes_the_lock_once_the_other_instance_quits(tmp_path, held_draft, other_nianbao):
    path = held_draft
    app = NianbaoApp(path, folder=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_anyway(pilot)
        app.claim_lock()  # (the app's timer does this every LOCK_RETRY_EVERY seconds)
        assert json.loads(lock_path(path).read_text())["pid"] == other_nianbao.pid
        other_nianbao.quit()
        app.claim_lock()
        assert json.loads(lock_path(path).read_text())["pid"] != other_nianbao.pid
    assert not lock_path(path).exists()  # ours now, released when the app ends
