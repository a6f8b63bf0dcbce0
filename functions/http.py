"""What every HTTP trigger of the API shares: RFC 9457 problem details (``application/problem+json``) for
every refusal, JSON bodies in and out, and the one 5xx (Azure unavailable)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import azure.durable_functions as df
import azure.functions as func

from shared import progress
from shared.errors import ArmError, InvalidRequestError, RequestRefusedError

PROBLEM_BASE = "https://backup-autopilot.dev/problems/"
JSON = "application/json"
MAX_BODY_BYTES = 64 * 1024


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


def origin(req: func.HttpRequest) -> str:
    parts = urlsplit(req.url)
    return f"{parts.scheme}://{parts.netloc}"


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def transient(exc: ArmError) -> func.HttpResponse:
    """Azure itself is throttling or failing: the only 5xx the API gives, with when to retry."""
    retry = int(exc.retry_after_seconds or 30)
    response = problem(
        503, "Azure is temporarily unavailable", exc.message, "azure-unavailable", retryAfterSeconds=retry
    )
    response.headers["Retry-After"] = str(retry)
    return response


def json_body(req: func.HttpRequest) -> Any:
    raw = req.get_body() or b""
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidRequestError("body", f"larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        raise InvalidRequestError("body", "a JSON object is required")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InvalidRequestError("body", f"not valid JSON: {str(exc)[:200]}") from None


def status_view(
    status: df.DurableOrchestrationStatus, *, what: str, initial: str = progress.VALIDATING
) -> dict[str, Any]:
    """A request's status document (:func:`shared.progress.status_document`) from its orchestration."""
    runtime_status = status.runtime_status.value if status.runtime_status else None
    return progress.status_document(
        str(status.instance_id),
        runtime_status,
        status.custom_status,
        status.output,
        iso(status.created_time),
        iso(status.last_updated_time),
        what=what,
        initial=initial,
    )
