"""What crosses the lifecycle orchestrations' boundaries: their inputs and their activities' (records)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.errors import BackupAutopilotError
from shared.lifecycle.status import LifecycleProgress
from shared.protection.kinds import BackupService
from shared.records import Record


@dataclass(frozen=True)
class BackupStart(Record):
    """The input of ``backup_now`` (``progress`` carries over ``continue_as_new``)."""

    progress: LifecycleProgress
    body: dict[str, Any]  # the TriggerBackupRequest (a file share's: its BackupRequestResource)
    polls_per_generation: int = 10
    service: BackupService = BackupService.DATA_PROTECTION


@dataclass(frozen=True)
class ChangeStart(Record):
    """The input of ``change_protection``: the planned call (``method`` None: in that state already;
    ``body``: a file share's protected-item PUT)."""

    progress: LifecycleProgress
    method: str | None
    action: str | None
    expected_states: list[str]
    service: BackupService = BackupService.DATA_PROTECTION
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class InstanceCall(Record):
    """One call on a backup instance: ``POST .../backup``, ``POST .../{action}``, or its ``DELETE`` (a
    file share's protected item: ``POST .../backup``, its ``PUT`` with ``body``, or its ``DELETE``)."""

    backup_instance_id: str
    method: str
    action: str | None
    body: dict[str, Any] | None = None
    correlation_id: str | None = None


@dataclass(frozen=True)
class StateRead(Record):
    backup_instance_id: str
    correlation_id: str | None = None


@dataclass(frozen=True)
class InstanceState(Record):
    """An instance's ``currentProtectionState`` (``found=False``: not there; ``error``: reading failed)."""

    found: bool = False
    state: str | None = None
    error: BackupAutopilotError | None = None
    purge_time: str | None = None  # a soft-deleted instance: when the vault purges it
