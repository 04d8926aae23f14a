"""The rule expression language: tokenizer, parser, compiler, message placeholders.

A template is data written by a provincial office, so everything here is about two things:
the language means what schema/README.md says, and a broken or hostile rule is refused when
the template is loaded - with the file, the rule id and the character position - before any
of it can run. Hostile and broken rules are in test_expr_hostile.py.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest

from nianbao.engine.checks import check, context_for
from nianbao.report.expr.compiler import Compiler, Scope
from nianbao.report.expr.parser import ExprError, parse, parse_message, tokenize
from nianbao.report.template import TemplateError, load_template, parse_template
from nianbao.store.draft import Draft, load_draft

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema" / "gov-info-disclosure-2021.toml"
SAMPLE = ROOT / "samples" / "yuzhong-emergency-2024.toml"
BLANK = ROOT / "samples" / "blank.toml"


# ---------------------------------------------------------------- helpers


def only_rule(base: dict, **rule) -> dict:
    data = copy.deepcopy(base)
    data["rules"] = [{"id": "T", "severity": "warning", "message": "m", **rule}]
    return data


def sample() -> Draft:
    """A fresh copy of the clean sample; its template is the shared, loaded one."""
    return load_draft(SAMPLE)


def run_rule(base: dict, draft: Draft | None = None, **rule):
    """Findings of one extra rule (alone in the template) against a draft's values."""
    t = parse_template(only_rule(base, **rule), "x.toml")
    src = draft or sample()
    d = Draft(t, dict(src.meta), dict(src.texts), dict(src.values))
    return check(d)


def ev(src: str, draft: Draft | None = None, env: dict | None = None):
    """Compile `src` against the real template, with `env`'s names bound, and evaluate it."""
    t = load_template()
    env = env or {}
    fn = Compiler(t)._node(parse(src), Scope(t, set(env)))
    return fn(context_for(draft or sample()), env)


def sexp(n) -> str:
    """A position-free rendering of a parse tree, to state precedence readably."""
    kind = n[0]
    if kind == "const":
        return repr(n[2])
    if kind == "name":
        return n[2]
    if kind in ("bin", "cmp"):
        return f"({n[2]} {sexp(n[3])} {sexp(n[4])})"
    if kind in ("and", "or"):
        return f"({kind} {sexp(n[2])} {sexp(n[3])})"
    if kind in ("not", "neg"):
        return f"({kind} {sexp(n[2])})"
    if kind == "attr":
        return f"(. {sexp(n[2])} {n[3]})"
    if kind == "cell":
        return f"({sexp(n[2])}[{spec(n[3])}, {spec(n[4])}])"
    if kind == "call":
        return f"({n[2]}{''.join(' ' + (spec(a) if a[0] == 'range' else sexp(a)) for a in n[3])})"
    if kind == "list":
        return "[" + " ".join(sexp(x) for x in n[2]) + "]"
    if kind == "quant":
        binds = ", ".join(f"{name} in {sexp(dom)}" for name, dom, _ in n[3])
        return f"({n[2]} {binds}: {sexp(n[4])})"
    raise AssertionError(kind)


def spec(s) -> str:
    if s[0] == "all":
        return "*"
    if s[0] == "range":
        return f"{s[2]}..{s[3]}"
    return sexp(s[2])


# ---------------------------------------------------------------- tokenizer


def test_tokens_numbers_ranges_and_decimals():
    kinds = [(t.kind, t.value) for t in tokenize("1..3 1.5 open..other_other")]
    assert kinds == [
        ("num", 1), ("op", ".."), ("num", 3), ("num", Decimal("1.5")),
        ("name", "open"), ("op", ".."), ("name", "other_other"), ("end", None),
    ]


def test_tokens_keywords_and_positions():
    toks = tokenize("a  not in  b")
    assert [(t.kind, t.value, t.pos) for t in toks] == [
        ("name", "a", 0), ("kw", "not", 3), ("kw", "in", 7), ("name", "b", 11), ("end", None, 12),
    ]


