"""Compile parsed rule expressions into closures over an explicit whitelist.

Every name must be a bound variable, a table, a section, ``meta``/``prev``, or a function
from `functions.FUNCTIONS`; every attribute comes from `functions.ATTRIBUTES`. Nothing is
looked up on Python objects by name, so a template cannot reach Python at all.

A compiled node is ``fn(ctx, env) -> value``; `ctx` is a `Context` (one draft's values),
`env` maps bound variable names to values.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nianbao.errors import TemplateError
from nianbao.report.expr import functions as F
from nianbao.report.expr.parser import ExprError, Node, parse, parse_message
from nianbao.report.expr.patterns import PatternRefused, compile_pattern
from nianbao.report.expr.runtime import EvalError, Value, num, truthy
from nianbao.report.model import Column, Row, Rule, Table, Template

MISSING = object()
MAX_QUANT_STEPS = 100_000  # rule bodies (all bindings, nested all/any too) one rule may run per check (docs/limits.md)
MAX_BINDINGS = 100_000  # combinations of a rule's own all/any bindings


def count_step(ctx: Context) -> None:
    """One more rule body run for the current rule; refuses work beyond MAX_QUANT_STEPS."""
    steps = ctx._cache.get("quant_steps", 0) + 1
    if steps > MAX_QUANT_STEPS:
        raise EvalError(f"all/any 的组合超过 {MAX_QUANT_STEPS} 种,规则无法计算")
    ctx._cache["quant_steps"] = steps

CellKey = tuple[str, str, str]
Env = dict[str, Value]  # bound variable names -> values
Fn = Callable[["Context", Env], Value]  # a compiled node
Number = int | Decimal | float


class Context:
    """One draft's values as rules see them. Derived cells are computed lazily and memoised."""

    __slots__ = ("template", "values", "meta", "texts", "prev", "touched", "_derived", "_busy", "_cache")

    def __init__(
        self,
        template: Template,
        values: dict[CellKey, Any],
        meta: dict[str, Any],
        texts: dict[str, str],
        prev: Context | None = None,
    ):
        self.template: Template = template
        self.values: dict[CellKey, Any] = values  # (table, row, col) -> value | None; inputs and typed totals
        self.meta: dict[str, Any] = meta
        self.texts: dict[str, str] = texts  # field key -> str
        self.prev: Context | None = prev
        self.touched: list[tuple[str, str, str]] = []
        self._derived: dict[CellKey, Value] = {}
        self._busy: set[CellKey] = set()
        self._cache: dict[object, Any] = {}  # per-draft memo of normalised texts

    def cell(self, key: CellKey) -> Value:
        v = self.values.get(key, MISSING)
        if v is not MISSING:
            return v
        v = self._derived.get(key, MISSING)
        if v is not MISSING:
            return v
        formula = self.template.derived.get(key)
        if formula is None:
            return None  # a blank input
        if key in self._busy:
            raise EvalError(f"公式循环引用:{key}")
        self._busy.add(key)
        outer, self.touched = self.touched, []  # a total's inputs are not the rule's cells
        try:
            table = self.template.tables[key[0]]
            v = formula(self, {"row": table.row_by_id[key[1]], "col": table.column_by_id[key[2]]})
        finally:
            self._busy.discard(key)
            self.touched = outer
        self._derived[key] = v
        return v


def formula_for(template: Template, table: Table, row: str, col: str) -> Fn | None:
    """The compiled formula of a derived cell: the column's formula wins over the row's."""
    if table.column_by_id[col].formula is not None:
        fn: Fn = template.formulas[(table.id, "col", col)]
        return fn
    if table.row_by_id[row].formula is not None:
        fn = template.formulas[(table.id, "row", row)]
        return fn
    return None


def _add(a: Value, b: Value) -> Value:
    if isinstance(a, str) or isinstance(b, str):
        if isinstance(a, str) and isinstance(b, str):
            return a + b
        raise EvalError("字符串只能与字符串相加")
    return _arith(operator.add, a, b)


def _arith(op: Callable[[Any, Any], Number], a: Value, b: Value) -> Number:
    x, y = num(a), num(b)
    if isinstance(x, float) != isinstance(y, float):
        x, y = float(x), float(y)
    return op(x, y)


