"""Attack class 17: malformed templates get a located message at load, never a traceback,
and no rule may ask for unbounded work (memory, time, backtracking)."""

from __future__ import annotations

import copy

import pytest

from nianbao.errors import TemplateError
from nianbao.report.expr.patterns import PatternRefused, compile_pattern
from nianbao.report.template import parse_template
from tests.conftest import with_rule


def refused(data) -> str:
    with pytest.raises(TemplateError) as info:
        parse_template(data, "x.toml")
    return str(info.value)


CHECKS = [
    "1" + " + 1" * 3000,  # a long chain: recursion when compiled
    "1 == 1" + " and 1 == 1" * 1500,
    "1 == 1" + " or 1 == 1" * 1500,
    "t3" + "[new, total]" * 0 + "".join("[t3[" for _ in range(300)) + "new, total]",
    "all c in cells(): c" + ".table" * 2000 + " == 1",
    "9" * 5000 + " > 1",
    "all a, b, c, d in cells(): false",
    "all a in cells(): all b in cells(): any c in cells(): false",
    "matches(alltext(), 'a{4294967295}')",
    "matches(alltext(), '(?<=a)b')",
    "matches(alltext(), '" + "(" * 400 + "a" + ")" * 400 + "')",
]


@pytest.mark.parametrize("check", CHECKS, ids=range(len(CHECKS)))
def test_hostile_rules_are_refused_with_the_rule_named(base, check):
    message = refused(with_rule(base, check=check))
    assert "EVIL" in message or "x.toml" in message


def test_a_5000_digit_literal_in_a_message(base):
    assert "EVIL" in refused(with_rule(base, message="{" + "1" * 5000 + "}"))


def test_a_long_when(base):
    assert "EVIL" in refused(with_rule(base, when="1 == 1" + " and 1 == 1" * 2000))


WRONG_TYPES = [
    (("tables", 1, "columns", 0, "places"), "4", "places"),
    (("tables", 1, "columns", 0, "places"), 10**6, "places"),
    (("tables", 1, "columns"), "none", "columns"),
    (("tables", 1, "columns", 0, "group"), 5, "group"),
    (("tables", 1, "rows", 0, "group"), [1, 2], "group"),
    (("sections", 0, "fields", 0, "min_chars"), "十", "min_chars"),
    (("rules",), {"id": "x"}, "rules"),
    (("rules", 0, "when"), ["a"], "when"),
    (("meta", 1, "choices"), "甲", "choices"),
    (("carry",), ["x"], "carry"),
    (("carry", "rows"), [["t3.next_year", 5]], "rows"),
    (("carry", "meta"), "org_name", "meta"),
    (("tables", 0, "blocks"), [{"rows": "abc"}], "rows"),
    (("tables", 0, "blocks"), ["x"], "blocks"),
    (("sections", 0, "fields"), [5], "fields"),
    (("tables", 0), "t2", "tables"),
]


@pytest.mark.parametrize("where, value, word", WRONG_TYPES, ids=[w for _, _, w in WRONG_TYPES])
def test_wrong_types_are_located(base, where, value, word):
    data = copy.deepcopy(base)
    node = data
    for k in where[:-1]:
        node = node[k]
    node[where[-1]] = value
    message = refused(data)
    assert word in message, message


def test_catastrophic_patterns_are_linear_or_refused():
    for source in ("(a|a)*b", "(a+)+b", "(a|ab)*c", "(x*)*y"):
        for use_re2 in (True, False):
            try:
                regex = compile_pattern(source, use_re2=use_re2)
            except PatternRefused:
                assert not use_re2 or not _has_re2()
                continue
            assert regex.search("a" * 5000 + "!") is None  # returns at once on RE2


def test_the_national_templates_patterns_work_without_re2():
    import re

    from tests.conftest import SCHEMA

    text = SCHEMA.read_text(encoding="utf-8")
    patterns = re.findall(r"(?:matches|numbers|findall)\([^,]+, '((?:[^'\\]|\\.)*)'", text)
    assert len(patterns) > 5
    for p in patterns:
        compile_pattern(p.replace("\\\\", "\\"), use_re2=False)


def _has_re2() -> bool:
    from nianbao.report.expr import patterns

    return patterns._re2 is not None
