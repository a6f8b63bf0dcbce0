"""RFC 9457 problem details (``application/problem+json``) for every refusal of the restore API."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func

from shared.errors import InvalidRequestError, RequestRefusedError

PROBLEM_BASE = "https://backup-autopilot.dev/problems/"
JSON = "application/json"


def problem(
    status: int,
    title: str,
    detail: str,
    problem_type: str,
    errors: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> func.HttpResponse:
    body = {
        "type": PROBLEM_BASE + problem_type,
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors or [],
        **extra,
    }
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/problem+json")


def from_error(error: InvalidRequestError | RequestRefusedError) -> func.HttpResponse:
    if isinstance(error, RequestRefusedError):
        return problem(
            error.status, error.title, error.detail, error.problem_type, error.errors, **error.extra
        )
    return problem(
        400,
        "The request is not valid",
        error.message,
        "invalid-request",
        [{"field": error.field, "reason": error.reason}],
    )


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype=JSON, headers=headers)
