"""The check engine against the sample drafts: every rule of format.md §4 broken on purpose,
with the rule id, the cells involved and the exact signed difference in the message. The errors
(E0–E6), acknowledgements and the engine itself are here; the warnings in test_checks_warnings.py."""

from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.engine.checks import ERROR, WARNING, check, computed_values, counts
from nianbao.report.template import load_template
from nianbao.store.draft import Acknowledgement, Draft, DraftError, dumps, load_draft, parse_draft

from .findings import BLANK, SAMPLE, cells, of, one, rules, sample

# ---------------------------------------------------------------- the samples


def test_clean_sample_has_no_findings():
    assert check(sample()) == []
    assert counts(check(sample())) == (0, 0)


def test_blank_sample():
    found = check(load_draft(BLANK))
    assert [(f.rule, f.key) for f in found if f.rule in ("E0", "E1")] == [
        ("E0", "f=org_name"), ("E0", "f=org_type"), ("E0", "f=year"),
        ("E1", "t=t2"), ("E1", "t=t3"), ("E1", "t=t4"),
    ]
    assert [f.message for f in of(found, "E1")] == [
        "表二有10个单元格未填写(没有数据请填 0,不要留空或填“/”“无”)",
        "表三有144个单元格未填写(没有数据请填 0,不要留空或填“/”“无”)",
        "表四有12个单元格未填写(没有数据请填 0,不要留空或填“/”“无”)",
    ]
    assert [f.key for f in of(found, "E6")] == [
        "f=s1.active", "f=s1.requests", "f=s1.management", "f=s1.platforms", "f=s1.oversight",
        "f=s5.problems", "f=s5.measures", "f=s6.other",
    ]
    # blanks count as 0 in the sums, so no arithmetic rule fires on an empty draft
    assert rules(found) == {"E0", "E1", "E6", "W4"}
    assert all(f.is_error for f in found if f.rule.startswith("E"))


def test_computed_values_fill_derived_cells():
    d = sample()
    d.values[("t3", "new", "natural")] = 2
    d.values[("t3", "open", "legal")] = 5
    v = computed_values(d)
    assert v[("t3", "new", "total")] == 2
    assert v[("t3", "total", "legal")] == 5
    assert v[("t3", "total", "total")] == 5
    assert v[("t4", "cases", "review_total")] == 3
    assert v[("t4", "cases", "after_total")] == 1


# ---------------------------------------------------------------- E1 values


def test_e1_blank_cell():
    d = sample()
    del d.values[("t2", "licensing", "decisions")]
    f = one(check(d), "E1")
    assert (f.key, f.severity, f.section) == ("t=t2", ERROR, "s2")
    assert f.message == "表二有1个单元格未填写(没有数据请填 0,不要留空或填“/”“无”)"
    assert cells(f) == ["t2.licensing.decisions"]


def test_e1_blank_fee_cell():
    d = sample()
    del d.values[("t2", "fees", "fee_amount")]
    assert cells(one(check(d), "E1")) == ["t2.fees.fee_amount"]


def test_e1_blank_counts_as_zero_elsewhere():
    d = sample()
    del d.values[("t3", "new", "natural")]
    del d.values[("t4", "cases", "review_pending")]
    found = check(d)
    assert [(f.key, cells(f)) for f in of(found, "E1")] == [
        ("t=t3", ["t3.new.natural"]),
        ("t=t4", ["t4.cases.review_pending"]),
    ]
    assert rules(found) == {"E1"}  # no E2: the blank is 0 in the 勾稽关系


def _sample_text(**replace) -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new, 1)
    return text


@pytest.mark.parametrize(
    "old, new, words",
    [
        ("decisions = 40", "decisions = 1.5", "件数应为整数"),
        ("decisions = 40", "decisions = -1", "不能是负数"),
        ("decisions = 40", 'decisions = "/"', "应为数字,却是文字"),
        ("decisions = 40", 'decisions = "无"', "应为数字,却是文字"),
        ("decisions = 40", "decisions = 40.0", "件数应为整数"),
        ("decisions = 40", "decisions = true", "true/false"),
        ("decisions = 40", "decisions = 1000000001", "数字过大"),
        ("fee_amount = 0.0", "fee_amount = 0.12345", "最多保留 4 位小数"),
        ("fee_amount = 0.0", "fee_amount = -0.5", "不能是负数"),
        ("fee_amount = 0.0", "fee_amount = nan", "有限"),
    ],
)
def test_e1_values_that_are_not_numbers_are_refused_when_read(old, new, words):
    # E1's "non-negative integer / decimal with at most 4 places" is enforced when a draft is
    # read (and when a value is typed): such a value never reaches the check engine.
    with pytest.raises(DraftError) as exc:
        parse_draft(_sample_text(**{old: new}), "d.toml")
    assert words in str(exc.value)
    assert "d.toml 第" in str(exc.value)


