"""Recovery files in the core: names, their order, and how their differences are shown."""

from __future__ import annotations

import os

from nianbao.store.draft import load_draft
from nianbao.store.recovery import differences, free_recovery_path, recovery_files, recovery_path, write_recovery

from .conftest import SEED


def test_a_change_at_the_end_of_a_long_paragraph_shows(tmp_path):
    saved = load_draft(SEED)
    recovered = load_draft(SEED)
    text = saved.texts["s1.active"]
    assert len(text) > 60
    recovered.texts["s1.active"] = text[:-3] + "新加的" + text[-3:]
    (d,) = differences(saved, recovered)
    assert "新加的" in d.recovered and d.saved.startswith("…") and d.recovered.startswith("…")
    assert len(d.recovered) <= 40


def test_free_names_and_newest_first(tmp_path):
    path = tmp_path / "d.toml"
    draft = load_draft(SEED)
    assert free_recovery_path(path) == recovery_path(path)
    write_recovery(draft, path)
    assert free_recovery_path(path) == recovery_path(path, 2)
    write_recovery(draft, path, recovery_path(path, 2))
    os.utime(recovery_path(path), (1, 1))
    (tmp_path / ".d.toml.recover.bak").write_text("not one of ours")
    assert recovery_files(path) == [recovery_path(path, 2), recovery_path(path)]
