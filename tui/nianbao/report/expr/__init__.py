"""The rule expression language: parsed by `parser`, compiled to closures by `compiler`.

No rule text ever reaches `eval`/`exec`; see schema/README.md for the language.
"""

from nianbao.report.expr.compiler import CompiledRule, Context, compile_template
from nianbao.report.expr.parser import ExprError, parse
from nianbao.report.expr.runtime import EvalError

__all__ = ["CompiledRule", "Context", "EvalError", "ExprError", "compile_template", "parse"]
