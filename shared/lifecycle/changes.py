"""What a protection change does from the state a backup instance is in (pure: no I/O).

A change is asked for by name (``stop`` keeping the data, ``suspend`` backups, ``resume``, ``delete`` the
backup instance and its data) and planned against the instance's ``currentProtectionState`` (the swagger's
``CurrentProtectionState``):

- already in the state the change leads to: nothing to call; the request succeeds as *unchanged*, so asking
  twice is safe (idempotent);
- a state the change applies to: one ARM call (``POST .../stopProtection`` ...; ``DELETE`` for delete), an
  asynchronous operation tracked to its end, then one read to confirm the state;
- any other state (still configuring, a stopped instance asked to suspend ...): refused with the reason and
  what to do instead, before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CONFIGURED = "ProtectionConfigured"
STOPPED = "ProtectionStopped"
BACKUPS_SUSPENDED = "BackupSchedulesSuspended"
RETENTION_SUSPENDED = "RetentionSchedulesSuspended"
ERROR = "ProtectionError"
SUSPENDED = frozenset({BACKUPS_SUSPENDED, RETENTION_SUSPENDED})
DELETED = "Deleted"  # gone, its data with it
SOFT_DELETED = "SoftDeleted"  # kept by the vault's soft delete as deletedBackupInstances/{name}


class Change(StrEnum):
    STOP = "stop"  # stop protection, keep the backup data (restores still possible)
    SUSPEND = "suspend"  # suspend scheduled backups, keep retention
    RESUME = "resume"  # resume a suspended or stopped protection
    DELETE = "delete"  # stop protection and delete the backup data


@dataclass(frozen=True)
class ChangePlan:
    """``method``/``action``: the ARM call (``action`` None: on the instance itself); None: nothing to do."""

    change: Change
    method: str | None = None
    action: str | None = None  # stopProtection | suspendBackups | resumeBackups | resumeProtection
    expected_states: frozenset[str] = frozenset()
    refusal: str | None = None

    @property
    def unchanged(self) -> bool:
        return self.method is None and self.refusal is None


def plan_change(change: Change, state: str | None) -> ChangePlan:
    """The call that makes ``change`` from ``state``, nothing when it is made already, or a refusal."""
    current = state or "Unknown"
    if change is Change.DELETE:
        return ChangePlan(change, "DELETE", None, frozenset({DELETED, SOFT_DELETED}))
    if change is Change.STOP:
        if current == STOPPED:
            return ChangePlan(change, expected_states=frozenset({STOPPED}))
        if current in {CONFIGURED, ERROR, *SUSPENDED}:
            return ChangePlan(change, "POST", "stopProtection", frozenset({STOPPED}))
    elif change is Change.SUSPEND:
        if current in SUSPENDED:
            return ChangePlan(change, expected_states=frozenset({current}))
        if current in {CONFIGURED, ERROR}:
            return ChangePlan(change, "POST", "suspendBackups", frozenset(SUSPENDED))
        if current == STOPPED:
            return ChangePlan(
                change,
                refusal="protection is stopped, so there are no scheduled backups to suspend: resume first",
            )
    elif change is Change.RESUME:
        if current == CONFIGURED:
            return ChangePlan(change, expected_states=frozenset({CONFIGURED}))
        if current in SUSPENDED:
            return ChangePlan(change, "POST", "resumeBackups", frozenset({CONFIGURED}))
        if current == STOPPED:
            return ChangePlan(change, "POST", "resumeProtection", frozenset({CONFIGURED}))
    return ChangePlan(
        change,
        refusal=f"cannot {change.value} a backup instance in state {current}: wait until its protection has "
        "settled (ProtectionConfigured, stopped or suspended), then ask again",
    )
