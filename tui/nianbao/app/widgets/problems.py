"""The problems pane: findings of the current section with their signed differences."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from nianbao.engine.checks import Finding


def finding_prompt(f: Finding) -> Text:
    if f.severity == "error":
        mark, style = "✗ 错误", "bold red"
    elif f.acknowledged:
        mark, style = "✓ 已接受", "dim"
    else:
        mark, style = "! 提醒", "yellow"
    text = Text()
    text.append(f"{mark} ", style=style)
    text.append(f"{f.rule} ", style="dim")
    text.append(f.message)
    if f.acknowledged:
        text.append(f"(理由:{f.acknowledged.reason})", style="dim")
    elif f.stale_ack:
        text.append("(数值已变,原来的接受已失效)", style="italic")
    return text


class ProblemsPane(OptionList):
    """Enter jumps to the finding's place; `a` accepts a warning with a reason."""

    BINDINGS = [Binding("a", "accept", "接受提醒", show=False)]  # F7 is the one in the footer

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
        self._rows: list[Finding | None] = []

    def show(self, findings: list[Finding], groups: dict[str, str] | None = None) -> None:
        """List findings; with `groups` (section id -> heading), under one heading per section."""
        if findings == self.findings and groups is None:
            return
        if self._same_places(findings):
            # The same findings with new numbers (typing in a cell): redraw their prompts only.
            for i, (old, new) in enumerate(zip(self._rows, self._layout(findings, groups))):
                if new is not None and new != old:
                    self.replace_option_prompt_at_index(i, finding_prompt(new))
            self._rows = self._layout(findings, groups)
            self.findings = list(findings)
            self._set_title(findings)
            return
        keep = self.highlighted
        self.findings = list(findings)
        self._rows: list[Finding | None] = []  # option index -> finding (None: a heading)
        if not findings:
            self.set_options([Option(Text("✓ 没有发现问题", style="green"), disabled=True)])
            self._rows = [None]
            self.border_title = "本部分的问题"
            return
        options = []
        current = object()
        for f in findings:
            if groups is not None and f.section != current:
                current = f.section
                options.append(Option(Text(groups.get(f.section, f.section), style="bold"), disabled=True))
                self._rows.append(None)
            options.append(Option(finding_prompt(f)))
            self._rows.append(f)
        self.set_options(options)
        self._set_title(findings)
        first = next(i for i, row in enumerate(self._rows) if row is not None)
        self.highlighted = keep if keep is not None and keep < len(self._rows) and self._rows[keep] else first

    def _same_places(self, findings: list[Finding]) -> bool:
        old = [f for f in self._rows if f is not None]
        return bool(old) and len(old) == len(findings) and all(
            (a.rule, a.key, a.section, a.severity) == (b.rule, b.key, b.section, b.severity) for a, b in zip(old, findings)
        )

    @staticmethod
    def _layout(findings: list[Finding], groups) -> list[Finding | None]:
        rows: list[Finding | None] = []
        current = object()
        for f in findings:
            if groups is not None and f.section != current:
                current = f.section
                rows.append(None)
            rows.append(f)
        return rows

    def _set_title(self, findings: list[Finding]) -> None:
        errors = sum(1 for f in findings if f.severity == "error")
        warnings = sum(1 for f in findings if f.severity != "error" and f.open)
        self.border_title = f"本部分的问题:{errors} 个错误,{warnings} 个提醒"

    def _current(self) -> Finding | None:
        rows = getattr(self, "_rows", [])
        if self.highlighted is None or self.highlighted >= len(rows):
            return None
        return rows[self.highlighted]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        f = self._current()
        if f is not None:
            self.post_message(self.Jump(f))

    def action_accept(self) -> None:
        f = self._current()
        if f is not None:
            self.post_message(self.Accept(f))
