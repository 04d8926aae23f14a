"""The assessment pack (schema/assessments/generic.toml): expected deductions per item."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from nianbao.cli.main import main
from nianbao.engine.assess import DEDUCT, OK, SKIPPED, UNDECIDED, assess, load_pack, total_deduction
from nianbao.errors import TemplateError
from nianbao.store.draft import save_draft

from .findings import sample


def _by_id(results):
    return {r.id: r for r in results}


def _run(d, previous=None):
    return _by_id(assess(load_pack("generic", d.template), d, previous))


def test_clean_sample_without_previous():
    r = _run(sample())
    assert (r["A1"].status, r["A1"].deduction) == (UNDECIDED, 0)  # no date: not a deduction
    assert r["A2"].status == SKIPPED
    assert {r[i].status for i in ("A3", "A4", "A5")} == {OK}


@pytest.mark.parametrize(
    "org_type, date, status",
    [
        ("县级人民政府部门", dt.date(2025, 1, 31), OK),
        ("县级人民政府部门", dt.date(2025, 2, 1), DEDUCT),
        ("县级人民政府", dt.date(2025, 3, 31), OK),
        ("县级人民政府", dt.date(2025, 4, 1), DEDUCT),
    ],
)
def test_deadline_by_agency_type(org_type, date, status):
    d = sample()
    d.meta["org_type"], d.meta["publish_date"] = org_type, date
    a1 = _run(d)["A1"]
    assert a1.status == status
    if status == DEDUCT:
        assert a1.deduction == 5
        assert ("3月31日" in a1.messages[0]) is (org_type == "县级人民政府")


def test_each_corrected_review_and_lost_lawsuit_costs_points():
    d = sample()
    d.values[("t4", "cases", "review_corrected")] = 2
    d.values[("t4", "cases", "after_corrected")] = 1
    d.values[("t4", "cases", "direct_corrected")] = 1
    r = _run(d)
    assert (r["A3"].status, r["A3"].deduction) == (DEDUCT, 2)
    assert (r["A4"].status, r["A4"].deduction) == (DEDUCT, 2)
    assert total_deduction(list(r.values())) == 4


def test_copied_text_and_missing_fee_basis():
    d = sample()
    d.texts["s6.other"] = "本年度认真完成各项工作任务。"
    prev = sample()
    prev.meta["year"] = 2023
    r = _run(d, prev)
    assert r["A2"].status == DEDUCT and "超过50%" in r["A2"].messages[0]
    assert r["A5"].status == DEDUCT


def test_a_broken_pack_is_refused_naming_the_item(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text('[[items]]\nid = "X1"\npoints = 1\ncheck = "t3[nope, natural] == 0"\nmessage = "m"\n', encoding="utf-8")
    with pytest.raises(TemplateError, match="项目 X1"):
        load_pack(str(p), sample().template)
    with pytest.raises(TemplateError, match="未知的评估规则包"):
        load_pack("nope", sample().template)


def test_check_assess_prints_and_carries_json(tmp_path, capsys):
    d = sample()
    d.values[("t4", "cases", "review_corrected")] = 1
    d.values[("t4", "cases", "review_pending")] = 2
    path = tmp_path / "d.toml"
    save_draft(d, path)
    assert main(["check", str(path), "--assess", "generic"]) == 0
    out = capsys.readouterr().out
    assert "评估预检" in out and "预计共扣 1 分" in out
    assert main(["check", "--json", str(path), "--assess", "generic"]) == 0
    data = json.loads(capsys.readouterr().out)
    report = data["reports"][0] if "reports" in data else data
    items = {i["id"]: i for i in report["assessment"]["items"]}
    assert (items["A3"]["status"], items["A3"]["deduction"]) == ("deduct", "1")
    assert report["assessment"]["total_deduction"] == "1"