def test_non_ascii_identifiers_are_refused():
    # Names are ASCII: a Chinese word outside a string is an error at its position.
    with pytest.raises(ExprError) as exc:
        tokenize("t3[new, 总计]")
    assert exc.value.pos == 8


@pytest.mark.parametrize(
    "src, value",
    [
        ("'abc'", "abc"),
        ('"abc"', "abc"),
        ("'收费'", "收费"),
        (r"'it\'s'", "it's"),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'\d+件'", r"\d+件"),  # other backslashes are kept: regex escapes pass through
        (r"'a\\b'", r"a\\b"),  # kept as two characters (a regex for one backslash)
        ("'a\"b'", 'a"b'),  # the other quote needs no escape
        ("''", ""),
    ],
)
def test_string_escapes(src, value):
    toks = tokenize(src)
    assert toks[0].kind == "str" and toks[0].value == value
    assert toks[1].kind == "end"


@pytest.mark.parametrize("src, pos", [("'abc", 0), ("x == 'abc", 5), (r"'abc\'", 0), ("'", 0), ('"a\'', 0)])
def test_unterminated_strings(src, pos):
    with pytest.raises(ExprError) as exc:
        tokenize(src)
    assert exc.value.pos == pos
    assert "引号" in exc.value.message


@pytest.mark.parametrize("src, pos", [("a = 1", 2), ("1; 2", 1), ("a # b", 2), ("a ! b", 2), ("{a}", 0), ("a @ b", 2)])
def test_unknown_characters(src, pos):
    with pytest.raises(ExprError) as exc:
        tokenize(src)
    assert exc.value.pos == pos
    assert "无法识别的字符" in exc.value.message


# ---------------------------------------------------------------- parser: precedence and shapes


@pytest.mark.parametrize(
    "src, tree",
    [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("8 / 4 / 2", "(/ (/ 8 4) 2)"),
        ("-2 * 3", "(* (neg 2) 3)"),
        ("- -2", "(neg (neg 2))"),
        ("a + b == c * d", "(== (+ a b) (* c d))"),
        ("not a == b", "(not (== a b))"),
        ("not not a", "(not (not a))"),
        ("a or b and c", "(or a (and b c))"),
        ("a and b or c", "(or (and a b) c)"),
        ("not a and b", "(and (not a) b)"),
        ("a == 1 or b != 2 and c <= 3", "(or (== a 1) (and (!= b 2) (<= c 3)))"),
        ("x in [1, 2]", "(in x [1 2])"),
        ("x not in ['a', 'b']", "(not in x ['a' 'b'])"),
        ("not x in y", "(not (in x y))"),
        ("a + b in c", "(in (+ a b) c)"),
        ("f.section.heading", "(. (. f section) heading)"),
        ("t3[new, c] + prev.t3[next_year, c]", "(+ (t3[new, c]) ((. prev t3)[next_year, c]))"),
        ("sum(t3[open..other_other, c])", "(sum (t3[open..other_other, c]))"),
        ("sum(t2[regulations, *])", "(sum (t2[regulations, *]))"),
        ("t3[*, *]", "(t3[*, *])"),
        ("t4[cases, c.parts]", "(t4[cases, (. c parts)])"),
        ("rows(t3, open..other_other)", "(rows t3 open..other_other)"),
        ("cols(t4, review_total, direct_total)", "(cols t4 review_total direct_total)"),
        ("meta.year + 1", "(+ (. meta year) 1)"),
        ("[]", "[]"),
        ("true and false", "(and True False)"),
        ("1.25", "Decimal('1.25')"),
    ],
)
def test_precedence_and_shapes(src, tree):
    assert sexp(parse(src)) == tree


