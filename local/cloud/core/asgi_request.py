"""Read an ASGI HTTP request once: the whole body, lower-cased headers and the query parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


async def read_request(
    scope: MutableMapping[str, Any], receive: Receive
) -> tuple[bytes, dict[str, str], dict[str, str]]:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    return body, headers, query
