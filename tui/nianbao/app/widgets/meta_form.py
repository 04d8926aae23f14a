"""基本信息: the report's metadata fields, validated as typed."""

from __future__ import annotations

import datetime as dt
import re

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Select, Static

from nianbao.app.widgets.ordered_keys import OrderedInput
from nianbao.report.template import MetaField, Template


def parse_meta(field: MetaField, text: str):
    """The value to store for what was typed, or raise ValueError with a Chinese reason."""
    import unicodedata

    s = unicodedata.normalize("NFKC", text).strip()
    if field.type == "year":
        if s == "":
            return ""
        if not re.fullmatch(r"[0-9]{4}", s) or not 1990 <= int(s) <= 2200:
            raise ValueError("年度应为四位数字,如 2025")
        return int(s)
    if field.type == "date":
        if s == "":
            return ""
        try:
            return dt.date.fromisoformat(s)
        except ValueError:
            raise ValueError("日期格式如 2025-01-20") from None
    return text.strip()


class MetaPane(VerticalScroll):
    class MetaChanged(Message):
        def __init__(self, key: str, value):
            super().__init__()
            self.key = key
            self.value = value

    def __init__(self, template: Template, meta: dict, **kwargs):
        super().__init__(**kwargs)
        self.template = template
        self.meta = meta

    def compose(self) -> ComposeResult:
        yield Static("基本信息", classes="pane-title")
        for m in self.template.meta:
            yield Static(m.label + ("" if m.required else "(选填)"), classes="field-label")
            value = self.meta.get(m.id)
            if m.type == "choice":
                options = [(c, c) for c in m.choices]
                yield Select(options, value=value if value in m.choices else Select.NULL, prompt="请选择", id=f"meta-{m.id}")
            else:
                shown = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
                # No select-on-focus: moving into 机关全称 must not let the first key replace it.
                yield OrderedInput(shown, placeholder=m.help[:40], id=f"meta-{m.id}", select_on_focus=False)
            if m.help:
                yield Static(m.help, classes="guidance")
            yield Static("", id=f"meta-error-{m.id}", classes="field-error")

    def valid_values(self) -> dict[str, object]:
        """What every field holds now, where it is valid (for a save that overtakes messages)."""
        out: dict[str, object] = {}
        for m in self.template.meta:
            for widget in self.query(f"#meta-{m.id}"):
                if isinstance(widget, Select):
                    out[m.id] = "" if widget.value is Select.NULL else widget.value
                elif isinstance(widget, Input):
                    try:
                        out[m.id] = parse_meta(m, widget.value)
                    except ValueError:
                        pass
        return out

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        key = (event.input.id or "").removeprefix("meta-")
        field = self.template.meta_by_id.get(key)
        if field is None:
            return
        error = self.query_one(f"#meta-error-{key}", Static)
        try:
            value = parse_meta(field, event.value)
        except ValueError as exc:
            error.update(str(exc))
            return
        error.update("")
        self.post_message(self.MetaChanged(key, value))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        key = (event.select.id or "").removeprefix("meta-")
        value = "" if event.value is Select.NULL else event.value
        self.post_message(self.MetaChanged(key, value))
