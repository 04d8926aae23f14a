"""Attack class 2: keys typed right after a section switch land where they were typed, also
when the machine is slow. NIANBAO_SLOW_SECTION delays the new section taking the focus, as a
loaded machine does (the tmux recovery test lost "7" and "5" that way)."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from nianbao.app.app import NianbaoApp
from tests.app.keys import burst
from tests.conftest import SEED


@pytest.mark.parametrize("delay", ["0", "0.3", "1"])
async def test_digits_right_after_f12_land_in_table_three(tmp_path, monkeypatch, delay):
    monkeypatch.setenv("NIANBAO_SLOW_SECTION", delay)
    draft = tmp_path / "d.toml"
    shutil.copy(SEED, draft)
    app = NianbaoApp(draft)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        burst(app, "f12", "f12", "f12", "7", "enter", "5", "enter")
        for _ in range(int(float(delay) * 3 * 10) + 20):
            await asyncio.sleep(0.05)
            await pilot.pause()
        values = app.editor.session.draft.values
        assert values[("t3", "new", "natural")] == 7
        assert values[("t3", "carried", "natural")] == 5


async def test_text_typed_right_after_a_switch_lands_in_the_new_field(tmp_path, monkeypatch):
    monkeypatch.setenv("NIANBAO_SLOW_SECTION", "0.5")
    draft = tmp_path / "d.toml"
    shutil.copy(SEED, draft)
    app = NianbaoApp(draft)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        before = app.editor.session.draft.texts["s1.active"]
        burst(app, "f12", "ctrl+home", "x", "y")
        for _ in range(40):
            await asyncio.sleep(0.05)
            await pilot.pause()
        app.editor.sync_from_widgets()
        assert app.editor.session.draft.texts["s1.active"] == "xy" + before
