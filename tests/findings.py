"""Shared by the check-engine tests: the clean sample draft and ways to look at findings."""

from __future__ import annotations

from pathlib import Path

from nianbao.store.draft import Draft, load_draft

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "yuzhong-emergency-2024.toml"
BLANK = ROOT / "samples" / "blank.toml"


def sample() -> Draft:
    """A fresh copy of the clean sample (县级人民政府部门, 2024): no findings at all."""
    return load_draft(SAMPLE)


def of(findings, rule: str):
    return [f for f in findings if f.rule == rule]


def one(findings, rule: str):
    found = of(findings, rule)
    assert len(found) == 1, [(f.rule, f.key, f.message) for f in findings]
    return found[0]


def cells(finding) -> list[str]:
    return [str(c) for c in finding.cells]


def rules(findings) -> set[str]:
    return {f.rule for f in findings}
