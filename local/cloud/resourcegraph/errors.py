"""Resource Graph errors, shaped like the service's own ``{"error": {"code": "BadRequest", ...}}`` bodies.

A malformed or unsupported query answers 400 with ``code: BadRequest`` and the details the real service sends:
an ``InvalidQuery`` entry followed by ``ParserFailure`` entries naming the offending token and position.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

INVALID_QUERY_MESSAGE = (
    "Query is invalid. Please refer to the documentation for the Azure Resource Graph service "
    "and fix the error before retrying."
)


def _support_message() -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    return (
        "Please provide below info when asking for support: "
        f"timestamp = {stamp}, correlationId = {uuid.uuid4()}."
    )


class ResourceGraphError(Exception):
    """Root of every Resource Graph failure; carries the HTTP status and the ARM error body."""

    status = 400
    code = "BadRequest"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": _support_message()}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class InvalidQueryError(ResourceGraphError):
    """The query text could not be parsed, or uses a part of KQL the emulator does not implement."""

    def __init__(self, reason: str, token: str = "", position: int = 0, line: int = 1) -> None:
        failure: dict[str, Any] = {
            "code": "ParserFailure",
            "message": reason,
            "line": line,
            "characterPositionInLine": position,
            "token": token,
        }
        super().__init__(reason, [{"code": "InvalidQuery", "message": INVALID_QUERY_MESSAGE}, failure])


class InvalidRequestError(ResourceGraphError):
    """The request body itself is wrong (missing query, bad options)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, [{"code": "InvalidRequestContent", "message": reason}])


class QuotaExceededError(ResourceGraphError):
    """The per-user query quota is spent for this window (429, ``RateLimiting``)."""

    status = 429
    code = "RateLimiting"

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(
            "Client application has been throttled and should not attempt to repeat the request until an "
            "amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help."
        )

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "details": [{"code": "RateLimiting", "message": self.message}],
            }
        }