def _div(a: Value, b: Value) -> Number:
    divisor = num(b)
    if divisor == 0:
        return 0
    return _arith(operator.truediv, a, divisor)


def _compare(op: str, a: Value, b: Value) -> bool:
    if op in ("in", "not in"):
        if not isinstance(b, (list, tuple, str)):
            raise EvalError("in 的右边应是列表或字符串")
        if isinstance(b, str) and not isinstance(a, str):
            return op == "not in"
        return (a in b) == (op == "in")
    if isinstance(a, (str, bool)) or isinstance(b, (str, bool)) or hasattr(a, "isoformat") or hasattr(b, "isoformat"):
        if op == "==":
            return bool(a == b)
        if op == "!=":
            return bool(a != b)
        if a is None or b is None:
            return False
        try:
            return _ORDER[op](a, b)
        except TypeError:
            raise EvalError("无法比较这两个值") from None
    x, y = num(a), num(b)
    if isinstance(x, float) != isinstance(y, float):
        x, y = float(x), float(y)
    return _ORDER[op](x, y)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

_BIN: dict[str, Callable[[Any, Any], Number]] = {"-": operator.sub, "*": operator.mul}


@dataclass
class CompiledRule:
    """A rule ready to run: its quantifier bindings, condition, comparison and message."""

    bindings: list[tuple[str, Fn]]
    quant: str  # "all" | "any" | ""
    when: Fn | None
    lhs: Fn | None  # (when the body is a comparison)
    rhs: Fn | None
    op: str
    body: Fn
    message: list[tuple[str, Any]]  # [('text', str) | ('expr' | 'diff', fn)]
    uses_prev: bool = False
    # other plausible scopes of a stated figure: [(label, "value" | "test", fn)]; a failing binding
    # whose lhs equals a "value" scope, or for which a "test" scope holds, is not a finding
    scopes: list[tuple[str, str, Any]] = field(default_factory=list)


@dataclass
class Scope:
    template: Template
    names: set[str] = field(default_factory=set)
    uses_prev: bool = False