def test_e1_fee_with_four_places_is_accepted():
    d = parse_draft(_sample_text(**{"fee_amount = 0.0": "fee_amount = 0.1234"}), "d.toml")
    assert d.values[("t2", "fees", "fee_amount")] == Decimal("0.1234")
    assert check(d) == []


# ---------------------------------------------------------------- E2-E5 sums


def test_e2_new_plus_carried_equals_total_plus_next_year():
    d = sample()
    d.values[("t3", "new", "natural")] = 1
    found = check(d)
    e2 = of(found, "E2")
    assert [(f.key, f.message) for f in e2] == [
        ("c=natural", "“自然人”列勾稽关系不符:第一项+第二项=1,第三项+第四项=0,相差+1"),
        ("c=total", "“总计”列勾稽关系不符:第一项+第二项=1,第三项+第四项=0,相差+1"),
    ]
    assert cells(e2[0]) == ["t3.new.natural", "t3.carried.natural", "t3.total.natural", "t3.next_year.natural"]
    assert cells(e2[1]) == ["t3.new.total", "t3.carried.total", "t3.total.total", "t3.next_year.total"]
    assert [(f.lhs, f.rhs, f.diff) for f in e2] == [(1, 0, 1), (1, 0, 1)]
    assert all(f.severity == ERROR and f.section == "s3" for f in e2)
    # the text says no applications were received: that is a warning on top
    assert rules(found) == {"E2", "W5b"}


def test_e2_negative_difference_from_next_year():
    d = sample()
    d.values[("t3", "next_year", "legal")] = 2
    e2 = of(check(d), "E2")
    assert [(f.key, f.message.rsplit(",", 1)[1]) for f in e2] == [("c=legal", "相差-2"), ("c=total", "相差-2")]


def test_e2_balanced_change_is_fine():
    d = sample()
    d.values[("t3", "new", "research")] = 4
    d.values[("t3", "carried", "research")] = 1
    d.values[("t3", "open", "research")] = 3
    d.values[("t3", "next_year", "research")] = 2
    d.texts["s1.requests"] = "本年度收到政府信息公开申请4件,上年结转1件,结转下年度2件。"
    assert check(d) == []


def test_e3_fires_only_with_a_typed_total():
    d = sample()
    d.values[("t3", "open", "natural")] = 5
    d.values[("t3", "next_year", "natural")] = 0
    assert "E3" not in rules(check(d))  # the computed (七)总计 always adds up
    d.values[("t3", "total", "natural")] = 4  # a total typed into an imported report
    e3 = of(check(d), "E3")
    assert [(f.key, f.message) for f in e3] == [
        ("c=natural", "“自然人”列(七)总计为4,但各项办理结果之和为5,相差-1"),
        ("c=total", "“总计”列(七)总计为4,但各项办理结果之和为5,相差-1"),
    ]
    assert cells(e3[0])[:3] == ["t3.total.natural", "t3.open.natural", "t3.partial.natural"]
    assert len(cells(e3[0])) == 1 + 21


def test_e4_fires_only_with_a_typed_total():
    d = sample()
    d.values[("t3", "new", "business")] = 2
    d.values[("t3", "open", "business")] = 2
    d.texts["s1.requests"] = "本年度收到政府信息公开申请2件,均已按时答复。"
    assert check(d) == []
    d.values[("t3", "new", "total")] = 5
    found = check(d)
    f = one(found, "E4")
    assert f.key == "r=new"
    assert f.message == "“一、本年新收政府信息公开申请数量”行总计为5,但六类申请人之和为2,相差+3"
    assert cells(f) == ["t3.new.total"] + [f"t3.new.{c}" for c in ("natural", "business", "research", "nonprofit", "legal", "other_org")]
    # the typed total also enters the 勾稽关系 of the 总计 column
    assert [(x.key, x.diff) for x in of(found, "E2")] == [("c=total", 3)]


def test_e4_typed_total_read_from_a_file_is_kept():
    text = _sample_text(**{"[tables.t3.new]\nnatural = 0": "[tables.t3.new]\ntotal = 7\nnatural = 0"})
    d = parse_draft(text, "d.toml")
    assert d.values[("t3", "new", "total")] == 7
    assert one(check(d), "E4").message.endswith("相差+7")
    # and survives saving
    assert "total = 7" in dumps(d)


