"""The section navigator: 基本信息, 一 … 六, 检查与导出, each with its live state."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from nianbao.editing.session import META_ENTRY, REVIEW_ENTRY, Session

STATE_STYLE = {"empty": "dim", "partial": "", "done": "green", "error": "bold red", "warning": "yellow"}


def entries(session: Session) -> list[tuple[str, str]]:
    """(entry id, label) in walking order."""
    return (
        [(META_ENTRY, "基本信息")]
        + [(s.id, s.nav) for s in session.template.sections]
        + [(REVIEW_ENTRY, "检查与导出")]
    )


class SectionNavigator(OptionList):
    """Lists the entries; Enter or a click opens one. States update on every change."""

    def __init__(self, session: Session, **kwargs):
        self.session = session
        self._shown: dict[str, object] = {}  # entry -> the state its prompt shows
        super().__init__(*[Option(self._prompt(e, label), id=e) for e, label in entries(session)], **kwargs)

    def _prompt(self, entry: str, label: str) -> Text:
        state = self.session.section_state(entry)
        self._shown[entry] = state
        text = Text(label)
        text.append("\n  ")
        text.append(state.label, style=STATE_STYLE[state.kind])
        return text

    def refresh_states(self) -> None:
        """Redraw only the entries whose state changed (most keys change none)."""
        for entry, label in entries(self.session):
            if self.session.section_state(entry) != self._shown.get(entry):
                self.replace_option_prompt(entry, self._prompt(entry, label))

    def select_entry(self, entry: str) -> None:
        self.highlighted = self.get_option_index(entry)
