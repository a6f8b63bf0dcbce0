"""The status document of a backup now or a protection change (our own, stable, documented shape).

Each runs as an orchestration that keeps one :class:`LifecycleProgress` (a backup now carries it across
``continue_as_new`` while its job runs), publishes ``view()`` as custom status and output, and ends with a
:class:`LifecycleStatus` in its completion event. Phases: :mod:`shared.progress`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.jobs import JobProgress, seconds_between
from shared.progress import STARTING, TERMINAL
from shared.records import Record

BACKUP = "backup"  # the ``operation`` of a backup now; a protection change's is its change (stop ...)


@dataclass(frozen=True)
class LifecycleStatus(Record):
    """A finished backup now or protection change, as its completion event reports it."""

    id: str
    operation: str  # backup | stop | suspend | resume | delete
    backup_instance_id: str
    datasource_id: str
    phase: str  # succeeded | failed
    changed: bool | None = None  # a protection change: False when the instance was in that state already
    state_before: str | None = None
    state_after: str | None = None
    job_id: str | None = None
    job_status: str | None = None
    retention_tag: str | None = None
    retain_until: str | None = None  # a file share's backup now: its recovery point's expiry
    purge_time: str | None = None  # a delete the vault's soft delete keeps: when the data is purged
    error: dict[str, Any] | None = None  # error_view(): code, message, recommendedAction
    started_at: str | None = None
    finished_at: str | None = None
    duration_seconds: float | None = None


@dataclass
class LifecycleProgress(JobProgress):
    """Everything the status shows; plain data."""

    id: str
    operation: str
    backup_instance_id: str
    datasource_id: str
    vault_id: str
    phase: str = STARTING
    state_before: str | None = None
    state_after: str | None = None
    changed: bool | None = None
    rule_name: str | None = None
    retention_tag: str | None = None
    retain_until: str | None = None
    purge_time: str | None = None
    generation: int = 1
    error: dict[str, Any] | None = None
    started_at: str | None = None
    finished_at: str | None = None
    correlation_id: str | None = None

    def duration_seconds(self) -> float | None:
        return self.job_duration_seconds() or seconds_between(self.started_at, self.finished_at)

    def view(self) -> dict[str, Any]:
        """The documented ``BackupStatus`` / ``ProtectionChangeStatus`` (without the durable timestamps)."""
        done = self.phase in TERMINAL
        view: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "phase": self.phase,
            "backupInstanceId": self.backup_instance_id,
            "datasourceId": self.datasource_id,
            "error": self.error,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "durationSeconds": self.duration_seconds() if done else None,
            "correlationId": self.correlation_id,
        }
        if self.operation == BACKUP:
            view["backupRule"] = {
                "ruleName": self.rule_name,
                "retentionTag": self.retention_tag,
                "retainUntil": self.retain_until,
            }
            view["job"] = self.job_view(done)
            view["history"] = {"generation": self.generation, "polls": self.polls}
        else:
            view.update(
                changed=self.changed,
                stateBefore=self.state_before,
                stateAfter=self.state_after,
                purgeTime=self.purge_time,
            )
        return view

    def event_status(self) -> LifecycleStatus:
        return LifecycleStatus(
            id=self.id,
            operation=self.operation,
            backup_instance_id=self.backup_instance_id,
            datasource_id=self.datasource_id,
            phase=self.phase,
            changed=self.changed,
            state_before=self.state_before,
            state_after=self.state_after,
            job_id=self.job_id,
            job_status=self.job_status,
            retention_tag=self.retention_tag,
            retain_until=self.retain_until,
            purge_time=self.purge_time,
            error=self.error,
            started_at=self.job_start_time or self.started_at,
            finished_at=self.job_end_time or self.finished_at,
            duration_seconds=self.duration_seconds(),
        )
