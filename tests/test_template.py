"""The real template matches the national format (format.md §2-§4), and broken templates
are refused with Chinese messages that name the file and the place."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path

import pytest

from nianbao.report.template import (
    DEFAULT_TEMPLATE_ID,
    TemplateError,
    available_templates,
    load_template,
    load_template_file,
    parse_template,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema" / "gov-info-disclosure-2021.toml"

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def t():
    return load_template()


def refused(data: dict, path: str = "x.toml") -> str:
    with pytest.raises(TemplateError) as exc:
        parse_template(data, path)
    msg = str(exc.value)
    assert HAN.search(msg), f"not Chinese: {msg}"
    return msg


# ---------------------------------------------------------------- the real template


def test_real_template_loads(t):
    assert t.id == DEFAULT_TEMPLATE_ID == "gov-info-disclosure-2021"
    assert DEFAULT_TEMPLATE_ID in available_templates()
    assert t.basis == "国办公开办函〔2021〕30号"
    assert isinstance(t.version, int)
    assert Path(t.path).name == "gov-info-disclosure-2021.toml"
    assert load_template() is t  # cached
    assert all(rule.compiled is not None for rule in t.rules)


def test_loading_the_file_directly_gives_the_same_structure(t):
    again = load_template_file(SCHEMA)
    assert [s.heading for s in again.sections] == [s.heading for s in t.sections]
    assert [r.id for r in again.rules] == [r.id for r in t.rules]


def test_six_headings_in_order(t):
    # format.md §2
    assert [s.heading for s in t.sections] == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    assert [s.number for s in t.sections] == ["一", "二", "三", "四", "五", "六"]
    assert [s.tables for s in t.sections] == [[], ["t2"], ["t3"], ["t4"], [], []]


def test_section_one_has_the_five_aspects(t):
    s1 = t.section_by_id["s1"]
    assert [f.label for f in s1.fields] == [
        "(一)主动公开", "(二)依申请公开", "(三)政府信息管理", "(四)政府信息公开平台建设", "(五)监督保障",
    ]
    # 一, 五 and 六 must not be empty (E6)
    for sid in ("s1", "s5", "s6"):
        fields = t.section_by_id[sid].fields
        assert fields and all(f.required and f.min_chars > 1 for f in fields)


def test_title_names_organisation_and_year(t):
    assert t.title == "{org_name}{year}年政府信息公开工作年度报告"
    assert "{org_name}" in t.opening and "{year}年1月1日至{year}年12月31日" in t.opening


def test_metadata(t):
    assert [m.id for m in t.meta] == ["org_name", "org_type", "year", "publish_date", "contact"]
    assert [m.id for m in t.meta if m.required] == ["org_name", "org_type", "year"]
    org_type = t.meta_by_id["org_type"]
    assert org_type.type == "choice"
    # W3 and W7 name these choices; a typo would silently disable them
    for needed in ("县级人民政府", "县级人民政府部门", "乡镇人民政府", "街道办事处", "省级人民政府", "设区的市级人民政府"):
        assert needed in org_type.choices


# format.md §3.2, in order: (group path, label)
T3_ROWS = [
    ((), "一、本年新收政府信息公开申请数量"),
    ((), "二、上年结转政府信息公开申请数量"),
    (("三、本年度办理结果",), "(一)予以公开"),
    (("三、本年度办理结果",), "(二)部分公开(区分处理的,只计这一情形,不计其他情形)"),
    (("三、本年度办理结果", "(三)不予公开"), "1.属于国家秘密"),
    (("三、本年度办理结果", "(三)不予公开"), "2.其他法律行政法规禁止公开"),
    (("三、本年度办理结果", "(三)不予公开"), "3.危及“三安全一稳定”"),
    (("三、本年度办理结果", "(三)不予公开"), "4.保护第三方合法权益"),
    (("三、本年度办理结果", "(三)不予公开"), "5.属于三类内部事务信息"),
    (("三、本年度办理结果", "(三)不予公开"), "6.属于四类过程性信息"),
    (("三、本年度办理结果", "(三)不予公开"), "7.属于行政执法案卷"),
    (("三、本年度办理结果", "(三)不予公开"), "8.属于行政查询事项"),
    (("三、本年度办理结果", "(四)无法提供"), "1.本机关不掌握相关政府信息"),
    (("三、本年度办理结果", "(四)无法提供"), "2.没有现成信息需要另行制作"),
    (("三、本年度办理结果", "(四)无法提供"), "3.补正后申请内容仍不明确"),
    (("三、本年度办理结果", "(五)不予处理"), "1.信访举报投诉类申请"),
    (("三、本年度办理结果", "(五)不予处理"), "2.重复申请"),
    (("三、本年度办理结果", "(五)不予处理"), "3.要求提供公开出版物"),
    (("三、本年度办理结果", "(五)不予处理"), "4.无正当理由大量反复申请"),
    (("三、本年度办理结果", "(五)不予处理"), "5.要求行政机关确认或重新出具已获取信息"),
    (("三、本年度办理结果", "(六)其他处理"), "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    (("三、本年度办理结果", "(六)其他处理"), "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    (("三、本年度办理结果", "(六)其他处理"), "3.其他"),
    (("三、本年度办理结果",), "(七)总计"),
    ((), "四、结转下年度继续办理"),
]


def test_table_three_rows(t):
    t3 = t.tables["t3"]
    assert len(t3.rows) == 25
    assert [(r.group, r.label) for r in t3.rows] == T3_ROWS
    assert [r.index for r in t3.rows] == list(range(25))
    # the printed 勾稽关系 speaks of 第一项…第四项
    assert {r.id: r.short for r in t3.rows if r.short} == {
        "new": "第一项", "carried": "第二项", "total": "第三项", "next_year": "第四项",
    }


def test_table_three_columns_and_corner(t):
    t3 = t.tables["t3"]
    assert [c.label for c in t3.columns] == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    assert [c.group for c in t3.columns] == [("申请人情况",)] + [("申请人情况", "法人或其他组织")] * 5 + [("申请人情况",)]
    assert t3.corner == "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"
    assert all(c.type == "count" and c.unit == "件" for c in t3.columns)
    assert len(t3.cells) == 25 * 7
    assert len(t3.blocks) == 1


def test_table_two_blocks_and_cells(t):
    t2 = t.tables["t2"]
    assert len(t2.cells) == 10
    assert [(b.title, b.row_header) for b in t2.blocks] == [
        ("第二十条第(一)项", "信息内容"),
        ("第二十条第(五)项", "信息内容"),
        ("第二十条第(六)项", "信息内容"),
        ("第二十条第(八)项", "信息内容"),
    ]
    labels = [
        ([t2.row_by_id[r].label for r in b.rows], [t2.column_by_id[c].label for c in b.columns]) for b in t2.blocks
    ]
    assert labels == [
        (["规章", "行政规范性文件"], ["本年制发件数", "本年废止件数", "现行有效件数"]),
        (["行政许可"], ["本年处理决定数量"]),
        (["行政处罚", "行政强制"], ["本年处理决定数量"]),
        (["行政事业性收费"], ["本年收费金额(单位:万元)"]),
    ]


def test_fee_cell_is_the_only_amount(t):
    fee = t.tables["t2"].column_by_id["fee_amount"]
    assert (fee.type, fee.places, fee.unit) == ("amount", 4, "万元")
    amounts = [(tid, c.id) for tid, table in t.tables.items() for c in table.columns if c.type == "amount"]
    assert amounts == [("t2", "fee_amount")]


def test_table_four_groups_and_cells(t):
    t4 = t.tables["t4"]
    assert len(t4.cells) == 15
    assert [r.label for r in t4.rows] == ["案件数"]
    assert t4.row_labels is False
    groups: dict[tuple, list[str]] = {}
    for c in t4.columns:
        groups.setdefault(c.group, []).append(c.label)
    five = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert groups == {
        ("行政复议",): five,
        ("行政诉讼", "未经复议直接起诉"): five,
        ("行政诉讼", "复议后起诉"): five,
    }
    for total in ("review_total", "direct_total", "after_total"):
        parts = t4.column_parts(t4.column_by_id[total])
        assert [p.label for p in parts] == five[:4]


def test_derived_cells_are_exactly_the_totals(t):
    derived = {
        (tid, c.row, c.col) for tid, table in t.tables.items() for c in table.cells if table.is_derived(c.row, c.col)
    }
    t3_total_column = {("t3", r.id, "total") for r in t.tables["t3"].rows}
    t3_total_row = {("t3", "total", c.id) for c in t.tables["t3"].columns}
    t4_totals = {("t4", "cases", c) for c in ("review_total", "direct_total", "after_total")}
    assert derived == t3_total_column | t3_total_row | t4_totals
    assert len(derived) == 25 + 7 - 1 + 3
    assert len(t.input_cells) == 10 + 24 * 6 + 12
    assert len(t.all_cells) == 10 + 25 * 7 + 15
    # The column formula wins where a derived row and a derived column cross.
    assert [k for k in t.formulas] == [("t3", "col", "total"), ("t3", "row", "total"),
                                       ("t4", "col", "review_total"), ("t4", "col", "direct_total"),
                                       ("t4", "col", "after_total")]


# format.md §4
ERRORS = [f"E{i}" for i in range(1, 7)]
WARNINGS = [f"W{i}" for i in range(1, 11)]


def test_every_rule_of_format_md_is_present_with_its_severity(t):
    by_base: dict[str, set[str]] = {}
    for rule in t.rules:
        m = re.fullmatch(r"([EW]\d+)([a-z]?)", rule.id)
        assert m, f"rule id {rule.id} does not follow E<n>/W<n>[a-z]"
        by_base.setdefault(m.group(1), set()).add(rule.severity)
    for rid in ERRORS:
        assert by_base.get(rid) == {"error"}, rid
    for rid in WARNINGS:
        assert by_base.get(rid) == {"warning"}, rid
    # every error id starts with E, every warning id with W
    for rule in t.rules:
        assert rule.severity == ("error" if rule.id.startswith("E") else "warning"), rule.id


def test_rule_ids_unique_and_sections_valid(t):
    ids = [r.id for r in t.rules]
    assert len(ids) == len(set(ids))
    allowed = {s.id for s in t.sections} | {"meta", "auto"}
    assert all(r.section in allowed for r in t.rules)
    assert all(r.title and r.message for r in t.rules)


def test_cross_year_rules_need_the_previous_report(t):
    needs = {r.id for r in t.rules if r.needs_previous}
    assert {"W1", "W2", "W2b", "W10", "W10b"} <= needs
    assert not any(r.startswith("E") for r in needs)
    # a rule that reads prev.… needs the previous report even if the file forgot to say so
    assert all(r.needs_previous == (r.needs_previous or r.compiled.uses_prev) for r in t.rules)


def test_uses_prev_is_detected_without_the_flag(base):
    data = copy.deepcopy(base)
    data["rules"] = [{"id": "W1", "severity": "warning", "check": "t3[carried, natural] == prev.t3[next_year, natural]",
                      "message": "m"}]
    tpl = parse_template(data, "x.toml")
    assert tpl.rules[0].needs_previous is True


def test_carry_forward_declaration(t, base):
    if "carry" not in base:
        pytest.skip("template has no [carry] table")
    assert ("t3.next_year", "t3.carried") in t.carry_rows


# ---------------------------------------------------------------- refused templates


def test_missing_template_table(base):
    data = copy.deepcopy(base)
    del data["template"]
    assert refused(data) == "模板 x.toml:缺少 [template] 表"


def test_missing_rule_id(base):
    data = copy.deepcopy(base)
    del data["rules"][3]["id"]
    assert refused(data) == "模板 x.toml:[[rules]] 缺少 id"


def test_missing_rule_check(base):
    data = copy.deepcopy(base)
    del data["rules"][3]["check"]
    assert refused(data) == f"模板 x.toml:规则 {base['rules'][3]['id']} 缺少 check"


def test_missing_section_id(base):
    data = copy.deepcopy(base)
    del data["sections"][0]["id"]
    assert refused(data) == "模板 x.toml:[[sections]] 缺少 id"


def test_missing_table_id(base):
    data = copy.deepcopy(base)
    del data["tables"][0]["id"]
    assert refused(data) == "模板 x.toml:[[tables]] 缺少 id"


def test_missing_column_label(base):
    data = copy.deepcopy(base)
    del data["tables"][1]["columns"][0]["label"]
    assert refused(data) == "模板 x.toml:表 t3 的列 缺少 label"


def test_template_version_must_be_an_integer(base):
    data = copy.deepcopy(base)
    data["template"]["version"] = "1"
    assert refused(data) == "模板 x.toml:[template] 的 version 类型不对"


def test_duplicate_rule_ids(base):
    data = copy.deepcopy(base)
    data["rules"].append(copy.deepcopy(data["rules"][1]))
    assert refused(data) == f"模板 x.toml:规则 id “{base['rules'][1]['id']}”重复"


def test_duplicate_row_ids(base):
    data = copy.deepcopy(base)
    data["tables"][1]["rows"].append({"id": "new", "label": "重复的行"})
    assert refused(data) == "模板 x.toml:表 t3 的行 id “new”重复"


def test_duplicate_table_ids(base):
    data = copy.deepcopy(base)
    data["tables"].append(copy.deepcopy(data["tables"][0]))
    assert refused(data) == "模板 x.toml:表 id “t2”重复"


def test_block_referencing_unknown_row(base):
    data = copy.deepcopy(base)
    data["tables"][0]["blocks"][0]["rows"].append("nope")
    assert refused(data) == "模板 x.toml:表 t2 的块引用了不存在的行 “nope”"


def test_block_referencing_unknown_column(base):
    data = copy.deepcopy(base)
    data["tables"][0]["blocks"][1]["columns"] = ["nope"]
    assert refused(data) == "模板 x.toml:表 t2 的块引用了不存在的列 “nope”"


def test_bad_column_type(base):
    data = copy.deepcopy(base)
    data["tables"][0]["columns"][4]["type"] = "money"
    assert "type 只能是 count 或 amount" in refused(data)


def test_bad_meta_type(base):
    data = copy.deepcopy(base)
    data["meta"][0]["type"] = "number"
    assert refused(data) == "模板 x.toml:基本信息 org_name 的 type “number”无效"


def test_bad_severity_and_section(base):
    data = copy.deepcopy(base)
    data["rules"][0]["severity"] = "fatal"
    assert "severity 只能是 error 或 warning" in refused(data)
    data = copy.deepcopy(base)
    data["rules"][0]["section"] = "s9"
    assert refused(data) == f"模板 x.toml:规则 {base['rules'][0]['id']} 的 section “s9”不存在"


def test_section_referencing_unknown_table(base):
    data = copy.deepcopy(base)
    data["sections"][1]["tables"] = ["t9"]
    assert refused(data) == "模板 x.toml:章节 s2 引用了不存在的表 “t9”"


def test_table_in_unknown_section(base):
    data = copy.deepcopy(base)
    data["tables"][0]["section"] = "s9"
    assert refused(data) == "模板 x.toml:表 t2 所属章节 “s9”不存在"


def test_section_may_not_be_called_meta(base):
    data = copy.deepcopy(base)
    data["sections"][0]["id"] = "meta"
    assert "章节 id 不能是 “meta”" in refused(data)


def test_table_without_rows(base):
    data = copy.deepcopy(base)
    data["tables"][2]["rows"] = []
    assert refused(data) == "模板 x.toml:表 t4 至少要有一行一列"


def test_unknown_template_id():
    with pytest.raises(TemplateError) as exc:
        load_template("nope")
    msg = str(exc.value)
    assert msg.startswith("未知的模板 “nope”")
    assert "可用的模板" in msg and DEFAULT_TEMPLATE_ID in msg


@pytest.mark.parametrize(
    "tid", ["../schema/gov-info-disclosure-2021", "schema/gov-info-disclosure-2021", "a\\b", ".hidden", "", "/etc/passwd"]
)
def test_template_id_that_is_a_path_is_refused(tid):
    with pytest.raises(TemplateError) as exc:
        load_template(tid)
    assert str(exc.value).startswith(f"未知的模板 “{tid}”")


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(TemplateError, match="无法读取"):
        load_template_file(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[template\nid = 1", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"bad\.toml:TOML 语法错误"):
        load_template_file(bad)
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes("[template]\nname = \"年报\"\n".encode("gbk"))
    with pytest.raises(TemplateError, match="不是 UTF-8"):
        load_template_file(gbk)


def test_a_new_report_type_is_just_another_file(base, tmp_path):
    """Another year's format or report type: a new file with its own [template] id."""
    data = copy.deepcopy(base)
    data["template"]["id"] = "demo-2026"
    data["sections"] = data["sections"][:1]
    data["sections"][0]["fields"] = data["sections"][0]["fields"][:1]
    data["tables"] = []
    data["rules"] = [
        {"id": "E1", "severity": "error", "section": "s1", "check": "len(clean(text(s1))) >= 5",
         "message": "总体情况只有{lhs}字"},
    ]
    data.pop("carry", None)
    import tomli_w

    path = tmp_path / "demo-2026.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    tpl = load_template_file(path)
    assert tpl.id == "demo-2026"
    assert [s.heading for s in tpl.sections] == ["一、总体情况"]
    assert tpl.tables == {}