def test_quantifiers_single_multiple_and_nested():
    assert sexp(parse("all c in cols(t3): t3[total, c] == 0")) == "(all c in (cols t3): (== (t3[total, c]) 0))"
    assert (
        sexp(parse("all r in rows(t3), c in cols(t3): t3[r, c] >= 0"))
        == "(all r in (rows t3), c in (cols t3): (>= (t3[r, c]) 0))"
    )
    assert sexp(parse("any x in [1, 2]: all y in [3]: x < y")) == "(any x in [1 2]: (all y in [3]: (< x y)))"


@pytest.mark.parametrize(
    "src, pos, words",
    [
        ("1 +", 3, "表达式结尾"),
        ("(1 + 2", 6, "“)”"),
        ("1 + 2)", 5, "多余的内容"),
        ("t3[new, natural", 15, "“]”"),
        ("t3[new natural]", 7, "“,”"),
        ("sum(t3[new, *]", 14, "“)”"),
        ("[1, 2", 5, "“]”"),
        ("a < b < c", 6, "多余的内容"),  # comparisons do not chain
        ("1 if 2 else 3", 2, "多余的内容"),  # no conditional expression: use choose()
        ("all c cols(t3): 1", 6, "in"),
        ("all c in cols(t3) 1", 18, "“:”"),
        ("all 1 in x: 1", 4, "名称"),
        ("x == all c in cols(t3): 1", 5, "值"),  # a quantifier only starts a rule
        ("a.", 2, "名称"),
        ("a.1", 2, "名称"),
        ("", 0, "值"),
        ("t3[open.., c]", 9, "名称"),
    ],
)
def test_syntax_errors_have_positions(src, pos, words):
    with pytest.raises(ExprError) as exc:
        parse(src)
    assert exc.value.pos == pos
    assert words in exc.value.message


# ---------------------------------------------------------------- compiler: values


def test_arithmetic_and_precedence_evaluate():
    assert ev("1 + 2 * 3") == 7
    assert ev("(1 + 2) * 3") == 9
    assert ev("2 - 3 - 4") == -5
    assert ev("-2 * 3") == -6
    assert ev("7 / 2") == 3.5
    assert ev("1 / 0") == 0  # division by zero is 0, for shares of an empty table
    assert ev("1.5 + 1") == Decimal("2.5")
    assert ev("'收' + '费'") == "收费"


def test_logic_and_comparisons_evaluate():
    assert ev("true or false and false") is True
    assert ev("not true or true") is True
    assert ev("not 1 == 2") is True
    assert ev("1 + 2 == 3 and 2 < 3 and 3 <= 3 and 4 > 3 and 4 >= 4 and 1 != 2") is True
    assert ev("'ab' in 'xaby'") is True
    assert ev("3 not in [1, 2]") is True
    assert ev("3 in 'a3'") is False  # a number is never inside a string
    assert ev("'县级人民政府部门' in ['县级人民政府', '县级人民政府部门']") is True
    assert ev("meta.org_type in ['县级人民政府部门']") is True


def test_short_circuit():
    # The right side is not computed when the left decides: no "not a number" error here.
    assert ev("true or 'a' - 1") is True
    assert ev("false and 'a' - 1") is False


def test_cell_references_ranges_and_star():
    d = sample()
    assert ev("t2[licensing, decisions]", d) == 40
    assert ev("t4[cases, review_pending] + t4[cases, after_upheld]", d) == 4
    assert ev("count(t3[open..other_other, natural])", d) == 21
    assert ev("count(t3[*, natural])", d) == 25
    assert ev("count(t3[new, *])", d) == 7
    assert ev("count(t3[*, *])", d) == 25 * 7
    # Only cells that exist: table 二 is four blocks, so a star skips the holes.
    assert ev("count(t2[*, *])", d) == 10
    assert ev("count(t2[regulations, *])", d) == 3
    assert ev("count(t2[*, decisions])", d) == 3
    assert ev("sum(t4[cases, *])", d) == 3 + 1 + 3 + 0 + 1  # the three totals are derived
    assert ev("sum(t4[cases, review_upheld..review_pending])", d) == 3
    assert ev("count(rows(t3, open..other_other))", d) == 21
    assert ev("count(cols(t4, review_total, direct_total, after_total))", d) == 3


