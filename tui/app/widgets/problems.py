"""The problems pane: findings of the current section with their signed differences."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...checks import Finding


def finding_prompt(f: Finding, section_label: str = "") -> Text:
    if f.severity == "error":
        mark, style = "✗ 错误", "bold red"
    elif f.acknowledged:
        mark, style = "✓ 已接受", "dim"
    else:
        mark, style = "! 提醒", "yellow"
    text = Text()
    text.append(f"{mark} ", style=style)
    text.append(f"{f.rule} ", style="dim")
    if section_label:
        text.append(f"[{section_label}] ", style="dim")
    text.append(f.message)
    if f.acknowledged:
        text.append(f"(理由:{f.acknowledged.reason})", style="dim")
    elif f.stale_ack:
        text.append("(数值已变,原来的接受已失效)", style="italic")
    return text


class ProblemsPane(OptionList):
    """Enter jumps to the finding's place; `a` accepts a warning with a reason."""

    BINDINGS = [("a", "accept", "接受提醒")]

    class Jump(Message):
        def __init__(self, finding: Finding):
            super().__init__()
            self.finding = finding

    class Accept(Message):
        def __init__(self, finding: Finding):
            super().__init__()
            self.finding = finding

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.findings: list[Finding] | None = None  # None: nothing shown yet

    def show(self, findings: list[Finding], labels: dict[str, str] | None = None) -> None:
        if findings == self.findings and not labels:
            return
        keep = self.highlighted
        self.findings = list(findings)
        if not findings:
            self.set_options([Option(Text("✓ 本部分没有发现问题", style="green"), disabled=True)])
            self.border_title = "问题"
            return
        self.set_options(
            [Option(finding_prompt(f, (labels or {}).get(f.section, ""))) for f in findings]
        )
        errors = sum(1 for f in findings if f.severity == "error")
        warnings = sum(1 for f in findings if f.severity != "error" and f.open)
        self.border_title = f"问题:{errors} 个错误,{warnings} 个提醒"
        if keep is not None and findings:
            self.highlighted = min(keep, len(findings) - 1)

    def _current(self) -> Finding | None:
        if not self.findings or self.highlighted is None or self.highlighted >= len(self.findings):
            return None
        return self.findings[self.highlighted]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        f = self._current()
        if f is not None:
            self.post_message(self.Jump(f))

    def action_accept(self) -> None:
        f = self._current()
        if f is not None:
            self.post_message(self.Accept(f))
