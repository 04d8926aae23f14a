"""The rule language against hostile and broken templates: whatever a template file says, it
can never run code, and a broken rule is refused at load with the file, the rule id and the
character position (a caret under the place)."""

from __future__ import annotations

import builtins
import copy
import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.engine.checks import check
from nianbao.report.expr.compiler import Compiler
from nianbao.report.expr.parser import ExprError, parse, parse_message
from nianbao.report.template import Rule, TemplateError, load_template, parse_template
from nianbao.store.draft import Draft, load_draft

from .conftest import SEED, with_rule


def sample():
    return load_draft(SEED)


# ---------------------------------------------------------------- hostile and broken rules


HOSTILE_CHECKS = [
    # (check, 1-based position of the error, words in the message)
    ("__import__('os').system('touch x')", 24, "多余的内容"),
    ("__import__('os')", 1, "未知的函数 “__import__”"),
    ("().__class__", 2, "值"),
    ("t3.__class__", 4, "未知的属性 “__class__”"),
    ("t3.__class__.__mro__", 4, "未知的属性 “__class__”"),
    ("t3[new, natural].__class__", 18, "未知的属性 “__class__”"),
    ("[].__class__.__base__.__subclasses__", 4, "未知的属性"),
    ("''.join", 4, "未知的属性 “join”"),
    ("eval('1')", 1, "未知的函数 “eval”"),
    ("exec('1')", 1, "未知的函数 “exec”"),
    ("open('x')", 1, "未知的函数 “open”"),
    ("getattr(t3, 'id')", 1, "未知的函数 “getattr”"),
    ("globals", 1, "未知的名称 “globals”"),
    ("__builtins__", 1, "未知的名称"),
    ("lambda: 1", 7, "多余的内容 “:”"),
    ("import os", 8, "多余的内容 “os”"),
    ("a = 1", 3, "无法识别的字符 “=”"),
    ("1; open('x')", 2, "无法识别的字符 “;”"),
    ("f'{1}'", 2, "多余的内容"),
    ("meta.__dict__", 6, "基本信息中没有 “__dict__”"),
    ("prev.__class__", 6, "上年数据中没有 “__class__”"),
    ("prev.t3.__class__", 6, "prev.t3 后面应接 [行, 列]"),
    ("text(s1).upper()", 15, "多余的内容 “(”"),
    ("text(s1).upper", 10, "未知的属性 “upper”"),
    ("'a' * 9 ** 9", 10, "值"),
    ("t3[nope, natural] == 0", 4, "表 t3 没有行 “nope”"),
    ("t3[new, nope] == 0", 9, "表 t3 没有列 “nope”"),
    ("t2[licensing, made] == 0", 3, "表 t2 没有单元格 [licensing, made]"),
    ("t9[new, natural] == 0", 1, "表的 id"),
    ("t3[other_other..open, natural] == 0", 4, "顺序反了"),
    ("t3[open..nope, natural] == 0", 10, "没有行 “nope”"),
    ("frobnicate(1) == 0", 1, "未知的函数 “frobnicate”"),
    ("t3.bogus == 0", 4, "未知的属性 “bogus”"),
    ("matches(text(s1), '(')", 19, "正则表达式有误"),
    ("matches(text(s1), '[a-')", 19, "正则表达式有误"),
    ("numbers(alltext(), '(?P<x')", 20, "正则表达式有误"),
    ("matches(text(s1), t3)", 19, "字符串常量"),
    ("sum(1, 2) == 0", 1, "需要 1 个参数,给了 2 个"),
    ("len() == 0", 1, "需要 1 个参数,给了 0 个"),
    ("date(2024, 1) == 0", 1, "需要 3 个参数,给了 2 个"),
    ("alltext(1) == ''", 1, "需要 0 个参数,给了 1 个"),
    ("count(fields(optional)) == 0", 14, "只能是 required"),
    ("count(rows(1)) == 0", 12, "表的 id"),
    ("count(cols(t3, 1)) == 0", 16, "列 id"),
    ("sum(open..other_other) == 0", 5, "不能使用这种写法"),
    ("(1 + 2 == 3", 12, "“)”"),
    ("t3[new, natural", 16, "“]”"),
    ("sum(t3[new, *] == 0", 20, "“)”"),
    ("[1, 2", 6, "“]”"),
    ("'abc == 1", 1, "字符串没有结束引号"),
    ("t3[new, natural] == 'x", 21, "字符串没有结束引号"),
    ("all c in cols(t3): t3[new, x] == 0", 28, "没有列 “x”"),
    ("all t3 in tables(): t3[new, natural] == 0", 21, "表的 id"),
]


@pytest.fixture
def no_side_effects(monkeypatch, tmp_path):
    """Run in an empty folder with eval/exec/os.system/subprocess trapped."""
    monkeypatch.chdir(tmp_path)
    calls: list[str] = []

    def trap(name):
        def f(*a, **k):
            calls.append(name)
            raise AssertionError(f"{name} called")

        return f

    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, trap(name))
    monkeypatch.setattr(os, "system", trap("os.system"))
    monkeypatch.setattr(subprocess, "Popen", trap("subprocess.Popen"))
    yield calls
    assert calls == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("src, pos, words", HOSTILE_CHECKS, ids=[c[0] for c in HOSTILE_CHECKS])
def test_hostile_or_broken_check_is_refused_at_load(base, no_side_effects, src, pos, words):
    with pytest.raises(TemplateError) as exc:
        parse_template(with_rule(base, check=src), "x.toml")
    msg = str(exc.value)
    assert msg.startswith("模板 x.toml:规则 EVIL 的 check ")
    assert f"第 {pos} 个字符" in msg
    assert words in msg
    # The message shows the source and a caret under the place.
    lines = msg.splitlines()
    assert lines[1] == f"  {src}"
    assert lines[2].index("^") == 2 + (pos - 1)  # ASCII source: one column per character