def test_e5_fires_only_with_a_typed_total():
    d = sample()
    assert "E5" not in rules(check(d))
    d.values[("t4", "cases", "review_total")] = 2  # parts: 0 + 0 + 0 + 3
    d.values[("t4", "cases", "after_total")] = 1  # parts: 1 + 0 + 0 + 0, consistent
    d.values[("t4", "cases", "direct_total")] = 1  # parts: all 0
    e5 = of(check(d), "E5")
    assert [(f.key, f.message) for f in e5] == [
        ("c=review_total", "行政复议总计为2,但维持、纠正、其他、尚未审结之和为3,相差-1"),
        ("c=direct_total", "行政诉讼/未经复议直接起诉总计为1,但维持、纠正、其他、尚未审结之和为0,相差+1"),
    ]
    assert cells(e5[0]) == [
        "t4.cases.review_total", "t4.cases.review_upheld", "t4.cases.review_corrected",
        "t4.cases.review_other", "t4.cases.review_pending",
    ]
    assert all(f.section == "s4" for f in e5)


def test_deep_copied_draft_checks_like_the_original():
    assert check(copy.deepcopy(sample())) == []


def test_e6_section_text_too_short():
    d = sample()
    d.texts["s1.active"] = "无"
    d.texts["s5.measures"] = "  无。 "
    d.texts["s6.other"] = ""
    found = check(d)
    e6 = of(found, "E6")
    assert [(f.key, f.message) for f in e6] == [
        ("f=s1.active", "“一、总体情况”的“(一)主动公开”内容为空或过短(现有1字,至少15字;只写“无”不算)"),
        ("f=s5.measures", "“五、存在的主要问题及改进情况”的“(二)改进措施”内容为空或过短(现有1字,至少10字;只写“无”不算)"),
        ("f=s6.other", "“六、其他需要报告的事项”的“其他需要报告的事项”内容为空或过短(现有0字,至少10字;只写“无”不算)"),
    ]
    assert [(f.section, f.fields, f.cells) for f in e6] == [
        ("s1", ("s1.active",), ()), ("s5", ("s5.measures",), ()), ("s6", ("s6.other",), ()),
    ]
    # E6's headings half (six sections, exact headings, in order) is the template's structure:
    # see tests/test_template.py::test_six_headings_in_order.


def test_e0_required_metadata():
    d = sample()
    del d.meta["year"]
    d.meta["org_name"] = ""
    found = check(d)
    assert [(f.key, f.message, f.section) for f in of(found, "E0")] == [
        ("f=org_name", "基本信息“机关全称”未填写", "meta"),
        ("f=year", "基本信息“年度”未填写", "meta"),
    ]


# ---------------------------------------------------------------- acknowledgements


def _w3_draft(made: int = 1) -> Draft:
    d = sample()
    d.values[("t2", "regulations", "made")] = made
    return d


def test_acknowledged_warning_is_closed():
    d = _w3_draft()
    w = one(check(d), "W3")
    assert w.open and w.acknowledged is None
    d.acks.append(Acknowledgement("W3", w.key, "本局受区政府委托起草规章,已说明", w.fingerprint))
    w2 = one(check(d), "W3")
    assert not w2.open
    assert w2.acknowledged.reason == "本局受区政府委托起草规章,已说明"
    assert w2.stale_ack is None
    assert counts(check(d)) == (0, 0)


def test_acknowledgement_survives_saving_and_reading():
    d = _w3_draft()
    w = one(check(d), "W3")
    d.acks.append(Acknowledgement("W3", w.key, "已说明", w.fingerprint, dt.datetime(2025, 1, 20, 9, 0)))
    again = parse_draft(dumps(d), "d.toml")
    assert not one(check(again), "W3").open


def test_acknowledgement_goes_stale_when_a_value_changes():
    d = _w3_draft(1)
    w = one(check(d), "W3")
    ack = Acknowledgement("W3", w.key, "已说明", w.fingerprint)
    d.acks.append(ack)
    d.values[("t2", "regulations", "made")] = 2
    w2 = one(check(d), "W3")
    assert w2.open
    assert w2.acknowledged is None
    assert w2.stale_ack is ack
    assert counts(check(d)) == (0, 1)


