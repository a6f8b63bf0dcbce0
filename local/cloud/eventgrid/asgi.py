"""A minimal ASGI wrapper around ``http.handle`` (standalone use and tests; the emulator's pipeline calls
``handle`` directly)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from ..core.asgi_request import read_request
from .http import handle
from .hub import EventGridHub

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class EventGridAsgi:
    def __init__(self, hub: EventGridHub) -> None:
        self.hub = hub

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.hub.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body, headers, query = await read_request(scope, receive)
        result = await handle(self.hub, scope["method"], scope["path"], query, headers, body)
        if result is None:
            status, payload, extra = 404, {"error": {"code": "NotFound", "message": "No such path."}}, {}
        else:
            status, payload, extra = result.status, result.body, result.headers
        data = b"" if payload is None else json.dumps(payload).encode()
        out = [(b"content-length", str(len(data)).encode())]
        if data:
            out.append((b"content-type", b"application/json; charset=utf-8"))
        out.extend((k.encode(), v.encode()) for k, v in extra.items())
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": data})
