"""Snapshots (SVG) of every screen, compared with the accepted ones in __snapshots__/.

`make snapshots` regenerates them after an intended visual change; look at the SVGs (or the
HTML report pytest-textual-snapshot writes on failure) before committing them.

What is on screen must not depend on the machine or the moment: drafts are copies of the seed
named seed.toml (the sub-title shows the file name only), the start screen lists a folder
given as a relative path from a temporary working folder, the recent-drafts list lives in the
temporary XDG_CONFIG_HOME of tests/conftest.py, the seed's saved time comes from the file,
and blinking text cursors are held still before the screenshot.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, Markdown, TextArea

from nianbao.app.app import NianbaoApp
from nianbao.app.screens.dialogs import AcceptWarningScreen, QuitScreen
from nianbao.app.widgets.table_grid import TableGrid

from ..conftest import SEED
from .keys import type_keys

SIZE = (100, 30)

# Navigator entries in walking order; F12 goes to the next one.
ENTRIES = ["meta", "s1", "s2", "s3", "s4", "s5", "s6", "review"]


@pytest.fixture
def seed_path(tmp_path: Path) -> Path:
    target = tmp_path / "seed.toml"
    shutil.copy(SEED, target)
    return target


async def settle(pilot) -> None:
    """Let everything scheduled (call_after_refresh, Markdown updates) happen, hold cursors still."""
    app = pilot.app
    for _ in range(3):
        await pilot.pause()
    for markdown in app.screen.query(Markdown):  # the preview is filled in after it mounts
        for _ in range(50):
            if markdown.children:
                break
            await pilot.pause(0.02)
        await pilot.pause()
    for widget in app.screen.query("Input, TextArea"):
        assert isinstance(widget, (Input, TextArea))
        widget.cursor_blink = False
    # Focusing a section's first text area sometimes scrolls its pane by a line or two,
    # depending on whether the pane was laid out yet (a race in the app, reported). Show the
    # pane from the top, then the focused widget, so the picture does not depend on timing.
    for pane in app.screen.query("#content > VerticalScroll"):
        pane.scroll_home(animate=False, immediate=True)
    await pilot.pause()
    if app.focused is not None:
        app.focused.scroll_visible(animate=False, immediate=True)
    await pilot.pause()
    # Textual sizes a scrollbar's thumb in two places that differ by the stable gutter (a
    # grid's horizontal thumb is 75 or 76 cells, whichever ran last); a full layout settles it.
    app.screen.refresh(layout=True)
    await pilot.pause()
    await pilot.pause()


async def f12_to(pilot, entry: str) -> None:
    """From 基本信息 to `entry` with F12, as the clerk does."""
    for _ in range(ENTRIES.index(entry)):
        await pilot.press("f12")
        await pilot.pause()
    assert pilot.app.editor.entry == entry
    await settle(pilot)


async def make_warning(pilot) -> None:
    """Enter 1 in 表二 规章 本年制发: W3 (a county department cannot make 规章) is raised."""
    app = pilot.app
    app.editor.show_entry("s2")
    await pilot.pause()
    await pilot.pause()
    grid = app.editor.query_one("#grid-t2", TableGrid)
    grid.move_to(("t2", "regulations", "made"))
    await type_keys(pilot, "1\n")
    assert [f.rule for f in app.editor.session.findings if f.open] == ["W3"]


# ---------------------------------------------------------------- start screen


def test_start_screen(snap_compare, tmp_path, monkeypatch):
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    shutil.copy(SEED, drafts / "seed.toml")
    monkeypatch.chdir(tmp_path)  # the sub-title shows the folder as given: "drafts"
    app = NianbaoApp(None, folder=Path("drafts"))
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


# ---------------------------------------------------------------- the editor, one section each


@pytest.mark.parametrize("entry", ENTRIES)
def test_editor_section(snap_compare, seed_path, entry):
    async def run_before(pilot) -> None:
        await f12_to(pilot, entry)

    assert snap_compare(NianbaoApp(seed_path), terminal_size=SIZE, run_before=run_before)


def test_table_three_at_80x24(snap_compare, seed_path):
    async def run_before(pilot) -> None:
        pilot.app.editor.show_entry("s3")
        await settle(pilot)
        assert isinstance(pilot.app.focused, TableGrid)

    assert snap_compare(NianbaoApp(seed_path), terminal_size=(80, 24), run_before=run_before)


# ---------------------------------------------------------------- dialogs


def test_quit_dialog(snap_compare, seed_path):
    async def run_before(pilot) -> None:
        pilot.app.editor.show_entry("s3")
        await pilot.pause()
        await type_keys(pilot, "5")  # an unconfirmed edit already makes the draft dirty
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(pilot.app.screen, QuitScreen)

    assert snap_compare(NianbaoApp(seed_path), terminal_size=SIZE, run_before=run_before)


def test_accept_warning_dialog(snap_compare, seed_path):
    async def run_before(pilot) -> None:
        await make_warning(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(pilot.app.screen, AcceptWarningScreen)

    assert snap_compare(NianbaoApp(seed_path), terminal_size=SIZE, run_before=run_before)


def test_recover_dialog_at_80x24(snap_compare, seed_path):
    """An autosave older than the saved draft, with another one behind it."""
    import os

    from nianbao.store.draft import load_draft
    from nianbao.store.recovery import recovery_path, write_recovery

    d = load_draft(seed_path)
    d.values[("t3", "new", "natural")] = 7
    d.texts["s1.requests"] = "本年度共收到政府信息公开申请7件,均已按时答复。"
    write_recovery(d, seed_path)
    write_recovery(d, seed_path, recovery_path(seed_path, 2))
    for number, age in ((1, 60), (2, 120)):
        then = seed_path.stat().st_mtime - age
        os.utime(recovery_path(seed_path, number), (then, then))

    async def run_before(pilot) -> None:
        await settle(pilot)

    assert snap_compare(NianbaoApp(seed_path), terminal_size=(80, 24), run_before=run_before)
