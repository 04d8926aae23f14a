"""Attack class 1: steady typing autosaves. The recovery file is written at most
AUTOSAVE_DELAY after the FIRST unsaved change (a throttle), not after the last (a debounce,
which never fires while the clerk keeps typing)."""

from __future__ import annotations

import asyncio
import shutil

from nianbao.app.app import NianbaoApp
from nianbao.app.screens.draft_files import AUTOSAVE_DELAY
from nianbao.app.widgets.narrative import FieldEditor
from nianbao.store.recovery import read_recovery_file, recovery_files
from tests.app.keys import type_keys
from tests.conftest import SEED


async def test_steady_typing_writes_the_recovery_file_while_typing(tmp_path):
    draft = tmp_path / "d.toml"
    shutil.copy(SEED, draft)
    app = NianbaoApp(draft)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.editor.show_entry("s1")
        for _ in range(6):
            await pilot.pause()
        assert isinstance(app.focused, FieldEditor)
        key = app.focused.field.key
        # A key every AUTOSAVE_DELAY / 2, never a pause as long as the old debounce waited.
        typed = ""
        for ch in "甲乙丙丁戊己庚辛壬癸" * 2:
            await type_keys(pilot, ch)
            typed += ch
            await asyncio.sleep(AUTOSAVE_DELAY / 2)
        files = recovery_files(draft)
        assert files, "no recovery file after steady typing"
        saved = read_recovery_file(files[0]).texts[key]
        assert "甲乙丙丁戊己庚辛壬癸" in saved  # most of what was typed is already safe