# ---------------------------------------------------------------- schema/README.md stays true

README = ROOT / "schema" / "README.md"


def _toml_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [re.sub(r"^  ", "", b, flags=re.M) for b in re.findall(r"```toml\n(.*?)```", text, flags=re.S)]


def test_readme_toml_examples_are_valid_and_load(base):
    blocks = _toml_blocks()
    assert len(blocks) >= 10
    real = {r["id"]: r for r in base["rules"]}
    t3 = next(t for t in base["tables"] if t["id"] == "t3")
    for i, block in enumerate(blocks):
        snippet = tomllib.loads(block)  # every example is valid TOML
        data = copy.deepcopy(base)
        if "rules" in snippet:
            for rule in snippet["rules"]:
                if rule["id"] in real:  # quoted from the real template: must be verbatim
                    assert {k: real[rule["id"]].get(k) for k in rule} == rule, rule["id"]
                else:
                    data["rules"].append(rule)
        elif "check" in snippet:
            data["rules"].append({"id": f"DOC{i}", "severity": "warning", "message": "m", **snippet})
        elif "carry" in snippet:
            data["carry"] = snippet["carry"]
        elif "closing" in snippet:  # quoted from the real template: must be verbatim
            assert all(line in base["closing"] for line in snippet["closing"])
            data["closing"] = snippet["closing"]
        elif "tables" in snippet:
            for kind in ("columns", "rows"):
                for item in snippet["tables"][kind]:
                    mine = next(x for x in t3[kind] if x["id"] == item["id"])
                    assert {k: mine.get(k) for k in item} == item
            continue
        else:
            raise AssertionError(f"unexpected README example: {block}")
        parse_template(data, "x.toml")