def test_derived_cells_and_typed_totals():
    d = sample()
    d.values[("t3", "new", "natural")] = 2
    d.values[("t3", "new", "legal")] = 3
    assert ev("t3[new, total]", d) == 5  # computed from the column formula
    assert ev("t3[total, total]", d) == 0
    d.values[("t3", "new", "total")] = 9  # a total typed into an imported report is kept
    assert ev("t3[new, total]", d) == 9
    assert ev("sum(t3[new, natural..other_org])", d) == 5


def test_blank_counts_as_zero_in_arithmetic_only():
    d = sample()
    del d.values[("t3", "new", "natural")]
    assert ev("t3[new, natural]", d) is None
    assert ev("t3[new, natural] + 1", d) == 1
    assert ev("t3[new, natural] == 0", d) is True
    assert ev("sum(t3[new, *])", d) == 0
    assert ev("count(t3[new, *])", d) == 7
    assert ev("count(blanks(t3))", d) == 1


def test_bound_names_row_and_col_in_formulas():
    t = load_template()
    d = sample()
    d.values[("t3", "open", "research")] = 4
    env = {"row": t.tables["t3"].row_by_id["open"], "col": t.tables["t3"].column_by_id["research"]}
    assert ev("t3[row, col] + 1", d, env) == 5
    assert ev("row.label", d, env) == "(一)予以公开"
    assert ev("row.group", d, env) == "三、本年度办理结果"
    assert ev("col.group", d, env) == "申请人情况/法人或其他组织"


@pytest.mark.parametrize(
    "src, value",
    [
        ("sum([1, 2, 3])", 6),
        ("count([1, 2])", 2),
        ("max([1, 5, 2])", 5),
        ("min([4, 2, 9])", 2),
        ("max([])", 0),
        ("abs(-3)", 3),
        ("len('年度报告')", 4),
        ("len([1, 2, 3])", 3),
        ("str(12)", "12"),
        ("str(true)", "是"),
        ("choose(1 < 2, 'a', 'b')", "a"),
        ("choose(meta.year == 2023, 3, 1)", 1),
        ("clean(' 无。 ')", "无"),
        ("len(clean('一、 总体(情况)!'))", 5),
        ("contains('本年度未收取信息处理费', '信息处理费')", True),
        ("contains('１２件', '12')", True),  # texts are compared NFKC-normalised
        ("matches('收到申请12件', '申请\\d+件')", True),
        ("matches('收到申请１２件', '申请\\d+件')", True),
        ("numbers('收到申请12件,结转3件', '(\\d+)件')", [12, 3]),
        ("numbers('收到申请12件', '\\d+')", [12]),  # without a group: the whole match
        ("findall('国办发〔2021〕30号', '国办发〔\\d{4}〕\\d+号')", ["国办发〔2021〕30号"]),
        ("jumped(100, 10)", True),
        ("jumped(9, 1)", False),  # below 10 nothing jumps
        ("jumped(50, 10)", False),
        ("jumped(1, 10)", True),
        ("jumped(5, 0)", False),
        ("similarity('没有相同的内容可以比较', '毫无关系')", 0),
        ("count(tables())", 3),
        ("count(cells())", 10 + 24 * 6 + 12),
        ("count(fields())", 8),
        ("count(fields(required))", 8),
        ("count(meta_fields())", 5),
        ("count(meta_fields(required))", 3),
        ("len(alltext()) > 100", True),
        ("len(text(s6)) > 10", True),
        ("count(breakdowns(text(s1)))", 1),
        ("count(breakdowns('公开信息10条。其中文件3条,动态8条。'))", 1),
        ("count(breakdowns('公开信息10条。其中文件3条。'))", 0),  # one part is no breakdown
    ],
)
def test_functions(src, value):
    assert ev(src) == value