def test_import_os_system_creates_nothing(base, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for part in ("check", "when"):
        with pytest.raises(TemplateError, match=r"x\.toml:规则 EVIL 的 " + part + " 第 24 个字符"):
            parse_template(with_rule(base, **{part: "__import__('os').system('touch x')"}), "x.toml")
    with pytest.raises(TemplateError, match=r"x\.toml:规则 EVIL 的 message 第 "):
        parse_template(with_rule(base, message="{__import__('os').system('touch x')}"), "x.toml")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("src, pos, words", HOSTILE_CHECKS[:24], ids=[c[0] for c in HOSTILE_CHECKS[:24]])
def test_hostile_when_is_refused_at_load(base, no_side_effects, src, pos, words):
    with pytest.raises(TemplateError) as exc:
        parse_template(with_rule(base, when=src), "x.toml")
    msg = str(exc.value)
    assert msg.startswith("模板 x.toml:规则 EVIL 的 when ")
    assert f"第 {pos} 个字符" in msg and words in msg


@pytest.mark.parametrize(
    "message",
    ["{__import__('os').system('touch x')}", "{open('x')}", "{lhs.__class__}", "{eval('1')}", "{c}", "{x",
     "x}", "{lambda: 1}", "{t3[nope, natural]}"],
)
def test_hostile_message_is_refused_at_load(base, no_side_effects, message):
    with pytest.raises(TemplateError) as exc:
        parse_template(with_rule(base, message=message), "x.toml")
    msg = str(exc.value)
    assert msg.startswith("模板 x.toml:规则 EVIL 的 message 第 ")


def test_message_compile_error_position_is_in_the_message(base):
    with pytest.raises(TemplateError) as exc:
        parse_template(with_rule(base, message="前面的文字{foo}"), "x.toml")
    assert "第 7 个字符" in str(exc.value)  # the f of foo is the 7th character


def test_message_parse_error_position_is_in_the_message(base):
    with pytest.raises(TemplateError) as exc:
        parse_template(with_rule(base, message="前面的文字{1 +}"), "x.toml")
    msg = str(exc.value)
    assert "第 10 个字符" in msg
    # wide characters take two columns: the caret is under the }
    assert msg.splitlines()[2].index("^") == 2 + 5 * 2 + 4


def test_wide_characters_move_the_caret(base):
    src = "contains(text(s6), '收费') and nope == 1"
    with pytest.raises(TemplateError) as exc:
        parse_template(with_rule(base, check=src), "x.toml")
    msg = str(exc.value)
    assert "第 30 个字符" in msg and "未知的名称 “nope”" in msg
    assert msg.splitlines()[2].index("^") == 2 + 29 + 2


@pytest.mark.parametrize(
    "where, formula, words",
    [
        ("columns", "__import__('os')", "未知的函数"),
        ("columns", "sum(t3[row, natural..nope])", "没有列 “nope”"),
        ("columns", "sum(t3[row, natural..other_org]", "“)”"),
    ],
)
def test_broken_formula_is_refused_at_load(base, no_side_effects, where, formula, words):
    data = copy.deepcopy(base)
    t3 = next(t for t in data["tables"] if t["id"] == "t3")
    next(c for c in t3["columns"] if c["id"] == "total")["formula"] = formula
    with pytest.raises(TemplateError) as exc:
        parse_template(data, "x.toml")
    msg = str(exc.value)
    assert msg.startswith("模板 x.toml:表 t3 的列 total 的公式第 ")
    assert words in msg


def test_rule_source_is_never_evaluated_by_python(base, no_side_effects):
    """A valid template loads and checks with eval/exec trapped (the fixture asserts it)."""
    t = parse_template(copy.deepcopy(base), "x.toml")
    d = sample()
    check(Draft(t, dict(d.meta), dict(d.texts), dict(d.values)), d)


def test_compile_rule_directly_names_the_rule():
    t = load_template()
    rule = Rule("R9", "warning", "auto", "R9", "nope(1)", "m")
    with pytest.raises(TemplateError, match=r"规则 R9 的 check 第 1 个字符:未知的函数 “nope”"):
        Compiler(t).compile_rule(rule)


# ---------------------------------------------------------------- fuzzing


GRAMMAR_BITS = list("()[],:.<>+-*/'\"\\{} 0123456789_") + [
    "==", "!=", "<=", "..", "and", "or", "not", "in", "all", "any", "true", "false", "1.5",
    "t3", "t4", "prev", "meta", "c", "new", "natural", "total", "sum", "cols", "收费", "\n",
]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(GRAMMAR_BITS), max_size=40).map("".join)))
def test_parser_raises_only_expr_error(src):
    for fn in (parse, parse_message):
        try:
            fn(src)
        except ExprError as exc:
            assert 0 <= exc.pos <= len(src)
            assert exc.message


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(GRAMMAR_BITS + ["rows", "text", "s1", "matches", "fields", "required"]),
                min_size=1, max_size=16).map(" ".join))
def test_compiler_raises_only_template_error(src):
    t = load_template()
    for rule in (Rule("Z", "warning", "auto", "Z", src, "m"), Rule("Z", "warning", "auto", "Z", "1 == 1", src)):
        try:
            Compiler(t).compile_rule(rule)
        except TemplateError as exc:
            assert "规则 Z" in str(exc)


@pytest.mark.parametrize(
    "src",
    ["(" * 200 + "1" + ")" * 200, "-" * 1000 + "1", "not " * 1000 + "true", "[" * 300],
    ids=["brackets", "minus", "not", "lists"],
)
def test_deep_nesting_is_an_expr_error(src):
    with pytest.raises(ExprError):
        parse(src)
