"""Tokenizer and recursive-descent parser of the rule expression language.

The grammar (schema/README.md has the user's version):

    rule     := quant | expr
    quant    := ('all' | 'any') binding (',' binding)* ':' expr
    binding  := NAME 'in' expr
    expr     := or ('if' or 'else' expr)?          -- not supported: use choose()
    or       := and ('or' and)*
    and      := not ('and' not)*
    not      := 'not' not | compare
    compare  := sum (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not' 'in') sum)?
    sum      := product (('+'|'-') product)*
    product  := unary (('*'|'/') unary)*
    unary    := '-' unary | postfix
    postfix  := primary ('.' NAME | '[' spec ',' spec ']')*
    primary  := NUMBER | STRING | 'true' | 'false' | NAME | NAME '(' args ')'
              | '(' expr ')' | '[' (expr (',' expr)*)? ']'
    spec     := '*' | NAME '..' NAME | expr

The parser only builds tuples; nothing is ever evaluated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


class ExprError(Exception):
    """A syntax or name error at a character position of the source."""

    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.message = message
        self.pos = pos


# A syntax tree node: a tuple whose first item names its kind, e.g. ("num", pos, value);
# the compiler (compiler.py) is the one reader of these shapes.
Node = tuple[Any, ...]

MAX_DEPTH = 60  # nesting a person writes stays far below; deeper input is refused, not crashed on
MAX_TREE_DEPTH = 100  # levels of the parsed tree (a chain a+b+c… nests too); bounds recursion later
MAX_TOKENS = 2000  # of one expression; the longest rule of the national template has about 60
MAX_NUMBER_DIGITS = 30  # a number literal in a rule; 1e9 is the largest cell value
KEYWORDS = {"and", "or", "not", "in", "all", "any", "true", "false"}
TWO_CHAR = {"==", "!=", "<=", ">=", ".."}
ONE_CHAR = set("+-*/()[],:.<>")


@dataclass(frozen=True)
class Token:
    kind: str  # num | str | name | op | kw | end
    value: object
    pos: int


def tokenize(src: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch.isascii() and ch.isdigit():
            j = i
            while j < n and src[j].isascii() and src[j].isdigit():
                j += 1
            if j - i > MAX_NUMBER_DIGITS:
                raise ExprError(f"数字过长(超过 {MAX_NUMBER_DIGITS} 位)", i)
            # A '.' followed by a digit continues a decimal; '..' is the range operator.
            if j + 1 < n and src[j] == "." and src[j + 1].isascii() and src[j + 1].isdigit():
                j += 1
                while j < n and src[j].isascii() and src[j].isdigit():
                    j += 1
                tokens.append(Token("num", Decimal(src[i:j]), i))
            else:
                tokens.append(Token("num", int(src[i:j]), i))
            i = j
            continue
        if ch in "'\"":
            j, buf = i + 1, []
            while j < n and src[j] != ch:
                if src[j] == "\\" and j + 1 < n:
                    buf.append(src[j + 1] if src[j + 1] in "'\"" else src[j : j + 2])
                    j += 2
                    continue
                buf.append(src[j])
                j += 1
            if j >= n:
                raise ExprError("字符串没有结束引号", i)
            tokens.append(Token("str", "".join(buf), i))
            i = j + 1
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            j = i
            while j < n and src[j].isascii() and (src[j].isalnum() or src[j] == "_"):
                j += 1
            word = src[i:j]
            tokens.append(Token("kw" if word in KEYWORDS else "name", word, i))
            i = j
            continue
        if src[i : i + 2] in TWO_CHAR:
            tokens.append(Token("op", src[i : i + 2], i))
            i += 2
            continue
        if ch in ONE_CHAR:
            tokens.append(Token("op", ch, i))
            i += 1
            continue
        raise ExprError(f"无法识别的字符 “{ch}”", i)
        if len(tokens) > MAX_TOKENS:
            raise ExprError(f"表达式过长(超过 {MAX_TOKENS} 个记号)", i)
    tokens.append(Token("end", None, n))
    return tokens


class Parser:
    def __init__(self, src: str):
        self.src = src
        self.tokens = tokenize(src)
        self.i = 0
        self.depth = 0

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"表达式嵌套太深(超过 {MAX_DEPTH} 层)", self.tok.pos)

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def at(self, kind: str, value: object = None) -> bool:
        t = self.tok
        return t.kind == kind and (value is None or t.value == value)

    def take(self, kind: str, value: object = None) -> Token:
        if not self.at(kind, value):
            want = value if value is not None else {"name": "名称", "num": "数字", "str": "字符串"}.get(kind, kind)
            got = "表达式结尾" if self.tok.kind == "end" else f"“{self.tok.value}”"
            raise ExprError(f"此处应为 “{want}”,却是{got}", self.tok.pos)
        self.i += 1
        return self.tokens[self.i - 1]

    # -- grammar
    def parse_rule(self) -> Node:
        try:
            node = self.parse_quant() if self.at("kw", "all") or self.at("kw", "any") else self.parse_expr()
        except RecursionError:
            raise ExprError(f"表达式嵌套太深(超过 {MAX_DEPTH} 层)", self.tok.pos) from None
        if not self.at("end"):
            raise ExprError(f"多余的内容 “{self.tok.value}”", self.tok.pos)
        _check_depth(node)
        return node

    def parse_quant(self) -> Node:
        kw = self.take("kw")
        bindings: list[tuple[object, Node, int]] = []
        while True:
            name = self.take("name")
            self.take("kw", "in")
            bindings.append((name.value, self.parse_or(), name.pos))
            if self.at("op", ","):
                self.i += 1
                continue
            break
        self.take("op", ":")
        body = self.parse_quant() if self.at("kw", "all") or self.at("kw", "any") else self.parse_expr()
        return ("quant", kw.pos, kw.value, bindings, body)

    def parse_expr(self) -> Node:
        return self.parse_or()

    def parse_or(self) -> Node:
        self._enter()
        try:
            return self._parse_or()
        finally:
            self.depth -= 1

    def _parse_or(self) -> Node:
        node = self.parse_and()
        while self.at("kw", "or"):
            pos = self.take("kw").pos
            node = ("or", pos, node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.at("kw", "and"):
            pos = self.take("kw").pos
            node = ("and", pos, node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.at("kw", "not"):
            pos = self.take("kw").pos
            self._enter()
            try:
                return ("not", pos, self.parse_not())
            finally:
                self.depth -= 1
        return self.parse_compare()

    def parse_compare(self) -> Node:
        left = self.parse_sum()
        t = self.tok
        if t.kind == "op" and t.value in ("==", "!=", "<", "<=", ">", ">="):
            self.i += 1
            return ("cmp", t.pos, t.value, left, self.parse_sum())
        if self.at("kw", "in"):
            self.i += 1
            return ("cmp", t.pos, "in", left, self.parse_sum())
        if self.at("kw", "not") and self.tokens[self.i + 1].kind == "kw" and self.tokens[self.i + 1].value == "in":
            self.i += 2
            return ("cmp", t.pos, "not in", left, self.parse_sum())
        return left

    def parse_sum(self) -> Node:
        node = self.parse_product()
        while self.tok.kind == "op" and self.tok.value in ("+", "-"):
            t = self.take("op")
            node = ("bin", t.pos, t.value, node, self.parse_product())
        return node

    def parse_product(self) -> Node:
        node = self.parse_unary()
        while self.tok.kind == "op" and self.tok.value in ("*", "/"):
            t = self.take("op")
            node = ("bin", t.pos, t.value, node, self.parse_unary())
        return node

    def parse_unary(self) -> Node:
        if self.at("op", "-"):
            pos = self.take("op").pos
            self._enter()
            try:
                return ("neg", pos, self.parse_unary())
            finally:
                self.depth -= 1
        return self.parse_postfix()

    def parse_postfix(self) -> Node:
        node = self.parse_primary()
        while True:
            if self.at("op", "."):
                self.i += 1
                name = self.take("name")
                node = ("attr", name.pos, node, name.value)
            elif self.at("op", "["):
                pos = self.take("op").pos
                row = self.parse_spec()
                self.take("op", ",")
                col = self.parse_spec()
                self.take("op", "]")
                node = ("cell", pos, node, row, col)
            else:
                return node

    def parse_spec(self) -> Node:
        t = self.tok
        if self.at("op", "*"):
            self.i += 1
            return ("all", t.pos)
        if t.kind == "name" and self.tokens[self.i + 1].kind == "op" and self.tokens[self.i + 1].value == "..":
            self.i += 2
            end = self.take("name")
            return ("range", t.pos, t.value, end.value, end.pos)
        return ("expr", t.pos, self.parse_sum())

    def parse_primary(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.i += 1
            return ("const", t.pos, t.value)
        if t.kind == "str":
            self.i += 1
            return ("const", t.pos, t.value)
        if self.at("kw", "true") or self.at("kw", "false"):
            self.i += 1
            return ("const", t.pos, t.value == "true")
        if t.kind == "name":
            self.i += 1
            if self.at("op", "("):
                self.i += 1
                args = []
                if not self.at("op", ")"):
                    args.append(self.parse_arg())
                    while self.at("op", ","):
                        self.i += 1
                        args.append(self.parse_arg())
                self.take("op", ")")
                return ("call", t.pos, t.value, args)
            return ("name", t.pos, t.value)
        if self.at("op", "("):
            self.i += 1
            node = self.parse_expr()
            self.take("op", ")")
            return node
        if self.at("op", "["):
            self.i += 1
            items = []
            if not self.at("op", "]"):
                items.append(self.parse_expr())
                while self.at("op", ","):
                    self.i += 1
                    items.append(self.parse_expr())
            self.take("op", "]")
            return ("list", t.pos, items)
        got = "表达式结尾" if t.kind == "end" else f"“{t.value}”"
        raise ExprError(f"此处应为一个值,却是{got}", t.pos)

    def parse_arg(self) -> Node:
        # A row/column range may be passed to rows()/cols(): a..b
        t = self.tok
        if t.kind == "name" and self.tokens[self.i + 1].kind == "op" and self.tokens[self.i + 1].value == "..":
            return self.parse_spec()
        return self.parse_expr()


def tree_depth(node: Any) -> int:
    """Levels of tuples and lists in a parsed tree, counted without recursion."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        n, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((x, d + 1) for x in n if isinstance(x, (tuple, list)))
    return deepest


