"""Cell values: what a clerk may type into a cell, and what a draft may hold.

Counts are non-negative integers; amounts are non-negative decimals with a fixed number of
places. Input is NFKC-normalised first, so full-width digits (１２３) are accepted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from nianbao.report.template import Column

MAX_VALUE = 10**9
MAX_INPUT_CHARS = 40  # what one cell's text may hold before it is read as a number
_THOUSANDS = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
NOT_A_NUMBER = {"/", "-", "—", "——", "－", "无", "不适用", "空", "n/a", "na"}


class NotApplicable:
    """A cell printed as "/", "—" or "不适用": not applicable — neither zero nor blank (unknown).

    One instance, `NA`; a draft stores it as the string "/". Imports and pastes keep it.
    """

    _instance: NotApplicable | None = None

    def __new__(cls) -> NotApplicable:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NA"

    def __str__(self) -> str:
        return "/"


NA = NotApplicable()
NA_TEXT = "/"  # how a draft stores NA


class ValueProblem(ValueError):
    """A value that cannot go into a cell; the message says why, in Chinese."""


def parse_input(text: str, column: Column) -> Decimal | int | None:
    """Parse what was typed into a cell. Empty means blank (None). Raises ValueProblem."""
    s = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if s == "":
        return None
    if s.lower() in NOT_A_NUMBER or s in NOT_A_NUMBER:
        raise ValueProblem("没有数据请填 0,不要填“/”“—”或“无”")
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if s.startswith("-"):
        raise ValueProblem("不能是负数")
    if s.startswith("+"):
        s = s[1:]
    if len(s) > MAX_INPUT_CHARS:  # int() refuses more than 4,300 digits; no cell needs 40
        raise ValueProblem("数字过大(不能超过 10 亿)")
    if column.type == "count":
        if not re.fullmatch(r"[0-9]+", s):  # not isdigit(): '⓻' is a digit int() cannot read
            if re.fullmatch(r"[0-9]+\.[0-9]*", s):
                raise ValueProblem("件数应为整数")
            raise ValueProblem(f"“{text.strip()}”不是数字,只能填 0 或正整数")
        value = int(s)
        if value > MAX_VALUE:
            raise ValueProblem("数字过大(不能超过 10 亿)")
        return value
    try:
        if not re.fullmatch(r"[0-9]+(\.[0-9]*)?|\.[0-9]+", s):
            raise InvalidOperation
        amount = Decimal(s)
    except InvalidOperation:
        raise ValueProblem(f"“{text.strip()}”不是数字,金额只能填 0 或正数") from None
    return check_amount(amount, column)


INTEGER_REASON = "件数应为整数"

# "1," "1,2" "12,345,6": thousands separators being typed; valid once complete.
_PARTIAL_THOUSANDS = re.compile(r"[0-9]{1,3}(,[0-9]{3})*,[0-9]{0,2}")


@dataclass(frozen=True)
class Keystroke:
    """What one character typed into a cell does (`type_char`)."""

    text: str = ""  # the cell's text with the character; "" when refused
    value: Decimal | int | None = None  # the number it now reads as, unless pending
    pending: bool = False  # not a number yet, but more keys can make one ("1," "0.")
    refused: str = ""  # why the character is refused, in Chinese; "" when accepted


def type_char(current: str, ch: str, column: Column) -> Keystroke:
    """Type `ch` after `current` in a cell of `column`, refusing at once what can never be a number."""
    s = unicodedata.normalize("NFKC", ch)
    candidate = current + s
    try:
        return Keystroke(candidate, parse_input(candidate, column))
    except ValueProblem as problem:
        if _PARTIAL_THOUSANDS.fullmatch(candidate) or (column.type == "amount" and candidate == "."):
            return Keystroke(candidate, None, pending=True)
        reason = str(problem)
        if column.type == "count" and s == ".":
            reason = INTEGER_REASON
        elif s not in "0123456789.,":  # say what is wrong with the key itself
            try:
                parse_input(s, column)
            except ValueProblem as own:
                reason = str(own)
        return Keystroke(refused=reason)


def check_amount(value: Decimal, column: Column) -> Decimal:
    if value < 0:
        raise ValueProblem("不能是负数")
    if value > MAX_VALUE:
        raise ValueProblem("数字过大(不能超过 10 亿)")
    if _places(value) > column.places:
        raise ValueProblem(f"金额最多保留 {column.places} 位小数(单位:{column.unit})")
    return value


def _places(value: Decimal) -> int:
    """Decimal places that matter (1.50 has 1), exactly: `normalize()` would round a tiny
    exponent such as 1e-999999999 to zero under the default context."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0 or not any(digits):
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - trailing)


def check_stored(value: object, column: Column) -> Decimal | int:
    """Validate a value read from a draft file (TOML types). Raises ValueProblem."""
    if isinstance(value, bool):
        raise ValueProblem("应为数字,却是 true/false")
    if isinstance(value, str):
        raise ValueProblem(f"应为数字,却是文字 “{value[:20]}”(没有数据请填 0,数字不要加引号)")
    if isinstance(value, Decimal | float) and not Decimal(str(value)).is_finite():
        raise ValueProblem(f"应为有限的数字,却是 {value}")
    if column.type == "count":
        if isinstance(value, Decimal | float):
            if value != int(value):
                raise ValueProblem(f"件数应为整数,却是 {value}")
            raise ValueProblem(f"件数应为整数,请写 {int(value)} 而不是 {value}")
        if not isinstance(value, int):
            raise ValueProblem("应为数字")
        if value < 0:
            raise ValueProblem(f"不能是负数({value})")
        if value > MAX_VALUE:
            raise ValueProblem(f"数字过大({value},不能超过 10 亿)")
        return value
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise ValueProblem("应为数字")
    if not value.is_finite():
        raise ValueProblem("应为有限的数字")
    return check_amount(value, column)


def format_cell(value: Decimal | int | None) -> str:
    """How a value is shown in a grid or a report: blank stays blank."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value != 0 else "0"
    return str(value)
