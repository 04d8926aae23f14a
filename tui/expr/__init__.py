"""The rule expression language: parsed by `parser`, compiled to closures by `compiler`.

No rule text ever reaches `eval`/`exec`; see schema/README.md for the language.
"""

from .compiler import CompiledRule, Context, compile_template
from .runtime import EvalError
from .parser import ExprError, parse

__all__ = ["CompiledRule", "Context", "EvalError", "ExprError", "compile_template", "parse"]
