"""Steps that make exactly one ARM call each, for Durable activities, with typed results.

Error policy (the orchestrators rely on it):
- a *transient* ``ArmError`` (429, 5xx, timeouts, connection errors, after the client's own short retries)
  is raised, so the activity fails and the orchestrator's retry policy runs it again later;
- every other error of the hierarchy (user-fixable, already protected, not found, conflict, permanent, a
  refused foreign-origin poll URL) is an *answer*: the result's ``error``, whose ``classification`` the
  orchestrator branches on.
Nothing is swallowed: unexpected exceptions propagate and fail the activity with their message.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from shared.arm.client import ArmClient
from shared.arm.operations import (
    AsyncOperation,
    PollPolicy,
    async_operation_from,
    interpret_location_poll,
    interpret_operation_status,
)
from shared.errors import ArmError, BackupAutopilotError, Classification, ForeignOriginError
from shared.records import Record

P = ParamSpec("P")

ROLE_ASSIGNMENTS_API_VERSION = "2022-04-01"
_ROLE_NAMESPACE = uuid.UUID("9a7f1c2e-5b7d-4e0a-9f43-3c1d2b8e6a10")


R = TypeVar("R", bound=Record)


def answers_errors(
    failed: Callable[[BackupAutopilotError], R],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Turn non-transient ARM errors and refused poll URLs into ``failed(error)``; raise transient ones."""

    def decorate(step: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @wraps(step)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await step(*args, **kwargs)
            except ArmError as exc:
                if exc.classification is Classification.TRANSIENT:
                    raise
                return failed(exc)
            except ForeignOriginError as exc:
                return failed(exc)

        return wrapper

    return decorate


# -- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceRead(Record):
    """A GET: the resource, or ``found=False`` when ARM says it does not exist, or the error."""

    found: bool = False
    resource: dict[str, Any] | None = None
    reason: str | None = None
    error: BackupAutopilotError | None = None


@dataclass(frozen=True)
class OperationStarted(Record):
    """A POST/PUT/DELETE that may answer asynchronously: the operation to track (None when synchronous)."""

    status: int = 0
    body: Any = None
    operation: AsyncOperation | None = None
    error: BackupAutopilotError | None = None


@dataclass(frozen=True)
class OperationPoll(Record):
    """One poll of an operation; ``operation`` is what to poll next (a Location may move)."""

    done: bool = False
    succeeded: bool = False
    status: str | None = None
    retry_after_seconds: float = 60.0
    operation: AsyncOperation | None = None
    job_id: str | None = None
    percent_complete: float | None = None
    body: dict[str, Any] | None = None
    error: BackupAutopilotError | None = None  # the operation failed (its own error)
    read_error: BackupAutopilotError | None = None  # reading its status failed: says nothing of the operation

    @classmethod
    def gave_up(cls, polls: int) -> OperationPoll:
        error = ArmError(
            status=0, code="OperationTimeout", message=f"the operation was still running after {polls} polls"
        )
        return cls(done=True, error=error)


@dataclass(frozen=True)
class RoleAssigned(Record):
    existing: bool = False
    error: BackupAutopilotError | None = None


# -- steps ------------------------------------------------------------------------------------------


async def list_pages(
    arm: ArmClient, path: str, api_version: str, max_pages: int
) -> AsyncIterator[dict[str, Any]]:
    """The items of an ARM list, following ``nextLink`` (which carries its own api-version), bounded."""
    url: str | None = path
    version: str | None = api_version
    for _ in range(max_pages):
        if url is None:
            return
        response = await arm.get(url, api_version=version)
        body = response.body if isinstance(response.body, dict) else {}
        items = body.get("value")
        for item in items if isinstance(items, list) else []:
            yield item if isinstance(item, dict) else {}
        next_link = body.get("nextLink")
        url, version = (next_link, None) if isinstance(next_link, str) and next_link else (None, None)


@answers_errors(lambda error: ResourceRead(error=error))
async def read_resource(arm: ArmClient, resource_id: str, api_version: str) -> ResourceRead:
    """GET a resource. ``found=False`` when ARM says it does not exist (deleted since the event)."""
    try:
        response = await arm.get(resource_id, api_version=api_version)
    except ArmError as exc:
        if exc.classification is Classification.NOT_FOUND:
            return ResourceRead(found=False, reason=exc.message)
        raise
    body = response.body if isinstance(response.body, dict) else {}
    return ResourceRead(found=True, resource=body)


@answers_errors(lambda error: OperationStarted(error=error))
async def start_operation(
    arm: ArmClient,
    method: str,
    path: str,
    api_version: str,
    body: Any,
    policy: PollPolicy,
    *,
    idempotent: bool = True,
) -> OperationStarted:
    """The one request that starts an operation (``idempotent=False``: never re-sent blindly)."""
    response = await arm.request(method, path, api_version=api_version, json=body, idempotent=idempotent)
    operation = async_operation_from(response.status, response.headers, policy)
    return OperationStarted(status=response.status, body=response.body, operation=operation)


@answers_errors(lambda error: OperationPoll(read_error=error))
async def poll_operation(arm: ArmClient, operation: AsyncOperation, policy: PollPolicy) -> OperationPoll:
    """One poll: the ``Azure-AsyncOperation`` status when given, else the ``Location`` result."""
    if operation.status_url:
        response = await arm.get(operation.status_url)
        state = interpret_operation_status(response.body, response.headers, policy)
        return OperationPoll(
            done=state.done,
            succeeded=state.succeeded,
            status=state.status,
            retry_after_seconds=state.retry_after_seconds,
            operation=operation,
            job_id=state.job_id,
            percent_complete=state.percent_complete,
            error=state.arm_error,
        )
    if not operation.result_url:
        raise ValueError("an operation to poll needs an Azure-AsyncOperation or Location URL")
    response = await arm.get(operation.result_url)
    poll = interpret_location_poll(response.status, response.headers, response.body, policy)
    body = poll.body if isinstance(poll.body, dict) else None
    job_id = (body or {}).get("jobId")
    return OperationPoll(
        done=poll.done,
        succeeded=poll.done,
        status="Succeeded" if poll.done else "InProgress",
        retry_after_seconds=poll.retry_after_seconds,
        operation=replace(
            operation,
            result_url=poll.next_url or operation.result_url,
            retry_after_seconds=poll.retry_after_seconds,
        ),
        job_id=job_id if isinstance(job_id, str) else None,
        body=body,
    )


def role_assignment_name(scope_id: str, principal_id: str, role_definition_guid: str) -> str:
    """Deterministic, so a retried assignment is the same assignment (ARM: guid(scope, principal, role))."""
    return str(
        uuid.uuid5(_ROLE_NAMESPACE, f"{scope_id.lower()}|{principal_id.lower()}|{role_definition_guid}")
    )


@answers_errors(lambda error: RoleAssigned(error=error))
async def assign_role(
    arm: ArmClient, scope_id: str, role_definition_id: str, role_definition_guid: str, principal_id: str
) -> RoleAssigned:
    """PUT one role assignment; an existing identical assignment is success (``existing=True``)."""
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
            return RoleAssigned(existing=True)
        raise
    return RoleAssigned()
