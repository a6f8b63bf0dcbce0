"""``POST /providers/Microsoft.ResourceGraph/resources``: parse the request, run the query, page the answer.

Paging follows the service: at most 1,000 rows per page; ``$top``/``$skip`` pick a window; a ``$skipToken``
is returned while rows remain and the output keeps the ``id`` column (needed for stable pages), otherwise
``resultTruncated`` is ``"true"``. Each page costs one query of quota.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidRequestError
from .kql_eval import Row, run
from .kql_parser import parse

MAX_PAGE = 1000

# Rows of one table, already limited to what the caller may read (the service layer decides visibility).
RowSource = Callable[[str], Iterable[Row]]


@dataclass(frozen=True)
class QueryRequest:
    query: str
    subscriptions: tuple[str, ...] | None
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
        subs = body.get("subscriptions")
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
            subscriptions=tuple(str(s).lower() for s in subs) if isinstance(subs, list) else None,
            top=top,
            skip=skip,
            skip_token=options.get("$skipToken"),
            result_format=result_format,
        )

    def fingerprint(self) -> str:
        text = json.dumps([self.query, self.subscriptions], separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def execute(request: QueryRequest, rows_of: RowSource) -> dict[str, Any]:
    parsed = parse(request.query)
    rows: Iterable[Row] = rows_of(parsed.table)
    if request.subscriptions is not None:
        allowed = set(request.subscriptions)
        rows = (r for r in rows if str(r.get("subscriptionId", "")).lower() in allowed)
    result = run(parsed, rows)
    offset, size = _window(request)
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
        body["$skipToken"] = _token(offset + len(page), size, request.fingerprint())
    body["data"] = _table(page) if request.result_format == "table" else page
    return body


def _window(request: QueryRequest) -> tuple[int, int]:
    size = request.top or MAX_PAGE
    if not request.skip_token:
        return request.skip, size
    try:
        state = json.loads(base64.b64decode(request.skip_token.encode(), validate=True))
        offset, token_size, fingerprint = int(state["skip"]), int(state["top"]), str(state["q"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidRequestError("The '$skipToken' option is not valid.") from exc
    if fingerprint != request.fingerprint():
        raise InvalidRequestError("The '$skipToken' does not belong to this query.")
    return offset, request.top or token_size


def _token(offset: int, size: int, fingerprint: str) -> str:
    raw = json.dumps({"skip": offset, "top": size, "q": fingerprint}, separators=(",", ":"))
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
