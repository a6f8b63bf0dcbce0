"""Function keys: ``?code=`` or ``x-functions-key``; the master key is accepted wherever a key is."""

from __future__ import annotations

import hmac

from starlette.requests import Request

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