def test_readme_new_rule_example_works(base):
    from nianbao.engine.checks import check
    from nianbao.store.draft import Draft, load_draft

    snippet = tomllib.loads(next(b for b in _toml_blocks() if 'id = "W11"' in b))
    data = copy.deepcopy(base)
    data["rules"] += snippet["rules"]
    tpl = parse_template(data, "x.toml")
    d = load_draft(ROOT / "samples" / "yuzhong-emergency-2024.toml")
    draft = Draft(tpl, dict(d.meta), dict(d.texts), dict(d.values))
    assert check(draft) == []  # the sample mentions 行政许可 in 一(三)
    draft.texts["s1.management"] = draft.texts["s1.management"].replace("行政许可", "许可")
    found = [f for f in check(draft) if f.rule == "W11"]
    assert [f.message for f in found] == ["表二行政许可处理决定40件,但“一、总体情况”没有提到行政许可"]


def test_readme_error_example_is_what_the_loader_says(base):
    data = copy.deepcopy(base)
    data["rules"].append({"id": "W11", "severity": "warning", "check": "t3[nope, natural] == 0", "message": "m"})
    with pytest.raises(TemplateError) as exc:
        parse_template(data, "schema/x.toml")
    assert "```text\n  " + str(exc.value).replace("\n", "\n  ") + "\n  ```" in README.read_text(encoding="utf-8")


