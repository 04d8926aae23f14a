"""Bounded TOML reading: any file, however hostile, is refused early and clearly.

`tomllib` itself is fine for the files people write, but some inputs make it (or whatever
walks its result) take minutes or gigabytes: a key of 100,000 dotted parts, a table nested a
thousand deep, a 5,000-digit integer (Python refuses to convert it), an exponent of twenty
digits. `loads_bounded` checks the text before parsing and the data after it, against limits
far above any real report (docs/limits.md lists them), and raises `TomlRefused` with a
Chinese reason instead.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_KEY_PARTS = 32  # a.b.c = … or [a.b.c]: a draft uses 4 (tables.t3.new.total)
MAX_DEPTH = 32  # nested tables and arrays; a draft uses 4
MAX_KEYS = 50_000  # keys and array items in the whole file; a draft has about 400
MAX_NUMBER_CHARS = 40  # characters of one number literal; 1e9 is what a cell may hold
MAX_EXPONENT = 400  # |exponent| of a float; a double reaches 308
INT64 = 2**63  # TOML integers are 64-bit


class TomlRefused(ValueError):
    """A TOML text that is not parsed (too big, too deep, a number out of range); Chinese reason,
    with `line` (1-based) when the place is known."""

    def __init__(self, reason: str, line: int | None = None, literal: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.literal = literal  # the number refused, to find its line


# Strings and comments are blanked out before looking at keys, so text inside a narrative is
# never mistaken for a key. Each alternative is linear: no nested quantifiers.
_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"{0,2}"""'
    r"|'''(?:[^']|'(?!''))*'{0,2}'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|#[^\n]*",
    re.DOTALL,
)
_CHAIN_BREAK = re.compile(r"[^A-Za-z0-9_\-\s.]")
_NUMBER = re.compile(r"(?<![A-Za-z0-9_\-.:])[+\-]?(?:0[xob][0-9A-Fa-f_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+\-]?[0-9_]+)?)")


def _blank(m: re.Match[str]) -> str:
    s: str = m.group(0)
    if s.startswith("#"):
        return ""
    return "s" + "\n" * s.count("\n")  # keep line numbers


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def prescan(text: str) -> None:
    """Refuse key chains and number literals that are absurd, before tomllib sees them. Linear."""
    bare = _SKIP.sub(_blank, text)
    for lineno, line in enumerate(bare.split("\n"), 1):
        if line.count(".") >= MAX_KEY_PARTS:
            # Dots in one chain of key parts, not in values (1.5, times): anything but a key
            # character ends a chain.
            longest = max(seg.count(".") for seg in _CHAIN_BREAK.split(line))
            if longest >= MAX_KEY_PARTS:
                raise TomlRefused(f"键或表名由 {longest + 1} 段组成(上限 {MAX_KEY_PARTS}),不是草稿的内容", lineno)
        if len(line) > MAX_NUMBER_CHARS:
            for m in _NUMBER.finditer(line):
                if len(m.group(0)) > MAX_NUMBER_CHARS:
                    raise TomlRefused(f"数字过长({len(m.group(0))} 个字符,上限 {MAX_NUMBER_CHARS})", lineno)


def _parse_float(s: str) -> Decimal:
    if len(s) > MAX_NUMBER_CHARS:
        raise TomlRefused(f"数字过长({len(s)} 个字符,上限 {MAX_NUMBER_CHARS})", literal=s)
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise TomlRefused(f"数字“{s}”超出范围", literal=s) from None
    if value.is_finite() and value != 0 and abs(value.adjusted()) > MAX_EXPONENT:
        raise TomlRefused(f"数字“{s}”超出范围", literal=s)
    return value


def check_data(data: dict[str, object]) -> None:
    """Refuse parsed data that is too deep, has too many keys, or integers beyond 64 bits."""
    stack: list[tuple[object, int, str]] = [(data, 1, "")]
    keys = 0
    while stack:
        node, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise TomlRefused(f"[{where[:80]}…] 内容嵌套超过 {MAX_DEPTH} 层,不是草稿的内容")
        items: list[tuple[Any, str]]
        if isinstance(node, dict):
            items = [(v, f"{where}.{k}" if where else str(k)) for k, v in node.items()]
        elif isinstance(node, list):
            items = [(v, f"{where}[{i}]") for i, v in enumerate(node)]
        else:
            if isinstance(node, int) and not isinstance(node, bool) and not -INT64 <= node < INT64:
                raise TomlRefused(f"[{where[:80]}] 整数超出范围(TOML 整数最多 64 位)")
            continue
        keys += len(items)
        if keys > MAX_KEYS:
            raise TomlRefused(f"键的数目超过 {MAX_KEYS},不是草稿的内容")
        stack.extend((v, depth + 1, w) for v, w in items)


def loads_bounded(text: str) -> dict[str, object]:
    """Parse TOML (floats as Decimal) within the limits. Raises TomlRefused or
    tomllib.TOMLDecodeError."""
    prescan(text)
    try:
        data = tomllib.loads(text, parse_float=_parse_float)
    except RecursionError:
        raise TomlRefused(f"内容嵌套超过 {MAX_DEPTH} 层,不是草稿的内容") from None
    except TomlRefused as exc:
        if exc.line is None and exc.literal and (at := text.find(exc.literal)) >= 0:
            exc.line = _line_of(text, at)
        raise
    except (ValueError, ArithmeticError, OverflowError, MemoryError) as exc:
        if isinstance(exc, tomllib.TOMLDecodeError):
            raise
        raise TomlRefused("数字超出范围或无法读取") from None
    check_data(data)
    return data
