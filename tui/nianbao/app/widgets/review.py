"""检查与导出: every finding grouped by section, a Markdown preview, and export."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Markdown, Static

from nianbao.app.widgets.problems import ProblemsPane
from nianbao.editing.session import Session
from nianbao.engine.checks import Finding


class ReviewPane(Vertical):
    def __init__(self, session: Session, **kwargs):
        super().__init__(**kwargs)
        self.session = session

    def compose(self) -> ComposeResult:
        yield Static("检查与导出", classes="pane-title")
        yield Static("", id="review-summary")
        with Horizontal(id="review-body"):
            yield ProblemsPane(id="review-findings")
            yield Markdown("", id="review-preview")
        with Horizontal(id="review-actions"):
            yield Button("导出报告(F6)", id="export", variant="primary")
            yield Button("刷新预览", id="refresh-preview")

    def on_mount(self) -> None:
        self.refresh_review()

    def ordered_findings(self) -> list[Finding]:
        order = {s.id: i for i, s in enumerate(self.session.template.sections)}
        return sorted(self.session.findings, key=lambda f: order.get(f.section, -1))

    def refresh_review(self, preview: bool = True) -> None:
        if not self.query("#review-findings"):
            return  # not composed yet: on_mount will fill it
        groups = {s.id: s.heading for s in self.session.template.sections}
        groups["meta"] = "基本信息"
        findings = self.ordered_findings()
        self.query_one("#review-findings", ProblemsPane).show(findings, groups)
        errors, warnings = self.session.counts()
        summary = "没有错误,可以导出。" if not errors else f"还有 {errors} 个错误需要改正。"
        if warnings:
            summary += f"另有 {warnings} 个提醒未处理(可以接受并说明理由)。"
        self.query_one("#review-summary", Static).update(summary)
        if preview:
            from nianbao.engine.render import render_markdown

            self.query_one("#review-preview", Markdown).update(render_markdown(self.session.draft))
