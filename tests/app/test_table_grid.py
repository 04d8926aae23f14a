"""Pilot tests of TableGrid: the real widget in a tiny host app, driven key by key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.widgets import Button

from nianbao.app.widgets import TableGrid
from nianbao.app.widgets.table_grid import DERIVED_REASON, fit, wrap_cells
from nianbao.engine.checks import computed_values
from nianbao.store.draft import load_draft

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "yuzhong-emergency-2024.toml"


class GridApp(App[None]):
    """Holds a draft, applies CellChanged, recomputes totals with the real core."""

    def __init__(self, table_id: str = "t3", with_button: bool = False) -> None:
        super().__init__()
        self.draft = load_draft(SAMPLE)
        self.table = self.draft.template.tables[table_id]
        self.computed = computed_values(self.draft)
        self.changes: list[TableGrid.CellChanged] = []
        self.refusals: list[TableGrid.InputRefused] = []
        self.moves: list[TableGrid.CursorMoved] = []
        self.with_button = with_button

    def value(self, key):
        return self.computed.get(key)

    def compose(self) -> ComposeResult:
        yield TableGrid(self.table, self.value, id="grid")
        if self.with_button:
            yield Button("下一步", id="next")

    def on_table_grid_cell_changed(self, message: TableGrid.CellChanged) -> None:
        self.changes.append(message)
        self.draft.set_value(message.key, message.value)
        self.computed = computed_values(self.draft)
        message.grid.refresh_values()

    def on_table_grid_input_refused(self, message: TableGrid.InputRefused) -> None:
        self.refusals.append(message)

    def on_table_grid_cursor_moved(self, message: TableGrid.CursorMoved) -> None:
        self.moves.append(message)

    @property
    def grid(self) -> TableGrid:
        return self.query_one(TableGrid)


def lines(grid: TableGrid) -> list[str]:
    """What the grid draws, line by line (scrollbars excluded)."""
    return [grid.render_line(y).text for y in range(grid.scrollable_content_region.height)]


def row_line(grid: TableGrid, label: str) -> str:
    found = [line for line in lines(grid) if label in line]
    assert found, f"{label!r} not drawn:\n" + "\n".join(lines(grid))
    return found[0]


def cells_of(line: str) -> list[str]:
    """The value cells of a drawn row, stripped."""
    return [part.strip() for part in line.split("│")[1:-1]]


T3 = ("t3",)


def k(row: str, col: str, table: str = "t3") -> tuple[str, str, str]:
    return (table, row, col)


async def test_typing_updates_value_and_total_live():
    app = GridApp()
    async with app.run_test(size=(100, 40)) as pilot:
        grid = app.grid
        assert grid.has_focus
        assert grid.cursor == k("new", "natural")
        await pilot.press("1")
        assert app.draft.value(k("new", "natural")) == 1
        assert app.value(k("new", "total")) == 1
        assert grid.editing and grid.edit_text == "1"
        await pilot.press("2")
        assert app.value(k("new", "natural")) == 12
        assert app.value(k("new", "total")) == 12  # the total follows every keystroke
        await pilot.pause()
        drawn = cells_of(row_line(grid, "一、本年新收"))
        assert drawn[0].startswith("12") and drawn[-1] == "12"
        assert [m.value for m in app.changes] == [1, 12]
        await pilot.press("enter")
        assert not grid.editing
        assert grid.cursor == k("carried", "natural")  # Enter goes down by default
        assert app.draft.value(k("new", "natural")) == 12
        # Another column: the row total adds up.
        await pilot.press("up", "right", "3", "enter")
        assert app.value(k("new", "total")) == 15


async def test_enter_direction_right_and_derived_skipped():
    app = GridApp()
    async with app.run_test(size=(100, 40)) as pilot:
        grid = app.grid
        grid.enter_direction = "right"
        await pilot.press("1", "enter")
        assert grid.cursor == k("new", "business")
        grid.move_to(k("new", "other_org"))
        await pilot.press("enter")  # skips the derived 总计 column
        assert grid.cursor == k("carried", "natural")
        grid.enter_direction = "down"
        grid.move_to(k("other_other", "natural"))
        await pilot.press("enter")  # skips the derived (七)总计 row
        assert grid.cursor == k("next_year", "natural")
        await pilot.press("enter")  # bottom of a column: top of the next one
        assert grid.cursor == k("new", "business")


async def test_arrows_home_end_and_messages():
    app = GridApp()
    async with app.run_test(size=(100, 40)) as pilot:
        grid = app.grid
        await pilot.press("down", "down", "right")
        assert grid.cursor == k("open", "business")
        await pilot.press("left", "up")
        assert grid.cursor == k("carried", "natural")
        await pilot.press("end")
        assert grid.cursor == k("carried", "total")  # derived cells can be visited
        await pilot.press("right")  # reading order: on to the next row
        assert grid.cursor == k("open", "natural")
        await pilot.press("home", "ctrl+end")
        assert grid.cursor == k("next_year", "total")
        await pilot.press("ctrl+home")
        assert grid.cursor == k("new", "natural")
        await pilot.press("up")  # first row: stays
        assert grid.cursor == k("new", "natural")
        assert app.moves and app.moves[-1].key == k("new", "natural")
        await pilot.press("pagedown")
        assert grid.cursor[1] != "new"


async def test_full_width_digits_are_accepted():
    app = GridApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("１", "２", "3")
        assert app.draft.value(k("new", "natural")) == 123
        assert app.changes[-1].text == "123"
        assert app.refusals == []


async def test_letter_is_refused_with_visible_reason():
    app = GridApp()
    async with app.run_test(size=(100, 40)) as pilot:
        grid = app.grid
        await pilot.press("4", "a")
        assert app.draft.value(k("new", "natural")) == 4
        assert grid.edit_text == "4"  # the letter was not inserted
        assert len(app.refusals) == 1
        refusal = app.refusals[0]
        assert refusal.key == k("new", "natural") and refusal.text == "a"
        assert "不是数字" in refusal.reason
        await pilot.pause()
        assert refusal.reason in lines(grid)[-1]  # shown in the grid's bottom line
        # Not editing: a refused key does not touch the value either.
        await pilot.press("enter", "up", "/")
        assert app.draft.value(k("new", "natural")) == 4
        assert "“/”" in app.refusals[-1].reason
        assert not grid.editing
        # Counts are whole numbers.
        await pilot.press("5", ".")
        assert app.refusals[-1].reason == "件数应为整数"
        assert app.draft.value(k("new", "natural")) == 5
        # The next good key clears the message.
        await pilot.press("6")
        await pilot.pause()
        assert grid.notice is None
        assert "件数应为整数" not in lines(grid)[-1]


async def test_derived_cell_refuses_typing():
    app = GridApp()
    async with app.run_test(size=(100, 40)) as pilot:
        grid = app.grid
        grid.move_to(k("new", "total"))
        before = app.value(k("new", "total"))
        await pilot.press("5")
        assert app.refusals[-1].reason == DERIVED_REASON == "总计由程序计算,不能直接填写"
        assert app.value(k("new", "total")) == before
        assert not grid.editing
        await pilot.press("backspace")
        assert app.refusals[-1].reason == DERIVED_REASON
        assert app.changes == []
        await pilot.pause()
        assert DERIVED_REASON in lines(grid)[-1]


async def test_escape_restores_previous_value():
    app = GridApp()
    async with app.run_test(size=(100, 40)) as pilot:
        grid = app.grid
        await pilot.press("7", "enter", "up")
        assert app.draft.value(k("new", "natural")) == 7
        await pilot.press("4", "2")
        assert app.value(k("new", "total")) == 42  # live while typing
        await pilot.press("escape")
        assert not grid.editing
        assert app.draft.value(k("new", "natural")) == 7
        assert app.value(k("new", "total")) == 7
        assert app.changes[-1].value == 7
        assert grid.cursor == k("new", "natural")


async def test_backspace_clears_and_edits():
    app = GridApp()
    async with app.run_test(size=(100, 40)) as pilot:
        grid = app.grid
        await pilot.press("5", "8", "backspace")
        assert grid.edit_text == "5" and app.draft.value(k("new", "natural")) == 5
        await pilot.press("enter", "up")
        await pilot.press("backspace")  # not editing: clears the cell
        assert app.draft.value(k("new", "natural")) is None
        assert app.changes[-1].value is None and app.changes[-1].text == ""
        assert not grid.editing
        await pilot.press("9", "delete")  # Delete while editing empties the edit
        assert app.draft.value(k("new", "natural")) is None


async def test_amount_column_takes_decimals():
    app = GridApp("t2")
    async with app.run_test(size=(80, 24)) as pilot:
        grid = app.grid
        grid.move_to(k("fees", "fee_amount", "t2"))
        await pilot.press(".", "５", "enter")
        assert app.draft.value(k("fees", "fee_amount", "t2")) == Decimal("0.5")
        grid.move_to(k("licensing", "decisions", "t2"))
        await pilot.press("1", ".")
        assert app.refusals[-1].reason == "件数应为整数"


async def test_t3_at_80x24_reaches_last_cell_scrolled_into_view():
    app = GridApp()
    async with app.run_test(size=(80, 24)) as pilot:
        grid = app.grid
        await pilot.pause()
        drawn = lines(grid)
        # Header: nested groups and the corner note, pinned on top.
        assert "申请人情况" in drawn[0] and "(本列数据的勾稽关系为" in drawn[0]
        assert "法人或其他组织" in drawn[1] and "自然人" in drawn[1]
        assert any("商业" in line for line in drawn[:4])
        assert any("三、本年度办理结果" in line for line in drawn)
        # Every line exactly fills the width, CJK counted as two cells.
        width = grid.scrollable_content_region.width
        assert all(cell_len(line) == width for line in drawn)
        # Columns line up in every body line.
        body = [line for line in drawn[grid._head_h : -1] if "│" in line]
        bars = {tuple(i for i, ch in enumerate(_cells(line)) if ch == "│") for line in body}
        assert len(bars) == 1
        # Walk there as a person would.
        await pilot.press(*["down"] * 30, "end")
        assert grid.cursor == k("next_year", "total")
        await pilot.pause()
        assert grid.scroll_y > 0
        drawn = lines(grid)
        last = row_line(grid, "四、结转下年度继续办理")
        assert drawn.index(last) < len(drawn) - 1  # a body line, above the status line
        assert "申请人情况" in drawn[0]  # header still pinned
        assert "结转下年度继续办理" in drawn[-1] and "总计" in drawn[-1]  # full label of the cursor
        # The cursor cell is painted inside the visible part.
        y = drawn.index(last)
        strip = grid.render_line(y)
        cursor_style = grid.get_component_rich_style("table-grid--cursor")
        assert any(seg.style == grid.get_component_rich_style("table-grid--derived") + cursor_style
                   for seg in strip)
        # The long label is truncated with … but shown whole in the status line.
        grid.move_to(k("other_no_fee", "natural"))
        await pilot.pause()
        assert "…" in row_line(grid, "2.申请人逾期")
        assert "缴纳费用" in lines(grid)[-1]


def _cells(line: str) -> str:
    """A line with every double-width character doubled, so indexes are cell positions."""
    return "".join(ch * cell_len(ch) for ch in line)


async def test_t2_blocks_have_their_own_headers():
    app = GridApp("t2")
    async with app.run_test(size=(80, 24)) as pilot:
        grid = app.grid
        await pilot.pause()
        drawn = "\n".join(lines(grid))
        for title in ("第二十条第(一)项", "第二十条第(五)项", "第二十条第(六)项", "第二十条第(八)项"):
            assert title in drawn
        assert drawn.count("信息内容") == 4
        assert "本年制发件数" in drawn and "本年收费金额" in drawn
        assert cells_of(row_line(grid, "行政许可"))[0] == "40"
        # Down from a three-column block into a one-column block and back keeps the column.
        await pilot.press("end", "down", "down", "up", "up")
        assert grid.cursor == k("regulations", "in_force", "t2")


async def test_t4_has_no_row_labels_and_scrolls_sideways():
    app = GridApp("t4")
    async with app.run_test(size=(80, 24)) as pilot:
        grid = app.grid
        await pilot.pause()
        drawn = lines(grid)
        assert "行政复议" in drawn[0] and "行政诉讼" in drawn[0]
        assert "未经复议直接起诉" in drawn[1]
        assert "案件数" not in "\n".join(drawn[:-1])
        await pilot.press("end")
        assert grid.cursor == k("cases", "after_total", "t4")
        await pilot.pause()
        assert grid.scroll_x > 0
        assert "复议后起诉" in lines(grid)[1]


async def test_marks_paint_error_and_warning_backgrounds():
    app = GridApp()
    async with app.run_test(size=(100, 40)) as pilot:
        grid = app.grid
        grid.set_marks({k("carried", "natural")}, {k("carried", "business")})
        await pilot.pause()
        y = lines(grid).index(row_line(grid, "二、上年结转"))
        backgrounds = [seg.style.bgcolor for seg in grid.render_line(y) if seg.text.strip() == "0"]
        error_bg = grid.get_component_rich_style("table-grid--error").bgcolor
        warning_bg = grid.get_component_rich_style("table-grid--warning").bgcolor
        assert backgrounds[0] == error_bg and backgrounds[1] == warning_bg
        assert backgrounds[2] not in (error_bg, warning_bg)


async def test_click_moves_cursor_and_tab_leaves_committing_edit():
    app = GridApp(with_button=True)
    async with app.run_test(size=(100, 40)) as pilot:
        grid = app.grid
        y = lines(grid).index(row_line(grid, "(一)予以公开"))
        x = grid._label_w + 2  # inside the first value column
        await pilot.click(TableGrid, offset=(x, y))
        assert grid.cursor == k("open", "natural")
        await pilot.press("6", "tab")
        assert not grid.has_focus and app.focused.id == "next"
        assert not grid.editing
        assert app.draft.value(k("open", "natural")) == 6


async def test_escape_without_edit_is_left_to_the_host():
    class Host(GridApp):
        BINDINGS = [("escape", "host_escape", "返回")]
        escaped = False

        def action_host_escape(self) -> None:
            self.escaped = True

    app = Host()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("1", "escape")
        assert not app.escaped  # cancelled the edit
        await pilot.press("escape")
        assert app.escaped


def test_fit_and_wrap_count_terminal_cells():
    assert fit("法律服务机构", 7) == "法律服…"
    assert cell_len(fit("法律服务机构", 8)) == 8
    assert fit("12", 5, "right") == "   12"
    assert fit("总计", 6, "center") == " 总计 "
    assert wrap_cells("商业企业", 6, 3) == ["商业", "企业"]
    assert wrap_cells("法律服务机构", 6, 3) == ["法律服", "务机构"]
    assert all(cell_len(line) <= 6 for line in wrap_cells("本年收费金额(单位:万元)", 6, 2))


async def test_f2_edits_the_current_value_and_paste_types():
    app = GridApp()
    async with app.run_test(size=(100, 40)) as pilot:
        grid = app.grid
        await pilot.press("1", "2", "3", "enter", "up", "f2")
        assert grid.editing and grid.edit_text == "123"
        await pilot.press("backspace", "9", "enter")
        assert app.draft.value(k("new", "natural")) == 129
        await pilot.press("up")
        assert grid.type_text("４5")
        await pilot.pause()  # the host applies the posted CellChanged messages
        assert app.draft.value(k("new", "natural")) == 45
        assert not grid.type_text("6x7")  # stops at the refused character
        assert grid.edit_text == "456"
