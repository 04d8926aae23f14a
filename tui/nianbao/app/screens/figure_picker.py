"""Pick a table cell to insert into a text as a bound figure ({{t3.new.total}}): the text then
always shows the cell's current value (see nianbao.engine.figures)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from nianbao.app.screens.dialogs import _Modal
from nianbao.engine.figures import placeholder
from nianbao.report.expr.functions import format_value
from nianbao.report.model import Template


class FigureScreen(_Modal):
    """Cells by label with their current values; typing filters. Dismisses the placeholder text
    to insert, or None (Esc)."""

    AUTO_FOCUS = "#figure-filter"

    def __init__(self, template: Template, values: dict[tuple[str, str, str], object]):
        super().__init__()
        self.entries = [
            (placeholder(ref), f"{template.describe_cell(ref)} = {format_value(template, values.get((ref.table, ref.row, ref.col)))}")
            for ref in template.all_cells
        ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("插入表格中的数字(正文将始终显示该格的当前值)", classes="dialog-title")
            yield Input(placeholder="输入文字筛选,如 新收 总计", id="figure-filter")
            yield OptionList(*self._options(""), id="figure-list")
            yield Static("↑↓ 选择,回车插入,Esc 取消", classes="guidance")

    def _options(self, words: str) -> list[Option]:
        parts = words.split()
        return [Option(label, id=ref) for ref, label in self.entries if all(p in label for p in parts)]

    def on_input_changed(self, event: Input.Changed) -> None:
        options = self.query_one("#figure-list", OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        if options.option_count:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one("#figure-list", OptionList)
        if options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted or 0).id)  # type: ignore[no-untyped-call]

    def key_down(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#figure-list", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)  # type: ignore[no-untyped-call]
