"""What a handler receives (``RequestContext``) and returns (``Response``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import CloudError

if TYPE_CHECKING:
    from .cloud import Cloud
    from .routing import Route


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, body, dict(headers or {}))


@dataclass
class RequestContext:
    cloud: Cloud
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_body: bytes
    params: dict[str, str]
    route: Route
    principal: str
    request_id: str
    correlation_id: str
    base_url: str

    @property
    def subscription_id(self) -> str | None:
        return self.params.get("subscriptionId")

    @property
    def api_version(self) -> str:
        return self.query.get("api-version", "")

    def json(self) -> Any:
        """The request body as JSON; ARM's ``InvalidRequestContent`` when it is not."""
        if not self.raw_body.strip():
            return {}
        try:
            return json.loads(self.raw_body)
        except ValueError as exc:
            raise CloudError(
                400,
                "InvalidRequestContent",
                f"The request content was invalid and could not be deserialized: {exc}",
            ) from exc

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise CloudError(400, "InvalidRequestContent", "The request content must be a JSON object.")
        return body

    def url(self, path: str, api_version: str | None = None) -> str:
        """An absolute URL on this emulator (for Azure-AsyncOperation / Location headers)."""
        base = self.cloud.config.public_base_url or self.base_url
        return f"{base.rstrip('/')}{path}?api-version={api_version or self.api_version}"
