"""The protection flow of each backup service; the orchestrator runs the one its datasource kind names.

A flow is three steps over a :class:`~functions.protection.run.ProtectionRun` whose plan says "protect":
``protect`` (the service's calls, to a confirmed protection or another outcome), ``recheck`` (one read of
what an earlier settled protection left: unchanged, or None to protect again) and the activity that finds
who holds a deleted datasource's backups. Adding a service is adding a module here and one entry in
``FLOWS``; adding a kind of an existing service adds nothing here.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from functions.protection.flows import dataprotection, recoveryservices
from functions.protection.run import ProtectionRun
from shared.protection.kinds import BackupService
from shared.protection.messages import ProtectionOutcome

Protect = Callable[[ProtectionRun], Generator[Any, Any, ProtectionOutcome]]
Recheck = Callable[[ProtectionRun, str], Generator[Any, Any, ProtectionOutcome | None]]
StopOrphan = Callable[[ProtectionRun, ProtectionOutcome], Generator[Any, Any, ProtectionOutcome]]


@dataclass(frozen=True)
class ServiceFlow:
    protect: Protect
    recheck: Recheck
    holder_activity: str
    #: ``PROTECTION_STOP_ORPHANS``: stop protection (retaining the data) of a deleted datasource's backup.
    stop_orphan: StopOrphan | None = None


FLOWS: dict[BackupService, ServiceFlow] = {
    BackupService.DATA_PROTECTION: ServiceFlow(
        dataprotection.protect,
        dataprotection.recheck,
        dataprotection.HOLDER_ACTIVITY,
        dataprotection.stop_orphan,
    ),
    BackupService.RECOVERY_SERVICES: ServiceFlow(
        recoveryservices.protect, recoveryservices.recheck, recoveryservices.HOLDER_ACTIVITY
    ),
}
