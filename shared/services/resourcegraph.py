"""Azure Resource Graph: the query (``POST /providers/Microsoft.ResourceGraph/resources``) and its page.

Contract facts we rely on (Resource Graph REST 2024-04-01 and "Guidance for throttled requests in Azure
Resource Graph"): at most 1,000 rows a page (``options.$top``); while rows remain the answer carries
``$skipToken`` (the query must keep the ``id`` column), passed back in ``options.$skipToken`` with the same
query and scope; every answer reports the caller's quota, ``x-ms-user-quota-remaining`` (queries left in the
window) and ``x-ms-user-quota-resets-after`` (``hh:mm:ss``); by default 15 queries per 5-second window per
user, each page counting as one. A request names its scope as ``subscriptions`` and/or ``managementGroups``;
we send at most ``MAX_SUBSCRIPTIONS`` subscriptions in one request and batch the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.records import Record

API_VERSION = "2024-04-01"
PATH = "/providers/Microsoft.ResourceGraph/resources"
PAGE_SIZE = 1000
MAX_SUBSCRIPTIONS = 1000
QUOTA_PER_WINDOW = 15  # the documented default, used only to plan (the headers are what we obey)
QUOTA_WINDOW_SECONDS = 5.0


@dataclass(frozen=True)
class GraphScope(Record):
    """What one query covers: subscriptions (at most ``MAX_SUBSCRIPTIONS``) and/or management groups."""

    subscriptions: list[str] = field(default_factory=list)
    management_groups: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.subscriptions and not self.management_groups


def batches(subscriptions: Sequence[str], management_groups: Sequence[str]) -> list[GraphScope]:
    """The scopes to query: management groups in one request, subscriptions in batches of the maximum."""
    out = [GraphScope(management_groups=list(management_groups))] if management_groups else []
    subs = list(dict.fromkeys(s.lower() for s in subscriptions))
    out.extend(
        GraphScope(subscriptions=subs[i : i + MAX_SUBSCRIPTIONS])
        for i in range(0, len(subs), MAX_SUBSCRIPTIONS)
    )
    return out


def query_body(query: str, scope: GraphScope, skip_token: str | None = None) -> dict[str, Any]:
    options: dict[str, Any] = {"resultFormat": "objectArray", "$top": PAGE_SIZE}
    if skip_token:
        options["$skipToken"] = skip_token
    body: dict[str, Any] = {"query": query, "options": options}
    if scope.subscriptions:
        body["subscriptions"] = list(scope.subscriptions)
    if scope.management_groups:
        body["managementGroups"] = list(scope.management_groups)
    return body


@dataclass(frozen=True)
class Quota(Record):
    """The caller's Resource Graph quota after a query (None: the service did not say)."""

    remaining: int | None = None
    resets_after_seconds: float | None = None

    def wait_seconds(self) -> float:
        """How long to wait before the next query: until the window resets when none is left."""
        if self.remaining is not None and self.remaining <= 0:
            return (
                self.resets_after_seconds if self.resets_after_seconds is not None else QUOTA_WINDOW_SECONDS
            )
        return 0.0


def quota_of(headers: Mapping[str, str]) -> Quota:
    remaining = headers.get("x-ms-user-quota-remaining")
    resets = headers.get("x-ms-user-quota-resets-after")
    return Quota(_int(remaining), _hms(resets))


def page_of(body: Any) -> tuple[list[dict[str, Any]], str | None, int | None]:
    """(rows, next skip token, total records) of an ``objectArray`` answer."""
    data = body if isinstance(body, Mapping) else {}
    rows = data.get("data")
    token = data.get("$skipToken")
    total = data.get("totalRecords")
    return (
        [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else [],
        token if isinstance(token, str) and token else None,
        total if isinstance(total, int) else None,
    )


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _hms(text: str | None) -> float | None:
    """``hh:mm:ss`` (or plain seconds) -> seconds."""
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds
