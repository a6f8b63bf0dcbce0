"""The ASGI pipeline in front of every provider: auth, api-version, routing, throttling, faults,
request ids, rate-limit headers, CloudError rendering, counters.

Connection resets (fault kind ``reset``): the pipeline starts a response announcing a body it never
sends, then raises ``ConnectionDropped``. uvicorn closes the socket of a response that has started
and failed, so a real client sees the connection die mid-response (``RemoteProtocolError`` /
``IncompleteRead``); under ``httpx.ASGITransport`` the exception reaches the client directly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .asgi_request import read_request
from .auth import principal_from
from .cloud import Cloud
from .context import RequestContext, Response
from .errors import CloudError
from .ids import ResourceId
from .throttling import kind_bucket, throttled_error_body

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
AdminHandler = Callable[[str, str, dict[str, str], bytes], Awaitable[Response]]
LifespanHook = Callable[[], Awaitable[None] | None]


class ConnectionDropped(Exception):
    """Raised on purpose to make the server drop the connection (fault kind ``reset``)."""


class ArmApp:
    """ASGI application serving ARM at the root and the admin API under ``/_admin/``."""

    def __init__(self, cloud: Cloud, admin: AdminHandler | None = None, tick_interval: float = 0.1) -> None:
        self.cloud = cloud
        self.admin = admin
        self.on_startup: list[LifespanHook] = []
        self.on_shutdown: list[LifespanHook] = []
        self._tick_interval = tick_interval
        self._ticker: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body, headers, query = await read_request(scope, receive)
        path: str = scope.get("path") or "/"
        method: str = scope["method"]
        try:
            if path.startswith("/_admin/") or path == "/_admin":
                if self.admin is None:
                    response = Response(404, {"error": {"code": "NotFound", "message": "no admin API"}})
                else:
                    response = await self.admin(method, path, query, body)
            else:
                response = await self.handle_arm(scope, method, path, query, headers, body)
        except ConnectionDropped:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"4096"), (b"content-type", b"application/json")],
                }
            )
            raise
        await _send_response(send, response)

    # -- ARM ----------------------------------------------------------------------------------
    async def handle_arm(
        self,
        scope: Scope,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        *,
        internal: bool = False,
    ) -> Response:
        """Serve one ARM request. ``internal`` (seeding) skips throttling, faults and counters."""
        cloud = self.cloud
        request_id = "internal" if internal else str(uuid.uuid4())
        correlation_id = (
            headers.get("x-ms-correlation-request-id") or headers.get("x-ms-client-request-id") or request_id
        )
        base_headers = {"x-ms-request-id": request_id, "x-ms-correlation-request-id": correlation_id}
        if not internal and "x-ms-correlation-request-id" in headers:
            cloud.counters.correlated(correlation_id)
        if "x-ms-client-request-id" in headers:
            base_headers["x-ms-client-request-id"] = headers["x-ms-client-request-id"]
        operation_id = "Unknown"
        subscription: str | None = None
        bucket = ""
        response: Response
        try:
            cloud.tick()
            principal = principal_from(headers)
            if not query.get("api-version"):
                raise CloudError(
                    400,
                    "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all requests.",
                )
            resolved = cloud.router.resolve(method, path)
            if resolved is None:
                raise self._no_route(method, path)
            route, params = resolved
            operation_id = route.operation_id
            subscription = (
                params.get("subscriptionId") or ResourceId.parse(params.get("scope", "")).subscription
            )
            bucket = kind_bucket(route.kind)
            throttle_sub = subscription or "tenant"
            if cloud.config.throttling and not internal:
                decision = cloud.throttler.take(throttle_sub, principal, bucket)
                if not decision.allowed:
                    response = Response(
                        429,
                        throttled_error_body(throttle_sub),
                        {"Retry-After": str(decision.retry_after)},
                    )
                    return self._finish(response, base_headers, operation_id, subscription, bucket)
                base_headers[f"x-ms-ratelimit-remaining-subscription-{bucket}"] = str(decision.remaining)
            else:
                base_headers[f"x-ms-ratelimit-remaining-subscription-{bucket}"] = str(
                    int(getattr(cloud.config.throttle_limits, bucket)[0]) - 1
                )
            for rule in [] if internal else cloud.faults.for_request(operation_id, subscription):
                if rule.kind == "delay":
                    await asyncio.sleep(rule.delay_seconds)
                elif rule.kind == "throttle":
                    response = Response(
                        429, throttled_error_body(throttle_sub), {"Retry-After": str(rule.retry_after)}
                    )
                    return self._finish(response, base_headers, operation_id, subscription, bucket)
                elif rule.kind == "error":
                    error = rule.error()
                    error.headers.setdefault("Retry-After", str(rule.retry_after))
                    raise error
                elif rule.kind == "reset":
                    cloud.counters.record(operation_id, subscription, 599)
                    raise ConnectionDropped(operation_id)
            server = scope.get("server")
            scheme = scope.get("scheme", "http")
            host = headers.get("host") or (f"{server[0]}:{server[1]}" if server else "localhost")
            ctx = RequestContext(
                cloud=cloud,
                method=method,
                path=path,
                query=query,
                headers=headers,
                raw_body=body,
                params=params,
                route=route,
                principal=principal,
                request_id=request_id,
                correlation_id=correlation_id,
                base_url=f"{scheme}://{host}",
            )
            response = await route.handler(ctx)
            if not internal and cloud.faults.after_request(operation_id, subscription):
                cloud.counters.record(operation_id, subscription, 599)
                raise ConnectionDropped(operation_id)  # it took effect; the answer is lost
        except CloudError as exc:
            response = Response(exc.status, exc.body(), exc.headers)
        except ConnectionDropped:
            raise
        except Exception as exc:
            log.exception("unhandled error in %s %s", method, path)
            response = Response(500, CloudError(500, "InternalServerError", f"Internal error: {exc}").body())
        return self._finish(response, base_headers, operation_id, subscription, bucket)

    def _finish(
        self,
        response: Response,
        base_headers: dict[str, str],
        operation_id: str,
        subscription: str | None,
        bucket: str = "",
    ) -> Response:
        for key, value in base_headers.items():
            response.headers.setdefault(key, value)
        if base_headers.get("x-ms-request-id") != "internal":
            self.cloud.counters.record(operation_id, subscription, response.status, bucket)
        return response

    def _no_route(self, method: str, path: str) -> CloudError:
        if self.cloud.router.allowed_methods(path):
            return CloudError(
                405, "MethodNotAllowed", f"The requested resource does not support http method '{method}'."
            )
        lowered = path.lower()
        if "/providers/" in lowered:
            namespace = path.split("/providers/")[-1].split("/")[0] if "/providers/" in path else ""
            return CloudError(
                404,
                "InvalidResourceType",
                f"The resource type could not be found in the namespace '{namespace}' for this api version.",
            )
        return CloudError(404, "NotFound", f"The requested resource '{path}' was not found.")

    # -- lifespan -----------------------------------------------------------------------------
    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        for hook in self.on_startup:
            result = hook()
            if result is not None:
                await result
        self._ticker = asyncio.create_task(self._tick_forever())

    async def shutdown(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        for hook in self.on_shutdown:
            result = hook()
            if result is not None:
                await result

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self._tick_interval)
            self.cloud.tick()


async def _send_response(send: Send, response: Response) -> None:
    payload = response.encoded()
    headers = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in response.headers.items()]
    if payload and not any(k == b"content-type" for k, _ in headers):
        headers.append((b"content-type", b"application/json; charset=utf-8"))
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def json_body(data: Any) -> bytes:
    return json.dumps(data).encode()
