"""The warnings (提醒) of format.md §4 broken on purpose, each with its rule id, the cells involved
and the exact signed difference: the cross-year ones against last year's report, then the ones
one report shows by itself (text against tables, old labels, deadlines)."""

from __future__ import annotations

import datetime as dt

import pytest

from nianbao.engine.checks import WARNING, check
from nianbao.report.template import load_template

from .findings import cells, of, one, rules, sample

# ---------------------------------------------------------------- cross-year warnings


def test_w1_carried_differs_from_last_years_next_year():
    prev = sample()
    prev.values[("t3", "next_year", "natural")] = 2
    prev.values[("t3", "open", "natural")] = 0
    found = check(sample(), previous=prev)
    w1 = of(found, "W1")
    assert [(f.key, f.message) for f in w1] == [
        ("c=natural", "“自然人”列上年结转0件,上年报告结转下年度2件,相差-2"),
        ("c=total", "“总计”列上年结转0件,上年报告结转下年度2件,相差-2"),
    ]
    assert cells(w1[0]) == ["t3.carried.natural"]  # last year's cells are not this draft's
    assert all(f.severity == WARNING for f in w1)
    assert "W1" not in rules(check(sample()))


def test_w2_in_force_does_not_follow_from_last_year():
    prev = sample()
    prev.values[("t2", "normative_docs", "in_force")] = 10
    d = sample()
    d.values[("t2", "normative_docs", "made")] = 2
    d.values[("t2", "normative_docs", "repealed")] = 1
    d.values[("t2", "normative_docs", "in_force")] = 8
    f = one(check(d, previous=prev), "W2")
    assert f.key == "r=normative_docs"
    assert f.message == "行政规范性文件现行有效8件,按上年现行有效+本年制发-本年废止应为11件,相差-3(文件到期自然失效时可接受并说明)"
    assert cells(f) == ["t2.normative_docs.in_force", "t2.normative_docs.made", "t2.normative_docs.repealed"]
    d.values[("t2", "normative_docs", "in_force")] = 11
    assert "W2" not in rules(check(d, previous=prev))


def test_w2b_more_repealed_than_could_be():
    prev = sample()
    prev.values[("t2", "normative_docs", "in_force")] = 3
    d = sample()
    d.values[("t2", "normative_docs", "made")] = 1
    d.values[("t2", "normative_docs", "repealed")] = 5
    found = check(d, previous=prev)
    f = one(found, "W2b")
    assert (f.key, f.message) == ("r=normative_docs", "行政规范性文件本年废止5件,多于上年现行有效与本年制发之和4件")
    assert one(found, "W2").message.startswith("行政规范性文件现行有效0件,按上年现行有效+本年制发-本年废止应为-1件,相差+1")


def test_w10_figure_jumped():
    prev = sample()
    prev.values[("t2", "licensing", "decisions")] = 4
    prev.values[("t2", "penalty", "decisions")] = 111  # 22 * 5 = 110 < 111
    prev.texts = {k: "" for k in prev.texts}
    found = check(sample(), previous=prev)
    assert [(f.key, f.message, cells(f)) for f in of(found, "W10")] == [
        ("k=t2.licensing.decisions", "表二“行政许可”行“本年处理决定数量”今年40,上年4,变化超过5倍,请核实",
         ["t2.licensing.decisions"]),
        ("k=t2.penalty.decisions", "表二“行政处罚”行“本年处理决定数量”今年22,上年111,变化超过5倍,请核实",
         ["t2.penalty.decisions"]),
    ]
    assert "W10b" not in rules(found)


def test_w10b_text_copied_from_last_year():
    prev = sample()
    prev.meta["year"] = 2023
    found = check(sample(), previous=prev)
    w10b = of(found, "W10b")
    assert len(w10b) == 8
    assert w10b[0].key == "f=s1.active"
    assert w10b[0].message == (
        "“一、总体情况”的“(一)主动公开”有100%的句子与上年报告相同(不计年份、日期和数字),可能照搬了上年的文字:"
        "“全年通过门户网站主动公开信息300条。”、“其中政府信息公开指南1条,政策文件19条,政府信…”"
    )  # issue 13: the share of sentences reused, and which sentences
    assert w10b[0].fields == ("s1.active",)
    prev.texts["s1.active"] = "全年在政府网站发布各类信息合计一百余条,涵盖机构职能、政策文件、监督检查与应急科普。"
    assert "f=s1.active" not in {f.key for f in of(check(sample(), previous=prev), "W10b")}


