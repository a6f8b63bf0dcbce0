"""A small, honest KQL parser: the operators Backup Autopilot sends, a clear ``InvalidQuery`` for the rest.

Supported: ``<Table> | where ... | project ... | project-away ... | extend ... | distinct ... |
order by/sort by ... | take/limit n | top n by ... | summarize count() by ... | count``. Expressions:
``and or not()``, ``== != =~ !~ < <= > >=``, ``in in~ !in !in~ (list)``, ``has contains startswith endswith``
(and their ``!`` forms), member access ``properties.a.b`` / ``properties['a']`` / ``tags['a b']``, and the
functions in ``kql_eval.FUNCTIONS``. An unnamed projected expression is named as KQL names it: a column
path ``a.b`` gives ``a_b``, a function of one (``tostring(a.b)``) gives ``a_b`` too, anything else
``Column1``, ``Column2``, ...
"""

from __future__ import annotations

from .errors import InvalidQueryError
from .kql_ast import (
    Binary,
    Call,
    Column,
    Count,
    Distinct,
    Expr,
    Extend,
    ListOf,
    Literal,
    OrderBy,
    Project,
    ProjectAway,
    Query,
    Stage,
    Summarize,
    Take,
    Top,
    Where,
)
from .kql_lexer import Kind, Token, tokenize
from .tables import TABLES

_STRING_OPS = {"has", "contains", "startswith", "endswith", "in", "has_cs", "contains_cs"}
_COMPARISONS = {"==", "!=", "=~", "!~", "<", "<=", ">", ">="}
_STAGE_STARTS = {
    "where",
    "project",
    "extend",
    "distinct",
    "order",
    "sort",
    "take",
    "limit",
    "top",
    "summarize",
    "count",
}


