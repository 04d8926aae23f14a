"""The prose corpus (tests/prose_corpus.toml): every sentence gets the verdict written next to it,
and a passing figure of another plausible scope is matched with the scope named there."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from nianbao.engine.checks import ScopeMatch, check

from .findings import sample

CORPUS = tomllib.loads((Path(__file__).parent / "prose_corpus.toml").read_text(encoding="utf-8"))["case"]


def _run(case: dict) -> tuple[list, list[ScopeMatch]]:
    d = sample()
    for ref, value in case.get("cells", {}).items():
        d.values[tuple(ref.split("."))] = value
    d.texts[case["field"]] = case["text"]
    prev = None
    if "previous" in case:
        prev = sample()
        prev.meta["year"] = d.meta["year"] - 1
        prev.texts = {k: "" for k in prev.texts}
        prev.texts[case["field"]] = case["previous"]
    matched: list[ScopeMatch] = []
    found = [f for f in check(d, previous=prev, matched=matched) if f.rule == case["rule"]]
    return found, [m for m in matched if m.rule == case["rule"]]


@pytest.mark.parametrize("case", CORPUS, ids=[f"{c['rule']}-{i}-{c['expect']}" for i, c in enumerate(CORPUS)])
def test_verdict(case):
    found, matched = _run(case)
    assert not [f for f in found if f.severity != "warning"], [f.message for f in found]  # no "无法计算"
    if case["expect"] == "warn":
        assert found, f"should warn: {case['text']}"
    else:
        assert not found, [f.message for f in found]
    if "scope" in case:
        assert case["scope"] in {m.scope for m in matched}, matched


def test_the_corpus_has_both_forms_of_every_kind():
    kinds = {}
    for c in CORPUS:
        kinds.setdefault(c["rule"], set()).add(c["expect"])
    assert all(v == {"warn", "pass"} for v in kinds.values()), kinds
    assert len(CORPUS) >= 50
