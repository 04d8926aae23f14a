"""The start screen: drafts here and recently opened, and 新建."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from nianbao.app.recent import recent
from nianbao.engine.checks import check, counts
from nianbao.store.draft import load_draft

NEW_ID = "__new__"


@dataclass(frozen=True)
class DraftInfo:
    path: Path
    org: str
    year: int | None
    saved: dt.datetime | None
    errors: int
    problem: str = ""  # why it cannot be opened


def describe(path: Path) -> DraftInfo:
    try:
        d = load_draft(path)
    except Exception as exc:  # any unreadable file is listed with its reason, never fatal
        return DraftInfo(path, "", None, None, 0, str(exc))
    errors, _ = counts(check(d))
    return DraftInfo(path, d.org_name, d.year, d.updated, errors)


def candidates(folder: Path) -> list[Path]:
    here = sorted(p for p in folder.glob("*.toml") if p.is_file() and p.name != "pyproject.toml")
    seen = {p.resolve() for p in here}
    others = [p for p in recent() if p.exists() and p.resolve() not in seen]
    return here + others


class StartScreen(Screen):
    BINDINGS = [Binding("n", "new", "新建", id="start.new"), Binding("f9", "new", "新建", show=False)]

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder
        self.infos: list[DraftInfo] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="start"):
            yield Static("政府信息公开工作年度报告 · 选择草稿或新建", classes="pane-title")
            yield OptionList(id="drafts")
            yield Static("↑↓ 选择,回车打开;按 N 新建草稿。", classes="guidance")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "nianbao"
        self.sub_title = str(self.folder)
        self.reload()
        self.query_one("#drafts", OptionList).focus()

    def reload(self) -> None:
        self.infos = [describe(p) for p in candidates(self.folder)]
        options = [Option(Text("+ 新建草稿……", style="bold"), id=NEW_ID)]
        for i, info in enumerate(self.infos):
            options.append(Option(self._prompt(info), id=str(i), disabled=bool(info.problem)))
        drafts = self.query_one("#drafts", OptionList)
        drafts.set_options(options)
        # Enter works at once: on the first draft that can be opened, else on 新建.
        usable = [i + 1 for i, info in enumerate(self.infos) if not info.problem]
        drafts.highlighted = usable[0] if usable else 0

    def _prompt(self, info: DraftInfo) -> Text:
        name = str(info.path) if info.path.parent.resolve() != self.folder.resolve() else info.path.name
        t = Text(name, style="bold")
        if info.problem:
            t.append(f"\n  无法打开:{info.problem}", style="red")
            return t
        saved = info.saved.strftime("%Y-%m-%d %H:%M") if info.saved else "未保存"
        t.append(f"\n  {info.org or '(未填机关)'} · {info.year or '?'}年 · 保存于 {saved} · ")
        t.append(f"{info.errors} 个错误" if info.errors else "无错误", style="red" if info.errors else "green")
        return t

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == NEW_ID:
            self.action_new()
        elif event.option.id is not None:
            self.app.open_draft(self.infos[int(event.option.id)].path)

    def action_new(self) -> None:
        self.app.new_draft_dialog(self.folder)
