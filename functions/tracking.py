"""Orchestrator building blocks: follow an ARM operation with a poll activity and durable timers.

Generators to be used with ``yield from`` inside an orchestrator. They never sleep: every wait is a durable
timer at ``current_utc_datetime + Retry-After``, so a host restart resumes exactly where the wait was.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

# Transient ARM failures (429/5xx/timeouts) make an activity fail; the orchestrator runs it again later.
# (The Python SDK's RetryOptions has a fixed interval; the ARM client itself already backs off per call.)
TRANSIENT_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=10_000, max_number_of_attempts=8)

POLL_ACTIVITY = "poll_operation"


def call(context: df.DurableOrchestrationContext, activity: str, payload: Any) -> Any:
    """An activity call that is retried on transient failure (the activity raises only for those)."""
    return context.call_activity_with_retry(activity, TRANSIENT_RETRY, payload)


def wait(context: df.DurableOrchestrationContext, seconds: float) -> Any:
    return context.create_timer(context.current_utc_datetime + timedelta(seconds=max(0.0, seconds)))


def track_operation(
    context: df.DurableOrchestrationContext,
    operation: dict[str, Any],
    *,
    max_polls: int = 240,
    status_prefix: dict[str, Any] | None = None,
) -> Generator[Any, Any, dict[str, Any]]:
    """Poll until the operation is done; returns the last poll result (``done``, ``succeeded``, ``error`` …).

    The first wait honours the Retry-After of the response that started the operation.
    """
    pending = operation
    delay = float(operation.get("retry_after_seconds", 60.0))
    for poll in range(1, max_polls + 1):
        yield wait(context, delay)
        result: dict[str, Any] = yield call(context, POLL_ACTIVITY, pending)
        if status_prefix is not None:
            context.set_custom_status(
                {**status_prefix, "polls": poll, "operationStatus": result.get("status")}
            )
        if result.get("error") is not None or result.get("done"):
            return result
        pending = result.get("operation") or pending
        delay = float(result.get("retry_after_seconds", 60.0))
    return {
        "done": True,
        "succeeded": False,
        "error": {
            "type": "OperationTimeout",
            "code": "OperationTimeout",
            "message": f"the operation was still running after {max_polls} polls",
        },
    }
