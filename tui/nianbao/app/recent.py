"""Recently opened drafts, kept in the user's config folder (XDG_CONFIG_HOME)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from nianbao.store.draft import atomic_write

LIMIT = 12


def _store() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "nianbao" / "recent.json"


def recent() -> list[Path]:
    try:
        data = json.loads(_store().read_text(encoding="utf-8"))
        return [Path(p) for p in data if isinstance(p, str)]
    except (OSError, ValueError):
        return []


def remember(path: Path) -> None:
    """Best effort: a read-only home folder must never stop the clerk's work."""
    path = Path(path).resolve()
    items = [str(path)] + [str(p) for p in recent() if p != path]
    try:
        store = _store()
        store.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(store, json.dumps(items[:LIMIT], ensure_ascii=False, indent=1).encode("utf-8"))
    except OSError:
        pass
