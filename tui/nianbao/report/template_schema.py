"""The shape of a template file, declared once and checked before anything is built from it.

`validate_structure` walks the parsed TOML against `TEMPLATE` and refuses the first value of
the wrong type with a message naming its place (``tables[2].columns[3].places``), so the
loader that follows can rely on every type. Keys not declared here are left alone (a newer
template may carry them); `[[migrations]]` are checked by `report.migrate.validate`.
"""

from __future__ import annotations

from typing import Any

from nianbao.errors import TemplateError

MAX_ITEMS = 2000  # of any one list in a template (rows of a table, rules…); the national one has < 200
MAX_TEXT = 20_000  # characters of one text in a template
MAX_PLACES = 10  # decimal places of an amount column
MAX_MIN_CHARS = 100_000

# A spec is a type name, ("list", item spec), or a dict of key -> spec (a table).
STR, INT, BOOL = "text", "int", "bool"
STR_LIST = ("list", STR)

_COLUMN = {"id": STR, "label": STR, "type": STR, "places": INT, "unit": STR, "group": STR_LIST, "formula": STR}
_ROW = {"id": STR, "label": STR, "short": STR, "help": STR, "group": STR_LIST, "formula": STR}
_BLOCK = {"title": STR, "row_header": STR, "rows": STR_LIST, "columns": STR_LIST}
_TABLE = {
    "id": STR, "section": STR, "title": STR, "corner": STR, "row_labels": BOOL,
    "columns": ("list", _COLUMN), "rows": ("list", _ROW), "blocks": ("list", _BLOCK),
}
_FIELD = {"id": STR, "label": STR, "required": BOOL, "min_chars": INT, "guidance": STR}
_SECTION = {"id": STR, "heading": STR, "nav": STR, "fields": ("list", _FIELD), "tables": STR_LIST}
_META = {"id": STR, "label": STR, "type": STR, "required": BOOL, "help": STR, "choices": STR_LIST}
_RULE = {
    "id": STR, "severity": STR, "section": STR, "title": STR, "check": STR, "message": STR,
    "when": STR, "needs_previous": BOOL,
}
TEMPLATE: dict[str, Any] = {
    # id and version are checked by the loader itself (its own words for a missing one).
    "template": {"name": STR, "basis": STR, "title": STR, "opening": STR},
    "meta": ("list", _META),
    "sections": ("list", _SECTION),
    "tables": ("list", _TABLE),
    "rules": ("list", _RULE),
    "carry": {"meta": STR_LIST, "rows": ("list", STR_LIST)},
}

_WORDS = {STR: "文字", INT: "整数", BOOL: "true 或 false", "table": "表"}
_RANGES = {"places": (0, MAX_PLACES), "min_chars": (0, MAX_MIN_CHARS)}


def _describe(spec: Any) -> str:
    if isinstance(spec, str):
        return _WORDS[spec]
    if isinstance(spec, dict):
        return "表"
    return "列表"


def _fail(path: str, where: str, message: str) -> TemplateError:
    return TemplateError(f"模板 {path}:{where or '顶层'} {message}")


def _check(value: Any, spec: Any, where: str, path: str, key: str = "") -> None:
    if isinstance(spec, str):
        ok = {
            STR: isinstance(value, str),
            INT: isinstance(value, int) and not isinstance(value, bool),
            BOOL: isinstance(value, bool),
            "table": isinstance(value, dict),
        }[spec]
        if not ok:
            raise _fail(path, where, f"应为{_WORDS[spec]}")
        if spec == STR and len(value) > MAX_TEXT:
            raise _fail(path, where, f"过长(超过 {MAX_TEXT} 个字符)")
        if spec == INT and key in _RANGES:
            lo, hi = _RANGES[key]
            if not lo <= value <= hi:
                raise _fail(path, where, f"应在 {lo} 到 {hi} 之间")
        return
    if isinstance(spec, tuple):  # ("list", item)
        if not isinstance(value, list):
            raise _fail(path, where, f"应为列表(每项是{_describe(spec[1])})")
        if len(value) > MAX_ITEMS:
            raise _fail(path, where, f"项数过多(超过 {MAX_ITEMS})")
        for i, item in enumerate(value):
            label = item["id"] if isinstance(item, dict) and isinstance(item.get("id"), str) else i
            _check(item, spec[1], f"{where}[{str(label)[:40]}]", path)
        return
    if not isinstance(value, dict):
        raise _fail(path, where, "应为表")
    for k, sub in spec.items():
        if k in value:
            _check(value[k], sub, f"{where}.{k}" if where else k, path, k)


def validate_structure(data: dict[str, Any], path: str) -> None:
    """Raise TemplateError naming the first place whose type is not what the loader expects."""
    _check(data, TEMPLATE, "", path)
