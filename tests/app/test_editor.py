"""The editor driven as a clerk drives it: key presses through Textual's Pilot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from nianbao.app.app import NianbaoApp
from nianbao.app.screens.dialogs import AcceptWarningScreen, PathScreen, QuitScreen
from nianbao.app.widgets.narrative import FieldEditor
from nianbao.app.widgets.problems import ProblemsPane
from nianbao.app.widgets.table_grid import TableGrid
from nianbao.engine.render import render_markdown
from nianbao.store.draft import load_draft

from ..conftest import BLANK, SEED
from .keys import burst, type_keys

SIZE = (100, 30)


def copy(src: Path, tmp_path: Path, name: str = "d.toml") -> Path:
    target = tmp_path / name
    shutil.copy(src, target)
    return target


async def goto(pilot, app, entry: str):
    app.editor.show_entry(entry)
    await pilot.pause()
    await pilot.pause()


def grid(app, table: str) -> TableGrid:
    return app.editor.query_one(f"#grid-{table}", TableGrid)


def problems(app) -> list[str]:
    return [f.rule for f in app.editor.query_one("#problems", ProblemsPane).findings or []]


async def type_text(pilot, text: str):
    await type_keys(pilot, text)


# ---------------------------------------------------------------- the whole report by keys


async def test_fill_the_seed_report_from_blank_by_keys_only(tmp_path):
    seed = load_draft(SEED)
    path = copy(BLANK, tmp_path)
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # 基本信息: focus starts in 机关全称
        assert isinstance(app.focused, Input)
        await type_text(pilot, seed.meta["org_name"])
        await pilot.press("tab")
        assert isinstance(app.focused, Select)
        choices = seed.template.meta_by_id["org_type"].choices
        await pilot.press("enter")
        for _ in range(choices.index(seed.meta["org_type"]) + 1):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.press("tab")
        await type_text(pilot, str(seed.meta["year"]))
        # sections 一 … 六, switching with F12
        for section in seed.template.sections:
            await pilot.press("f12")
            await pilot.pause()
            assert app.editor.entry == section.id
            for i, f in enumerate(section.fields):
                if i:
                    await pilot.press("tab")
                assert isinstance(app.focused, FieldEditor) and app.focused.field.key == f.key
                await type_text(pilot, seed.texts[f.key])
            for tid in section.tables:
                g = grid(app, tid)
                assert app.focused is g
                for key in g._enter_order["down"]:
                    await type_keys(pilot, f"{seed.values[key]}\n")
        await pilot.press("f2")
        await pilot.pause()
    saved = load_draft(path)
    assert saved.values == seed.values
    assert saved.texts == seed.texts
    for key in ("org_name", "org_type", "year"):
        assert saved.meta[key] == seed.meta[key]


# ---------------------------------------------------------------- live checks


async def test_total_turns_wrong_and_right_while_typing(tmp_path):
    app = NianbaoApp(copy(SEED, tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "s3")
        g = grid(app, "t3")
        assert g.cursor == ("t3", "new", "natural") and app.focused is g
        await pilot.press("7")  # not yet confirmed: totals follow the keystroke
        assert app.editor.session.value(("t3", "new", "total")) == 7
        assert problems(app) == ["E2", "E2"]
        assert ("t3", "new", "natural") in g._errors and ("t3", "next_year", "total") in g._errors
        pane = app.editor.query_one("#problems", ProblemsPane)
        assert "相差+7" in pane.findings[0].message
        await pilot.press("enter")
        # put the 7 applications where they went: 予以公开
        g.move_to(("t3", "open", "natural"))
        await pilot.press("7", "enter")
        assert problems(app) == []
        assert not g._errors
        assert app.editor.title.split(" · ")[1] == "未保存"


async def test_full_width_digits_and_refused_characters(tmp_path):
    app = NianbaoApp(copy(SEED, tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await goto(pilot, app, "s2")
        g = grid(app, "t2")
        g.move_to(("t2", "licensing", "decisions"))
        await pilot.press("４", "２", "enter")
        assert app.editor.session.draft.values[("t2", "licensing", "decisions")] == 42
        g.move_to(("t2", "licensing", "decisions"))
        await pilot.press("x")
        assert g.notice  # the reason is shown
        assert app.editor.session.draft.values[("t2", "licensing", "decisions")] == 42


async def test_f8_walks_problems_across_sections(tmp_path):
    d = load_draft(SEED)
    d.values[("t3", "new", "natural")] = 1  # E2 in 三, W5b in 一
    d.texts["s6.other"] = ""  # E6 in 六
    from nianbao.store.draft import save_draft

    path = tmp_path / "p.toml"
    save_draft(d, path)
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f8")
        await pilot.pause()
        assert app.editor.entry == "s1"  # W5b: the text says no applications were received
        await pilot.press("f8")
        await pilot.pause()
        assert app.editor.entry == "s3"
        assert app.focused is grid(app, "t3") and grid(app, "t3").cursor == ("t3", "new", "natural")
        await pilot.press("f8")
        await pilot.pause()
        assert app.focused is grid(app, "t3") and grid(app, "t3").cursor == ("t3", "new", "total")
        await pilot.press("f8")
        await pilot.pause()
        assert app.editor.entry == "s6"
        assert isinstance(app.focused, FieldEditor) and app.focused.field.key == "s6.other"
        await pilot.press("shift+f8")
        await pilot.pause()
        assert app.editor.entry == "s3"


async def test_accept_a_warning_and_see_it_return(tmp_path):
    d = load_draft(SEED)
    d.values[("t3", "new", "natural")] = 2
    d.values[("t3", "open", "natural")] = 2  # balanced; the text still says "none received"
    from nianbao.store.draft import save_draft

    path = tmp_path / "w.toml"
    save_draft(d, path)
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "s1")
        assert problems(app) == ["W5b"]
        await pilot.press("f7")
        await pilot.pause()
        assert isinstance(app.screen, AcceptWarningScreen)
        await pilot.press("enter")  # an empty reason is refused
        assert isinstance(app.screen, AcceptWarningScreen)
        await type_text(pilot, "正文写的是上半年")
        await pilot.press("enter")
        await pilot.pause()
        finding = app.editor.session.findings[0]
        assert finding.acknowledged and finding.acknowledged.reason == "正文写的是上半年"
        await pilot.press("f2")
        await pilot.pause()
        assert load_draft(path).acks[0].reason == "正文写的是上半年"
        # the value behind it changes: the warning is open again
        await goto(pilot, app, "s3")
        g = grid(app, "t3")
        g.move_to(("t3", "new", "natural"))
        await pilot.press("3", "enter")
        g.move_to(("t3", "open", "natural"))
        await pilot.press("3", "enter")
        w = [f for f in app.editor.session.findings if f.rule == "W5b"][0]
        assert w.open and w.stale_ack is not None


async def test_errors_cannot_be_accepted(tmp_path):
    d = load_draft(SEED)
    d.values[("t3", "new", "natural")] = 1
    from nianbao.store.draft import save_draft

    path = tmp_path / "e.toml"
    save_draft(d, path)
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await goto(pilot, app, "s3")
        app.editor.query_one("#problems", ProblemsPane).focus()
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, AcceptWarningScreen)
        assert all(f.open for f in app.editor.session.findings if f.rule == "E2")


# ---------------------------------------------------------------- saving, quitting, resuming


@pytest.mark.parametrize("choice,expect_saved,expect_running", [("s", True, False), ("n", False, False), ("escape", False, True)])
async def test_quit_with_unsaved_changes_asks(tmp_path, choice, expect_saved, expect_running):
    path = copy(SEED, tmp_path)
    before = path.read_bytes()
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "s2")
        await pilot.press("5", "enter")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press(choice)
        await pilot.pause()
        assert app.is_running == expect_running
    assert (path.read_bytes() != before) == expect_saved


async def test_resume_at_the_last_cell(tmp_path):
    path = copy(SEED, tmp_path)
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "s3")
        for _ in range(4):
            await pilot.press("down")
        await pilot.press("right", "right")
        where = grid(app, "t3").cursor
        await pilot.press("f2")
        await pilot.pause()
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert app.editor.entry == "s3"
        assert app.focused is grid(app, "t3") and grid(app, "t3").cursor == where


async def test_export_writes_what_render_writes(tmp_path):
    path = copy(SEED, tmp_path)
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("enter")  # the format: Markdown comes first
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
        assert app.screen.query_one("#path", Input).value == str(path.with_suffix(".md"))
        await pilot.press("enter")
        await pilot.pause()
    assert path.with_suffix(".md").read_text(encoding="utf-8") == render_markdown(load_draft(path))


async def test_export_with_errors_asks_first(tmp_path):
    d = load_draft(SEED)
    d.values[("t3", "new", "natural")] = 1
    from nianbao.store.draft import save_draft

    path = tmp_path / "x.toml"
    save_draft(d, path)
    app = NianbaoApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()
        assert "2 个错误" in str(app.screen.question)
        await pilot.press("escape")
        await pilot.pause()
    assert not path.with_suffix(".md").exists()


async def test_a_burst_of_digits_and_enter_lands_in_separate_cells(tmp_path):
    """A terminal may deliver "3⏎4⏎" in one read; Enter must not be overtaken by the digits."""
    from textual import events

    app = NianbaoApp(copy(BLANK, tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "s2")
        for key, char in (("3", "3"), ("enter", "\r"), ("4", "4"), ("enter", "\r")):
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)
        await pilot.pause()
        values = app.editor.session.draft.values
        assert values[("t2", "regulations", "made")] == 3
        assert values[("t2", "normative_docs", "made")] == 4


async def test_a_draft_from_a_newer_nianbao_says_so_when_opened(tmp_path):
    path = tmp_path / "newer.toml"
    path.write_text(SEED.read_text(encoding="utf-8").replace("template_version = 1", "template_version = 9"),
                    encoding="utf-8")
    app = NianbaoApp(path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        assert any("更新版本的 nianbao" in n.message for n in app._notifications)
        await pilot.press("f2")
        await pilot.pause()
    assert "template_version = 9" in path.read_text(encoding="utf-8")


async def test_the_command_palette_speaks_chinese(tmp_path):
    from textual.command import CommandPalette

    app = NianbaoApp(copy(SEED, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "程序: 退出" in titles and "草稿: 保存" in titles
        assert all(not t[:1].isascii() for t in titles), titles  # no "Keys", "Theme", "Quit"…
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        assert "输入要做的事" in app.screen.query_one("#--input Input").placeholder


@pytest.mark.parametrize(("keys", "expected"), [
    (("ctrl+u", "a", "b", "c"), "abc"),
    (("ctrl+u", "z", "z", "backspace", "a", "b", "c"), "zabc"),
    (("ctrl+u", "a", "c", "left", "b"), "abc"),
])
async def test_editing_keys_in_a_text_field_apply_in_the_order_typed(tmp_path, keys, expected):
    """A burst (tmux, a slow SSH link) must not apply Backspace or Ctrl+U after later letters."""
    app = NianbaoApp(copy(SEED, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
        burst(app, *keys)
        for _ in range(4):
            await pilot.pause()
        assert app.screen.query_one("#path", Input).value == expected


async def test_editing_keys_in_a_narrative_field_apply_in_the_order_typed(tmp_path):
    app = NianbaoApp(copy(SEED, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.editor.show_entry("s1")
        await pilot.pause()
        await pilot.pause()
        editor = app.focused
        assert isinstance(editor, FieldEditor)
        before = editor.text
        burst(app, "ctrl+home", "a", "b", "backspace", "c", "left", "x")
        for _ in range(4):
            await pilot.pause()
        assert editor.text == "axc" + before


async def _settled(pilot) -> None:
    for _ in range(6):
        await pilot.pause()


async def _in_first_field_of(pilot, entry: str):
    """Open a narrative section; (its focused first field, the texts before any typing)."""
    app = pilot.app
    await pilot.pause()
    app.editor.show_entry(entry)
    await _settled(pilot)
    assert isinstance(app.focused, FieldEditor)
    return app.focused, dict(app.editor.session.draft.texts)


async def test_a_tab_in_a_burst_moves_the_letters_after_it_to_the_next_field(tmp_path):
    app = NianbaoApp(copy(SEED, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        first, before = await _in_first_field_of(pilot, "s1")
        burst(app, "ctrl+home", "M", "tab", "ctrl+home", "N")
        await _settled(pilot)
        second = app.focused
        assert isinstance(second, FieldEditor) and second is not first
        texts = app.editor.session.draft.texts
        assert texts[first.field.key] == "M" + before[first.field.key]
        assert texts[second.field.key] == "N" + before[second.field.key]


async def test_a_section_change_in_a_burst_keeps_each_key_in_its_section(tmp_path):
    app = NianbaoApp(copy(SEED, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        s5, before = await _in_first_field_of(pilot, "s5")
        burst(app, "ctrl+home", "S", "f12", "ctrl+home", "T")
        await _settled(pilot)
        assert app.editor.entry == "s6"
        texts = app.editor.session.draft.texts
        assert texts[s5.field.key] == "S" + before[s5.field.key]
        assert texts[app.focused.field.key] == "T" + before[app.focused.field.key]


async def test_keys_before_a_dialog_go_to_the_table_and_keys_after_it_to_the_dialog(tmp_path):
    app = NianbaoApp(copy(SEED, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.editor.show_entry("s2")
        await _settled(pilot)
        app.editor.query_one("#grid-t2", TableGrid).move_to(("t2", "licensing", "decisions"))
        burst(app, "7", "enter", "f3", "ctrl+u", "x")
        await _settled(pilot)
        assert isinstance(app.screen, PathScreen)
        assert app.screen.query_one("#path", Input).value == "x"
        assert app.editor.session.draft.values[("t2", "licensing", "decisions")] == 7


async def test_moving_into_a_metadata_field_does_not_select_its_value(tmp_path):
    """The first key typed after moving into 机关全称 must not replace the whole name."""
    app = NianbaoApp(copy(SEED, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.editor.show_entry("s1")
        await pilot.pause()
        app.editor.show_entry("meta")
        await pilot.pause()
        await pilot.pause()
        field = app.focused
        assert isinstance(field, Input) and field.id == "meta-org_name"
        await pilot.press("k")
        assert field.value != "k" and "k" in field.value and len(field.value) > 1
