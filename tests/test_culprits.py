"""Culprit hints on seeded slips: each names the cell that holds the slip, with its kind and a
Chinese reason; `check --json` carries them."""

from __future__ import annotations

import json

from nianbao.cli.main import main
from nianbao.engine.checks import check
from nianbao.report.model import CellRef

from .findings import of, sample


def _e2(d, col="natural", **kw):
    return next(f for f in of(check(d, **kw), "E2") if f.key == f"c={col}")


def test_swapped_digits_name_the_cell():
    d = sample()
    d.values[("t3", "new", "natural")] = 12  # meant 21
    d.values[("t3", "open", "natural")] = 15
    d.values[("t3", "partial", "natural")] = 6
    f = _e2(d)
    assert f.diff == -9
    assert [(str(c.cell), c.kind) for c in f.culprits] == [("t3.new.natural", "swap")]
    assert f.culprits[0].reason == "可能是 自然人/本年新收政府信息公开申请数量 的数字颠倒了:填的是 12,应为 21"


def test_misfiled_column_names_the_cell_typed_in_the_wrong_column():
    d = sample()
    for row in ("new", "open"):  # correct: 自然人 5, 商业企业 3 in both rows
        d.values[("t3", row, "natural")] = 5
        d.values[("t3", row, "business")] = 3
    d.values[("t3", "open", "natural")] = 8  # the 3 商业企业 answers typed under 自然人
    d.values[("t3", "open", "business")] = 0
    found = check(d)
    assert {f.key for f in of(found, "E2")} == {"c=natural", "c=business"}  # 总计 balances
    natural = _e2(d)
    assert natural.culprits[0].kind == "offset"
    assert str(natural.culprits[0].cell) == "t3.open.natural"
    assert natural.culprits[0].reason == "可能是 自然人/予以公开 多填了 3、商业企业/予以公开 少填了 3(填错了位置)"
    business = _e2(d, "business")
    assert (str(business.culprits[0].cell), business.culprits[0].kind) == ("t3.open.business", "offset")


def test_split_digits_name_the_pair():
    d = sample()
    d.values[("t3", "new", "natural")] = 12
    d.values[("t3", "open", "natural")] = 1  # "12" typed as 1 and 2 in two rows
    d.values[("t3", "partial", "natural")] = 2
    f = _e2(d)
    assert f.diff == 9
    kinds = [(str(c.cell), c.kind) for c in f.culprits]
    assert kinds[0] == ("t3.open.natural", "split")
    assert "本是一个数 12" in f.culprits[0].reason


def test_the_cell_changed_last_comes_first():
    d = sample()
    d.values[("t3", "new", "natural")] = 12  # a swap candidate too
    d.values[("t3", "open", "natural")] = 15
    d.values[("t3", "partial", "natural")] = 6
    last = CellRef("t3", "open", "natural")
    f = _e2(d, last_changed=last)
    assert (f.culprits[0].cell, f.culprits[0].kind) == (last, "last_edit")
    assert f.culprits[0].reason == "可能是刚修改的 自然人/予以公开 多填了 9"
    assert f.culprits[1].kind == "swap"
    # a cell outside the rule is not named
    f = _e2(d, last_changed=CellRef("t2", "licensing", "decisions"))
    assert [c.kind for c in f.culprits] == ["swap"]


def test_no_culprit_without_a_verified_repair():
    d = sample()
    d.values[("t3", "new", "natural")] = 7
    d.values[("t3", "open", "natural")] = 3
    assert _e2(d).culprits == ()
    assert all(f.culprits == () for f in check(sample()))


def test_check_json_carries_culprits(tmp_path, capsys):
    from nianbao.store.draft import save_draft

    d = sample()
    d.values[("t3", "new", "natural")] = 12
    d.values[("t3", "open", "natural")] = 15
    d.values[("t3", "partial", "natural")] = 6
    path = tmp_path / "d.toml"
    save_draft(d, path)
    assert main(["check", "--json", str(path)]) == 1
    out = json.loads(capsys.readouterr().out)
    report = out["reports"][0] if "reports" in out else out
    e2 = next(f for f in report["findings"] if f["rule"] == "E2" and f["key"] == "c=natural")
    assert e2["culprits"] == [
        {"cell": "t3.new.natural", "kind": "swap", "reason": "可能是 自然人/本年新收政府信息公开申请数量 的数字颠倒了:填的是 12,应为 21"}
    ]


def test_the_session_names_the_cell_the_clerk_changed_last(tmp_path):
    from nianbao.editing.session import Session
    from nianbao.store.draft import save_draft

    path = tmp_path / "d.toml"
    save_draft(sample(), path)
    s = Session.open(path)
    s.set_value(("t3", "new", "natural"), 4)
    s.set_value(("t3", "open", "natural"), 4)
    s.set_value(("t3", "partial", "natural"), 2)  # the slip: 2 too many
    e2 = next(f for f in s.findings if f.rule == "E2" and f.key == "c=natural")
    assert (str(e2.culprits[0].cell), e2.culprits[0].kind) == ("t3.partial.natural", "last_edit")
    assert e2.culprits[0].reason == "可能是刚修改的 自然人/部分公开 多填了 2"
