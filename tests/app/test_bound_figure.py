"""Ctrl+T in a text inserts a table cell as a bound figure; it follows the table into the export."""

from __future__ import annotations

import shutil

from nianbao.app.app import NianbaoApp
from nianbao.app.screens.figure_picker import FigureScreen
from nianbao.app.widgets.narrative import FieldEditor
from nianbao.engine.render import render_markdown
from nianbao.store.draft import load_draft

from ..conftest import SEED

SIZE = (100, 30)


async def test_ctrl_t_inserts_a_bound_figure_that_follows_the_table(tmp_path):
    path = tmp_path / "d.toml"
    shutil.copy(SEED, path)
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE) as pilot:
        app.editor.show_entry("s1")
        await pilot.pause()
        await pilot.pause()
        editor = app.editor.query(FieldEditor).first()
        editor.focus()
        editor.load_text("本年受理申请")
        editor.move_cursor((0, len("本年受理申请")))
        await pilot.pause()
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, FigureScreen)
        for ch in "新收 总计":
            await pilot.press("space" if ch == " " else ch)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, FigureScreen)
        assert editor.text == "本年受理申请{{t3.new.total}}"
        key = editor.field.key
        assert app.editor.session.draft.texts[key] == "本年受理申请{{t3.new.total}}"
        await pilot.press("f2")
        await pilot.pause()
    saved = load_draft(path)
    assert saved.texts[key] == "本年受理申请{{t3.new.total}}"
    total = sum(v for (t, r, c), v in saved.values.items() if (t, r) == ("t3", "new") and c != "total")
    assert f"本年受理申请{total}" in render_markdown(saved)
