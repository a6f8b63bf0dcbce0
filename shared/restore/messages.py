"""What crosses the restore orchestration's boundaries: its input and its activities' inputs (records)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.protection.kinds import BackupService
from shared.records import Record
from shared.restore.status import RestoreProgress


@dataclass(frozen=True)
class RestoreJobRequest(Record):
    """The checked restore: the ARM body to validate and send, and where its job will be found."""

    backup_instance_id: str
    vault_id: str
    body: dict[str, Any]
    polls_per_generation: int = 10  # job polls per orchestration execution before continue_as_new
    service: BackupService = BackupService.DATA_PROTECTION  # which activities validate and trigger it
    recovery_point_id: str | None = None  # Recovery Services: the point is in the restore's URL
    datasource_id: str = ""  # Recovery Services: its restore jobs are found by share and account


@dataclass(frozen=True)
class RestoreStart(Record):
    """The input of ``restore_backup_instance`` (``progress`` carries over ``continue_as_new``)."""

    request: RestoreJobRequest
    progress: RestoreProgress


@dataclass(frozen=True)
class RestoreCall(Record):
    """validateRestore or restore of one backup instance."""

    backup_instance_id: str
    body: dict[str, Any]
    correlation_id: str | None = None
    recovery_point_id: str | None = None