def test_functions_with_dates_and_metadata():
    import datetime as dt

    d = sample()
    d.meta["publish_date"] = dt.date(2025, 1, 20)
    assert ev("date(2025, 1, 31)", d) == dt.date(2025, 1, 31)
    assert ev("date(2025, 2, 30)", d) is None  # an impossible date is a blank
    assert ev("meta.publish_date <= date(meta.year + 1, 1, 31)", d) is True
    assert ev("filled(meta.publish_date)", d) is True
    assert ev("filled(meta.contact)", d) is False  # "" is not filled
    assert ev("meta.year", d) == 2024


def test_prev_references():
    cur, prev = sample(), sample()
    prev.values[("t3", "next_year", "natural")] = 7
    t = load_template()
    fn = Compiler(t).compile_formula(t.tables["t3"], "prev.t3[next_year, total] + prev.meta.year", "测试")
    assert fn(context_for(cur, prev), {}) == 7 + 2024
    assert fn(context_for(cur), {}) == 0  # no previous draft: blanks


def test_attributes():
    t = load_template()
    d = sample()
    c = t.tables["t4"].column_by_id["review_total"]
    assert ev("c.label", d, {"c": c}) == "总计"
    assert ev("c.group", d, {"c": c}) == "行政复议"
    assert [x.id for x in ev("c.parts", d, {"c": c})] == [
        "review_upheld", "review_corrected", "review_other", "review_pending",
    ]
    assert ev("t4[cases, c.parts]", d, {"c": c}) == [0, 0, 0, 3]
    f = t.field_by_key["s1.active"]
    assert ev("f.min_chars", d, {"f": f}) == 15
    assert ev("f.section.heading", d, {"f": f}) == "一、总体情况"
    assert ev("s3.heading") == "三、收到和处理政府信息公开申请情况"
    assert ev("t3.title") == "收到和处理政府信息公开申请情况"
    assert ev("b.total - b.parts", d, {"b": {"total": 5, "parts": 3, "unit": "条", "text": "x"}}) == 2


# ---------------------------------------------------------------- rules in the engine


def test_quantifier_with_dependent_bindings(base):
    blank = load_draft(BLANK)
    found = run_rule(base, blank, check="all t in tables(), k in blanks(t): false", message="{k}")
    assert len(found) == 10 + 144 + 12
    assert found[0].key == "t=t2;k=t2.regulations.made"
    assert found[0].message == "表二“规章”行“本年制发件数”"


def test_multiple_bindings_report_each_failing_combination(base):
    found = run_rule(
        base,
        check="all r in rows(t3, new..carried), c in cols(t3, natural, total): t3[r, c] == 1",
        message="{r.short}/{c}:{lhs}",
    )
    assert [(f.key, f.message) for f in found] == [
        ("r=new;c=natural", "第一项/自然人:0"),
        ("r=new;c=total", "第一项/总计:0"),
        ("r=carried;c=natural", "第二项/自然人:0"),
        ("r=carried;c=total", "第二项/总计:0"),
    ]


def test_any_quantifier_gives_one_finding(base):
    assert run_rule(base, check="any c in cols(t4): t4[cases, c] == 3") == []
    found = run_rule(base, check="any c in cols(t4): t4[cases, c] == 99", message="没有")
    assert [(f.key, f.message) for f in found] == [("", "没有")]


def test_nested_any_inside_all(base):
    assert run_rule(base, check="all x in [1, 2]: any y in [1, 2]: x == y") == []
    assert len(run_rule(base, check="any x in [1, 2]: all y in [1, 2]: x == y")) == 1


def test_when_filters_bindings(base):
    found = run_rule(base, when="c.id != 'total'", check="all c in cols(t3): t3[new, c] == 1", message="{c}")
    assert [f.message for f in found] == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]


