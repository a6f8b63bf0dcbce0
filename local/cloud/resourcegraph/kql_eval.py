"""Run a parsed query over rows (plain dicts). Pure functions: no I/O, no clock.

Column names are checked before any row is read, so ``project nmae`` fails like the real service does
("Failed to resolve scalar expression") instead of silently returning empty values.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

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
    Summarize,
    Take,
    Top,
    Where,
)
from .tables import COLUMNS

Row = dict[str, Any]


def tostring(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "tostring": tostring,
    "tolower": lambda v: tostring(v).lower(),
    "toupper": lambda v: tostring(v).upper(),
    "isempty": _is_empty,
    "isnotempty": lambda v: not _is_empty(v),
    "isnull": lambda v: v is None,
    "isnotnull": lambda v: v is not None,
    "strcat": lambda *vs: "".join(tostring(v) for v in vs),
    "not": lambda v: not bool(v),
}


def run(query: Query, rows: Iterable[Row]) -> list[Row]:
    """Rows (every one with all of ``tables.COLUMNS``; missing ones read as null) through the stages."""
    columns = list(COLUMNS)
    full = set(COLUMNS)
    # Stages never change a row in place, so complete rows are used as they are.
    current: list[Row] = [row if row.keys() == full else {c: row.get(c) for c in columns} for row in rows]
    for stage in query.stages:
        if isinstance(stage, Where):
            _check(stage.predicate, columns)
            current = [r for r in current if evaluate(stage.predicate, r) is True]
        elif isinstance(stage, Project | Distinct):
            for _, e in stage.columns:
                _check(e, columns)
            current = [{n: evaluate(e, r) for n, e in stage.columns} for r in current]
            columns = [n for n, _ in stage.columns]
            if isinstance(stage, Distinct):
                current = _distinct(current)
        elif isinstance(stage, ProjectAway):
            for name in stage.names:
                _check(Column(name), columns)
            columns = [c for c in columns if c not in stage.names]
            current = [{c: r[c] for c in columns} for r in current]
        elif isinstance(stage, Extend):
            for name, e in stage.columns:
                _check(e, columns)
                current = [{**r, name: evaluate(e, r)} for r in current]
                columns = [*(c for c in columns if c != name), name]
        elif isinstance(stage, OrderBy):
            for e, _ in stage.keys:
                _check(e, columns)
            current = _order(current, stage)
        elif isinstance(stage, Take):
            current = current[: stage.count]
        elif isinstance(stage, Top):
            for e, _ in stage.keys:
                _check(e, columns)
            current = _order(current, OrderBy(stage.keys))[: stage.count]
        elif isinstance(stage, Summarize):
            for _, e in stage.by:
                _check(e, columns)
            current = _summarize(current, stage)
            columns = [n for n, _ in stage.by] + [n for n, _ in stage.aggregates]
        elif isinstance(stage, Count):
            current = [{"Count": len(current)}]
            columns = ["Count"]
    return current


def _check(expr: Expr, columns: Sequence[str]) -> None:
    if isinstance(expr, Column) and expr.name not in columns:
        raise InvalidQueryError(f"Failed to resolve scalar expression named '{expr.name}'", expr.name, 0)
    if isinstance(expr, Binary):
        _check(expr.left, columns)
        _check(expr.right, columns)
    elif isinstance(expr, Call | ListOf):
        for arg in expr.args if isinstance(expr, Call) else expr.items:
            _check(arg, columns)


def evaluate(expr: Expr, row: Row) -> Any:
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Column):
        value = row.get(expr.name)
        for step in expr.path:
            if isinstance(value, dict) and isinstance(step, str):
                value = value.get(step)
            elif isinstance(value, list) and isinstance(step, int) and -len(value) <= step < len(value):
                value = value[step]
            else:
                return None
        return value
    if isinstance(expr, Call):
        if expr.name == "count":
            raise InvalidQueryError("count() is only valid in summarize", "count", 0)
        return FUNCTIONS[expr.name](*(evaluate(a, row) for a in expr.args))
    if isinstance(expr, ListOf):
        return [evaluate(i, row) for i in expr.items]
    return _binary(expr, row)


def _binary(expr: Binary, row: Row) -> Any:
    if expr.op == "and":
        return evaluate(expr.left, row) is True and evaluate(expr.right, row) is True
    if expr.op == "or":
        return evaluate(expr.left, row) is True or evaluate(expr.right, row) is True
    left, right = evaluate(expr.left, row), evaluate(expr.right, row)
    negated = expr.op.startswith("!") and expr.op not in ("!=", "!~")
    op = expr.op[1:] if negated else expr.op
    result = _compare(op, left, right)
    return (not result) if negated else result


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """A dynamic scalar compared with a string compares as its string form (``properties.flag == 'true'``)."""
    if isinstance(left, str) and isinstance(right, bool | int | float):
        return left, tostring(right)
    if isinstance(right, str) and isinstance(left, bool | int | float):
        return tostring(left), right
    return left, right


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        left, right = _comparable(left, right)
        return left is not None and left == right
    if op == "!=":
        left, right = _comparable(left, right)
        return left is not None and right is not None and left != right
    if op in ("=~", "!~"):
        same = tostring(left).lower() == tostring(right).lower()
        return same if op == "=~" else not same
    if op in ("in", "in~"):
        items = right if isinstance(right, list) else [right]
        if op == "in":
            return left is not None and left in items
        return tostring(left).lower() in {tostring(i).lower() for i in items}
    if op in ("<", "<=", ">", ">="):
        if left is None or right is None:
            return False
        try:
            return bool({"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])
        except TypeError:
            return False
    text, needle = tostring(left), tostring(right)
    if op == "contains":
        return needle.lower() in text.lower()
    if op == "contains_cs":
        return needle in text
    if op == "startswith":
        return text.lower().startswith(needle.lower())
    if op == "endswith":
        return text.lower().endswith(needle.lower())
    if op in ("has", "has_cs"):
        flags = re.IGNORECASE if op == "has" else 0
        pattern = r"(?<![0-9A-Za-z])" + re.escape(needle) + r"(?![0-9A-Za-z])"
        return re.search(pattern, text, flags) is not None
    raise InvalidQueryError("Unsupported operator", op, 0)


def _order(rows: list[Row], stage: OrderBy) -> list[Row]:
    result = list(rows)
    for expr, descending in reversed(stage.keys):
        present = [r for r in result if evaluate(expr, r) is not None]
        missing = [r for r in result if evaluate(expr, r) is None]
        present.sort(key=functools.partial(_row_key, expr), reverse=descending)
        # KQL: nulls last when descending, first when ascending
        result = present + missing if descending else missing + present
    return result


def _row_key(expr: Expr, row: Row) -> tuple[int, Any]:
    return _sort_key(evaluate(expr, row))


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    return (1, tostring(value))


def _distinct(rows: list[Row]) -> list[Row]:
    seen: set[str] = set()
    out: list[Row] = []
    for row in rows:
        marker = json.dumps(row, sort_keys=True, default=str)
        if marker not in seen:
            seen.add(marker)
            out.append(row)
    return out


def _summarize(rows: list[Row], stage: Summarize) -> list[Row]:
    groups: dict[str, tuple[Row, int]] = {}
    for row in rows:
        keys = {name: evaluate(e, row) for name, e in stage.by}
        marker = json.dumps(keys, sort_keys=True, default=str)
        base, count = groups.get(marker, (keys, 0))
        groups[marker] = (base, count + 1)
    if not groups and not stage.by:
        return [{name: 0 for name, _ in stage.aggregates}]
    return [{**keys, **{name: count for name, _ in stage.aggregates}} for keys, count in groups.values()]