class Compiler:
    def __init__(self, template: Template):
        self.t = template

    # ---- entry points
    def compile_rule(self, rule: Rule) -> CompiledRule:
        scope = Scope(self.t)
        tree = self._parse(rule.check, rule, "check")
        quant, bindings = "", list[tuple[str, Fn]]()
        if tree[0] == "quant":
            quant = tree[2]
            # all x: all y: … is one quantifier over (x, y); a nested quantifier of the other
            # kind stays part of the body.
            while tree[0] == "quant" and tree[2] == quant:
                for name, dom, _pos in tree[3]:
                    bindings.append((name, self._compile(dom, scope, rule, "check")))
                    scope.names.add(name)
                tree = tree[4]
        when: Fn | None = None
        if rule.when:
            when = self._compile(self._parse(rule.when, rule, "when"), scope, rule, "when")
        lhs: Fn | None = None
        rhs: Fn | None = None
        op = ""
        if tree[0] == "cmp" and tree[2] not in ("in", "not in"):
            op = tree[2]
            lhs = self._compile(tree[3], scope, rule, "check")
            rhs = self._compile(tree[4], scope, rule, "check")
        body = self._compile(tree, scope, rule, "check")
        msg_scope = Scope(self.t, scope.names | {"lhs", "rhs", "diff"})
        try:
            parts = parse_message(rule.message)
        except ExprError as exc:
            raise self._error(rule, "message", rule.message, exc) from None
        message: list[tuple[str, Any]] = []
        for kind, value, pos in parts:
            if kind == "text":
                message.append(("text", value))
                continue
            assert isinstance(value, tuple)
            kind = "diff" if value[0] == "name" and value[2] == "diff" else "expr"
            try:
                fn = self._node(value, msg_scope)
            except ExprError as exc:  # positions inside {…} are relative to the placeholder
                raise self._error(rule, "message", rule.message, ExprError(exc.message, pos + exc.pos)) from None
            message.append((kind, fn))
        scopes: list[tuple[str, str, Any]] = []
        for label, kind, src in getattr(rule, "scopes", ()):
            try:
                fn = self._node(parse(src), scope)
            except ExprError as exc:
                raise self._error(rule, f"scopes“{label}”", src, exc) from None
            scopes.append((label, kind, fn))
        return CompiledRule(
            bindings, quant, when, lhs, rhs, op, body, message,
            uses_prev=scope.uses_prev or msg_scope.uses_prev, scopes=scopes,
        )

    def compile_formula(self, table: Table, source: str, where: str) -> Fn:
        scope = Scope(self.t, {"row", "col"})
        try:
            tree = parse(source)
            return self._node(tree, scope)
        except ExprError as exc:
            raise TemplateError(
                f"模板 {self.t.path}:表 {table.id} 的{where}公式第 {exc.pos + 1} 个字符:{exc.message}\n"
                f"  {source}\n  {' ' * _width(source[: exc.pos])}^"
            ) from None

    # ---- helpers
    def _parse(self, src: str, rule: Rule, part: str) -> Node:
        try:
            return parse(src)
        except ExprError as exc:
            raise self._error(rule, part, src, exc) from None

    def _compile(self, tree: Node, scope: Scope, rule: Rule, part: str) -> Fn:
        src = {"check": rule.check, "when": rule.when or "", "message": rule.message}[part]
        try:
            return self._node(tree, scope)
        except ExprError as exc:
            raise self._error(rule, part, src, exc) from None

    def _error(self, rule: Rule, part: str, src: str, exc: ExprError) -> TemplateError:
        caret = " " * _width(src[: exc.pos]) + "^"
        return TemplateError(
            f"模板 {self.t.path}:规则 {rule.id} 的 {part} 第 {exc.pos + 1} 个字符:{exc.message}\n  {src}\n  {caret}"
        )

    # ---- nodes
    def _node(self, n: Node, scope: Scope) -> Fn:
        kind, pos = n[0], n[1]
        if kind == "const":
            value = n[2]
            return lambda ctx, env: value
        if kind == "list":
            items = [self._node(x, scope) for x in n[2]]
            return lambda ctx, env: [f(ctx, env) for f in items]
        if kind == "name":
            return self._name(n[2], pos, scope)
        if kind == "attr":
            return self._attr(n, scope)
        if kind == "cell":
            return self._cell(n, scope)
        if kind == "call":
            return self._call(n, scope)
        if kind == "neg":
            inner = self._node(n[2], scope)
            return lambda ctx, env: -num(inner(ctx, env))
        if kind == "not":
            inner = self._node(n[2], scope)
            return lambda ctx, env: not _truthy(inner(ctx, env))
        if kind in ("and", "or"):
            a, b = self._node(n[2], scope), self._node(n[3], scope)
            if kind == "and":
                return lambda ctx, env: _truthy(a(ctx, env)) and _truthy(b(ctx, env))
            return lambda ctx, env: _truthy(a(ctx, env)) or _truthy(b(ctx, env))
        if kind == "bin":
            op, a, b = n[2], self._node(n[3], scope), self._node(n[4], scope)
            if op == "+":
                return lambda ctx, env: _add(a(ctx, env), b(ctx, env))
            if op == "/":
                return lambda ctx, env: _div(a(ctx, env), b(ctx, env))
            fn = _BIN[op]
            return lambda ctx, env: _arith(fn, a(ctx, env), b(ctx, env))
        if kind == "cmp":
            op, a, b = n[2], self._node(n[3], scope), self._node(n[4], scope)
            return lambda ctx, env: _compare(op, a(ctx, env), b(ctx, env))
        if kind == "quant":
            return self._quant(n, scope)
        raise ExprError("此处不能使用这种写法", pos)

    def _quant(self, n: Node, scope: Scope) -> Fn:
        _, _pos, kind, bindings, body = n
        inner = Scope(scope.template, set(scope.names))
        compiled: list[tuple[str, Fn]] = []
        for name, dom, _p in bindings:
            compiled.append((name, self._node(dom, inner)))
            inner.names.add(name)
        fbody = self._node(body, inner)
        scope.uses_prev |= inner.uses_prev

        def run(ctx: Context, env: Env) -> bool:
            def walk(i: int, env: Env) -> Iterator[bool]:
                if i == len(compiled):
                    count_step(ctx)
                    yield _truthy(fbody(ctx, env))
                    return
                name, dom = compiled[i]
                for v in _as_list(dom(ctx, env)):
                    yield from walk(i + 1, {**env, name: v})

            results = walk(0, env)
            return all(results) if kind == "all" else any(results)

        return run

    def _name(self, name: str, pos: int, scope: Scope) -> Fn:
        if name in scope.names:
            return lambda ctx, env: env[name]
        if name in self.t.tables:
            table = self.t.tables[name]
            return lambda ctx, env: table
        if name in self.t.section_by_id:
            section = self.t.section_by_id[name]
            return lambda ctx, env: section
        if name in ("meta", "prev"):
            raise ExprError(f"“{name}”后面应接 .名称", pos)
        raise ExprError(f"未知的名称 “{name}”", pos)

    def _attr(self, n: Node, scope: Scope) -> Fn:
        _, pos, base, name = n
        if base[0] == "name" and base[2] == "meta" and "meta" not in scope.names:
            return self._meta(name, pos, prev=False, scope=scope)
        if base[0] == "attr" and base[2][0] == "name" and base[2][2] == "prev" and base[3] == "meta":
            return self._meta(name, pos, prev=True, scope=scope)
        if base[0] == "name" and base[2] == "prev" and "prev" not in scope.names:
            if name == "meta":
                raise ExprError("prev.meta 后面应接 .名称", pos)
            if name in self.t.tables:
                raise ExprError(f"prev.{name} 后面应接 [行, 列]", pos)
            raise ExprError(f"上年数据中没有 “{name}”", pos)
        inner = self._node(base, scope)
        if not any(name in attrs for attrs in F.ATTRIBUTES.values()):
            raise ExprError(f"未知的属性 “{name}”", pos)

        def get(ctx: Context, env: Env) -> Value:
            return F.get_attribute(ctx, inner(ctx, env), name)

        return get

    def _meta(self, name: str, pos: int, prev: bool, scope: Scope) -> Fn:
        if name not in self.t.meta_by_id:
            raise ExprError(f"基本信息中没有 “{name}”", pos)
        if prev:
            scope.uses_prev = True
            return lambda ctx, env: ctx.prev.meta.get(name) if ctx.prev else None
        return lambda ctx, env: ctx.meta.get(name)

    def _table_of(self, base: Node, scope: Scope) -> tuple[Table, bool]:
        if base[0] == "name" and base[2] in self.t.tables and base[2] not in scope.names:
            return self.t.tables[base[2]], False
        if base[0] == "attr" and base[2][0] == "name" and base[2][2] == "prev" and base[3] in self.t.tables:
            scope.uses_prev = True
            return self.t.tables[base[3]], True
        raise ExprError("[行, 列] 前面应是表的 id,如 t3 或 prev.t3", base[1])

    def _spec(self, spec: Node, table: Table, axis: str, scope: Scope) -> tuple[Any, bool | None]:
        """Resolve a row or column spec: (ids, False) for a constant tuple of ids, (id, True) for
        one id, (fn, None) for a runtime function giving an id or a tuple of ids."""
        ids = [r.id for r in table.rows] if axis == "row" else [c.id for c in table.columns]
        word = "行" if axis == "row" else "列"
        if spec[0] == "all":
            return tuple(ids), False
        if spec[0] == "range":
            _, pos, a, b, bpos = spec
            for x, p in ((a, pos), (b, bpos)):
                if x not in ids:
                    raise ExprError(f"表 {table.id} 没有{word} “{x}”", p)
            i, j = ids.index(a), ids.index(b)
            if i > j:
                raise ExprError(f"{word}范围 {a}..{b} 的顺序反了", pos)
            return tuple(ids[i : j + 1]), False
        node = spec[2]
        if node[0] == "name" and node[2] not in scope.names:
            if node[2] in ids:
                return node[2], True
            raise ExprError(f"表 {table.id} 没有{word} “{node[2]}”", node[1])
        fn = self._node(node, scope)
        kind: type[Row] | type[Column] = Row if axis == "row" else Column

        def resolve(ctx: Context, env: Env) -> str | tuple[str, ...]:
            v = fn(ctx, env)
            if isinstance(v, kind):
                return str(v.id)
            if isinstance(v, list) and all(isinstance(x, kind) for x in v):
                return tuple(x.id for x in v)
            if isinstance(v, str) and v in ids:
                return v
            raise EvalError(f"“{v}”不是表 {table.id} 的{word}")

        return resolve, None

    def _cell(self, n: Node, scope: Scope) -> Fn:
        _, pos, base, rspec, cspec = n
        table, is_prev = self._table_of(base, scope)
        rows, rsingle = self._spec(rspec, table, "row", scope)
        cols, csingle = self._spec(cspec, table, "col", scope)
        tid, cells = table.id, table.cell_set
        if rsingle and csingle and (rows, cols) not in cells:
            raise ExprError(f"表 {tid} 没有单元格 [{rows}, {cols}]", pos)

        plan: dict[tuple[Any, Any], list[CellKey]] = {}  # (rows, cols) -> cell keys, once per distinct spec

        def keys_for(r: str | tuple[str, ...], c: str | tuple[str, ...]) -> list[CellKey]:
            ks = plan.get((r, c))
            if ks is None:
                ks = [
                    (tid, ri, ci)
                    for ri in ((r,) if isinstance(r, str) else r)
                    for ci in ((c,) if isinstance(c, str) else c)
                    if (ri, ci) in cells
                ]
                plan[(r, c)] = ks
            return ks

        def lookup(ctx: Context, env: Env) -> Value:
            r = rows(ctx, env) if callable(rows) else rows
            c = cols(ctx, env) if callable(cols) else cols
            src = ctx.prev if is_prev else ctx
            if src is None:
                return None
            if isinstance(r, str) and isinstance(c, str):
                if (r, c) not in cells:
                    raise EvalError(f"表 {tid} 没有单元格 [{r}, {c}]")
                key = (tid, r, c)
                if not is_prev:
                    ctx.touched.append(key)
                return src.cell(key)
            ks = keys_for(r, c)
            if not is_prev:
                ctx.touched.extend(ks)
            get = src.cell
            return [get(k) for k in ks]

        return lookup

    def _call(self, n: Node, scope: Scope) -> Fn:
        _, pos, name, args = n
        spec = F.FUNCTIONS.get(name)
        if spec is None:
            raise ExprError(f"未知的函数 “{name}”", pos)
        if not spec.min_args <= len(args) <= spec.max_args:
            want = str(spec.min_args) if spec.min_args == spec.max_args else f"{spec.min_args}–{spec.max_args}"
            raise ExprError(f"函数 {name} 需要 {want} 个参数,给了 {len(args)} 个", pos)
        if spec.uses_prev:
            scope.uses_prev = True
        if spec.kind == "axis":  # rows(t, ids…) / cols(t, ids…)
            return self._axis_call(name, pos, args, scope)
        if spec.kind == "flag":  # fields(required) / meta_fields(required)
            flags: list[str] = []
            for a in args:
                if a[0] != "name" or a[2] not in spec.flags:
                    raise ExprError(f"函数 {name} 的参数只能是 {'、'.join(spec.flags)}", a[1])
                flags.append(a[2])
            impl = _implemented(spec)
            return lambda ctx, env: impl(ctx, *flags)
        if spec.kind == "pattern":  # the patterns must be literal strings, compiled now
            nodes: list[tuple[bool, Any]] = []  # (is a compiled pattern, pattern | argument closure)
            for i, a in enumerate(args):
                if i not in spec.patterns:
                    nodes.append((False, self._node(a, scope)))
                    continue
                if a[0] != "const" or not isinstance(a[2], str):
                    where = "第二个" if i == 1 else f"第 {i + 1} 个"
                    raise ExprError(f"函数 {name} 的{where}参数应是字符串常量(正则表达式)", a[1] if len(a) > 1 else pos)
                try:
                    regex = compile_pattern(a[2])
                except PatternRefused as exc:
                    raise ExprError(str(exc), a[1]) from None
                nodes.append((True, regex))
            impl = _implemented(spec)
            return lambda ctx, env: impl(ctx, *[x if is_pat else x(ctx, env) for is_pat, x in nodes])
        compiled = [self._node(a, scope) for a in args]
        impl = _implemented(spec)
        if len(compiled) == 1:
            (a,) = compiled
            return lambda ctx, env: impl(ctx, a(ctx, env))
        return lambda ctx, env: impl(ctx, *[f(ctx, env) for f in compiled])

    def _axis_call(self, name: str, pos: int, args: list[Node], scope: Scope) -> Fn:
        first = args[0]
        if first[0] != "name" or first[2] not in self.t.tables:
            raise ExprError(f"函数 {name} 的第一个参数应是表的 id", first[1])
        table = self.t.tables[first[2]]
        axis = "row" if name == "rows" else "col"
        picked: list[str] = []
        for a in args[1:]:
            spec = a if a[0] == "range" else ("expr", a[1], a)
            ids, single = self._spec(spec, table, axis, scope)
            if callable(ids):
                raise ExprError(f"函数 {name} 的参数应是{('行' if axis == 'row' else '列')} id", a[1])
            picked.extend([ids] if single else ids)
        items: list[Row] | list[Column] = table.rows if axis == "row" else table.columns
        result: list[Row | Column] = list(items)
        if picked:
            by_id = {x.id: x for x in result}
            result = [by_id[i] for i in picked]
        return lambda ctx, env: result


