"""One open draft being edited: values, dirty state, findings. UI-free.

The terminal app drives a Session; every change goes through it, so the same rules hold
whether a key press, a test or a script makes the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from nianbao.engine.checks import ERROR, Finding, check, context_for, counts
from nianbao.report.model import CellRef, Template
from nianbao.store.draft import (
    Acknowledgement,
    Draft,
    DraftError,
    load_draft_stamped,
    load_previous,
    normalize_newlines,
    now,
    save_draft,
)
from nianbao.store.ondisk import Stamp, changed_since, describe_change, stamp

# Navigator entries besides the template's sections.
META_ENTRY = "meta"
REVIEW_ENTRY = "review"


CellKey = tuple[str, str, str]  # (table, row, column), as a draft stores it


@dataclass(frozen=True)
class SectionState:
    label: str  # 未填 / 填写中 / 完成 / N 个错误 / M 个提醒
    errors: int
    warnings: int
    kind: str  # empty | partial | done | error | warning


class Session:
    def __init__(self, draft: Draft, path: Path | None, previous: Draft | None = None, disk: Stamp | None = None):
        self.draft = draft
        self.path = Path(path) if path else None
        self.previous = previous
        self.dirty = False
        self.generation = 0  # bumps on every change; autosave compares it
        self.findings: list[Finding] = []
        self.last_changed: CellRef | None = None  # the cell edited last: named first among culprits
        self.previous_note = ""
        # This session's recovery file; None until the first autosave picks a free name
        # (another session's or a deferred recovery file is never overwritten).
        self.recovery_file: Path | None = None
        # The file as we know it: the stamp of the bytes we parsed or wrote, never of a later read.
        self.disk: Stamp | None = disk if disk is not None else (stamp(self.path) if self.path else None)
        self.recheck()

    @classmethod
    def open(cls, path: Path | str) -> Session:
        path = Path(path)
        draft, seen = load_draft_stamped(path)
        previous, note = None, ""
        try:
            previous = load_previous(draft, path)
        except DraftError as exc:
            note = f"上年草稿无法读取,跨年度检查已跳过:{exc}"
        s = cls(draft, path, previous, seen)
        s.previous_note = note
        return s

    def notes(self) -> list[str]:
        """What the clerk should know about the draft as opened (shown once, on opening)."""
        return ([self.previous_note] if self.previous_note else []) + self.draft.notes()

    # ---- reading
    @property
    def template(self) -> Template:
        return self.draft.template

    def value(self, key: CellKey) -> object:
        """A cell as shown: input, typed total, or the total the last check computed."""
        try:
            return self._ctx.cell(key)
        except Exception:  # a template bug in a formula: show the cell blank, the check says why
            return None

    def counts(self) -> tuple[int, int]:
        return counts(self.findings)

    def findings_for(self, section: str) -> list[Finding]:
        return [f for f in self.findings if f.section == section]

    def section_state(self, entry: str) -> SectionState:
        t = self.template
        found = self.findings_for(entry)
        errors = sum(1 for f in found if f.severity == ERROR)
        warnings = sum(1 for f in found if f.severity != ERROR and f.open)
        if entry == META_ENTRY:
            filled = [bool(self.draft.meta.get(m.id)) for m in t.meta if m.required]
        elif entry == REVIEW_ENTRY:
            e, w = self.counts()
            if e:
                return SectionState(f"{e} 个错误", e, w, "error")
            if w:
                return SectionState(f"{w} 个提醒", e, w, "warning")
            return SectionState("可导出", 0, 0, "done")
        else:
            section = t.section_by_id[entry]
            filled = [bool((self.draft.texts.get(f.key) or "").strip()) for f in section.fields]
            for tid in section.tables:
                filled += [self.draft.values.get((c.table, c.row, c.col)) is not None for c in t.tables[tid].input_cells]
        if not any(filled):
            return SectionState("未填", errors, warnings, "empty")
        if errors:
            return SectionState(f"{errors} 个错误", errors, warnings, "error")
        if warnings:
            return SectionState(f"{warnings} 个提醒", errors, warnings, "warning")
        if not all(filled):
            return SectionState("填写中", 0, 0, "partial")
        return SectionState("完成", 0, 0, "done")

    # ---- changing
    def _changed(self) -> None:
        self.dirty = True
        self.generation += 1
        self.recheck()

    def recheck(self) -> None:
        self._ctx = context_for(self.draft, self.previous)
        self.findings = check(self.draft, self.previous, self._ctx, last_changed=self.last_changed)

    def set_value(self, key: CellKey, value: int | Decimal | None) -> bool:
        if self.draft.values.get(key) == value and (value is not None or key not in self.draft.values):
            return False
        self.draft.set_value(key, value)
        self.last_changed = CellRef(*key)
        self._changed()
        return True

    def set_text(self, field_key: str, text: str) -> bool:
        text = normalize_newlines(text)
        if self.draft.texts.get(field_key, "") == text:
            return False
        self.draft.texts[field_key] = text
        self._changed()
        return True

    def set_meta(self, key: str, value: object) -> bool:
        field = self.template.meta_by_id.get(key)
        if value in (None, "") and self.draft.meta.get(key) in (None, ""):
            return False  # blank either way ("" is how a blank text is written; absent for a year)
        if value == "" and field is not None and field.type in ("year", "date"):
            value = None  # a blank year or date is an absent key, as a saved draft reads back
        if value is None:
            if key not in self.draft.meta:
                return False
            del self.draft.meta[key]
            self._changed()
            return True
        if self.draft.meta.get(key) == value:
            return False
        self.draft.meta[key] = value
        self._changed()
        return True

    def acknowledge(self, finding: Finding, reason: str) -> None:
        if finding.severity == ERROR:
            raise ValueError("errors cannot be acknowledged")
        self.draft.acks = [a for a in self.draft.acks if (a.rule, a.key) != (finding.rule, finding.key)]
        self.draft.acks.append(Acknowledgement(finding.rule, finding.key, reason.strip(), finding.fingerprint, now()))
        self._changed()

    def withdraw(self, finding: Finding) -> None:
        self.draft.acks = [a for a in self.draft.acks if (a.rule, a.key) != (finding.rule, finding.key)]
        self._changed()

    def remember_position(self, entry: str, cell: str = "", field: str = "") -> None:
        """Where the clerk is; saved with the draft but not a change worth a prompt."""
        self.draft.ui = {k: v for k, v in (("section", entry), ("cell", cell), ("field", field)) if v}

    def changed_on_disk(self) -> str:
        """Why the file on disk is not what we loaded or last saved ("" if it is)."""
        if self.path is None or not changed_since(self.path, self.disk):
            return ""
        return describe_change(self.path, self.disk)

    def reload(self) -> None:
        """Replace the draft with the file on disk (after a conflict, on request)."""
        assert self.path is not None  # only a draft read from a file is reloaded
        fresh, seen = load_draft_stamped(self.path)
        self.draft = fresh
        self.disk = seen
        self.dirty = False
        self.generation += 1
        self.recheck()

    def save(self, path: Path | None = None) -> Path:
        target = Path(path) if path else self.path
        if target is None:
            raise DraftError("还没有文件名,请用“另存为”")
        written = save_draft(self.draft, target)
        self.path = target
        self.disk = Stamp.of_bytes(written)
        self.dirty = False
        return target

    def saved_at(self) -> dt.datetime | None:
        return self.draft.updated
