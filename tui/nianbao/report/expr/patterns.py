"""Regular expressions written in a template: compiled so that matching is linear in the text.

A template pattern runs on every keystroke against text the clerk (or a pasted report) wrote,
so a pattern that backtracks catastrophically, like ``(a|a)*b``, would freeze the app. Patterns
run on RE2 (the `google-re2` package: linear time by construction). Where RE2 is not installed
they run on Python's `re`, and any pattern that could backtrack badly is refused at load: a
repetition inside a repetition, or a repeated alternation whose branches are not distinct
literal words (``(?:全年|共|累计)*`` is fine; ``(a|a)*``, ``(a|ab)*`` are not).

Either way the same patterns are accepted: no look-around, no back-references (RE2 has
neither), no repetition count above `MAX_REPEAT`, no pattern longer than `MAX_PATTERN_CHARS`.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

try:  # linear-time matching; the fallback below is the pure-Python guard
    import re2 as _re2  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - depends on the installation
    _re2 = None

# Python's own regex parser (re._parser, re._constants since 3.11): the pattern is judged on
# the tree `re` would compile, so no second parser can disagree with it.
_sre_parse: Any = importlib.import_module("re._parser")
_sre: Any = importlib.import_module("re._constants")

MAX_PATTERN_CHARS = 1000
MAX_REPEAT = 1000  # RE2's own limit for {n,m}
MAX_NESTING = 50  # of groups

_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT)}
_UNSUPPORTED = {
    _sre.GROUPREF: "不能使用反向引用(如 \\1)",
    _sre.GROUPREF_EXISTS: "不能使用条件分组",
    _sre.ASSERT: "不能使用前后查找(?=…)(?<=…)",
    _sre.ASSERT_NOT: "不能使用前后查找(?!…)(?<!…)",
}


class PatternRefused(ValueError):
    """A template pattern that is refused; the message says why, in Chinese."""


def _literal_text(items: Any) -> str | None:
    """The text a branch matches if it is a plain literal (a word), else None."""
    out = []
    for op, av in items:
        if op is _sre.LITERAL:
            out.append(chr(av))
        else:
            return None
    return "".join(out)


def _walk(items: Any, inside_repeat: bool, has_re2: bool, depth: int = 0) -> None:
    if depth > MAX_NESTING:
        raise PatternRefused(f"正则表达式的括号嵌套超过 {MAX_NESTING} 层")
    for op, av in items:
        if op in _UNSUPPORTED:
            raise PatternRefused(_UNSUPPORTED[op])
        if op in _REPEATS:
            lo, hi, body = av
            if lo > MAX_REPEAT or (hi is not _sre.MAXREPEAT and hi > MAX_REPEAT):
                raise PatternRefused(f"重复次数不能超过 {MAX_REPEAT}")
            unbounded = hi is _sre.MAXREPEAT or hi > 1
            if not has_re2 and unbounded and inside_repeat:
                raise PatternRefused("重复里面又有重复(如 (a+)*),匹配时间可能失控")
            _walk(body, inside_repeat or unbounded, has_re2, depth + 1)
        elif op is _sre.SUBPATTERN:
            _walk(av[-1], inside_repeat, has_re2, depth + 1)
        elif op is _sre.BRANCH:
            branches = av[1]
            if not has_re2 and inside_repeat:
                words = [_literal_text(b) for b in branches]
                texts = [w for w in words if w is not None]
                if len(texts) < len(words) or any(a != b and b.startswith(a) for a in texts for b in texts) or len(set(texts)) < len(texts):
                    raise PatternRefused("重复的选择分支(如 (a|a)*)必须是互不为前缀的文字,否则匹配时间可能失控")
            for b in branches:
                _walk(b, inside_repeat, has_re2, depth + 1)
        elif op is getattr(_sre, "ATOMIC_GROUP", None):
            raise PatternRefused("不能使用原子分组")


def compile_pattern(source: str, *, use_re2: bool | None = None) -> Any:
    """A compiled pattern with `search`, `finditer` and `groups`. Raises PatternRefused."""
    has_re2 = _re2 is not None if use_re2 is None else use_re2 and _re2 is not None
    if len(source) > MAX_PATTERN_CHARS:
        raise PatternRefused(f"正则表达式过长(超过 {MAX_PATTERN_CHARS} 个字符)")
    try:
        tree = _sre_parse.parse(source)
    except re.error as exc:
        raise PatternRefused(f"正则表达式有误:{exc}") from None
    except (OverflowError, RecursionError, MemoryError):
        raise PatternRefused("正则表达式过于复杂(重复次数或嵌套过多)") from None
    _walk(list(tree), False, has_re2)
    if has_re2:
        options = _re2.Options()
        options.log_errors = False
        try:
            return _re2.compile(source, options)
        except _re2.error as exc:
            raise PatternRefused(f"正则表达式有误:{exc}") from None
    try:
        return re.compile(source)
    except (re.error, OverflowError, RecursionError) as exc:
        raise PatternRefused(f"正则表达式有误:{exc}") from None