_truthy = truthy


def _implemented(spec: F.FuncSpec) -> Callable[..., Value]:
    if spec.impl is None:
        raise AssertionError("a function compiled specially has no impl")
    return spec.impl


def _as_list(v: Value) -> list[Value]:
    if isinstance(v, (list, tuple)):
        return list(v)
    raise EvalError("all/any 的 in 后面应是列表")


def _width(s: str) -> int:
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in s)


def compile_template(template: Template) -> None:
    """Compile every formula and rule of a template; raises TemplateError naming the place."""
    try:
        _compile_template(template)
    except RecursionError:  # the parser bounds depth; this is the last line of defence
        raise TemplateError(f"模板 {template.path}:公式或规则嵌套过深") from None


def _compile_template(template: Template) -> None:
    c = Compiler(template)
    for table in template.tables.values():
        for col in table.columns:
            if col.formula:
                template.formulas[(table.id, "col", col.id)] = c.compile_formula(table, col.formula, f"列 {col.id} 的")
        for row in table.rows:
            if row.formula:
                template.formulas[(table.id, "row", row.id)] = c.compile_formula(table, row.formula, f"行 {row.id} 的")
    for table in template.tables.values():
        for ref in table.cells:
            formula = formula_for(template, table, ref.row, ref.col)
            if formula is not None:
                template.derived[(table.id, ref.row, ref.col)] = formula
    for rule in template.rules:
        rule.compiled = c.compile_rule(rule)
        rule.needs_previous = rule.needs_previous or rule.compiled.uses_prev
    _dry_run(template)


