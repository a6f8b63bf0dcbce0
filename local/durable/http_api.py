"""The extension's HTTP API (DFX HttpApiHandler), mounted by the host at ``/runtime/webhooks/durabletask``
(where the host requires the system key) and served without a key on the engine's loopback RPC endpoint
(:mod:`local.durable.rpc`) for the SDK's client. Management URLs in answers carry the key (``code=``).

start_new on an id whose instance is Pending/Running/ContinuedAsNew is refused (400, "An Orchestration
instance with the status Running already exists."), as the extension does with its default
``overridableExistingInstanceStates = NonRunningStates``; a Completed/Failed/Terminated instance is replaced.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from local.durable.binding import management_urls
from local.durable.engine import DurableEngine, InstanceQuery
from local.durable.errors import InstanceExists, InstanceFinished, InstanceNotFound, OrchestrationNotFound
from local.durable.history import EventType, parse_time
from local.durable.state import ACTIVE, InstanceState


def _truthy(value: str | None, default: bool) -> bool:
    return default if value is None else value.strip().lower() == "true"


def _unwrap(body: bytes) -> str | None:
    """Bodies are double-encoded JSON (``"{\\"a\\": 1}"``): return the inner JSON text (None when empty)."""
    if not body.strip():
        return None
    try:
        outer = json.loads(body)
    except json.JSONDecodeError:
        return body.decode()
    return outer if isinstance(outer, str) else json.dumps(outer)


def _json_or_text(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return text


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"Message": message, "ExceptionMessage": message}, status_code=status)


def _time(text: str) -> str:
    return parse_time(text).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_json(
    state: InstanceState, show_input: bool, show_history: bool, show_output: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": state.name,
        "instanceId": state.instance_id,
        "runtimeStatus": str(state.status),
        "input": _json_or_text(state.input) if show_input else None,
        "customStatus": state.custom_status,
        "output": state.output,
        "createdTime": _time(state.created_time),
        "lastUpdatedTime": _time(state.last_updated_time),
    }
    if show_history:
        events = []
        for ev in state.history:
            kind = int(ev["EventType"])
            if kind in (EventType.ORCHESTRATOR_STARTED, EventType.ORCHESTRATOR_COMPLETED):
                continue
            entry = {k: v for k, v in ev.items() if k not in ("IsPlayed",)}
            entry["EventType"] = EventType(kind).name.title().replace("_", "")
            if not show_output:
                entry.pop("Result", None)
                entry.pop("Input", None) if kind != EventType.EXECUTION_STARTED else None
            events.append(entry)
        body["historyEvents"] = events
    return body


def instance_query(request: Request) -> InstanceQuery:
    q = request.query_params
    statuses = {s for part in q.getlist("runtimeStatus") for s in part.split(",") if s} or None
    return InstanceQuery(
        created_from=parse_time(q["createdTimeFrom"]) if q.get("createdTimeFrom") else None,
        created_to=parse_time(q["createdTimeTo"]) if q.get("createdTimeTo") else None,
        statuses=statuses,
        prefix=q.get("instanceIdPrefix"),
    )


def build_routes(engine: DurableEngine, public_origin: str | None) -> list[BaseRoute]:
    """The routes; management URLs in answers are on ``public_origin`` (None: the request's origin)."""

    def links(request: Request, instance_id: str) -> dict[str, str]:
        origin = public_origin or f"{request.url.scheme}://{request.url.netloc}"
        return management_urls(origin, engine.hub_name, instance_id, engine.system_key)

    async def start(request: Request) -> Response:
        name = request.path_params["name"]
        instance_id = request.path_params.get("instance_id")
        try:
            started = await engine.start_new(name, instance_id, _unwrap(await request.body()))
        except (OrchestrationNotFound, InstanceExists) as exc:
            return _error(400, str(exc))
        payload = links(request, started)
        headers = {"Location": payload["statusQueryGetUri"], "Retry-After": "10"}
        return JSONResponse(payload, status_code=202, headers=headers)

    async def get_status(request: Request) -> Response:
        instance_id = unquote(request.path_params["instance_id"])
        state = await engine.get_state(instance_id)
        if state is None:
            return Response(status_code=404)
        q = request.query_params
        body = status_json(
            state,
            _truthy(q.get("showInput"), True),
            _truthy(q.get("showHistory"), False),
            _truthy(q.get("showHistoryOutput"), False),
        )
        if state.status in ACTIVE:
            headers = {"Location": links(request, instance_id)["statusQueryGetUri"], "Retry-After": "5"}
            return JSONResponse(body, status_code=202, headers=headers)
        return JSONResponse(body, status_code=200)

    async def list_instances(request: Request) -> Response:
        q = request.query_params
        states = await engine.query(instance_query(request))
        show_input = _truthy(q.get("showInput"), False)
        return JSONResponse([status_json(s, show_input, False, False) for s in states])

    async def raise_event(request: Request) -> Response:
        instance_id = unquote(request.path_params["instance_id"])
        try:
            await engine.raise_event(instance_id, request.path_params["event"], _unwrap(await request.body()))
        except InstanceNotFound as exc:
            return _error(404, str(exc))
        except InstanceFinished as exc:
            return _error(410, str(exc))
        return Response(status_code=202)

    async def terminate(request: Request) -> Response:
        instance_id = unquote(request.path_params["instance_id"])
        try:
            await engine.terminate(instance_id, request.query_params.get("reason"))
        except InstanceNotFound as exc:
            return _error(404, str(exc))
        except InstanceFinished as exc:
            return _error(410, str(exc))
        return Response(status_code=202)

    async def purge_by(request: Request) -> Response:
        """DELETE instances/?createdTimeFrom=&createdTimeTo=&runtimeStatus= (purge_instance_history_by)."""
        deleted = await engine.purge_by(instance_query(request))
        if not deleted:
            return Response(status_code=404)
        return JSONResponse({"instancesDeleted": deleted})

    async def purge(request: Request) -> Response:
        instance_id = unquote(request.path_params["instance_id"])
        deleted = await engine.purge(instance_id)
        if not deleted:
            return Response(status_code=404)
        return JSONResponse({"instancesDeleted": deleted})

    async def not_implemented(request: Request) -> Response:
        return _error(501, "rewind/restart/suspend/resume are not implemented by the local durable engine")

    return [
        Route("/orchestrators/{name}", start, methods=["POST"]),
        Route("/orchestrators/{name}/{instance_id}", start, methods=["POST"]),
        Route("/instances", list_instances, methods=["GET"]),
        Route("/instances/", list_instances, methods=["GET"]),
        Route("/instances", purge_by, methods=["DELETE"]),
        Route("/instances/", purge_by, methods=["DELETE"]),
        Route("/instances/{instance_id}", get_status, methods=["GET"]),
        Route("/instances/{instance_id}", purge, methods=["DELETE"]),
        Route("/instances/{instance_id}/raiseEvent/{event}", raise_event, methods=["POST"]),
        Route("/instances/{instance_id}/terminate", terminate, methods=["POST"]),
        Route("/instances/{instance_id}/{operation}", not_implemented, methods=["POST"]),
    ]
