"""A narrative section: one text area per field, its guidance above and a character count."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static, TextArea

from nianbao.app.widgets.ordered_keys import OrderedKeys
from nianbao.report.template import NarrativeField, Section


class FieldEditor(OrderedKeys, TextArea):
    """A text area that knows which template field it edits (editing keys apply in the order typed)."""

    def __init__(self, field: NarrativeField, text: str, **kwargs):
        super().__init__(text, soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)
        self.field = field


class NarrativePane(VerticalScroll):
    class TextChanged(Message):
        def __init__(self, field_key: str, text: str):
            super().__init__()
            self.field_key = field_key
            self.text = text

    def __init__(self, section: Section, texts: dict[str, str], **kwargs):
        super().__init__(**kwargs)
        self.section = section
        self.texts = texts

    def compose(self) -> ComposeResult:
        yield Static(self.section.heading, classes="pane-title")
        for f in self.section.fields:
            text = self.texts.get(f.key, "")
            yield Static(f.label + ("" if f.required else "(选填)"), classes="field-label")
            if f.guidance:
                yield Static(f.guidance, classes="guidance")
            yield FieldEditor(f, text, id=self.editor_id(f))
            yield Static(self._count(f, text), id=f"count-{f.section_id}-{f.id}", classes="char-count")

    @staticmethod
    def editor_id(f: NarrativeField) -> str:
        return f"text-{f.section_id}-{f.id}"

    def _count(self, f: NarrativeField, text: str) -> str:
        n = len(text.strip())
        need = f"(至少 {f.min_chars} 字)" if f.min_chars and n < f.min_chars else ""
        return f"{n} 字{need}  F4 用外部编辑器"

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        editor = event.text_area
        if not isinstance(editor, FieldEditor):
            return
        event.stop()
        f = editor.field
        self.query_one(f"#count-{f.section_id}-{f.id}", Static).update(self._count(f, editor.text))
        self.post_message(self.TextChanged(f.key, editor.text))

    def editor_for(self, field_key: str) -> FieldEditor | None:
        for editor in self.query(FieldEditor):
            if editor.field.key == field_key:
                return editor
        return None

    def set_text(self, field_key: str, text: str) -> None:
        editor = self.editor_for(field_key)
        if editor is not None and editor.text != text:
            editor.load_text(text)