def _dry_run(template: Template) -> None:
    """Run every formula and rule on a blank and on an all-zero report, with a previous year.

    Catches what only shows when a rule runs (an attribute the value does not have, a formula
    loop), so a broken template is refused at load instead of failing in front of a clerk.
    """
    zeros = {(c.table, c.row, c.col): 0 for c in template.input_cells}
    for values in ({}, zeros):
        meta = {m.id: None for m in template.meta}
        texts = {f.key: "" for f in template.fields}
        prev = Context(template, dict(values), dict(meta), dict(texts))
        ctx = Context(template, dict(values), meta, texts, prev)
        for key in template.derived:
            try:
                ctx.cell(key)
            except (EvalError, TypeError, ArithmeticError) as exc:
                raise TemplateError(f"模板 {template.path}:单元格 {'.'.join(key)} 的公式无法计算:{exc}") from None
        for rule in template.rules:
            compiled = rule.compiled
            assert compiled is not None
            ctx._cache["quant_steps"] = 0
            try:
                envs: list[Env] = [{}]
                for name, dom in compiled.bindings:
                    grown: list[dict[str, object]] = []
                    for env in envs:
                        domain = _as_list(dom(ctx, env))
                        if len(grown) + len(domain) > MAX_BINDINGS:
                            raise EvalError(f"all/any 的组合超过 {MAX_BINDINGS} 种")
                        grown.extend({**env, name: v} for v in domain)
                    envs = grown
                for env in envs:  # all of them: a rule that asks for too much work is refused now
                    count_step(ctx)
                    if compiled.when is None or truthy(compiled.when(ctx, env)):
                        compiled.body(ctx, env)
                        for _label, _kind, scope_fn in compiled.scopes:
                            scope_fn(ctx, env)
                        msg_env = {**env, "lhs": None, "rhs": None, "diff": None}
                        for kind, part in compiled.message:
                            if kind != "text":
                                part(ctx, msg_env)
            except (EvalError, TypeError, ArithmeticError) as exc:
                raise TemplateError(f"模板 {template.path}:规则 {rule.id} 无法计算:{exc}") from None
