"""`nianbao migrate`: a draft file written for an older template version, migrated on disk.

The steps themselves are `nianbao/migrate.py` (pure: data in, data out); this module reads and
writes the file: it keeps a backup, parses the result as a draft before writing anything, and
holds the draft's lock so a running app cannot be overwritten (or overwrite the migration).
"""

from __future__ import annotations

from pathlib import Path

from nianbao.errors import os_reason
from nianbao.report.migrate import needed, run
from nianbao.report.model import Template
from nianbao.store.draft import HEADER, DraftError, atomic_write, parse_draft, parse_toml, read_text, template_of
from nianbao.store.lock import acquire
from nianbao.store.sidefile import side_file_mode
from nianbao.store.toml_text import update_text


def migrate_text(text: str, path: str = "<草稿>", template: Template | None = None) -> tuple[str | None, list[str]]:
    """A draft's text migrated: (new TOML text, or None if nothing to do; the dry-run lines).

    Raises DraftError (unreadable TOML, unknown template) or MigrationError.
    """
    raw = parse_toml(text, path)
    if template is None:
        template = template_of(raw, text, path)
    if not needed(raw, template):
        return None, []
    data, changes = run(raw, template, path)
    # Written into the clerk's text: comments and order stay, only moved keys change place.
    return update_text(text, data, HEADER), [c.describe() for c in changes]


def migrate_file(path: Path | str, *, dry_run: bool = False, backup: bool = True) -> tuple[list[str], Path | None]:
    """`nianbao migrate DRAFT [--dry-run]`: (the changes, the backup written or None).

    The old file is kept as `NAME.toml.vN.bak` (N = its template version) before the migrated
    draft replaces it atomically. Nothing is written when `dry_run` or when no change is due.
    The migrated text is parsed as a draft before anything is written, so a migration that
    produced an invalid draft never reaches the disk.
    """
    path = Path(path)
    text = read_text(path)
    new_text, report = migrate_text(text, str(path))
    if new_text is None or dry_run:
        return report, None
    # A running app holding the draft would overwrite the migration (or lose its own work).
    with acquire(path):
        text = read_text(path)  # as it is now that nobody else can be writing it
        new_text, report = migrate_text(text, str(path))
        if new_text is None:
            return report, None
        return report, _write_migrated(path, text, new_text, backup)


def _write_migrated(path: Path, text: str, new_text: str, backup: bool) -> Path | None:
    parse_draft(new_text, f"{path}(迁移后)")
    head = parse_toml(text, str(path)).get("draft")
    old_version = head.get("template_version", "old") if isinstance(head, dict) else "old"
    bak = None
    try:
        if backup:
            bak = path.with_name(f"{path.name}.v{old_version}.bak")
            atomic_write(bak, path.read_bytes(), mode=side_file_mode(path))
        atomic_write(path, new_text.encode("utf-8"))
    except OSError as exc:
        raise DraftError(f"{path}:无法写入迁移后的草稿({os_reason(exc)}),原文件未改动") from None
    return bak