def test_readme_literal_string_example(base):
    line = re.search(r"`(check = 'matches\(text\(s6\), .*?\)')`", README.read_text(encoding="utf-8")).group(1)
    data = copy.deepcopy(base)
    data["rules"].append({"id": "DOC", "severity": "warning", "message": "m", **tomllib.loads(line)})
    tpl = parse_template(data, "x.toml")
    assert tpl.rules[-1].check == 'matches(text(s6), "(\\d+)件")'


def test_readme_lists_every_function_and_attribute():
    from nianbao.report.expr.functions import ATTRIBUTES, FUNCTIONS

    text = README.read_text(encoding="utf-8")
    section7 = text.split("## 7. 函数一览", 1)[1].split("## 8.", 1)[0]
    for name in FUNCTIONS:
        assert f"`{name}(" in section7, name
    section8 = text.split("## 8. 属性一览", 1)[1].split("## 9.", 1)[0]
    for attrs in ATTRIBUTES.values():
        for name in attrs:
            assert f"`{name}`" in section8, name


# ---------------------------------------------------------------- [[closing]]


@pytest.mark.parametrize("closing, message", [
    ({"text": "{nope}"}, "占位 {nope} 不是基本信息的 id"),
    ({"text": "x", "align": "center"}, "align 只能是 left 或 right"),
    ({"align": "left"}, "缺少 text"),
    ("x", "[[closing]] 表数组"),
])
def test_a_broken_closing_line_is_refused(base, closing, message):
    data = copy.deepcopy(base)
    data["closing"] = [closing] if isinstance(closing, dict) else closing
    with pytest.raises(TemplateError, match=re.escape(message)):
        parse_template(data, "x.toml")


def test_closing_lines_load(base):
    t = parse_template(base, "x.toml")
    assert [(c.text, c.align) for c in t.closing] == [
        ("联系方式:{contact}", "left"), ("{org_name}", "right"), ("{publish_date}", "right")]
