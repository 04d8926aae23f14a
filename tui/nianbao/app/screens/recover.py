"""Offered when a draft has a recovery file holding unsaved work: 恢复 / 丢弃 / 稍后."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from nianbao.app.screens.dialogs import _Modal
from nianbao.store.recovery import Difference


class RecoverScreen(_Modal):
    """Dismisses "restore", "discard" or "later"."""

    BINDINGS = [Binding("escape", "later", "稍后", id="recover.later")]
    AUTO_FOCUS = "#restore"

    def __init__(self, differences: list[Difference], newer: bool = True, others: int = 0):
        super().__init__()
        self.differences, self.newer, self.others = differences, newer, others

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"发现自动保存的内容,与草稿有 {len(self.differences)} 处不同:", classes="dialog-title")
            if not self.newer:
                yield Static("注意:它比草稿旧,草稿在那之后又保存过;恢复会用它覆盖下列各处。", classes="guidance")
            with VerticalScroll(classes="diff-list"):
                for d in self.differences[:200]:
                    yield Static(f"{d.place}:{d.saved or '空'} → {d.recovered or '空'}")
            if self.others:
                yield Static(f"另有 {self.others} 个较旧的恢复文件,下次打开时再询问。", classes="guidance")
            with Horizontal(classes="dialog-buttons"):
                yield Button("恢复", id="restore", variant="primary")
                yield Button("丢弃", id="discard", variant="error")
                yield Button("稍后(Esc)", id="later")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_later(self) -> None:
        self.dismiss("later")
