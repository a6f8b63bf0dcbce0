"""Event Grid errors with the service's envelope: ``{"error": {"code", "message", "details"?}}``."""

from __future__ import annotations

from typing import Any


class EventGridError(Exception):
    status = 400
    code = "BadRequest"

    def __init__(self, message: str, detail_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail_code = detail_code

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail_code:
            error["details"] = [{"code": self.detail_code, "message": self.message}]
        return {"error": error}


class MalformedEventsError(EventGridError):
    """400: the published payload is not valid JSON or an event misses a required property."""


class UnauthorizedError(EventGridError):
    status = 401
    code = "Unauthorized"


class PayloadTooLargeError(EventGridError):
    status = 413
    code = "RequestEntityTooLarge"


class TopicNotFoundError(EventGridError):
    status = 404
    code = "NotFound"


class SubscriptionError(EventGridError):
    """Creating an event subscription failed (bad definition, or the endpoint failed validation)."""


class ValidationHandshakeError(SubscriptionError):
    code = "Url validation"
