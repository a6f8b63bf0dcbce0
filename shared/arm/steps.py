# ruff: noqa: E501 - ARM ids and bodies are long by nature
"""Steps that make exactly one ARM call each, for Durable activities: inputs and outputs are plain data.

Error policy (the orchestrator relies on it):
- a *transient* ``ArmError`` (429, 5xx, timeouts, connection errors, after the client's own short retries)
  is raised, so the activity fails and the orchestrator's retry policy runs it again later;
- every other ``ArmError`` (user-fixable, already protected, not found, conflict, permanent) and a refused
  foreign-origin poll URL are *answers*: returned as ``{"error": {...}}`` so the orchestrator can decide.
Nothing is swallowed: unexpected exceptions propagate and fail the activity with their message.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from typing import Any, ParamSpec

from shared.arm.client import ArmClient
from shared.arm.operations import (
    AsyncOperation,
    PollPolicy,
    async_operation_from,
    interpret_location_poll,
    interpret_operation_status,
)
from shared.errors import ArmError, Classification, ForeignOriginError

P = ParamSpec("P")
StepResult = dict[str, Any]

ROLE_ASSIGNMENTS_API_VERSION = "2022-04-01"
_ROLE_NAMESPACE = uuid.UUID("9a7f1c2e-5b7d-4e0a-9f43-3c1d2b8e6a10")


def answers_errors(step: Callable[P, Awaitable[StepResult]]) -> Callable[P, Awaitable[StepResult]]:
    """Return non-transient ARM errors (and refused poll URLs) as ``{"error": ...}``; raise transient ones."""

    @wraps(step)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> StepResult:
        try:
            return await step(*args, **kwargs)
        except ArmError as exc:
            if exc.classification is Classification.TRANSIENT:
                raise
            return {"error": exc.to_dict()}
        except ForeignOriginError as exc:
            return {"error": exc.to_dict()}

    return wrapper


@answers_errors
async def read_resource(arm: ArmClient, resource_id: str, api_version: str) -> StepResult:
    """GET a resource. ``{"found": False}`` when ARM says it does not exist (deleted since the event)."""
    try:
        response = await arm.get(resource_id, api_version=api_version)
    except ArmError as exc:
        if exc.classification is Classification.NOT_FOUND:
            return {"found": False, "reason": exc.message}
        raise
    return {"found": True, "resource": response.body}


@answers_errors
async def start_operation(
    arm: ArmClient, method: str, path: str, api_version: str, body: Any, policy: PollPolicy
) -> StepResult:
    """POST/PUT/DELETE that may answer asynchronously: the operation to track (or None) and the body."""
    response = await arm.request(method, path, api_version=api_version, json=body)
    operation = async_operation_from(response.status, response.headers, policy)
    return {
        "status": response.status,
        "body": response.body,
        "operation": operation.to_dict() if operation else None,
    }


@answers_errors
async def poll_operation(arm: ArmClient, operation: Mapping[str, Any], policy: PollPolicy) -> StepResult:
    """One poll of an operation: Azure-AsyncOperation status, else the Location result.

    Returns ``{"done", "succeeded", "error", "retry_after_seconds", "operation", "job_id", "body"}`` where
    ``operation`` is what to poll next (a Location may move).
    """
    op = AsyncOperation.from_dict(operation)
    if op.status_url:
        response = await arm.get(op.status_url)
        state = interpret_operation_status(response.body, response.headers, policy)
        return {
            "done": state.done,
            "succeeded": state.succeeded,
            "status": state.status,
            "error": state.error,
            "retry_after_seconds": state.retry_after_seconds,
            "operation": op.to_dict(),
            "job_id": state.job_id,
            "percent_complete": state.percent_complete,
            "body": None,
        }
    if not op.result_url:
        raise ValueError("an operation to poll needs an Azure-AsyncOperation or Location URL")
    response = await arm.get(op.result_url)
    poll = interpret_location_poll(response.status, response.headers, response.body, policy)
    following = AsyncOperation(None, poll.next_url or op.result_url, poll.retry_after_seconds)
    body = poll.body if isinstance(poll.body, dict) else None
    return {
        "done": poll.done,
        "succeeded": poll.done,
        "status": "Succeeded" if poll.done else "InProgress",
        "error": None,
        "retry_after_seconds": poll.retry_after_seconds,
        "operation": following.to_dict(),
        "job_id": (body or {}).get("jobId") if body else None,
        "percent_complete": None,
        "body": body,
    }


def role_assignment_name(scope_id: str, principal_id: str, role_definition_guid: str) -> str:
    """Deterministic name, so a retried assignment is the same assignment (ARM: guid(scope, principal, role))."""
    return str(
        uuid.uuid5(_ROLE_NAMESPACE, f"{scope_id.lower()}|{principal_id.lower()}|{role_definition_guid}")
    )


@answers_errors
async def assign_role(
    arm: ArmClient, scope_id: str, role_definition_id: str, role_definition_guid: str, principal_id: str
) -> StepResult:
    """PUT one role assignment; an existing identical assignment is success (``existing: True``)."""
    name = role_assignment_name(scope_id, principal_id, role_definition_guid)
    path = f"{scope_id}/providers/Microsoft.Authorization/roleAssignments/{name}"
    body = {
        "properties": {
            "roleDefinitionId": role_definition_id,
            "principalId": principal_id,
            "principalType": "ServicePrincipal",
        }
    }
    try:
        await arm.put(path, api_version=ROLE_ASSIGNMENTS_API_VERSION, json=body)
    except ArmError as exc:
        if exc.has_code("RoleAssignmentExists"):
            return {"assigned": True, "existing": True}
        raise
    return {"assigned": True, "existing": False}
