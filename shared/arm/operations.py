"""Long-running operations as pure functions over (status, headers, body).

- ``async_operation_from`` decides what to poll after a 201/202 (Azure-AsyncOperation over Location).
- ``interpret_operation_status`` reads an operation-status body (open, case-insensitive vocabulary).
- ``interpret_location_poll`` reads a Location poll (202 running; 200/204 done).
- ``job_state`` maps backup job statuses (DataProtection and Recovery Services) to a phase.
All results are frozen dataclasses with ``to_dict`` / ``from_dict`` so they cross activity boundaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from shared.arm.retry_after import parse_retry_after
from shared.errors import ArmError
from shared.records import Record

DEFAULT_RETRY_AFTER_SECONDS = 60.0
TERMINAL_OPERATION_STATUSES = frozenset({"succeeded", "failed", "canceled", "cancelled"})
_PLACEHOLDER_PREFIX = "0001-01-01"


@dataclass(frozen=True)
class PollPolicy:
    """Bounds on the wait between polls (seconds)."""

    default_seconds: float = DEFAULT_RETRY_AFTER_SECONDS
    min_seconds: float = 1.0
    max_seconds: float = 600.0

    def clamp(self, retry_after: float | None) -> float:
        value = self.default_seconds if retry_after is None else retry_after
        return max(self.min_seconds, min(self.max_seconds, value))


@dataclass(frozen=True)
class AsyncOperation(Record):
    status_url: str | None  # Azure-AsyncOperation: poll for an operation-status body
    result_url: str | None  # Location: poll for the final result
    retry_after_seconds: float

    @property
    def poll_url(self) -> str | None:
        return self.status_url or self.result_url

    @property
    def poll_kind(self) -> str:
        """``status`` (operation-status body) or ``location`` (202 until done)."""
        return "status" if self.status_url else "location"


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _lower_headers(headers: Mapping[str, Any] | None) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in (headers or {}).items()}


def async_operation_from(
    status: int, headers: Mapping[str, Any] | None, policy: PollPolicy | None = None
) -> AsyncOperation | None:
    """The operation to track after a response, or None when it completed synchronously."""
    policy = policy or PollPolicy()
    hdrs = _lower_headers(headers)
    status_url = hdrs.get("azure-asyncoperation") or None
    result_url = hdrs.get("location") or None
    if not status_url and not result_url:
        return None
    if status not in (201, 202) and not status_url:
        return None
    wait = policy.clamp(parse_retry_after(hdrs.get("retry-after")))
    return AsyncOperation(status_url, result_url, wait)


def is_placeholder_time(value: object) -> bool:
    return isinstance(value, str) and value.startswith(_PLACEHOLDER_PREFIX)


def job_name_from(job_id: object) -> str | None:
    """A job id may be a bare GUID or a full ARM id: keep the last path segment."""
    if not isinstance(job_id, str) or not job_id.strip():
        return None
    return job_id.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class OperationState:
    status: str  # as reported (e.g. "Inprogress")
    done: bool
    succeeded: bool
    error: dict[str, Any] | None  # ArmError.to_dict() when Failed/Canceled
    job_id: str | None  # raw jobId (GUID or ARM id)
    job_name: str | None  # last segment of job_id
    start_time: str | None
    end_time: str | None  # None while the placeholder 0001-01-01 is reported
    percent_complete: float | None
    retry_after_seconds: float

    @property
    def arm_error(self) -> ArmError | None:
        return ArmError.from_dict(self.error) if self.error else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OperationState:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


def interpret_operation_status(
    body: Any, headers: Mapping[str, Any] | None = None, policy: PollPolicy | None = None
) -> OperationState:
    """Read an operation-status resource body (ARM RPC / DataProtection / Recovery Services)."""
    policy = policy or PollPolicy()
    data = body if isinstance(body, Mapping) else {}
    raw_status = data.get("status")
    status = raw_status if isinstance(raw_status, str) and raw_status else "Unknown"
    lowered = status.lower()
    done = lowered in TERMINAL_OPERATION_STATUSES
    succeeded = lowered == "succeeded"
    error: dict[str, Any] | None = None
    if done and not succeeded:
        err = data.get("error") if isinstance(data.get("error"), Mapping) else None
        arm = ArmError.from_operation_error(err)
        if not err:
            arm = ArmError(status=200, code="Operation" + status.capitalize(), message=f"operation {status}")
        error = arm.to_dict()
    props = _obj(data.get("properties"))
    job_id = props.get("jobId") if isinstance(props.get("jobId"), str) else None
    end_time = data.get("endTime")
    pct = data.get("percentComplete")
    return OperationState(
        status=status,
        done=done,
        succeeded=succeeded,
        error=error,
        job_id=job_id,
        job_name=job_name_from(job_id),
        start_time=data.get("startTime") if isinstance(data.get("startTime"), str) else None,
        end_time=None if (end_time is None or is_placeholder_time(end_time)) else str(end_time),
        percent_complete=float(pct) if isinstance(pct, int | float) and not isinstance(pct, bool) else None,
        retry_after_seconds=policy.clamp(parse_retry_after(_lower_headers(headers).get("retry-after"))),
    )


@dataclass(frozen=True)
class LocationPoll:
    done: bool
    status: int
    body: Any
    next_url: str | None  # a new Location to poll, when the service moved it
    retry_after_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def interpret_location_poll(
    status: int, headers: Mapping[str, Any] | None, body: Any, policy: PollPolicy | None = None
) -> LocationPoll:
    """202 = still running; 200/201/204 = finished (body may be empty or ``{}``).

    Errors (4xx/5xx) are raised by the ARM client as ``ArmError`` before they get here.
    """
    policy = policy or PollPolicy()
    hdrs = _lower_headers(headers)
    wait = policy.clamp(parse_retry_after(hdrs.get("retry-after")))
    if status == 202:
        return LocationPoll(False, status, None, hdrs.get("location") or None, wait)
    if 200 <= status < 300:
        return LocationPoll(True, status, body if body not in ("", None) else None, None, wait)
    raise ArmError.from_response(status, {k: str(v) for k, v in hdrs.items()}, body)


class JobPhase(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    SUCCEEDED_WITH_WARNINGS = "succeeded_with_warnings"
    FAILED = "failed"
    CANCELLED = "cancelled"


_JOB_PHASES: dict[str, JobPhase] = {
    "completed": JobPhase.SUCCEEDED,
    "succeeded": JobPhase.SUCCEEDED,
    "completedwithwarnings": JobPhase.SUCCEEDED_WITH_WARNINGS,
    "failed": JobPhase.FAILED,
    "cancelled": JobPhase.CANCELLED,
    "canceled": JobPhase.CANCELLED,
}
# Any other value (InProgress, Started, Cancelling, Paused, NotStarted, ...) is a job still running.


def job_phase(status: object) -> JobPhase:
    """Map a job status (open set, case-insensitive) to a phase; unknown values are RUNNING."""
    if not isinstance(status, str):
        return JobPhase.RUNNING
    return _JOB_PHASES.get(status.strip().lower(), JobPhase.RUNNING)


@dataclass(frozen=True)
class JobState(Record):
    job_id: str | None
    status: str
    phase: JobPhase
    operation: str | None
    start_time: str | None
    end_time: str | None
    error_details: list[dict[str, Any]]

    @property
    def done(self) -> bool:
        return self.phase is not JobPhase.RUNNING


def interpret_job(body: Any) -> JobState:
    """Read a DataProtection ``AzureBackupJobResource`` or Recovery Services ``JobResource``."""
    data = body if isinstance(body, Mapping) else {}
    props = _obj(data.get("properties"))
    raw_status = props.get("status")
    status = raw_status if isinstance(raw_status, str) and raw_status else "Unknown"
    errors = props.get("errorDetails") or _obj(props.get("extendedInfo")).get("errorDetails") or []
    end = props.get("endTime")
    return JobState(
        job_id=data.get("id") if isinstance(data.get("id"), str) else None,
        status=status,
        phase=job_phase(status),
        operation=props.get("operation") if isinstance(props.get("operation"), str) else None,
        start_time=props.get("startTime") if isinstance(props.get("startTime"), str) else None,
        end_time=None if end is None or is_placeholder_time(end) else str(end),
        error_details=[dict(e) for e in errors if isinstance(e, Mapping)] if isinstance(errors, list) else [],
    )
