"""Following an ARM operation from an orchestrator: the poll activity and durable timers between polls.

``track_operation`` is a generator to use with ``yield from`` inside an orchestrator. It never sleeps: every
wait is a durable timer at ``current_utc_datetime + Retry-After``, so a host restart resumes exactly where
the wait was. The poll activity lives here too, in its own blueprint, because every capability uses it.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from functions import runtime
from shared.arm import steps as arm_steps
from shared.arm.client import correlation
from shared.arm.operations import AsyncOperation
from shared.arm.steps import OperationPoll, OperationStarted
from shared.errors import ArmError, Classification, ForeignOriginError
from shared.records import Record

# Transient ARM failures (429/5xx/timeouts) make an activity fail; the orchestrator runs it again later.
# (The Python SDK's RetryOptions has a fixed interval; the ARM client itself already backs off per call.)
TRANSIENT_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=10_000, max_number_of_attempts=8)
POLL_ACTIVITY = "poll_operation"
MAX_POLLS = 240
MAX_UNREADABLE_POLLS = 5  # status GETs in a row that may fail (4xx) before the operation counts as unknown

bp = df.Blueprint()


@dataclass(frozen=True)
class PollRequest(Record):
    operation: AsyncOperation
    correlation_id: str | None = None


@bp.activity_trigger(input_name="payload")
async def poll_operation(payload: PollRequest) -> OperationPoll:
    """One poll of an operation (Azure-AsyncOperation status, else the Location result)."""
    with correlation(payload.correlation_id):
        return await arm_steps.poll_operation(runtime.arm(), payload.operation, runtime.poll_policy())


async def start_operation(
    method: str,
    path: str,
    api_version: str,
    body: Any,
    correlation_id: str | None,
    *,
    idempotent: bool = True,
) -> OperationStarted:
    """For a starting activity: the one POST/PUT/DELETE, with the operation to track when asynchronous."""
    with correlation(correlation_id):
        return await arm_steps.start_operation(
            runtime.arm(), method, path, api_version, body, runtime.poll_policy(), idempotent=idempotent
        )


def call(context: df.DurableOrchestrationContext, activity: str, payload: Any) -> Any:
    """An activity call that is retried on transient failure (the activity raises only for those)."""
    return context.call_activity_with_retry(activity, TRANSIENT_RETRY, payload)


def wait(context: df.DurableOrchestrationContext, seconds: float) -> Any:
    return context.create_timer(context.current_utc_datetime + timedelta(seconds=max(0.0, seconds)))


def track_operation(
    context: df.DurableOrchestrationContext,
    started: OperationStarted,
    correlation_id: str | None,
    *,
    max_polls: int = MAX_POLLS,
) -> Generator[Any, Any, OperationPoll]:
    """Poll until the operation is done; the last poll (``done``, ``succeeded``, ``error`` ...).

    An operation that ended synchronously (no operation to track) is returned as done. The first wait
    honours the Retry-After of the response that started the operation.
    """
    if started.error is not None or started.operation is None:
        return OperationPoll(
            done=True, succeeded=started.error is None, body=started.body, error=started.error
        )
    pending = started.operation
    delay = pending.retry_after_seconds
    unreadable = 0
    for _ in range(max_polls):
        yield wait(context, delay)
        result: OperationPoll = yield call(context, POLL_ACTIVITY, PollRequest(pending, correlation_id))
        if result.read_error is not None:
            # A 4xx on the status GET means reading failed, not the operation: read again, bounded. An
            # operation the service no longer knows (404) has expired; a refused poll URL is never retried.
            unreadable += 1
            kind = result.read_error.classification
            if kind is Classification.NOT_FOUND:
                expired = ArmError(status=404, code="OperationExpired", message=result.read_error.message)
                return OperationPoll(done=True, error=expired)
            if isinstance(result.read_error, ForeignOriginError) or unreadable >= MAX_UNREADABLE_POLLS:
                return OperationPoll(done=True, error=result.read_error)
            continue
        unreadable = 0
        if result.done:
            return result
        pending = result.operation or pending
        delay = result.retry_after_seconds
    return OperationPoll.gave_up(max_polls)