def test_acknowledgement_goes_stale_when_a_value_behind_changes_but_not_the_message():
    d = _w3_draft(1)
    w = one(check(d), "W3")
    d.acks.append(Acknowledgement("W3", w.key, "已说明", w.fingerprint))
    d.values[("t2", "regulations", "made")] = 0
    d.values[("t2", "regulations", "in_force")] = 1
    assert one(check(d), "W3").open


def test_acknowledgement_with_another_key_does_not_apply():
    d = sample()
    d.texts["s1.oversight"] += "本年度发生行政复议2件。"
    w = one(check(d), "W5d")
    d.acks.append(Acknowledgement("W5d", "n=9", "x", w.fingerprint))
    d.acks.append(Acknowledgement("W5", w.key, "x", w.fingerprint))
    assert one(check(d), "W5d").open


def test_errors_cannot_be_acknowledged():
    d = sample()
    d.values[("t3", "new", "natural")] = 1
    for e in of(check(d), "E2"):
        d.acks.append(Acknowledgement("E2", e.key, "我确定没错", e.fingerprint))
    for e in of(check(d), "E2"):
        assert e.open and e.acknowledged is None and e.stale_ack is None
    assert counts(check(d))[0] == 2


def test_fingerprint_is_stable():
    a = one(check(_w3_draft()), "W3").fingerprint
    b = one(check(_w3_draft()), "W3").fingerprint
    assert a == b and re.fullmatch(r"[0-9a-f]{16}", a)


# ---------------------------------------------------------------- the engine never raises


TEMPLATE = load_template()
DERIVED = [c for c in TEMPLATE.all_cells if TEMPLATE.tables[c.table].is_derived(c.row, c.col)]
TRIGGERS = [
    "收到政府信息公开申请", "接到", "受理", "新收", "申请", "件", "条", "结转下年度", "结转至2025年", "行政复议",
    "行政诉讼", "均获维持", "未发生", "没有", "无", "均已办结", "全部答复", "信息处理费", "收费", "未收取", "发出",
    "其中", "。", ",", ",", ";", "(", ")", "(", ")", "2023年共收到", "2024年", "2025年全年", "国办发〔2021〕30号",
    "本年新制作数量", "采购总金额", "\n", " ", "１２", "٣", "\u3000", "{lhs}", "{{", "\\d",
]
texts = st.lists(
    st.one_of(st.sampled_from(TRIGGERS), st.integers(0, 10**12).map(str), st.text(max_size=6)), max_size=30
).map("".join)


def cell_values(ref):
    if TEMPLATE.column(ref).type == "amount":
        return st.one_of(st.none(), st.decimals(0, 10**9, places=4, allow_nan=False, allow_infinity=False))
    return st.one_of(st.none(), st.integers(0, 10**9), st.sampled_from([0, 1, 9, 10, 50]))


@st.composite
def drafts(draw, typed_totals: bool = True):
    values = {}
    for ref in TEMPLATE.input_cells:
        v = draw(cell_values(ref))
        if v is not None:
            values[(ref.table, ref.row, ref.col)] = v
    if typed_totals:
        for ref in DERIVED:
            if draw(st.integers(0, 3)) == 0:
                values[(ref.table, ref.row, ref.col)] = draw(st.integers(0, 10**9))
    meta: dict = {}
    if draw(st.booleans()):
        meta["org_name"] = draw(st.text(max_size=12))
    if draw(st.booleans()):
        meta["org_type"] = draw(st.sampled_from(("",) + TEMPLATE.meta_by_id["org_type"].choices))
    if draw(st.booleans()):
        meta["year"] = draw(st.integers(1990, 2200))
    if draw(st.booleans()):
        meta["publish_date"] = draw(st.dates(dt.date(1990, 1, 1), dt.date(2201, 12, 31)))
    if draw(st.booleans()):
        meta["contact"] = draw(st.text(max_size=12))
    body = {f.key: draw(texts) for f in TEMPLATE.fields}
    return Draft(TEMPLATE, meta, body, values)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(drafts(), st.one_of(st.none(), drafts()))
def test_engine_never_fails_on_any_draft(d, prev):
    found = check(d, previous=prev)
    broken = [f.message for f in found if "无法计算" in f.message]
    assert broken == []
    for f in found:
        assert f.severity in (ERROR, WARNING)
        assert f.message
        assert f.is_error or f.rule.startswith("W")
    if prev is None:
        assert not {f.rule for f in found} & {r.id for r in TEMPLATE.rules if r.needs_previous}


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(drafts(typed_totals=False))
def test_computed_totals_always_add_up(d):
    assert not rules(check(d)) & {"E3", "E4", "E5"}
