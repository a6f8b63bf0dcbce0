"""Route table: ARM path templates matched case-insensitively on literal segments, names preserved."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .context import RequestContext, Response

Handler = Callable[["RequestContext"], Awaitable["Response"]]
OpKind = Literal["read", "write", "delete", "action"]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    #: Swagger-style operation id, e.g. ``BackupInstances_CreateOrUpdate``; faults and counters key on it.
    operation_id: str
    handler: Handler
    #: Throttling bucket: read, write, delete (actions count as writes, as in ARM).
    kind: OpKind
    #: ARM ``operationName`` for resource-write events, e.g. ``Microsoft.Storage/storageAccounts/write``.
    arm_operation: str | None
    segments: tuple[str, ...]

    @property
    def is_scoped(self) -> bool:
        """Templates starting with ``{*scope}`` match any scope prefix (role assignments at any scope)."""
        return bool(self.segments) and self.segments[0] == "{*scope}"

    def match(self, parts: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        segments = self.segments
        if self.is_scoped:
            tail = len(segments) - 1
            if len(parts) < tail:
                return None
            params["scope"] = "/" + "/".join(parts[: len(parts) - tail])
            parts = parts[len(parts) - tail :]
            segments = segments[1:]
        elif len(parts) != len(segments):
            return None
        for template, actual in zip(segments, parts, strict=True):
            if template.startswith("{"):
                params[template[1:-1]] = actual
            elif template != actual.lower():
                return None
        return params


def split_path(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


class Router:
    """Holds every provider's routes; ``resolve`` finds the route and its path parameters."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, int], list[Route]] = {}
        self._all: list[Route] = []
        self._scoped: list[Route] = []

    def add(
        self,
        method: str,
        template: str,
        operation_id: str,
        handler: Handler,
        *,
        kind: OpKind | None = None,
        arm_operation: str | None = None,
    ) -> Route:
        segments = tuple(s if s.startswith("{") else s.lower() for s in split_path(template))
        method = method.upper()
        if kind is None:
            kind = {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(method, "write")  # type: ignore[assignment]
        route = Route(method, template, operation_id, handler, kind, arm_operation, segments)  # type: ignore[arg-type]
        if route.is_scoped:
            self._scoped.append(route)
            self._all.append(route)
            return route
        bucket = self._routes.setdefault((method, len(segments)), [])
        # Literal-heavy templates first so ``.../backupInstances/{bi}/recoveryPoints`` beats a catch-all.
        bucket.append(route)
        bucket.sort(key=lambda r: -sum(1 for s in r.segments if not s.startswith("{")))
        self._all.append(route)
        return route

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        parts = split_path(path)
        for route in self._routes.get((method.upper(), len(parts)), ()):
            params = route.match(parts)
            if params is not None:
                return route, params
        for route in self._scoped:
            if route.method == method.upper():
                params = route.match(parts)
                if params is not None:
                    return route, params
        return None

    def allowed_methods(self, path: str) -> list[str]:
        parts = split_path(path)
        return sorted({r.method for r in self._all if r.match(parts) is not None})

    @property
    def routes(self) -> list[Route]:
        return list(self._all)
