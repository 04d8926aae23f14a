"""What a clerk may type into a cell, key by key (`values.type_char`) and as a whole (`parse_input`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nianbao.report.template import load_template
from nianbao.report.values import INTEGER_REASON, ValueProblem, parse_input, type_char

T = load_template()
COUNT = T.tables["t3"].column_by_id["natural"]
AMOUNT = next(c for c in T.tables["t2"].columns if c.type == "amount")


def typed(text: str, column=COUNT):
    current = ""
    for ch in text:
        k = type_char(current, ch, column)
        if k.refused:
            return k
        current = k.text
    return k


@pytest.mark.parametrize(
    ("keys", "value"),
    [("12", 12), ("１２３", 123), ("1,234", 1234), ("0", 0)],
)
def test_counts_typed_key_by_key(keys, value):
    k = typed(keys)
    assert not k.refused and not k.pending and k.value == value


def test_thousands_separators_wait_for_their_digits():
    assert typed("1,").pending and typed("1,23").pending and typed("1,234").value == 1234


@pytest.mark.parametrize(
    ("keys", "reason"),
    [("1.", INTEGER_REASON), ("a", "不是数字"), ("-", "没有数据请填 0"), ("/", "没有数据请填 0"), ("⓻", "不是数字")],
)
def test_what_can_never_be_a_count_is_refused_with_a_reason(keys, reason):
    k = typed(keys)
    assert reason in k.refused and k.text == ""


def test_amounts_take_a_decimal_point_and_their_places():
    assert typed(".", AMOUNT).pending
    assert typed("0.5", AMOUNT).value == Decimal("0.5")
    assert "小数" in typed("0." + "1" * (AMOUNT.places + 1), AMOUNT).refused


@given(st.text(alphabet="0123456789,.１２ab-", max_size=12))
def test_a_keystroke_accepted_reads_as_the_whole_text_does(text):
    current = ""
    for ch in text:
        k = type_char(current, ch, COUNT)
        if k.refused:
            break
        current = k.text
        if not k.pending:
            assert parse_input(current, COUNT) == k.value
        else:
            with pytest.raises(ValueProblem):
                parse_input(current, COUNT)
