"""Real HTTP servers for the Event Grid tests: uvicorn in the test's event loop, on ephemeral ports."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.azurite import free_port


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Webhook:
    """A webhook that answers the handshake and fails the first ``fail_first`` notifications with 500."""

    fail_first: int = 0
    fail_status: int = 500
    requests: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            body: Any = await request.json() if request.method == "POST" else None
            self.requests.append({"method": request.method, "headers": dict(request.headers), "body": body})
            if request.method == "OPTIONS":
                origin = request.headers.get("webhook-request-origin", "")
                return Response(status_code=200, headers={"WebHook-Allowed-Origin": origin})
            if request.headers.get("aeg-event-type") == "SubscriptionValidation":
                return JSONResponse({"validationResponse": body[0]["data"]["validationCode"]})
            self.arrived.set()
            if len(self.notifications()) <= self.fail_first:
                return Response(status_code=self.fail_status)
            return Response(status_code=200)

        return Starlette(routes=[Route("/hook", receive, methods=["POST", "OPTIONS"])])

    def notifications(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["headers"].get("aeg-event-type") == "Notification"]

    async def wait_for(self, count: int, within: float = 10.0) -> list[dict[str, Any]]:
        async with asyncio.timeout(within):
            while len(self.notifications()) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.notifications()