def _check_depth(node: Any) -> None:
    """Refuse a tree deep enough to exhaust Python's stack when compiled or run: long chains
    (1 + 1 + …, a and b and …, x.id.id…) and nested cell references (t3[t3[…], …])."""
    if tree_depth(node) > MAX_TREE_DEPTH:
        pos = node[1] if isinstance(node, tuple) and len(node) > 1 and isinstance(node[1], int) else 0
        raise ExprError(f"表达式太长或嵌套太深(超过 {MAX_TREE_DEPTH} 层),请拆成几条规则或用 sum()", pos)


def parse(src: str) -> Node:
    return Parser(src).parse_rule()


def parse_message(src: str) -> list[tuple[str, object, int]]:
    """Split a message template into ('text', str, pos) and ('expr', ast, pos) parts."""
    parts: list[tuple[str, object, int]] = []
    buf: list[str] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "{" and src[i + 1 : i + 2] == "{":
            buf.append("{")
            i += 2
        elif ch == "}" and src[i + 1 : i + 2] == "}":
            buf.append("}")
            i += 2
        elif ch == "{":
            end = src.find("}", i)
            if end < 0:
                raise ExprError("消息里的 { 没有对应的 }", i)
            if buf:
                parts.append(("text", "".join(buf), i))
                buf = []
            inner = src[i + 1 : end]
            try:
                parts.append(("expr", Parser(inner).parse_rule(), i + 1))
            except ExprError as exc:
                raise ExprError(exc.message, i + 1 + exc.pos) from None
            i = end + 1
        elif ch == "}":
            raise ExprError("消息里多了一个 }", i)
        else:
            buf.append(ch)
            i += 1
    if buf:
        parts.append(("text", "".join(buf), n))
    return parts
