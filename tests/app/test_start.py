"""The start screen: drafts here and recently opened, and 新建 without the mouse."""

from __future__ import annotations

import shutil

from textual.widgets import OptionList

from nianbao.app.app import NianbaoApp
from nianbao.app.screens.dialogs import NewDraftScreen
from nianbao.app.screens.editor import EditorScreen
from nianbao.app.screens.start import StartScreen
from nianbao.store.draft import load_draft

from ..conftest import SEED
from .keys import type_keys


async def test_lists_drafts_and_opens_one(tmp_path):
    shutil.copy(SEED, tmp_path / "seed.toml")
    (tmp_path / "broken.toml").write_text("[draft\n", encoding="utf-8")
    app = NianbaoApp(None, folder=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        names = [str(o.prompt) for o in app.screen.query_one("#drafts", OptionList).options]
        text = "\n".join(names)
        assert "seed.toml" in text and "渝中区应急管理局" in text and "2024年" in text and "无错误" in text
        assert "broken.toml" in text and "无法打开" in text
        # the broken draft is listed first (alphabetical) but disabled; go to the seed one
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
        assert app.screen.session.path == tmp_path / "seed.toml"


async def test_new_draft_from_the_start_screen(tmp_path):
    app = NianbaoApp(None, folder=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NewDraftScreen)
        await pilot.press("enter")  # nothing filled: refused with a reason
        assert isinstance(app.screen, NewDraftScreen)
        await type_keys(pilot, "某某街道办事处")
        await pilot.press("tab", "enter")
        choices = load_draft(SEED).template.meta_by_id["org_type"].choices
        for _ in range(choices.index("街道办事处") + 1):
            await pilot.press("down")
        await pilot.press("enter", "tab")  # focusing the year selects it: typing replaces it
        await type_keys(pilot, "２０２５")  # full-width digits are fine here too
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
    created = tmp_path / "某某街道办事处2025年报.toml"
    d = load_draft(created)
    assert d.org_name == "某某街道办事处" and d.year == 2025 and d.meta["org_type"] == "街道办事处"


async def test_a_draft_that_cannot_be_read_opens_nothing_and_overwrites_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[draft]\ntemplate = "gov-info-disclosure-2021"\n[tables.t3.new]\nnatural = "abc"\n', encoding="utf-8")
    before = bad.read_bytes()
    app = NianbaoApp(bad, folder=tmp_path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        assert not isinstance(app.screen, EditorScreen)
        assert any("abc" in n.message for n in app._notifications)
    assert bad.read_bytes() == before


async def test_enter_on_the_start_page_opens_the_first_draft(tmp_path, monkeypatch):
    shutil.copy(SEED, tmp_path / "甲.toml")
    monkeypatch.chdir(tmp_path)
    app = NianbaoApp(None, folder=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen) and app.editor.session.path.name == "甲.toml"
