"""The editor: navigator, the current section, the problems pane. Owns the Session.

Handlers own state: every change arrives as a message, goes through the Session, and then
`_after_change` brings the navigator, the problems pane, the grid marks and the header up to
date. Sections are mounted the first time they are shown.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Header, OptionList

from nianbao.app.screens.dialogs import AcceptWarningScreen
from nianbao.app.screens.draft_files import DraftFiles
from nianbao.app.widgets.meta_form import MetaPane
from nianbao.app.widgets.narrative import FieldEditor, NarrativePane
from nianbao.app.widgets.navigator import SectionNavigator, entries
from nianbao.app.widgets.problems import ProblemsPane
from nianbao.app.widgets.table_grid import TableGrid
from nianbao.app.widgets.table_section import TablePane
from nianbao.editing.session import META_ENTRY, REVIEW_ENTRY, Session
from nianbao.engine.checks import Finding


def pane_id(entry: str) -> str:
    return f"pane-{entry}"


def _slow_section_delay() -> float:
    try:
        return max(0.0, min(5.0, float(os.environ.get("NIANBAO_SLOW_SECTION", "0") or 0)))
    except ValueError:
        return 0.0


class EditorScreen(DraftFiles, Screen):
    # priority: a focused TextArea binds F6/F7 itself (select line / all). Each runs only after
    # the keys typed before it (after_typing), so a burst like "7 Enter F12 5" puts the 7 in
    # this section and the 5 in the next.
    BINDINGS = [
        Binding("f2", "after_typing('save')", "保存", id="draft.save", priority=True),
        Binding("ctrl+s", "after_typing('save')", "保存", show=False, id="draft.save_ctrl", priority=True),
        Binding("f3", "after_typing('save_as')", "另存为", show=False, id="draft.save_as", priority=True),
        Binding("f4", "after_typing('external_edit')", "外部编辑", id="text.external", priority=True),
        Binding("ctrl+t", "after_typing('insert_figure')", "插入数字", show=False, id="text.figure", priority=True),
        Binding("f5", "after_typing('toggle_direction')", "方向", id="grid.direction", priority=True),
        Binding("f6", "after_typing('export')", "导出", id="export.markdown", priority=True),
        Binding("f7", "after_typing('accept_warning')", "接受提醒", id="warning.accept", priority=True),
        Binding("f8", "after_typing('next_problem')", "问题", id="problem.next", priority=True),
        Binding("shift+f8", "after_typing('previous_problem')", "上一个问题", show=False, id="problem.previous", priority=True),
        Binding("f9", "after_typing('toggle_navigator')", "目录", id="section.navigator", priority=True),
        Binding("ctrl+pagedown,f12", "after_typing('next_section')", "下一部分", show=False, id="section.next", priority=True),
        Binding("ctrl+pageup,f11", "after_typing('previous_section')", "上一部分", show=False, id="section.previous", priority=True),
    ]

    AUTO_FOCUS = ""  # no automatic focus: on_mount places it on where the clerk left off

    def __init__(self, session: Session):
        super().__init__()
        self.session = session
        ui_entry = session.draft.ui.get("section", META_ENTRY)
        self.entry = ui_entry if ui_entry in {e for e, _ in entries(session)} else META_ENTRY
        self.mounted: set[str] = {self.entry}
        self._autosave_timer = None
        self._switching = False  # a section change is waiting for its pane to take the focus
        self._held_keys: list[events.Key] = []  # keys typed meanwhile, in order

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield SectionNavigator(self.session, id="nav")
            # The first section is composed with the screen: one layout, focus before the first frame.
            with ContentSwitcher(id="content", initial=pane_id(self.entry)):
                yield self._pane(self.entry)
        yield ProblemsPane(id="problems")
        yield Footer()

    NARROW = 90  # columns below which the table gets more room

    def action_after_typing(self, name: str) -> None:
        self.after_pending_input(getattr(self, f"action_{name}"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show F4 only in a text field and F5 only in a table: the Footer lists what matters now."""
        if action == "after_typing" and parameters:
            action = str(parameters[0])
        if action in ("external_edit", "insert_figure"):
            return isinstance(self.focused, FieldEditor)
        if action == "toggle_direction":
            return isinstance(self.focused, TableGrid)
        return True

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < self.NARROW, "narrow")
        # Below 100 columns the footer leaves out the palette key (Ctrl+P / F1 still work) so
        # that F8, F9 and 退出 still show.
        self.query_one(Footer).show_command_palette = event.size.width >= 100

    def action_toggle_navigator(self) -> None:
        """F9: hide the navigator (wide screens) or show it (narrow ones, where it starts hidden)."""
        self.toggle_class("nav-toggled")

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < self.NARROW, "narrow")
        self._update_header()
        ui = self.session.draft.ui
        nav = self.query_one("#nav", SectionNavigator)
        nav.select_entry(self.entry)
        self._refresh_problems()
        self._refresh_marks()
        self._focus_first(self.entry)
        if ui.get("cell"):
            self._resume_cell(ui["cell"])
        elif ui.get("field"):
            self._focus_field(ui["field"])
        for note in self.session.notes():
            self.notify(note, severity="warning", timeout=10)

    def _resume_cell(self, cell: str) -> None:
        parts = tuple(cell.split("."))
        if len(parts) == 3:
            grid = self._grid(parts[0])
            if grid is not None:
                try:
                    grid.move_to(parts)
                except KeyError:  # a resume position from the file is data, not trusted
                    return
                grid.focus()

    def _pane(self, entry: str):
        if entry == META_ENTRY:
            return MetaPane(self.session.template, self.session.draft.meta, id=pane_id(entry))
        if entry == REVIEW_ENTRY:
            from nianbao.app.widgets.review import ReviewPane

            return ReviewPane(self.session, id=pane_id(entry))
        section = self.session.template.section_by_id[entry]
        if section.tables:
            return TablePane(section, self.session.template, self.session.value, id=pane_id(entry))
        return NarrativePane(section, self.session.draft.texts, id=pane_id(entry))

    def show_entry(self, entry: str, focus: bool = True) -> None:
        switcher = self.query_one("#content", ContentSwitcher)
        if entry not in self.mounted:
            switcher.mount(self._pane(entry))
            self.mounted.add(entry)
        self.entry = entry
        switcher.current = pane_id(entry)
        nav = self.query_one("#nav", SectionNavigator)
        if nav.highlighted != nav.get_option_index(entry):
            nav.select_entry(entry)
        self.session.remember_position(entry)
        if focus:
            # The new pane's field gets the focus after the next refresh; until then every key
            # (queued for the old field, or typed since) is held here and handed to the new
            # field in the order typed (hold_key), however long a slow machine takes.
            self.set_focus(None, scroll_visible=False)
            self._switching = True
        delay = _slow_section_delay()
        if delay:  # NIANBAO_SLOW_SECTION: a loaded machine, for the tests of held keys
            self.set_timer(delay, lambda: self.call_after_refresh(self._entered, entry, focus))
        else:
            self.call_after_refresh(self._entered, entry, focus)

    def _entered(self, entry: str, focus: bool) -> None:
        self._refresh_problems()
        self._refresh_marks()
        if entry == REVIEW_ENTRY:
            self._review().refresh_review()
        if focus and entry == self.entry:  # a later switch (F12 F12 F12) supersedes this one
            self._focus_first(entry)
            self._release_held_keys()

    def hold_key(self, key: events.Key) -> bool:
        """Keep a key that arrived while the focus is between two sections. True if kept."""
        if not self._switching or self.focused is not None:
            return False
        self._held_keys.append(events.Key(key.key, key.character))
        return True

    def on_key(self, event: events.Key) -> None:
        # With nothing focused (a section being laid out) keys come to the screen: keep them
        # for the field about to get the focus instead of dropping them.
        if self.hold_key(event):
            event.stop()
            event.prevent_default()

    def _release_held_keys(self) -> None:
        self._switching = False
        held, self._held_keys = self._held_keys, []
        target = self.focused or self
        for key in held:
            target.post_message(key)

    def _focus_first(self, entry: str) -> None:
        pane = self.query_one(f"#{pane_id(entry)}")
        targets = [w for w in pane.query("*") if w.focusable]
        if targets:
            # Focus without scrolling: the pane may not be laid out yet, and scrolling then
            # can hide its heading. Bring the widget into view once it is.
            targets[0].focus(scroll_visible=False)
            self.call_after_refresh(targets[0].scroll_visible, animate=False)

    def _review(self):
        from nianbao.app.widgets.review import ReviewPane  # Markdown and its parser load only when needed

        return self.query_one(f"#{pane_id(REVIEW_ENTRY)}", ReviewPane)

    # ---------------------------------------------------------------- refresh after a change
    def _after_change(self) -> None:
        self.query_one("#nav", SectionNavigator).refresh_states()
        self._refresh_problems()
        self._refresh_marks()
        self._update_header()
        self._schedule_autosave()

    def _refresh_problems(self) -> None:
        pane = self.query_one("#problems", ProblemsPane)
        if self.entry == REVIEW_ENTRY:
            pane.display = False
            if REVIEW_ENTRY in self.mounted:
                self._review().refresh_review(preview=False)
            return
        pane.display = True
        pane.show(self.session.findings_for(self.entry))

    def _grid(self, table_id: str) -> TableGrid | None:
        for grid in self.query(TableGrid):
            if grid.table.id == table_id:
                return grid
        return None

    def _refresh_marks(self) -> None:
        if self.entry not in self.mounted:
            return
        for grid in self.query_one(f"#{pane_id(self.entry)}").query(TableGrid):
            errors, warnings = set(), set()
            for f in self.session.findings:
                if not f.open and f.severity != "error":
                    continue
                for c in f.cells:
                    if c.table == grid.table.id:
                        (errors if f.severity == "error" else warnings).add((c.table, c.row, c.col))
            grid.set_marks(errors, warnings)
            grid.refresh_values()

    def _update_header(self) -> None:
        d = self.session.draft
        org = d.org_name or "(未填机关)"
        year = f"{d.year}年" if d.year else ""
        name = self.session.path.name if self.session.path else "(未命名)"
        state = "未保存" if self.session.dirty else "已保存"
        errors, warnings = self.session.counts()
        # What changes comes first: a narrow terminal cuts the end of the header line.
        self.title = f"{name} · {state} · {errors} 错误 {warnings} 提醒"
        self.sub_title = f"{org} {year}年报"

    # ---------------------------------------------------------------- messages from panes
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "nav" and event.option.id:
            event.stop()
            self.show_entry(event.option.id)

    def on_meta_pane_meta_changed(self, event: MetaPane.MetaChanged) -> None:
        if self.session.set_meta(event.key, event.value):
            self._after_change()

    def on_narrative_pane_text_changed(self, event: NarrativePane.TextChanged) -> None:
        if self.session.set_text(event.field_key, event.text):
            self._after_change()

    def on_table_grid_cell_changed(self, event: TableGrid.CellChanged) -> None:
        if event.grid.is_current(event) and self.session.set_value(event.key, event.value):
            self._after_change()

    # ---------------------------------------------------------------- input still on its way
    def after_pending_input(self, callback) -> None:
        """Run `callback` once the keys already sent to the focused widget are handled and
        what they typed is in the session (F2 right after "7 Enter" must save the 7)."""

        def run() -> None:
            self.sync_from_widgets()
            callback()

        (self.focused or self).call_later(run)

    def sync_from_widgets(self) -> None:
        """Take into the session what the widgets hold but whose messages are still on their
        way up (they are then skipped or change nothing when they arrive)."""
        changed = False
        for grid in self.query(TableGrid):
            for key, value in grid.unapplied().items():
                changed |= self.session.set_value(key, value)
        for editor in self.query(FieldEditor):
            changed |= self.session.set_text(editor.field.key, editor.text)
        for pane in self.query(MetaPane):
            for key, value in pane.valid_values().items():
                changed |= self.session.set_meta(key, value)
        if isinstance(self.focused, TableGrid):  # where to resume, even if CursorMoved is late
            self.session.remember_position(self.entry, cell=".".join(self.focused.cursor))
        if changed:
            self._after_change()

    def on_table_grid_cursor_moved(self, event: TableGrid.CursorMoved) -> None:
        self.session.remember_position(self.entry, cell=".".join(event.key))

    def on_table_grid_input_refused(self, event: TableGrid.InputRefused) -> None:
        self.notify(event.reason, severity="warning", timeout=3)

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, FieldEditor):
            self.session.remember_position(self.entry, field=event.widget.field.key)

    def on_problems_pane_jump(self, event: ProblemsPane.Jump) -> None:
        self.jump_to(event.finding)

    def on_problems_pane_accept(self, event: ProblemsPane.Accept) -> None:
        self.accept_warning(event.finding)

    def on_button_pressed(self, event) -> None:
        if event.button.id == "export":
            self.action_export()
        elif event.button.id == "refresh-preview":
            self._review().refresh_review()

    # ---------------------------------------------------------------- problems
    def _orders(self) -> tuple[dict, dict, dict]:
        t = self.session.template
        return (
            {e: i for i, (e, _) in enumerate(entries(self.session))},
            {(c.table, c.row, c.col): i for i, c in enumerate(t.all_cells)},
            {f.key: i for i, f in enumerate(t.fields)},
        )

    def _cells_here(self, f: Finding):
        """The finding's cells that are on its own section's page (a text rule's are not)."""
        tables = self.session.template.tables
        return [c for c in f.cells if tables[c.table].section_id == f.section]

    def _place(self, f: Finding, orders) -> tuple[int, int]:
        """Where a finding sits in walking order: (navigator entry, cell or field index)."""
        sections, cells, fields = orders
        here = self._cells_here(f)
        if here:
            c = here[0]
            return (sections.get(f.section, 0), cells.get((c.table, c.row, c.col), 0))
        return (sections.get(f.section, 0), fields.get(f.fields[0], 0) if f.fields else -1)

    def _here(self, orders) -> tuple[int, int]:
        sections, cells, fields = orders
        pos = -1
        focused = self.focused
        if isinstance(focused, TableGrid):
            pos = cells.get(tuple(focused.cursor), -1)
        elif isinstance(focused, FieldEditor):
            pos = fields.get(focused.field.key, -1)
        return (sections.get(self.entry, 0), pos)

    def _step_problem(self, forward: bool) -> None:
        orders = self._orders()
        found = sorted((f for f in self.session.findings if f.open), key=lambda f: self._place(f, orders))
        if not found:
            self.notify("没有未处理的问题", timeout=3)
            return
        here = self._here(orders)
        if forward:
            nxt = next((f for f in found if self._place(f, orders) > here), found[0])
        else:
            nxt = next((f for f in reversed(found) if self._place(f, orders) < here), found[-1])
        self.jump_to(nxt)
        self.notify(nxt.message, severity="error" if nxt.severity == "error" else "warning", timeout=4)

    def jump_to(self, finding: Finding) -> None:
        """Show the finding's section and put the cursor on its first cell or field."""
        section = finding.section if finding.section in {e for e, _ in entries(self.session)} else META_ENTRY
        self.show_entry(section, focus=False)
        cells = self._cells_here(finding)
        if cells:
            c = cells[0]
            self.call_after_refresh(self._resume_cell, f"{c.table}.{c.row}.{c.col}")
        elif finding.fields:
            self.call_after_refresh(self._focus_field, finding.fields[0])
        else:
            self.call_after_refresh(self._entered, section, True)

    def _focus_field(self, key: str) -> None:
        for editor in self.query(FieldEditor):
            if editor.field.key == key:
                editor.focus()
                editor.scroll_visible()
                return

    def accept_warning(self, finding: Finding | None) -> None:
        if finding is None:
            self.notify("请先在问题列表中选中一个提醒", timeout=3)
            return
        if finding.severity == "error":
            self.notify("错误不能接受,必须改正", severity="error", timeout=4)
            return

        def done(reason: str | None) -> None:
            if reason:
                self.session.acknowledge(finding, reason)
                self._after_change()
                self.notify(f"已接受提醒 {finding.rule}", timeout=3)

        self.app.push_screen(AcceptWarningScreen(finding.message), done)

    # ---------------------------------------------------------------- actions
    def action_next_problem(self) -> None:
        self._step_problem(True)

    def action_previous_problem(self) -> None:
        self._step_problem(False)

    def action_accept_warning(self) -> None:
        pane = self.query_one("#problems", ProblemsPane)
        if self.entry == REVIEW_ENTRY:
            found = self.query("#review-findings")
            if not found:
                return  # the review page is still being built
            pane = found.first(ProblemsPane)
        current = pane._current()
        if current is None or current.severity == "error":
            current = next((f for f in pane.findings or [] if f.severity != "error" and f.open), None)
        self.accept_warning(current)

    def action_next_section(self) -> None:
        ids = [e for e, _ in entries(self.session)]
        self.show_entry(ids[(ids.index(self.entry) + 1) % len(ids)])

    def action_previous_section(self) -> None:
        ids = [e for e, _ in entries(self.session)]
        self.show_entry(ids[(ids.index(self.entry) - 1) % len(ids)])

    def action_toggle_direction(self) -> None:
        grids = list(self.query(TableGrid))
        if not grids:
            return
        new = "right" if grids[0].enter_direction == "down" else "down"
        for g in grids:
            g.enter_direction = new
        self.notify("回车后向右移动" if new == "right" else "回车后向下移动", timeout=2)

    def action_insert_figure(self) -> None:
        """Ctrl+T in a text: insert a cell as a bound figure that follows the table."""
        from nianbao.app.screens.figure_picker import FigureScreen
        from nianbao.engine.checks import computed_values

        editor = self.focused if isinstance(self.focused, FieldEditor) else None
        if editor is None:
            return

        def insert(text: str | None) -> None:
            if text:
                editor.insert(text)
                editor.focus()

        self.app.push_screen(FigureScreen(self.session.draft.template, computed_values(self.session.draft)), insert)

    def action_external_edit(self) -> None:
        editor_widget = self.focused if isinstance(self.focused, FieldEditor) else None
        if editor_widget is None:
            self.notify("请先把光标放到一个文字框里", timeout=3)
            return
        command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
            fh.write(editor_widget.text)
            name = fh.name
        try:
            with self.app.suspend():
                subprocess.call([*shlex.split(command), name])
            text = Path(name).read_text(encoding="utf-8")
        except Exception as exc:  # no terminal to hand over (tests, some hosts), or editor missing
            self.notify(f"无法打开外部编辑器 {command}:{exc}", severity="error", timeout=6)
            return
        finally:
            Path(name).unlink(missing_ok=True)
        editor_widget.load_text(text.rstrip("\n"))
        self.session.set_text(editor_widget.field.key, editor_widget.text)
        self._after_change()
