"""Two nianbao on one draft: the second is warned; a lock left by a dead process is taken over."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from tui.app.app import NianbaoApp
from tui.app.screens.dialogs import ChoiceScreen
from tui.app.screens.editor import EditorScreen
from tui.lock import lock_path

from ..conftest import SEED


def _foreign_lock(path, pid: int) -> None:
    """A lock written by another process on this machine (alive or not)."""
    import socket

    lock_path(path).write_text(
        json.dumps({"pid": pid, "host": socket.gethostname(), "user": "wang", "started": "2025-01-20T09:00:00+08:00", "token": "x"}),
        encoding="utf-8",
    )


async def test_a_draft_open_elsewhere_warns_and_can_still_be_opened(tmp_path):
    path = tmp_path / "d.toml"
    shutil.copy(SEED, path)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _foreign_lock(path, other.pid)
        app = NianbaoApp(path, folder=tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ChoiceScreen)
            assert str(other.pid) in app.screen.detail and "wang" in app.screen.detail
            await pilot.click("#open")
            await pilot.pause()
            assert isinstance(app.screen, EditorScreen)
    finally:
        other.kill()
        other.wait()


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