def parse(query: str) -> Query:
    return _Parser(tokenize(query)).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    # -- token helpers ---------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def fail(self, reason: str = "ParserFailure", token: Token | None = None) -> InvalidQueryError:
        t = token or self.tok
        return InvalidQueryError(reason, t.text, t.position)

    def is_symbol(self, text: str) -> bool:
        return self.tok.kind is Kind.SYMBOL and self.tok.text == text

    def is_word(self, *words: str) -> bool:
        return self.tok.kind is Kind.NAME and self.tok.text in words

    def expect_symbol(self, text: str) -> Token:
        if not self.is_symbol(text):
            raise self.fail()
        return self.advance()

    def expect_word(self, word: str) -> Token:
        if not self.is_word(word):
            raise self.fail()
        return self.advance()

    def advance(self) -> Token:
        token = self.tok
        self.pos += 1
        return token

    def name(self) -> str:
        if self.tok.kind is not Kind.NAME:
            raise self.fail()
        return self.advance().text

    # -- query -----------------------------------------------------------------------------------
    def query(self) -> Query:
        table = "Resources"
        if (
            self.tok.kind is Kind.NAME
            and self.tok.text.lower() in TABLES
            and not self.is_word(*_STAGE_STARTS)
        ):
            table = TABLES[self.advance().text.lower()]
            stages: list[Stage] = []
            while self.is_symbol("|"):
                self.advance()
                stages.append(self.stage())
        elif self.is_word(*_STAGE_STARTS):
            stages = [self.stage()]  # ARG runs a query that starts with an operator against Resources
            while self.is_symbol("|"):
                self.advance()
                stages.append(self.stage())
        else:
            raise self.fail("Unknown table or operator")
        if self.tok.kind is not Kind.END:
            raise self.fail()
        return Query(table, tuple(stages))

    def stage(self) -> Stage:
        word = self.name() if self.tok.kind is Kind.NAME else ""
        if word == "where":
            return Where(self.expr())
        if word == "project" and self.is_symbol("-") and self.peek().text == "away":
            self.advance()
            self.advance()
            return ProjectAway(self.names())
        if word == "project":
            return Project(self.assignments(allow_bare=True))
        if word == "extend":
            return Extend(self.assignments(allow_bare=False))
        if word == "distinct":
            return Distinct(self.assignments(allow_bare=True))
        if word in ("order", "sort"):
            self.expect_word("by")
            return OrderBy(self.sort_keys())
        if word in ("take", "limit"):
            return Take(self.count())
        if word == "top":
            count = self.count()
            self.expect_word("by")
            return Top(count, self.sort_keys())
        if word == "summarize":
            return self.summarize()
        if word == "count":
            return Count()
        self.pos -= 1 if word else 0
        raise self.fail("Unsupported operator")

    def count(self) -> int:
        if self.tok.kind is not Kind.NUMBER or not isinstance(self.tok.value, int):
            raise self.fail()
        return int(self.advance().value or 0)

    def names(self) -> tuple[str, ...]:
        out = [self.name()]
        while self.is_symbol(","):
            self.advance()
            out.append(self.name())
        return tuple(out)

    def assignments(self, allow_bare: bool) -> tuple[tuple[str, Expr], ...]:
        items: list[tuple[str, Expr]] = []
        unnamed = 0
        while True:
            if self.tok.kind is Kind.NAME and self.peek().kind is Kind.SYMBOL and self.peek().text == "=":
                name = self.advance().text
                self.advance()
                items.append((name, self.expr()))
            elif allow_bare:
                expr = self.expr()
                default = _default_name(expr)
                if default is None:
                    unnamed += 1
                    default = f"Column{unnamed}"
                items.append((default, expr))
            else:
                raise self.fail("extend needs name = expression")
            if not self.is_symbol(","):
                return tuple(items)
            self.advance()

    def sort_keys(self) -> tuple[tuple[Expr, bool], ...]:
        keys: list[tuple[Expr, bool]] = []
        while True:
            expr = self.expr()
            descending = True  # KQL sorts descending unless told otherwise
            if self.is_word("asc", "desc"):
                descending = self.advance().text == "desc"
            keys.append((expr, descending))
            if not self.is_symbol(","):
                return tuple(keys)
            self.advance()

    def summarize(self) -> Summarize:
        aggregates: list[tuple[str, Call]] = []
        while not self.is_word("by") and self.tok.kind is not Kind.END and not self.is_symbol("|"):
            name = ""
            if self.tok.kind is Kind.NAME and self.peek().text == "=" and self.peek().kind is Kind.SYMBOL:
                name = self.advance().text
                self.advance()
            start = self.tok
            expr = self.expr()
            if not isinstance(expr, Call) or expr.name != "count" or expr.args:
                raise self.fail("Only count() is supported in summarize", start)
            aggregates.append((name or "count_", expr))
            if not self.is_symbol(","):
                break
            self.advance()
        if not aggregates:
            raise self.fail()
        by: tuple[tuple[str, Expr], ...] = ()
        if self.is_word("by"):
            self.advance()
            by = self.assignments(allow_bare=True)
        return Summarize(tuple(aggregates), by)

    # -- expressions -----------------------------------------------------------------------------
    def expr(self) -> Expr:
        left = self.conjunction()
        while self.is_word("or"):
            self.advance()
            left = Binary("or", left, self.conjunction())
        return left

    def conjunction(self) -> Expr:
        left = self.comparison()
        while self.is_word("and"):
            self.advance()
            left = Binary("and", left, self.comparison())
        return left

    def comparison(self) -> Expr:
        left = self.primary()
        op = self.comparison_operator()
        if op is None:
            return left
        if op.lstrip("!") in ("in", "in~"):
            return Binary(op, left, self.list_of())
        return Binary(op, left, self.primary())

    def comparison_operator(self) -> str | None:
        if self.tok.kind is Kind.SYMBOL and self.tok.text in _COMPARISONS:
            return self.advance().text
        negated = False
        if self.is_symbol("!") and self.peek().kind is Kind.NAME and self.peek().text in _STRING_OPS:
            self.advance()
            negated = True
        if self.tok.kind is Kind.NAME and self.tok.text in _STRING_OPS:
            op = self.advance().text
            if op == "in" and self.is_symbol("~"):
                self.advance()
                op = "in~"
            return ("!" if negated else "") + op
        return None

    def list_of(self) -> ListOf:
        self.expect_symbol("(")
        items: list[Expr] = []
        while not self.is_symbol(")"):
            items.append(self.primary())
            if not self.is_symbol(","):
                break
            self.advance()
        self.expect_symbol(")")
        return ListOf(tuple(items))

    def primary(self) -> Expr:
        tok = self.tok
        if tok.kind is Kind.STRING or tok.kind is Kind.NUMBER:
            self.advance()
            return Literal(tok.value)
        if self.is_symbol("-") and self.peek().kind is Kind.NUMBER:
            self.advance()
            value = self.advance().value
            return Literal(-value if isinstance(value, int | float) else value)
        if self.is_symbol("("):
            self.advance()
            inner = self.expr()
            self.expect_symbol(")")
            return inner
        if tok.kind is Kind.NAME:
            self.advance()
            if tok.text in ("true", "false") and not self.is_symbol("("):
                return Literal(tok.text == "true")
            if self.is_symbol("("):
                return self.call(tok)
            return self.member_access(tok.text)
        raise self.fail()

    def call(self, name: Token) -> Call:
        from .kql_eval import FUNCTIONS

        if name.text not in FUNCTIONS and name.text != "count":
            raise self.fail("Unsupported function", name)
        self.expect_symbol("(")
        args: list[Expr] = []
        while not self.is_symbol(")"):
            args.append(self.expr())
            if not self.is_symbol(","):
                break
            self.advance()
        self.expect_symbol(")")
        return Call(name.text, tuple(args))

    def member_access(self, name: str) -> Column:
        path: list[str | int] = []
        while True:
            if self.is_symbol("."):
                self.advance()
                path.append(self.name())
            elif self.is_symbol("["):
                self.advance()
                key = self.advance()
                if key.kind not in (Kind.STRING, Kind.NUMBER) or not isinstance(key.value, str | int):
                    raise self.fail("ParserFailure", key)
                path.append(key.value)
                self.expect_symbol("]")
            else:
                return Column(name, tuple(path))


def _default_name(expr: Expr) -> str | None:
    """KQL's name for an unnamed column: the path of a column, or of a one-argument function's column."""
    if isinstance(expr, Column):
        return expr.output_name()
    if isinstance(expr, Call) and len(expr.args) == 1:
        return _default_name(expr.args[0])
    return None
