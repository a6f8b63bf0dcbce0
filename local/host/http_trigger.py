"""HTTP triggers: routes under the route prefix, auth levels, ``func.HttpRequest`` in, response out."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from starlette.requests import Request
from starlette.responses import Response

from local.app_loader import FunctionSpec, LoadedApp
from local.host.auth import authorized
from local.host.dispatcher import Dispatcher
from local.host.routing import RouteTemplate, compile_route
from local.host.settings import Settings

log = logging.getLogger("local.host.http")

ClientJson = Callable[[str | None], str]


@dataclass(frozen=True)
class HttpFunction:
    spec: FunctionSpec
    route: RouteTemplate
    methods: frozenset[str]  # empty: every method
    auth_level: str


def route_prefix(host_json: dict[str, Any]) -> str:
    prefix = host_json.get("extensions", {}).get("http", {}).get("routePrefix", "api")
    return str(prefix if prefix is not None else "api").strip("/")


def http_functions(app: LoadedApp) -> list[HttpFunction]:
    prefix = route_prefix(app.host_json)
    found = []
    for spec in app.by_trigger("httpTrigger"):
        trigger = spec.trigger
        template = trigger.get("route") or spec.name
        methods = frozenset(str(m).upper() for m in trigger.get("methods") or [])
        level = str(trigger.get("authLevel") or "FUNCTION")
        found.append(HttpFunction(spec, compile_route(prefix, str(template)), methods, level))
    found.sort(key=lambda f: f.route.sort_key)
    return found


def to_http_request(request: Request, body: bytes, route_params: dict[str, str]) -> func.HttpRequest:
    return func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers={k: v for k, v in request.headers.items()},
        params={k: v for k, v in request.query_params.items()},
        route_params=route_params,
        body=body,
    )


def to_response(value: Any) -> Response:
    if isinstance(value, func.HttpResponse):
        headers = {k: v for k, v in value.headers.items()}
        if not any(k.lower() == "content-type" for k in headers):
            headers["content-type"] = f"{value.mimetype}; charset={value.charset}"
        return Response(content=value.get_body(), status_code=value.status_code, headers=headers)
    if value is None:
        return Response(status_code=204)
    if isinstance(value, bytes):
        return Response(content=value, media_type="application/octet-stream")
    if isinstance(value, str):
        return Response(content=value, media_type="text/plain")
    return Response(content=json.dumps(value), media_type="application/json")


class HttpTriggers:
    def __init__(self, app: LoadedApp, settings: Settings, dispatcher: Dispatcher) -> None:
        self.functions = http_functions(app)
        self.settings = settings
        self.dispatcher = dispatcher
        self.client_json: ClientJson | None = None

    def describe(self) -> list[str]:
        prefix = route_prefix(self.dispatcher.app.host_json)
        return [
            f"{f.spec.name}: [{','.join(sorted(f.methods)) or 'ALL'}] /{prefix}/{f.route.template} "
            f"(auth {f.auth_level.lower()})"
            for f in self.functions
        ]

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        candidates = [(f, params) for f in self.functions if (params := f.route.match(path)) is not None]
        chosen = next(((f, p) for f, p in candidates if not f.methods or request.method in f.methods), None)
        if chosen is None:
            return Response(status_code=404)
        function, route_params = chosen
        if not authorized(request, function.auth_level, self.settings):
            return Response(status_code=401)
        body = await request.body()
        http_request = to_http_request(request, body, route_params)
        client_json = None
        if function.spec.bindings_of_type("durableClient"):
            if self.client_json is None:
                log.error(
                    "%s has a durableClient binding but the durable engine is not running", function.spec.name
                )
                return Response(status_code=500)
            client_json = self.client_json(str(request.base_url).rstrip("/"))
        try:
            result = await self.dispatcher.run(function.spec, http_request, client_json=client_json)
        except Exception:
            return Response(status_code=500)
        out_name = next(
            (str(b["name"]) for b in function.spec.bindings_of_type("http") if b.get("direction") == "OUT"),
            "$return",
        )
        value = result.return_value if out_name == "$return" else result.outputs.get(out_name)
        try:
            return to_response(value)
        except TypeError:
            log.exception("%s returned a value that is not an HTTP response", function.spec.name)
            return Response(status_code=500)
