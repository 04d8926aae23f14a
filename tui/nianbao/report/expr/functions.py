"""The whitelist of functions and attributes that rule expressions may use.

Adding a function here is the only way to widen the language; schema/README.md lists them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from nianbao.report.expr.runtime import EvalError, num
from nianbao.report.model import CellRef, Column, MetaField, NarrativeField, Row, Section, Table


@dataclass(frozen=True)
class FuncSpec:
    min_args: int
    max_args: int
    impl: object
    kind: str = "plain"  # plain | axis | flag | pattern
    flags: tuple[str, ...] = ()
    uses_prev: bool = False


def _err(msg: str):
    return EvalError(msg)


_num = num


def _nums(values) -> list:
    if not isinstance(values, (list, tuple)):
        return [_num(values)]
    return [_num(v) for v in values]


# ---------------------------------------------------------------- text helpers


def normalize(text: str) -> str:
    """NFKC: full-width digits and punctuation become ASCII, so patterns match both forms."""
    return unicodedata.normalize("NFKC", text)


def _norm(ctx, text) -> str:
    if text is None:
        return ""
    if not isinstance(text, str):
        raise _err("这里需要文本")
    cache = ctx._cache
    hit = cache.get(("nfkc", text))
    if hit is None:
        hit = cache[("nfkc", text)] = normalize(text)
    return hit


_NOT_CONTENT = re.compile(r"[\W_]+")


def clean_text(text: str) -> str:
    """Text without white space, punctuation and symbols: what counts as content."""
    return _NOT_CONTENT.sub("", text)


def _text_of(ctx, x) -> str:
    if ctx is None:
        return ""
    if isinstance(x, NarrativeField):
        return ctx.texts.get(x.key, "") or ""
    if isinstance(x, Section):
        return "\n".join(ctx.texts.get(f.key, "") or "" for f in x.fields)
    raise _err("text() 的参数应是章节或字段")


def _alltext(ctx) -> str:
    hit = ctx._cache.get("alltext")
    if hit is None:
        hit = ctx._cache["alltext"] = "\n".join(ctx.texts.get(f.key, "") or "" for f in ctx.template.fields)
    return hit


MAX_FIGURE_DIGITS = 15  # a longer run of digits in a text is an ID or a typo, not a figure


def _figure(digits: str) -> int | None:
    """A figure written in a text, or None for a run of digits too long to be one."""
    return int(digits) if len(digits) <= MAX_FIGURE_DIGITS else None


# Every text pattern here runs in linear time: a run of digits is only tried from its first
# digit (the look-behind), so a 50,000-digit text is not retried from each of its digits.
_BREAKDOWN = re.compile(r"(?<!\d)(\d+)\s*(条|件|篇|个|项)[。.,;:]?\s*其中[,:]?([^。]*)")
_PART = {unit: re.compile(r"(?<!\d)(\d+)\s*" + unit) for unit in ("条", "件", "篇", "个", "项")}


def _without_parens(text: str) -> str:
    """The text without "(…)" asides, as re.sub(r"\\([^)]*\\)", "") would give, in one pass:
    the regex would rescan to the end from every "(" that has no ")" after it."""
    out, pos = [], 0
    while (start := text.find("(", pos)) >= 0:
        end = text.find(")", start)
        if end < 0:
            break
        out.append(text[pos:start])
        pos = end + 1
    out.append(text[pos:])
    return "".join(out)


def _breakdowns(ctx, text) -> list[dict]:
    """Stated totals followed by their parts: "公开信息300条。其中指南1条,文件19条…"."""
    out = []
    t = _norm(ctx, text)
    for m in _BREAKDOWN.finditer(t):
        unit = m.group(2)
        tail = _without_parens(m.group(3))
        parts = [_figure(x) for x in _PART[unit].findall(tail)]
        total = _figure(m.group(1))
        if len(parts) < 2 or total is None or None in parts:
            continue
        lead = t[max(0, m.start() - 10) : m.start()].split("\n")[-1]
        lead = re.split(r"[,;:。]", lead)[-1]
        out.append({"total": total, "parts": sum(parts), "unit": unit, "text": f"{lead}{m.group(1)}{unit}"})
    return out


def _shingles(text: str) -> set[str]:
    t = clean_text(text)
    return {t[i : i + 4] for i in range(len(t) - 3)}


def _similarity(ctx, a, b) -> int:
    """Percentage of shared 4-character pieces (Jaccard): cheap and order-insensitive."""
    a, b = a or "", b or ""
    if len(clean_text(a)) < 20 or len(clean_text(b)) < 20:
        return 0
    sa, sb = _shingles(a), _shingles(b)
    return round(100 * len(sa & sb) / len(sa | sb))


# ---------------------------------------------------------------- values


def _value(ctx, x):
    if isinstance(x, CellRef):
        key = (x.table, x.row, x.col)
        ctx.touched.append(key)
        return ctx.cell(key)
    if isinstance(x, MetaField):
        return ctx.meta.get(x.id)
    if isinstance(x, (NarrativeField, Section)):
        return _text_of(ctx, x)
    return x


def _prev_value(ctx, x):
    if ctx.prev is None:
        return None
    if isinstance(x, CellRef):
        return ctx.prev.cell((x.table, x.row, x.col))
    if isinstance(x, MetaField):
        return ctx.prev.meta.get(x.id)
    raise _err("prev_value() 的参数应是单元格或基本信息")


def _filled(ctx, x) -> bool:
    v = _value(ctx, x)
    return v is not None and v != ""


def _blanks(ctx, table) -> list[CellRef]:
    if not isinstance(table, Table):
        raise _err("blanks() 的参数应是表")
    out = []
    for ref in table.input_cells:
        key = (ref.table, ref.row, ref.col)
        if ctx.values.get(key) is None:
            ctx.touched.append(key)
            out.append(ref)
    return out


def _jumped(ctx, a, b) -> bool:
    if a is None or b is None:
        return False
    a, b = _num(a), _num(b)
    if max(a, b) < 10:
        return False
    return a > 5 * b or 5 * a < b


def _date(ctx, y, m, d):
    try:
        return dt.date(int(_num(y)), int(_num(m)), int(_num(d)))
    except (ValueError, OverflowError, TypeError):
        return None


def _sum(ctx, values):
    if not isinstance(values, (list, tuple)):
        return num(values)
    total = 0
    for v in values:
        if v is not None:
            t = type(v)
            if t is not int and t is not Decimal and t is not float:
                v = num(v)
            if type(total) is not type(v) and float in (type(total), type(v)):
                total, v = float(total), float(v)  # a share (from /) summed with a Decimal amount
            total += v
    return total


def _minmax(fn):
    def run(ctx, values):
        vals = _nums(values)
        return fn(vals) if vals else 0

    return run


def _len(ctx, x) -> int:
    if x is None:
        return 0
    if isinstance(x, (str, list, tuple)):
        return len(x)
    raise _err("len() 的参数应是文本或列表")


def _count(ctx, x) -> int:
    if not isinstance(x, (list, tuple)):
        raise _err("count() 的参数应是列表")
    return len(x)


def _contains(ctx, text, sub) -> bool:
    return _norm(ctx, sub) in _norm(ctx, text)


def _matches(ctx, text, regex) -> bool:
    return regex.search(_norm(ctx, text)) is not None


def _numbers(ctx, text, regex) -> list[int]:
    out = []
    for m in regex.finditer(_norm(ctx, text)):
        g = m.group(1) if regex.groups else m.group(0)
        if g and g.isdecimal() and (n := _figure(g)) is not None:
            out.append(n)
    return out


def _findall(ctx, text, regex) -> list[str]:
    return [m.group(0) for m in regex.finditer(_norm(ctx, text))]


def _meta_fields(ctx, *flags) -> list[MetaField]:
    return [m for m in ctx.template.meta if "required" not in flags or m.required]


def _fields(ctx, *flags) -> list[NarrativeField]:
    return [f for f in ctx.template.fields if "required" not in flags or f.required]


FUNCTIONS: dict[str, FuncSpec] = {
    "sum": FuncSpec(1, 1, _sum),
    "count": FuncSpec(1, 1, _count),
    "max": FuncSpec(1, 1, _minmax(max)),
    "min": FuncSpec(1, 1, _minmax(min)),
    "abs": FuncSpec(1, 1, lambda ctx, x: abs(_num(x))),
    "len": FuncSpec(1, 1, _len),
    "str": FuncSpec(1, 1, lambda ctx, x: format_value(ctx.template, x)),
    "filled": FuncSpec(1, 1, _filled),
    "value": FuncSpec(1, 1, _value),
    "prev_value": FuncSpec(1, 1, _prev_value, uses_prev=True),
    "jumped": FuncSpec(2, 2, _jumped),
    "date": FuncSpec(3, 3, _date),
    "choose": FuncSpec(3, 3, lambda ctx, c, a, b: a if c else b),
    "tables": FuncSpec(0, 0, lambda ctx: list(ctx.template.tables.values())),
    "blanks": FuncSpec(1, 1, _blanks),
    "cells": FuncSpec(0, 0, lambda ctx: list(ctx.template.input_cells)),
    "rows": FuncSpec(1, 99, None, kind="axis"),
    "cols": FuncSpec(1, 99, None, kind="axis"),
    "meta_fields": FuncSpec(0, 1, _meta_fields, kind="flag", flags=("required",)),
    "fields": FuncSpec(0, 1, _fields, kind="flag", flags=("required",)),
    "text": FuncSpec(1, 1, _text_of),
    "prev_text": FuncSpec(1, 1, lambda ctx, x: _text_of(ctx.prev, x), uses_prev=True),
    "alltext": FuncSpec(0, 0, _alltext),
    "clean": FuncSpec(1, 1, lambda ctx, s: clean_text(_norm(ctx, s))),
    "contains": FuncSpec(2, 2, _contains),
    "matches": FuncSpec(2, 2, _matches, kind="pattern"),
    "numbers": FuncSpec(2, 2, _numbers, kind="pattern"),
    "findall": FuncSpec(2, 2, _findall, kind="pattern"),
    "breakdowns": FuncSpec(1, 1, _breakdowns),
    "similarity": FuncSpec(2, 2, _similarity),
}


# ---------------------------------------------------------------- attributes


def _table_of_column(ctx, col: Column) -> Table:
    for t in ctx.template.tables.values():
        if t.column_by_id.get(col.id) == col:
            return t
    raise _err(f"列 {col.id} 不属于任何表")


ATTRIBUTES: dict[type, dict[str, object]] = {
    Column: {
        "id": lambda ctx, c: c.id,
        "label": lambda ctx, c: c.label,
        "group": lambda ctx, c: "/".join(c.group),
        "parts": lambda ctx, c: _table_of_column(ctx, c).column_parts(c),
    },
    Row: {
        "id": lambda ctx, r: r.id,
        "label": lambda ctx, r: r.label,
        "group": lambda ctx, r: "/".join(r.group),
        "short": lambda ctx, r: r.short,
    },
    Table: {"id": lambda ctx, t: t.id, "title": lambda ctx, t: t.title},
    Section: {"id": lambda ctx, s: s.id, "heading": lambda ctx, s: s.heading},
    NarrativeField: {
        "id": lambda ctx, f: f.id,
        "label": lambda ctx, f: f.label,
        "min_chars": lambda ctx, f: f.min_chars,
        "section": lambda ctx, f: ctx.template.section_by_id[f.section_id],
    },
    MetaField: {"id": lambda ctx, m: m.id, "label": lambda ctx, m: m.label},
    CellRef: {"table": lambda ctx, k: ctx.template.tables[k.table]},
    # records returned by breakdowns()
    dict: {k: (lambda key: lambda ctx, d: d[key])(k) for k in ("total", "parts", "unit", "text")},
}


def get_attribute(ctx, obj, name: str):
    attrs = ATTRIBUTES.get(type(obj))
    if attrs is None or name not in attrs:
        raise _err(f"没有属性 “{name}”")
    return attrs[name](ctx, obj)


# ---------------------------------------------------------------- formatting


def format_number(v) -> str:
    if isinstance(v, Decimal):
        s = format(v.normalize(), "f")
        return s
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return str(v)


def format_signed(v) -> str:
    if v is None:
        return ""
    s = format_number(v)
    return s if s.startswith("-") or s == "0" else f"+{s}"


def format_value(template, v) -> str:
    if v is None:
        return "空"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (int, float, Decimal)):
        return format_number(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, CellRef):
        return template.describe_cell(v)
    if isinstance(v, (list, tuple)):
        return "、".join(format_value(template, x) for x in v)
    return str(v)
