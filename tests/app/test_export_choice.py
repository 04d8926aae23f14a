"""导出 (F6) asks for the format, then the file name; each format writes what `render` writes."""

from __future__ import annotations

import io
import shutil

import pytest
from docx import Document
from textual.widgets import Input

from nianbao.app.app import NianbaoApp
from nianbao.app.screens.dialogs import ChoiceScreen, PathScreen
from nianbao.engine.html_report import render_html
from nianbao.store.draft import load_draft

from ..conftest import SEED

SIZE = (100, 30)


@pytest.mark.parametrize("fmt, suffix", [("html", ".html"), ("docx", ".docx")])
async def test_export_offers_each_format(tmp_path, fmt, suffix):
    path = tmp_path / "d.toml"
    shutil.copy(SEED, path)
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        assert [c for c, _ in app.screen.choices] == ["md", "html", "docx"]
        app.screen.query_one(f"#{fmt}").press()
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
        assert app.screen.query_one("#path", Input).value == str(path.with_suffix(suffix))
        await pilot.press("enter")
        await pilot.pause()
    out = path.with_suffix(suffix)
    if fmt == "html":
        assert out.read_text(encoding="utf-8") == render_html(load_draft(path))
    else:
        assert len(Document(io.BytesIO(out.read_bytes())).tables) == 3


async def test_escape_at_the_format_choice_writes_nothing(tmp_path):
    path = tmp_path / "d.toml"
    shutil.copy(SEED, path)
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, (ChoiceScreen, PathScreen))
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".md", ".html", ".docx")]
