"""Bound figures: {{t3.new.total}} in a text follows its cell through edit, save, reopen and
export, and is never warned about; unbound figures still are."""

from __future__ import annotations

from nianbao.engine.checks import check, computed_values
from nianbao.engine.figures import bound_cells, placeholder, shown_text
from nianbao.engine.render import render_markdown
from nianbao.report.model import CellRef
from nianbao.store.draft import load_draft, save_draft

from .findings import of, sample

BOUND = "本年共收到政府信息公开申请{{t3.new.total}}件,均已按时答复。"


def _with_applications(n: int):
    d = sample()
    d.values[("t3", "new", "natural")] = n
    d.values[("t3", "open", "natural")] = n
    return d


def test_placeholder_names_the_cell():
    ref = CellRef("t3", "new", "total")
    assert placeholder(ref) == "{{t3.new.total}}"
    assert bound_cells(BOUND + "{{t3.nope.total}}", sample().template) == [ref]


def test_follows_the_cell_through_edit_save_reopen_and_export(tmp_path):
    d = _with_applications(5)
    d.texts["s1.requests"] = BOUND
    assert "收到政府信息公开申请5件" in render_markdown(d)
    d.values[("t3", "new", "natural")] = 7
    d.values[("t3", "open", "natural")] = 7
    assert shown_text(BOUND, d.template, computed_values(d)) == "本年共收到政府信息公开申请7件,均已按时答复。"
    path = tmp_path / "d.toml"
    save_draft(d, path)
    assert "{{t3.new.total}}" in path.read_text(encoding="utf-8")  # stored as the placeholder
    again = load_draft(path)
    assert again.texts["s1.requests"] == BOUND
    assert "收到政府信息公开申请7件" in render_markdown(again)
    assert check(again) == []


def test_bound_figures_are_never_warned_about_unbound_ones_are():
    d = _with_applications(5)
    d.texts["s1.requests"] = "本年共收到政府信息公开申请{{t3.carried.total}}件。"  # bound, even to another cell
    assert not of(check(d), "W5")
    d.texts["s1.requests"] = "本年共收到政府信息公开申请3件。"
    assert of(check(d), "W5")


def test_a_bound_total_still_adds_up_with_its_stated_parts():
    d = sample()  # 行政许可 40
    d.texts["s1.active"] = "全年办理行政许可{{t2.licensing.decisions}}件,其中网上办理30件,窗口办理10件。"
    assert not of(check(d), "W5g")
    d.values[("t2", "licensing", "decisions")] = 41
    assert of(check(d), "W5g")  # the unbound parts no longer add up


def test_an_unknown_cell_is_shown_and_warned():
    d = sample()
    d.texts["s6.other"] += "另有{{t3.nope.total}}件。"
    assert "〔未知单元格 t3.nope.total〕" in render_markdown(d)
    assert [f.message for f in of(check(d), "W6b")] == ["正文中的数字引用〔未知单元格 t3.nope.total〕不是本模板的单元格,请重新插入"]
