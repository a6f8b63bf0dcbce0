"""``POST /providers/Microsoft.ResourceGraph/resources``: parse the request, run the query, page the answer.

Paging follows the service: at most 1,000 rows per page; ``$top``/``$skip`` pick a window; a ``$skipToken``
is returned while rows remain and the output keeps the ``id`` column (needed for stable pages), otherwise
``resultTruncated`` is ``"true"``. Each page costs one query of quota.

A ``$skipToken`` names the result it pages through: the first page's result is kept (``Snapshots``, the
last few queries), so walking 100,000 rows costs one evaluation, and pages stay consistent while the
emulator changes underneath. A token whose result was evicted is answered by evaluating again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidRequestError
from .kql_eval import Row, run
from .kql_parser import parse
from .scope import Scope

MAX_PAGE = 1000

# Rows of one table, already limited to what the caller may read (the service layer decides visibility).
RowSource = Callable[[str], Iterable[Row]]


@dataclass(frozen=True)
class QueryRequest:
    query: str
    subscriptions: tuple[str, ...] | None
    management_groups: tuple[str, ...] | None
    top: int | None
    skip: int
    skip_token: str | None
    result_format: str

    @classmethod
    def from_body(cls, body: Any) -> QueryRequest:
        if (
            not isinstance(body, Mapping)
            or not isinstance(body.get("query"), str)
            or not body["query"].strip()
        ):
            raise InvalidRequestError("The request content was invalid: 'query' is required.")
        options = body.get("options") or {}
        if not isinstance(options, Mapping):
            raise InvalidRequestError("The request content was invalid: 'options' must be an object.")
        subs = _names(body, "subscriptions")
        groups = _names(body, "managementGroups")
        top = options.get("$top")
        skip = options.get("$skip") or 0
        if top is not None and (not isinstance(top, int) or not 1 <= top <= MAX_PAGE):
            raise InvalidRequestError(f"The '$top' option must be an integer between 1 and {MAX_PAGE}.")
        if not isinstance(skip, int) or skip < 0:
            raise InvalidRequestError("The '$skip' option must be a non-negative integer.")
        result_format = str(options.get("resultFormat") or "objectArray")
        if result_format not in ("objectArray", "table"):
            raise InvalidRequestError("The 'resultFormat' option must be 'objectArray' or 'table'.")
        return cls(
            query=body["query"],
            subscriptions=subs,
            management_groups=groups,
            top=top,
            skip=skip,
            skip_token=options.get("$skipToken"),
            result_format=result_format,
        )

    def fingerprint(self) -> str:
        text = json.dumps([self.query, self.subscriptions, self.management_groups], separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _names(body: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRequestError(f"The request content was invalid: '{key}' must be an array of strings.")
    return tuple(v.lower() for v in value)


class Snapshots:
    """The results of the last few paged queries, by snapshot id (what a ``$skipToken`` points at)."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._results: OrderedDict[str, list[Row]] = OrderedDict()

    def keep(self, result: list[Row]) -> str:
        snapshot = uuid.uuid4().hex
        self._results[snapshot] = result
        while len(self._results) > self.size:
            self._results.popitem(last=False)
        return snapshot

    def get(self, snapshot: str) -> list[Row] | None:
        return self._results.get(snapshot)


def execute(
    request: QueryRequest,
    rows_of: RowSource,
    scope: Scope | None = None,
    snapshots: Snapshots | None = None,
) -> dict[str, Any]:
    """Answer one request. ``scope`` defaults to the request's ``subscriptions`` (management groups need
    the hierarchy: the provider resolves them)."""
    parsed = parse(request.query)
    offset, size, snapshot = _window(request)
    kept = snapshots.get(snapshot) if snapshots is not None and snapshot else None
    if kept is None:
        visible = scope if scope is not None else Scope.of_subscriptions(request.subscriptions)
        result = run(parsed, (r for r in rows_of(parsed.table) if visible.admits(r)))
        snapshot = ""
    else:
        result = kept
    page = result[offset : offset + size]
    remaining = len(result) > offset + len(page)
    pageable = bool(page) and "id" in page[0]
    body: dict[str, Any] = {
        "totalRecords": len(result),
        "count": len(page),
        "resultTruncated": "true" if remaining and not pageable else "false",
        "facets": [],
    }
    if remaining and pageable:
        if snapshots is not None and not snapshot:
            snapshot = snapshots.keep(result)
        body["$skipToken"] = _token(offset + len(page), size, request.fingerprint(), snapshot)
    body["data"] = _table(page) if request.result_format == "table" else page
    return body


def _window(request: QueryRequest) -> tuple[int, int, str]:
    """(offset, page size, snapshot id or "") of the page asked for."""
    size = request.top or MAX_PAGE
    if not request.skip_token:
        return request.skip, size, ""
    try:
        state = json.loads(base64.b64decode(request.skip_token.encode(), validate=True))
        offset, token_size, fingerprint = int(state["skip"]), int(state["top"]), str(state["q"])
        snapshot = str(state.get("s") or "")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidRequestError("The '$skipToken' option is not valid.") from exc
    if fingerprint != request.fingerprint():
        raise InvalidRequestError("The '$skipToken' does not belong to this query.")
    return offset, request.top or token_size, snapshot


def _token(offset: int, size: int, fingerprint: str, snapshot: str) -> str:
    state = {"skip": offset, "top": size, "q": fingerprint, "s": snapshot}
    raw = json.dumps(state, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def _table(rows: list[Row]) -> dict[str, Any]:
    names: list[str] = []
    for row in rows:
        names.extend(k for k in row if k not in names)
    return {
        "columns": [
            {"name": n, "type": _kind(next((r.get(n) for r in rows if r.get(n) is not None), None))}
            for n in names
        ],
        "rows": [[r.get(n) for n in names] for r in rows],
    }


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "real"
    if isinstance(value, dict | list):
        return "object"
    return "string"
