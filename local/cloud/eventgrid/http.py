"""HTTP surface of the emulated Event Grid, independent of any web framework.

- ``POST /eventgrid/topics/{topic}/api/events``: the topic endpoint the app publishes to.
- ``/_admin/eventgrid/...``: subscriptions, deliveries, dead letters, topics and their events.

``handle`` returns ``None`` for paths that are not Event Grid's, so a host can chain it with others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import EventGridError
from .hub import EventGridHub

TOPIC_PREFIX = "/eventgrid/topics/"
ADMIN_PREFIX = "/_admin/eventgrid"
MAX_WAIT_SECONDS = 60.0


@dataclass
class HttpResult:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def _parts(path: str, prefix: str) -> list[str]:
    return [p for p in path[len(prefix) :].split("/") if p]


async def handle(
    hub: EventGridHub, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
) -> HttpResult | None:
    method = method.upper()
    try:
        if path.lower().startswith(TOPIC_PREFIX):
            parts = _parts(path, TOPIC_PREFIX)
            if len(parts) == 3 and parts[1:] == ["api", "events"]:
                if method != "POST":
                    return HttpResult(405, {"error": {"code": "MethodNotAllowed", "message": "Use POST."}})
                hub.publish(parts[0], {k.lower(): v for k, v in headers.items()}, body)
                return HttpResult(200, None)
            return None
        if path.lower() == ADMIN_PREFIX or path.lower().startswith(ADMIN_PREFIX + "/"):
            return await _admin(hub, method, _parts(path, ADMIN_PREFIX), query, body)
    except EventGridError as exc:
        return HttpResult(exc.status, exc.body())
    return None


async def _admin(
    hub: EventGridHub, method: str, parts: list[str], query: dict[str, str], body: bytes
) -> HttpResult:
    head = parts[0].lower() if parts else ""
    if head == "subscriptions":
        if len(parts) == 1 and method == "GET":
            return HttpResult(200, {"value": [s.to_dict() for s in hub.subscriptions.values()]})
        if len(parts) == 1 and method == "POST":
            sub = await hub.subscribe(_json(body))
            return HttpResult(201, sub.to_dict())
        if len(parts) == 2:
            if method == "PUT":
                sub = await hub.subscribe(_json(body), name=parts[1])
                return HttpResult(200, sub.to_dict())
            found = hub.subscriptions.get(parts[1].lower())
            if method == "DELETE":
                return HttpResult(200 if hub.unsubscribe(parts[1]) else 204)
            if method == "GET" and found is not None:
                return HttpResult(200, found.to_dict())
            return _not_found(f"event subscription '{parts[1]}'")
    if head == "deliveries" and method == "GET":
        name = query.get("subscription", "").lower()
        records = [
            d.to_dict() for d in hub.dispatcher.deliveries if not name or d.subscription.lower() == name
        ]
        return HttpResult(200, {"value": records})
    if head == "deadletters" and method == "GET":
        name = query.get("subscription", "").lower()
        letters = [
            d.to_dict() for d in hub.dispatcher.dead_letters if not name or d.subscription.lower() == name
        ]
        return HttpResult(200, {"value": letters})
    if head == "topics":
        return await _admin_topics(hub, method, parts[1:], query, body)
    return _not_found("Event Grid admin path")


async def _admin_topics(
    hub: EventGridHub, method: str, parts: list[str], query: dict[str, str], body: bytes
) -> HttpResult:
    if not parts and method == "GET":
        return HttpResult(
            200, {"value": [{"name": t.name, "events": len(t.events)} for t in hub.topics.values()]}
        )
    if len(parts) == 1 and method == "PUT":
        raw = _json(body)
        keys = raw.get("keys") if isinstance(raw, dict) else None
        topic = hub.put_topic(parts[0], keys if isinstance(keys, list) else [])
        return HttpResult(200, {"name": topic.name, "endpoint": f"/eventgrid/topics/{topic.name}/api/events"})
    if len(parts) == 2 and parts[1].lower() == "events" and method == "GET":
        topic = hub.topic(parts[0])
        since = _int(query.get("since"), 0)
        wait = min(float(query.get("wait") or 0), MAX_WAIT_SECONDS)
        kind = query.get("type") or None
        found = await topic.wait_for(since, kind, wait) if wait > 0 else topic.read(since, kind)
        return HttpResult(200, {"value": [e.to_dict() for e in found], "lastSequence": len(topic.events)})
    if len(parts) == 2 and parts[1].lower() == "events" and method == "DELETE":
        hub.topic(parts[0]).events.clear()
        return HttpResult(204)
    return _not_found("Event Grid topic path")


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"{}")
    except ValueError as exc:
        raise EventGridError(f"The request body is not valid JSON: {exc}", "InputJsonInvalid") from exc


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError as exc:
        raise EventGridError(f"'{value}' is not an integer.") from exc


def _not_found(what: str) -> HttpResult:
    return HttpResult(404, {"error": {"code": "NotFound", "message": f"The {what} was not found."}})