def test_cross_year_rules_only_run_with_previous():
    t = load_template()
    cross = {r.id for r in t.rules if r.needs_previous}
    assert {"W1", "W2", "W2b", "W10", "W10b"} <= cross
    d = sample()
    d.values[("t3", "carried", "natural")] = 9  # W1 with any previous report
    d.values[("t2", "licensing", "decisions")] = 10**6  # W10 with the sample as previous
    d.values[("t2", "normative_docs", "in_force")] = 5  # W2: last year 0 + 0 - 0
    assert not rules(check(d)) & cross
    assert {"W1", "W2", "W10", "W10b"} <= rules(check(d, previous=sample()))


# ---------------------------------------------------------------- single-year warnings


def test_w3_regulations_by_a_county_department():
    d = sample()
    d.values[("t2", "regulations", "made")] = 1
    f = one(check(d), "W3")
    assert (f.key, f.severity, f.section) == ("", WARNING, "s2")
    assert f.message == "县级人民政府部门无权制定规章,但规章一行合计1件,应为0"
    assert cells(f) == ["t2.regulations.made", "t2.regulations.repealed", "t2.regulations.in_force"]
    for org_type, fires in (("街道办事处", True), ("乡镇人民政府", True), ("设区的市级人民政府部门", False), ("国务院部门", False)):
        d.meta["org_type"] = org_type
        assert ("W3" in rules(check(d))) is fires, org_type


def test_w4_section_six_silent_on_fees():
    d = sample()
    d.texts["s6.other"] = "本机关全年认真落实条例,完成了年度政务公开各项任务。"
    f = one(check(d), "W4")
    assert (f.message, f.section, f.fields, f.cells) == (
        "第六部分没有说明信息处理费的收取情况(未收取也应写明)", "s6", ("s6.other",), (),
    )
    d.texts["s6.other"] = "本机关全年认真落实条例,本年度未收取任何费用,也未发出收费通知。"
    assert "W4" not in rules(check(d))


def test_w4b_unpaid_fee_row_but_no_fee_notice():
    d = sample()
    d.values[("t3", "other_no_fee", "natural")] = 1
    d.values[("t3", "new", "natural")] = 1
    d.texts["s1.requests"] = "本年度收到政府信息公开申请1件,申请人逾期未缴费,不再处理。"
    found = check(d)
    f = one(found, "W4b")
    assert f.message == "表三有1件申请因逾期未缴费不再处理,但第六部分写的是未收取或未发出收费通知"
    assert cells(f) == ["t3.other_no_fee.total"]
    assert rules(found) == {"W4b"}
    d.texts["s6.other"] = "本年度发出信息处理费收费通知1件,金额200元,申请人逾期未缴纳,实际收取0元。"
    assert check(d) == []


def test_w5_applications_in_text_differ_from_table():
    d = sample()
    d.texts["s1.requests"] = "本年共收到政府信息公开申请5件,已全部按时答复。"
    f = one(check(d), "W5")
    assert f.key == "n=5"
    assert f.message == "正文写“收到申请5件”,表三本年新收总计为0件,相差+5(若正文含上年结转,可接受并说明)"
    assert cells(f) == ["t3.new.total"]
    # full-width digits are read too
    d.texts["s1.requests"] = "本年共收到政府信息公开申请５件。"
    assert one(check(d), "W5").key == "n=5"


def test_w5b_text_says_no_applications():
    d = sample()  # "本年度我局未接到政府信息公开申请"
    d.values[("t3", "new", "other_org")] = 2
    d.values[("t3", "open", "other_org")] = 2
    f = one(check(d), "W5b")
    assert (f.message, cells(f)) == ("正文称未收到申请,但表三本年新收总计为2件", ["t3.new.total"])


def test_w5c_carried_over_in_text_differs():
    d = sample()
    d.texts["s1.requests"] = "本年度未接到政府信息公开申请,结转下年度3件。"
    f = one(check(d), "W5c")
    assert (f.key, f.message, cells(f)) == ("n=3", "正文写结转下年度3件,表三为0件,相差+3", ["t3.next_year.total"])


def test_w5d_w5e_reviews_and_lawsuits_in_text_differ():
    d = sample()  # 表四: 复议 pending 3; 复议后起诉 upheld 1
    d.texts["s1.oversight"] += "本年度发生行政复议2件,行政诉讼2件。"
    found = check(d)
    assert (one(found, "W5d").key, one(found, "W5d").message) == (
        "n=2", "正文写行政复议2件,表四行政复议总计为3件,相差-1",
    )
    assert cells(one(found, "W5d")) == ["t4.cases.review_total"]
    assert one(found, "W5e").message == "正文写行政诉讼2件,表四两类行政诉讼总计为1件,相差+1"
    assert cells(one(found, "W5e")) == ["t4.cases.direct_total", "t4.cases.after_total"]
    d = sample()
    d.texts["s1.oversight"] += "本年度发生行政复议3件,行政诉讼1件。"
    assert check(d) == []


