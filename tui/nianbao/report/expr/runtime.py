"""Small runtime pieces shared by the compiler and the function whitelist."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# A value of the rule language: a number, text, bool, date, list, a model object (cell, row,
# column, table, section, field) or None. Rules are data, so these are only known at run time.
Value = Any


class EvalError(Exception):
    """A rule could not be computed on this draft (wrong value types, etc.)."""


def num(v: object) -> int | Decimal | float:
    """A value as a number for arithmetic: a blank counts as 0."""
    if v is None:
        return 0
    if type(v) is int or type(v) is Decimal or type(v) is float:  # exact types: a bool is not a number
        return v
    raise EvalError(f"“{v}”不是数字")


def truthy(v: object) -> bool:
    if isinstance(v, bool):
        return v
    if v is None:
        return False
    if isinstance(v, (int, float, Decimal)):
        return v != 0
    if isinstance(v, (str, list, tuple)):
        return len(v) > 0
    return True
