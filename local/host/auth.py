"""Function keys: ``?code=`` or ``x-functions-key``; the master key is accepted wherever a key is."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from local.host.settings import Settings


def presented_key(request: Request) -> str | None:
    return request.query_params.get("code") or request.headers.get("x-functions-key")


def _equal(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def authorized(request: Request, auth_level: str, settings: Settings) -> bool:
    level = auth_level.lower()
    if level == "anonymous":
        return True
    key = presented_key(request)
    if _equal(key, settings.master_key):
        return True
    if level == "admin":
        return False
    return _equal(key, settings.function_key)


def system_key_ok(request: Request, system_key: str, settings: Settings) -> bool:
    key = presented_key(request)
    return _equal(key, system_key) or _equal(key, settings.master_key)


class SystemKeyRequired:
    """ASGI middleware for an extension's webhook routes: 401 unless the request presents that extension's
    system key or the master key (``?code=`` or ``x-functions-key``), as the host authorizes them."""

    def __init__(self, app: ASGIApp, system_key: str, settings: Settings) -> None:
        self.app = app
        self.system_key = system_key
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not system_key_ok(Request(scope), self.system_key, self.settings):
            await Response(status_code=401)(scope, receive, send)
            return
        await self.app(scope, receive, send)
