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

A file share's protected item (Recovery Services) is planned from its ``protectionState`` (bms.json's
``ProtectionState``; ``SoftDeleted`` when ``isScheduledForDeferredDelete``): every change but delete is a PUT
of the item (``action``: the ``protectionState`` it asks for; None: protected with its policy again), delete
is its DELETE (:func:`plan_share_change`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.errors import NotPossibleError
from shared.protection.kinds import BackupService
from shared.protection.rules import Decision

CONFIGURED = "ProtectionConfigured"
STOPPED = "ProtectionStopped"
BACKUPS_SUSPENDED = "BackupSchedulesSuspended"
RETENTION_SUSPENDED = "RetentionSchedulesSuspended"
ERROR = "ProtectionError"
SUSPENDED = frozenset({BACKUPS_SUSPENDED, RETENTION_SUSPENDED})
DELETED = "Deleted"  # gone, its data with it
SOFT_DELETED = "SoftDeleted"  # kept by the vault's soft delete as deletedBackupInstances/{name}
# A file share's protected item (Recovery Services ``ProtectionState``).
SHARE_CONFIGURED = frozenset({"Protected", "IRPending"})
SHARE_STOPPED = "ProtectionStopped"
SHARE_SUSPENDED = "BackupsSuspended"


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
    # (a share's PUT: the protectionState it asks for, None to protect with its policy again)
    expected_states: frozenset[str] = frozenset()
    refusal: str | None = None

    @property
    def unchanged(self) -> bool:
        return self.method is None and self.refusal is None


def _refused(change: Change, current: str) -> ChangePlan:
    return ChangePlan(
        change,
        refusal=f"cannot {change.value} a backup instance in state {current}: wait until its protection has "
        "settled (ProtectionConfigured, stopped or suspended), then ask again",
    )


def plan_change(
    change: Change, state: str | None, service: BackupService = BackupService.DATA_PROTECTION
) -> ChangePlan:
    """The call that makes ``change`` from ``state``, nothing when it is made already, or a refusal."""
    if service is BackupService.RECOVERY_SERVICES:
        return plan_share_change(change, state)
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
    return _refused(change, current)


def plan_share_change(change: Change, state: str | None) -> ChangePlan:
    """A file share's change: a PUT of its protected item (or its DELETE) from its ``protectionState``."""
    current = state or "Unknown"
    if change is Change.DELETE:
        if current == SOFT_DELETED:
            return ChangePlan(change, expected_states=frozenset({SOFT_DELETED}))
        return ChangePlan(change, "DELETE", None, frozenset({DELETED, SOFT_DELETED}))
    if current == SOFT_DELETED:
        return ChangePlan(
            change,
            refusal="the protected item is soft-deleted (its backup data is kept until the vault purges "
            f"it): undelete it first (PUT the item with isRehydrate: true), then {change.value} it",
        )
    settled = {*SHARE_CONFIGURED, ERROR, SHARE_SUSPENDED}
    if change is Change.STOP:
        if current == SHARE_STOPPED:
            return ChangePlan(change, expected_states=frozenset({SHARE_STOPPED}))
        if current in settled:
            return ChangePlan(change, "PUT", SHARE_STOPPED, frozenset({SHARE_STOPPED}))
    elif change is Change.SUSPEND:
        if current == SHARE_SUSPENDED:
            return ChangePlan(change, expected_states=frozenset({SHARE_SUSPENDED}))
        if current in {*SHARE_CONFIGURED, ERROR}:
            return ChangePlan(change, "PUT", SHARE_SUSPENDED, frozenset({SHARE_SUSPENDED}))
        if current == SHARE_STOPPED:
            return ChangePlan(
                change,
                refusal="protection is stopped, so there are no scheduled backups to suspend: resume first",
            )
    elif change is Change.RESUME:
        if current in SHARE_CONFIGURED:
            return ChangePlan(change, expected_states=SHARE_CONFIGURED)
        if current in {SHARE_SUSPENDED, SHARE_STOPPED}:
            return ChangePlan(change, "PUT", None, SHARE_CONFIGURED)
    return _refused(change, current)


def share_resume_policy(decision: Decision, item_vault_id: str) -> str:
    """The policy a stopped share is resumed with: the one its protection rule gives it now (``decision``),
    refused when no rule covers it or the rule names another vault than the one holding its backups."""
    if not decision.protect or not decision.policy_id:
        raise NotPossibleError(
            "resuming a stopped share protects it with its rule's policy, and no rule does: "
            f"{decision.reason}",
            errors=[{"field": "change", "reason": "no protection rule covers the share"}],
        )
    if str(decision.vault_id or "").lower() != item_vault_id.lower():
        raise NotPossibleError(
            f"the share's rule {decision.rule} names the vault {decision.vault_id}, not {item_vault_id} "
            "that holds its backups: resume is refused (backups are never moved between vaults)",
            errors=[{"field": "change", "reason": "the rule names another vault"}],
        )
    return decision.policy_id