def test_w5f_all_upheld_while_pending():
    d = sample()
    d.texts["s1.oversight"] += "行政复议和行政诉讼均获维持。"
    f = one(check(d), "W5f")
    assert f.message == "正文称复议诉讼“均获维持”,但表四有3件结果纠正、其他结果或尚未审结"
    assert "t4.cases.review_pending" in cells(f) and "t4.cases.review_upheld" not in cells(f)


def test_w5g_breakdown_does_not_add_up():
    d = sample()
    d.texts["s1.active"] = d.texts["s1.active"].replace("300条", "301条")
    f = one(check(d), "W5g")
    assert f.key == "b=门户网站主动公开信息301条"
    assert f.message == "正文写“门户网站主动公开信息301条”共301条,其后所列各项之和为300条,相差+1"
    assert f.section == "s1" and f.cells == ()



def test_a_run_of_thousands_of_digits_in_a_text_is_not_a_figure():
    """int() refuses over 4300 digits; such a run is a paste accident, not a number to check."""
    d = sample()
    d.texts["s1.active"] = "公开信息" + "9" * 5000 + "条。其中文件1条,指南2条。"
    d.texts["s1.requests"] = "本年共收到政府信息公开申请" + "8" * 5000 + "件。"
    found = check(d)
    assert not [f for f in found if "无法计算" in f.message]
    assert not of(found, "W5g") and not of(found, "W5")

@pytest.mark.parametrize(
    "phrase", ["国办发〔2021〕30号", "国办公开办函〔2019〕60号", "本年新制作数量", "其他对外管理服务事项", "采购总金额"]
)
def test_w6_old_format_labels_or_wrong_document_number(phrase):
    d = sample()
    d.texts["s6.other"] += f"依据{phrase}编制。"
    f = one(check(d), "W6")
    assert f.key == f"m={phrase}"
    assert f.message == f"正文出现“{phrase}”,这是2019年试行格式的标签或错误的文号(现行格式为国办公开办函〔2021〕30号)"


def test_w6_correct_document_number_is_fine():
    d = sample()
    d.texts["s6.other"] += "依据国办公开办函〔2021〕30号编制。"
    assert check(d) == []


@pytest.mark.parametrize(
    "org_type, date, fires",
    [
        ("县级人民政府部门", dt.date(2025, 1, 31), False),
        ("县级人民政府部门", dt.date(2025, 2, 1), True),
        ("县级人民政府", dt.date(2025, 3, 31), False),
        ("县级人民政府", dt.date(2025, 4, 1), True),
        ("设区的市级人民政府", dt.date(2025, 2, 15), False),
    ],
)
def test_w7_published_after_the_deadline(org_type, date, fires):
    d = sample()
    d.meta["org_type"] = org_type
    d.meta["publish_date"] = date
    found = of(check(d), "W7")
    assert bool(found) is fires
    if fires:
        if org_type.endswith("部门"):
            deadline, reason = "2025-01-31", "人民政府部门须在次年1月31日前公布"
        else:  # issue 13: a people's government's message quotes its own deadline
            deadline, reason = "2025-03-31", "人民政府的本级年度报告须在次年3月31日前公布"
        assert found[0].message == f"发布日期{date.isoformat()}晚于期限{deadline}({reason})"
        assert found[0].section == "meta"


def test_w8_text_says_no_reviews_or_lawsuits():
    d = sample()
    d.texts["s1.oversight"] += "本年度未发生行政复议和行政诉讼。"
    f = one(check(d), "W8")
    assert f.message == "正文称没有行政复议或行政诉讼,但表四共有4件"
    assert cells(f) == ["t4.cases.review_total", "t4.cases.direct_total", "t4.cases.after_total"]


def test_w8b_text_says_all_answered():
    d = sample()
    d.values[("t3", "carried", "natural")] = 1
    d.values[("t3", "next_year", "natural")] = 1
    d.texts["s1.requests"] = "上年结转申请1件,所有申请均已办结。"
    f = one(check(d), "W8b")
    assert (f.message, cells(f)) == ("正文称申请均已办结,但表三结转下年度继续办理1件", ["t3.next_year.total"])


@pytest.mark.parametrize(
    "text, fires",
    [
        ("2023年共收到政府信息公开申请0件。", True),
        ("2025年主动公开信息将继续增加。", True),
        ("2024年共收到政府信息公开申请0件。", False),
        ("2022年共收到政府信息公开申请0件。", False),
    ],
)
def test_w9_year_copied_from_last_report(text, fires):
    d = sample()
    d.texts["s1.requests"] = text
    found = of(check(d), "W9")
    assert bool(found) is fires
    if fires:
        y = text[:4]
        assert (found[0].key, found[0].message) == (f"y={y}", f"正文写“{y}年……”,报告年度是2024年,可能沿用了往年的文字")
