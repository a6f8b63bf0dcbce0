"""The restore status document (our own, stable, documented shape) and the job-polling arithmetic.

The restore orchestration keeps one :class:`RestoreProgress` (carried across ``continue_as_new``), publishes
``view()`` as its custom status and output, and ``status_document`` merges it with the durable instance's
metadata for ``GET /api/restores/{id}``. The raw durable status never reaches a caller.

Phases: ``validating`` -> ``starting`` -> ``running`` -> ``succeeded`` | ``failed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.arm.operations import JobPhase, JobState, PollPolicy
from shared.parsing import parse_instant
from shared.records import Record

VALIDATING = "validating"
STARTING = "starting"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
PHASES = (VALIDATING, STARTING, RUNNING, SUCCEEDED, FAILED)
TERMINAL = frozenset({SUCCEEDED, FAILED})
BACKOFF = 1.5  # without Retry-After, the wait between job polls grows by this factor up to the policy's max


def error_view(error: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``{code, message, recommendedAction}`` from any error dict of our hierarchy (ArmError.to_dict ...)."""
    if not error:
        return None
    actions = error.get("recommendedAction") or []
    return {
        "code": str(error.get("code") or error.get("kind") or "Unknown"),
        "message": str(error.get("message") or error.get("code") or "unknown error")[:2000],
        "recommendedAction": [str(a) for a in actions] if isinstance(actions, list) else [str(actions)],
    }


def job_error(job: JobState) -> dict[str, Any] | None:
    """The error of a finished job that did not succeed (Failed / Cancelled)."""
    if job.phase in (JobPhase.SUCCEEDED, JobPhase.SUCCEEDED_WITH_WARNINGS, JobPhase.RUNNING):
        return None
    first = job.error_details[0] if job.error_details else {}
    code = first.get("code") or (
        "RestoreJobCancelled" if job.phase is JobPhase.CANCELLED else "RestoreJobFailed"
    )
    # DataProtection: code / message / recommendedAction; Recovery Services: errorString / recommendations.
    message = first.get("message") or first.get("errorString") or f"the restore job ended {job.status}"
    actions = (
        first.get("recommendedAction")
        or first.get("recommendedActions")
        or first.get("recommendations")
        or []
    )
    return {"code": str(code), "message": str(message), "recommendedAction": actions}


def next_poll_delay(previous: float | None, retry_after: float | None, policy: PollPolicy) -> float:
    """Honour the service's Retry-After; without one back off from the policy default up to its maximum."""
    if retry_after is not None:
        return policy.clamp(retry_after)
    if previous is None:
        return policy.clamp(None)
    return policy.clamp(min(previous * BACKOFF, policy.max_seconds))


def seconds_between(start: str | None, end: str | None) -> float | None:
    a, b = parse_instant(start), parse_instant(end)
    return round((b - a).total_seconds(), 3) if a and b else None


@dataclass(frozen=True)
class RestoreStatus(Record):
    """A finished restore, as its completion event reports it."""

    backup_instance_id: str
    phase: str  # succeeded | failed
    job_id: str | None = None
    job_status: str | None = None
    error: dict[str, Any] | None = None  # error_view(): code, message, recommendedAction
    updated_at: str = ""
    restore_id: str | None = None
    kind: str | None = None
    datasource_id: str | None = None
    restore_point: dict[str, Any] | None = None  # {"pointInTime": ...} or {"recoveryPointId": ...}
    destination: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_seconds: float | None = None


@dataclass
class RestoreProgress(Record):
    """Everything the status shows; plain data, carried across ``continue_as_new``."""

    id: str
    kind: str
    backup_instance_id: str
    datasource_id: str
    restore_point: dict[str, Any]
    destination: str
    phase: str = VALIDATING
    job_id: str | None = None
    job_status: str | None = None
    job_start_time: str | None = None
    job_end_time: str | None = None
    percent_complete: float | None = None
    polls: int = 0
    generation: int = 1
    next_delay_seconds: float | None = None
    error: dict[str, Any] | None = None
    started_at: str | None = None
    finished_at: str | None = None
    correlation_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def duration_seconds(self) -> float | None:
        return seconds_between(self.job_start_time, self.job_end_time) or seconds_between(
            self.started_at, self.finished_at
        )

    def view(self) -> dict[str, Any]:
        """The documented ``RestoreStatus`` schema of the OpenAPI file (without the durable timestamps)."""
        return {
            "id": self.id,
            "phase": self.phase,
            "kind": self.kind,
            "backupInstanceId": self.backup_instance_id,
            "datasourceId": self.datasource_id,
            "restorePoint": self.restore_point,
            "destination": self.destination,
            "job": {
                "id": self.job_id,
                "status": self.job_status,
                "startTime": self.job_start_time,
                "endTime": self.job_end_time,
                "durationSeconds": self.duration_seconds() if self.phase in TERMINAL else None,
                "progress": {"polls": self.polls, "percentComplete": self.percent_complete},
            },
            "error": self.error,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "correlationId": self.correlation_id,
            "history": {"generation": self.generation, "polls": self.polls},
        }

    def event_status(self) -> RestoreStatus:
        return RestoreStatus(
            backup_instance_id=self.backup_instance_id,
            phase=self.phase,
            job_id=self.job_id,
            job_status=self.job_status,
            error=self.error,
            updated_at=self.finished_at or self.started_at or "",
            restore_id=self.id,
            kind=self.kind,
            datasource_id=self.datasource_id,
            restore_point=self.restore_point,
            destination=self.destination,
            started_at=self.job_start_time or self.started_at,
            finished_at=self.job_end_time or self.finished_at,
            duration_seconds=self.duration_seconds(),
        )


_RUNTIME_FAILED = {"Failed", "Terminated", "Canceled"}


def status_document(
    instance_id: str,
    runtime_status: str | None,
    custom_status: Any,
    output: Any,
    created_time: str | None,
    last_updated_time: str | None,
) -> dict[str, Any]:
    """``GET /api/restores/{id}``: our view from the orchestration's output / custom status."""
    source = output if isinstance(output, Mapping) and output.get("phase") else custom_status
    view: dict[str, Any] = (
        dict(source) if isinstance(source, Mapping) else {"id": instance_id, "phase": VALIDATING}
    )
    view["id"] = instance_id
    if view.get("phase") not in PHASES:
        view["phase"] = VALIDATING
    if runtime_status in _RUNTIME_FAILED and view["phase"] not in TERMINAL:
        view["phase"] = FAILED
        view["error"] = view.get("error") or {
            "code": f"Orchestration{runtime_status}",
            "message": f"the restore orchestration ended {runtime_status}",
            "recommendedAction": ["Check the function app logs for this restore id, then retry the restore."],
        }
    view["createdTime"] = created_time
    view["lastUpdatedTime"] = last_updated_time
    return view
