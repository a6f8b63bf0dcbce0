"""The parsed form of a query: one table, then a pipeline of stages over rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Column:
    """A column, optionally followed by dynamic member access: ``properties.protectionStatus.status``."""

    name: str
    path: tuple[str | int, ...] = ()

    def output_name(self) -> str:
        """KQL names a projected ``a.b.c`` column ``a_b_c``."""
        return "_".join([self.name, *(str(p) for p in self.path)])


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Binary:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class ListOf:
    items: tuple[Expr, ...]


Expr = Literal | Column | Call | Binary | ListOf


@dataclass(frozen=True)
class Where:
    predicate: Expr


@dataclass(frozen=True)
class Project:
    columns: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class ProjectAway:
    names: tuple[str, ...]


@dataclass(frozen=True)
class Distinct:
    columns: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class Extend:
    columns: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class OrderBy:
    keys: tuple[tuple[Expr, bool], ...]  # (expression, descending)


@dataclass(frozen=True)
class Take:
    count: int


@dataclass(frozen=True)
class Top:
    count: int
    keys: tuple[tuple[Expr, bool], ...]  # (expression, descending)


@dataclass(frozen=True)
class Summarize:
    aggregates: tuple[tuple[str, Call], ...]
    by: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class Count:
    pass


Stage = Where | Project | ProjectAway | Distinct | Extend | OrderBy | Take | Top | Summarize | Count


@dataclass(frozen=True)
class Query:
    table: str
    stages: tuple[Stage, ...] = field(default=())
