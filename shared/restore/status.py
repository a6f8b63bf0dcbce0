"""The restore status document (our own, stable, documented shape).

The restore orchestration keeps one :class:`RestoreProgress` (carried across ``continue_as_new``), publishes
``view()`` as its custom status and output, and :func:`shared.progress.status_document` merges it with the
durable instance's metadata for ``GET /api/restores/{id}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.jobs import JobProgress, seconds_between
from shared.progress import TERMINAL, VALIDATING
from shared.records import Record


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
class RestoreProgress(JobProgress):
    """Everything the status shows; plain data, carried across ``continue_as_new``."""

    id: str
    kind: str
    backup_instance_id: str
    datasource_id: str
    restore_point: dict[str, Any]
    destination: str
    phase: str = VALIDATING
    generation: int = 1
    error: dict[str, Any] | None = None
    started_at: str | None = None
    finished_at: str | None = None
    correlation_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def duration_seconds(self) -> float | None:
        return self.job_duration_seconds() or seconds_between(self.started_at, self.finished_at)

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
                **self.job_view(self.phase in TERMINAL),
                "durationSeconds": self.duration_seconds() if self.phase in TERMINAL else None,
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
