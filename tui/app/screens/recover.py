"""Offered when a draft has a newer recovery file: 恢复 / 丢弃 / 稍后."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from ...recovery import Difference
from .dialogs import _Modal


class RecoverScreen(_Modal):
    """Dismisses "restore", "discard" or "later"."""

    BINDINGS = [Binding("escape", "later", "稍后", id="recover.later")]

    def __init__(self, differences: list[Difference]):
        super().__init__()
        self.differences = differences

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"发现自动保存的内容,比已保存的草稿新,有 {len(self.differences)} 处不同:", classes="dialog-title")
            with VerticalScroll(classes="diff-list"):
                for d in self.differences[:200]:
                    yield Static(f"{d.place}:{d.saved or '空'} → {d.recovered or '空'}")
            with Horizontal(classes="dialog-buttons"):
                yield Button("恢复", id="restore", variant="primary")
                yield Button("丢弃", id="discard", variant="error")
                yield Button("稍后(Esc)", id="later")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_later(self) -> None:
        self.dismiss("later")