def test_message_placeholders_lhs_rhs_diff_and_expressions(base):
    d = sample()
    d.values[("t3", "new", "natural")] = 3
    found = run_rule(
        base,
        d,
        check="t3[new, natural] == 0",
        message="{{lhs}}={lhs};{rhs};{diff};{-diff};{t3[new, total] + 10};{meta.year - 1};{meta.org_type}}}",
    )
    assert [f.message for f in found] == ["{lhs}=3;0;+3;-3;13;2023;县级人民政府部门}"]
    assert found[0].lhs == 3 and found[0].rhs == 0 and found[0].diff == 3


def test_message_diff_negative_decimal_and_blank(base):
    d = sample()
    d.values[("t2", "fees", "fee_amount")] = Decimal("0.5")
    found = run_rule(base, d, check="t2[fees, fee_amount] == 1", message="{lhs}|{rhs}|{diff}")
    assert [f.message for f in found] == ["0.5|1|-0.5"]
    # a comparison of non-numbers has no difference: {diff} is empty
    found = run_rule(base, d, check="meta.org_type == '乡镇人民政府'", message="[{diff}]{lhs}")
    assert [f.message for f in found] == ["[]县级人民政府部门"]
    # a body that is not a comparison has no sides: {lhs} shows as 空
    found = run_rule(base, d, check="not filled(meta.org_type)", message="{lhs}")
    assert [f.message for f in found] == ["空"]


def test_message_formats_objects(base):
    found = run_rule(
        base,
        check="all t in [t4], s in [s4], f in fields(), m in meta_fields(required): false",
        message="{t}|{s}|{f}|{f.section}|{m}|{str(t4[cases, review_pending])}",
    )
    assert found[0].message == "表四|四、政府信息公开行政复议、行政诉讼情况|(一)主动公开|一、总体情况|机关全称|3"


def test_a_rule_that_fails_when_run_is_refused_at_load(base):
    # "label" is a known attribute name, but a table has none: only running the rule shows it.
    # Loading runs every rule on a blank and an all-zero report, so it is refused there.
    with pytest.raises(TemplateError) as info:
        parse_template(only_rule(base, check="t3.label == 'x'"), "x.toml")
    assert "x.toml" in str(info.value) and "规则 T" in str(info.value) and "label" in str(info.value)


def test_sum_of_mixed_float_and_decimal():
    # 1/2 is a float, 1.5 a Decimal: + handles the mix, so should sum().
    assert ev("1/2 + 1.5") == 2.0


def test_sum_of_list_mixing_float_and_decimal():
    assert ev("sum([1/2, 1.5])") == 2.0


# ---------------------------------------------------------------- message parsing


def test_parse_message_parts():
    parts = parse_message("第{lhs}件,相差{diff}{{不是占位}}")
    assert [(k, v if k == "text" else sexp(v)) for k, v, _ in parts] == [
        ("text", "第"),
        ("expr", "lhs"),
        ("text", "件,相差"),
        ("expr", "diff"),
        ("text", "{不是占位}"),
    ]
    assert parse_message("") == []
    assert [k for k, _, _ in parse_message("{a}{b}")] == ["expr", "expr"]


def test_parse_message_expression_placeholders():
    parts = parse_message("表三有{t3[other_no_fee, total]}件;{c.group}总计")
    assert sexp(parts[1][1]) == "(t3[other_no_fee, total])"
    assert sexp(parts[3][1]) == "(. c group)"


@pytest.mark.parametrize(
    "msg, pos, words",
    [
        ("共{lhs件", 1, "没有对应的 }"),
        ("共}件", 1, "多了一个 }"),
        ("相差{diff}}", 8, "多了一个 }"),
        ("共{1 +}件", 5, "值"),  # the inner error is placed in the message
        ("共{}件", 2, "值"),
        ("{'a}'}", 1, "引号"),  # a } ends the placeholder, even inside quotes
    ],
)
def test_parse_message_errors(msg, pos, words):
    with pytest.raises(ExprError) as exc:
        parse_message(msg)
    assert exc.value.pos == pos
    assert words in exc.value.message
