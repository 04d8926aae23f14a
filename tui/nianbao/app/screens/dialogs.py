"""Small modal forms. Each validates on submit and dismisses with a typed result or None."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from nianbao.app.widgets.ordered_keys import OrderedInput
from nianbao.report.template import Template


def check_file_name(text: str, suffix: str) -> tuple[str, Path | None]:
    """("", path) for a usable file name with `suffix`, else (the reason in Chinese, None)."""
    try:
        path = Path(text).expanduser()
        if "\x00" in text or not path.name or path.name in (".", ".."):
            return "文件名无效", None
        if path.suffix != suffix:
            path = path.with_name(path.name + suffix)
        if len(path.name.encode("utf-8")) > 255:
            return "文件名太长", None
        if path.is_dir():
            return f"{path} 是一个文件夹", None
        if not path.parent.exists():
            return f"文件夹 {path.parent} 不存在", None
    except (OSError, ValueError, RuntimeError):
        return "文件名无效", None
    return "", path


class _Modal(ModalScreen):
    """A dialog that closes once: a second Enter or Esc already queued when it closes must not
    dismiss whatever screen is on top by then (Textual's dismiss pops the top screen)."""

    BINDINGS = [
        Binding("escape", "cancel", "取消", id="dialog.cancel"),
        # ←/→ move between the buttons (a focused Input keeps its own arrow keys).
        Binding("left", "step_button(-1)", "上一个按钮", show=False),
        Binding("right", "step_button(1)", "下一个按钮", show=False),
    ]

    def action_step_button(self, step: int) -> None:
        if isinstance(self.focused, Button):
            (self.focus_next if step > 0 else self.focus_previous)(Button)

    def dismiss(self, result=None):
        # Not `_closing`: that name is Textual's own (MessagePump) and would stop the pump.
        # Only from the top: `is_current` is also true behind the command palette, and Textual's
        # dismiss pops whatever is on top (it would close the palette and leave this dialog).
        if getattr(self, "_dismissed", False) or self.app.screen is not self:
            return AwaitComplete.nothing()
        self._dismissed = True
        return super().dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


class QuitScreen(_Modal):
    """Unsaved changes on quit: 保存 / 不保存 / 取消. Dismisses "save", "discard" or None."""

    BINDINGS = [
        Binding("escape", "cancel", "取消", id="dialog.cancel"),
        Binding("s", "choose('save')", "保存", show=False),
        Binding("n", "choose('discard')", "不保存", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("草稿有未保存的修改,退出前要保存吗?", classes="dialog-title")
            yield Static("不保存:草稿文件不变,这次的修改留在恢复文件里,下次打开时可以恢复或丢弃。", classes="guidance")
            with Horizontal(classes="dialog-buttons"):
                yield Button("保存(S)", id="save", variant="primary")
                yield Button("不保存(N)", id="discard", variant="error")
                yield Button("取消(Esc)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "cancel" else event.button.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class ChoiceScreen(_Modal):
    """A question with several answers. Dismisses the chosen id, or None (Esc)."""

    def __init__(self, question: str, choices: list[tuple[str, str]], detail: str = "", default: str = ""):
        """`default`: the choice Enter takes at first; make it the one that cannot lose work."""
        super().__init__()
        self.question, self.choices, self.detail = question, choices, detail
        self.AUTO_FOCUS = f"#{default or choices[0][0]}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            if self.detail:
                yield Static(self.detail, classes="guidance")
            with Horizontal(classes="dialog-buttons"):
                for i, (choice, label) in enumerate(self.choices):
                    yield Button(label, id=choice, variant="primary" if i == 0 else "default")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)


class ConfirmScreen(_Modal):
    """A yes/no question. Dismisses True or None."""

    def __init__(self, question: str, yes: str = "确定", no: str = "取消", default: str = "yes"):
        super().__init__()
        self.question, self.yes, self.no = question, yes, no
        self.AUTO_FOCUS = f"#{default}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="yes", variant="primary")
                yield Button(self.no, id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(True if event.button.id == "yes" else None)


class AcceptWarningScreen(_Modal):
    """Accept a warning with a reason. Dismisses the reason, or None."""

    def __init__(self, message: str):
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("接受提醒", classes="dialog-title")
            yield Static(self.message, classes="guidance")
            yield OrderedInput(placeholder="说明理由,如:正文的受理数含上年结转", id="reason")
            yield Static("", id="reason-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("接受(Enter)", id="ok", variant="primary")
                yield Button("取消(Esc)", id="cancel")

    def _submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if len(reason) < 2:
            self.query_one("#reason-error", Static).update("请写明理由(至少两个字),理由会保存在草稿里")
            return
        self.dismiss(reason)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)


class PathScreen(_Modal):
    """Ask for a file path (另存为, 导出). Dismisses a Path or None."""

    def __init__(self, title: str, default: str, suffix: str, must_not_exist: bool = False):
        super().__init__()
        self.title_text, self.default, self.suffix, self.must_not_exist = title, default, suffix, must_not_exist

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OrderedInput(self.default, id="path")
            yield Static("", id="path-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("确定(Enter)", id="ok", variant="primary")
                yield Button("取消(Esc)", id="cancel")

    def _submit(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        error = self.query_one("#path-error", Static)
        if not text:
            error.update("请输入文件名")
            return
        problem, path = check_file_name(text, self.suffix)
        if problem or path is None:
            error.update(problem)
            return
        if self.must_not_exist and path.exists():
            error.update(f"{path} 已存在,请换一个文件名")
            return
        self.dismiss(path)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)


@dataclass(frozen=True)
class NewDraftRequest:
    org_name: str
    org_type: str
    year: int
    path: Path


class NewDraftScreen(_Modal):
    """新建: 机关全称, 机关类型, 年度, 文件名. Dismisses a NewDraftRequest or None."""

    def __init__(self, template: Template, default_year: int, folder: Path):
        super().__init__()
        self.template, self.default_year, self.folder = template, default_year, folder

    def compose(self) -> ComposeResult:
        types = self.template.meta_by_id["org_type"].choices if "org_type" in self.template.meta_by_id else ()
        with Vertical(classes="dialog"):
            yield Label("新建年报草稿", classes="dialog-title")
            yield Label("机关全称")
            yield OrderedInput(placeholder="如:重庆市渝中区应急管理局", id="org")
            yield Label("机关类型")
            yield Select([(t, t) for t in types], prompt="请选择", id="type")
            yield Label("年度")
            yield OrderedInput(str(self.default_year), id="year")
            yield Label("文件名")
            yield OrderedInput("", placeholder="默认:机关全称+年度.toml", id="file")
            yield Static("", id="new-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("新建(Enter)", id="ok", variant="primary")
                yield Button("取消(Esc)", id="cancel")

    def _submit(self) -> None:
        import unicodedata

        error = self.query_one("#new-error", Static)
        org = self.query_one("#org", Input).value.strip()
        kind = self.query_one("#type", Select).value
        year_text = unicodedata.normalize("NFKC", self.query_one("#year", Input).value).strip()
        year_text = year_text if re.fullmatch(r"[0-9]{4}", year_text) else ""
        name = self.query_one("#file", Input).value.strip()
        if not org:
            error.update("请填写机关全称")
            self.query_one("#org", Input).focus()
            return
        if kind is Select.NULL:
            error.update("请选择机关类型")
            self.query_one("#type", Select).focus()
            return
        if not year_text.isdigit() or not 1990 <= int(year_text) <= 2200:
            error.update("年度应为四位数字,如 2025")
            self.query_one("#year", Input).focus()
            return
        year = int(year_text)
        problem, path = check_file_name(str(self.folder / (name or f"{org}{year}年报.toml")), ".toml")
        if problem or path is None:
            error.update(problem)
            return
        if path.exists():
            error.update(f"{path.name} 已存在,请换一个文件名(不会覆盖已有草稿)")
            return
        self.dismiss(NewDraftRequest(org, str(kind), year, path))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)
