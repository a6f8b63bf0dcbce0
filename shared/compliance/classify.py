"""Classify one resource in scope: what its protection truly is, why, and what to do about it. Pure.

The rules are evaluated by the same code the auto-protect path uses (:func:`shared.protection.plan.
plan_protection`), so "unprotected", "excluded" and "unsupported" mean here exactly what a write event would
have done, and drift compares the holding vault and policy with the ones that plan names.

Protection states are the Data Protection API's ``CurrentProtectionState`` / ``protectionStatus.status``
values and, for file shares, the Recovery Services ``ProtectionState`` of the protected item (``bms.json``:
``IRPending`` is a configured protection whose first backup has not run yet), compared case-insensitively
(an open set: an unknown value is reported as unhealthy with its name). A protected share is also unhealthy
when its item says so (``AzureFileshareProtectedItem``: ``protectionStatus`` other than Healthy, a KPI in
``kpisHealths`` other than Healthy, or a failed last backup).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from shared.arm.ids import parse_resource_id
from shared.errors import BackupAutopilotError
from shared.parsing import parse_instant
from shared.protection.kinds import kind_for_type
from shared.protection.messages import ProtectionRequest
from shared.protection.plan import DRY_RUN, PROTECT, plan_protection
from shared.protection.rules import Rules, SkipReason
from shared.records import Record


class Classification(StrEnum):
    PROTECTED = "protected"
    UNHEALTHY = "unhealthy"
    CONFIGURING = "configuring"
    STOPPED = "stopped"
    SUSPENDED = "suspended"
    SOFT_DELETED = "soft_deleted"
    DRIFT = "drift"
    UNPROTECTED = "unprotected"
    EXCLUDED = "excluded"
    UNSUPPORTED = "unsupported"
    ORPHANED = "orphaned"


# Not gaps: what is as it should be, or deliberately out of scope.
NOT_GAPS = frozenset({Classification.PROTECTED, Classification.EXCLUDED, Classification.UNSUPPORTED})

_STATES: dict[str, Classification] = {
    "protectionconfigured": Classification.PROTECTED,
    "configuringprotection": Classification.CONFIGURING,
    "updatingprotection": Classification.CONFIGURING,
    "protectionstopped": Classification.STOPPED,
    "backupschedulessuspended": Classification.SUSPENDED,
    "retentionschedulessuspended": Classification.SUSPENDED,
    "softdeleted": Classification.SOFT_DELETED,
    "softdeleting": Classification.SOFT_DELETED,
    "protectionerror": Classification.UNHEALTHY,
    "configuringprotectionfailed": Classification.UNHEALTHY,
    # Recovery Services ProtectionState (file shares); ProtectionStopped and ProtectionError are above
    "protected": Classification.PROTECTED,
    "irpending": Classification.PROTECTED,
    "protectionpaused": Classification.SUSPENDED,
    "backupssuspended": Classification.SUSPENDED,
}
# When a datasource has several backup instances, the one to report: the most active first.
_PREFERENCE = (
    Classification.PROTECTED,
    Classification.UNHEALTHY,
    Classification.CONFIGURING,
    Classification.SUSPENDED,
    Classification.STOPPED,
    Classification.SOFT_DELETED,
)
_FAILED_JOB = frozenset({"failed", "cancelled", "canceled", "completedwitherrors", "unhealthy"})

ACTIONS: dict[Classification, str] = {
    Classification.UNPROTECTED: (
        "Protect it: with COMPLIANCE_REMEDIATION=on the sweep sends it through the protection pipeline"
    ),
    Classification.STOPPED: "Resume protection, or delete the backup instance if its data is not needed",
    Classification.SUSPENDED: "Resume backups of the backup instance",
    Classification.SOFT_DELETED: (
        "Undelete the backup instance in its vault, or wait until soft-delete retention ends before "
        "protecting the resource again"
    ),
    Classification.CONFIGURING: "Nothing yet: protection is being configured; the next sweep checks again",
    Classification.DRIFT: (
        "Backups stay where they are: move the resource to the rule's vault and policy by hand if intended, "
        "or change the rule"
    ),
    Classification.ORPHANED: (
        "The resource no longer exists: stop protection (retain or delete the backup data) in the vault"
    ),
    Classification.UNHEALTHY: "Fix the cause the vault reports, then run a backup to confirm",
}


@dataclass(frozen=True)
class Entry(Record):
    """One line of the report."""

    resource_id: str
    classification: Classification
    reason: str
    resource_type: str = ""
    kind: str | None = None
    name: str = ""
    subscription_id: str = ""
    resource_group: str = ""
    location: str = ""
    recommended_action: list[str] = field(default_factory=list)
    rule: str | None = None
    vault_id: str | None = None
    policy_id: str | None = None
    expected_vault_id: str | None = None
    expected_policy_id: str | None = None
    backup_instance_id: str | None = None
    protection_state: str | None = None
    last_backup: dict[str, Any] | None = None  # {status, startTime, endTime}
    error: dict[str, Any] | None = None  # {code, message, recommendedAction}

    @property
    def gap(self) -> bool:
        return self.classification not in NOT_GAPS


def _lower(value: Any) -> str:
    return str(value or "").lower()


def _error_of(details: Any) -> dict[str, Any] | None:
    """``{code, message, recommendedAction}`` of an ``errorDetails`` object or list, verbatim."""
    first = details[0] if isinstance(details, list) and details else details
    if not isinstance(first, Mapping):
        return None
    actions = (
        first.get("recommendedAction")
        or first.get("recommendedActions")
        or first.get("recommendations")  # Recovery Services job errors and health details
        or []
    )
    return {
        "code": str(first.get("code") or first.get("errorCode") or "Unknown"),
        "message": str(first.get("message") or first.get("errorMessage") or first.get("errorString") or ""),
        "recommendedAction": [str(a) for a in actions] if isinstance(actions, list) else [str(actions)],
    }


def _state_of(protection: Mapping[str, Any]) -> Classification:
    """``currentProtectionState`` decides; ``protectionStatus.status`` only when the state is missing."""
    state = _lower(protection.get("state")) or _lower(protection.get("status"))
    return _STATES.get(state, Classification.UNHEALTHY)


def choose(protections: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The backup instance to report for a datasource (the most active one)."""
    return min(protections, key=lambda p: _PREFERENCE.index(_state_of(p)))


def _seconds_since(when: Any, now: datetime) -> float | None:
    moment = parse_instant(when)
    return (now - moment).total_seconds() if moment else None


@dataclass(frozen=True)
class Facts:
    """What the sweep knows beside the resource: its protections, last backup job, the policies' intervals."""

    protections: Sequence[Mapping[str, Any]] = ()
    last_job: Mapping[str, Any] | None = None
    policy_intervals: Mapping[str, float] = field(default_factory=dict)  # lower-case policy id -> seconds
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def classify(
    resource: Mapping[str, Any], rules: Rules, facts: Facts, parent: Mapping[str, Any] | None = None
) -> Entry:
    """The entry of one resource in scope (``resource`` as Resource Graph or ARM gives it)."""
    resource_id = str(resource.get("id") or "")
    kind = kind_for_type(str(resource.get("type") or ""))
    resource_type = kind.resource_types[0] if kind else str(resource.get("type") or "")
    request = ProtectionRequest(resource_id, resource_type, origin="sweep")
    plan = plan_protection(request, resource, rules, parent=parent)
    base: dict[str, Any] = {
        "resource_id": resource_id,
        "resource_type": resource_type,
        "kind": kind.name if kind else None,
        "name": str(resource.get("name") or resource_id.rsplit("/", 1)[-1]),
        "subscription_id": str(resource.get("subscriptionId") or _segment(resource_id, "subscriptions")),
        "resource_group": str(
            resource.get("resourceGroup") or _segment(resource_id, "resourceGroups")
        ).lower(),
        "location": str(resource.get("location") or (parent or {}).get("location") or ""),
        "rule": plan.rule,
        "expected_vault_id": plan.vault_id,
        "expected_policy_id": plan.policy_id,
    }
    if not facts.protections:
        return _unprotected(base, plan.action, plan.reason, plan.skip_reason)
    protection = choose(facts.protections)
    state = _state_of(protection)
    base |= {
        "vault_id": protection.get("vaultId"),
        "policy_id": protection.get("policyId"),
        "backup_instance_id": protection.get("instanceId"),
        "protection_state": protection.get("state") or protection.get("status"),
        "last_backup": _job_view(facts.last_job),
    }
    if state is not Classification.PROTECTED:
        error = None
        if state is Classification.UNHEALTHY:  # the vault's own error, else a KPI's, else the failed job's
            last = facts.last_job or {}
            failed = (
                _error_of(last.get("errorDetails")) if _lower(last.get("status")) in _FAILED_JOB else None
            )
            error = (
                _error_of(protection.get("errorDetails"))
                or (_kpi_error(protection) or ("", None))[1]
                or failed
            )
        reason = f"protection state {base['protection_state']}"
        if error:
            reason += f": {error['code']}: {error['message']}"
        return _entry(base, state, reason, error)
    if plan.action in (PROTECT, DRY_RUN) and (
        _lower(plan.vault_id) != _lower(protection.get("vaultId"))
        or _lower(plan.policy_id) != _lower(protection.get("policyId"))
    ):
        reason = (
            f"protected by {protection.get('policyId')} in {protection.get('vaultId')}, but rule {plan.rule} "
            f"names {plan.policy_id} in {plan.vault_id}"
        )
        return _entry(base, Classification.DRIFT, reason)
    sick = _item_health(protection)
    if sick is not None:
        return _entry(base, Classification.UNHEALTHY, sick[0], sick[1])
    job = facts.last_job
    if job is not None and _lower(job.get("status")) in _FAILED_JOB:
        error = _error_of(job.get("errorDetails")) or {
            "code": "BackupJobFailed",
            "message": "",
            "recommendedAction": [],
        }
        reason = f"the last backup job {job.get('status')}: {error['code']}: {error['message']}".rstrip(": ")
        return _entry(base, Classification.UNHEALTHY, reason, error)
    interval = facts.policy_intervals.get(_lower(protection.get("policyId")))
    age = _seconds_since((job or {}).get("endTime") or (job or {}).get("startTime"), facts.now)
    if interval and age is not None and age > 2 * interval:
        # Without a job on record (Resource Graph keeps 14 days) a new instance cannot be told from a broken
        # one, so only a last backup older than twice the policy's interval counts as overdue.
        hours, every = age / 3600, interval / 3600
        reason = f"the last backup was {hours:.1f} h ago; the policy backs up every {every:g} h"
        error = {"code": "BackupOverdue", "message": reason, "recommendedAction": []}
        return _entry(base, Classification.UNHEALTHY, reason, error)
    pending = " (the first backup has not run yet)" if _lower(protection.get("state")) == "irpending" else ""
    return _entry(
        base,
        Classification.PROTECTED,
        f"protected by rule {plan.rule or '(none)'}: {protection.get('state')}{pending}",
    )


def _kpi_error(protection: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(KPI name and status, error) of the first KPI of a protected item's ``kpisHealths`` whose
    ``resourceHealthStatus`` is not Healthy (its first ``resourceHealthDetails`` entry verbatim), or None."""
    kpis = protection.get("kpisHealths")
    for name, kpi in sorted(kpis.items()) if isinstance(kpis, Mapping) else []:
        status = kpi.get("resourceHealthStatus") if isinstance(kpi, Mapping) else None
        if status and _lower(status) != "healthy":
            details = kpi.get("resourceHealthDetails")
            error = _error_of(details) or {"code": str(status), "message": "", "recommendedAction": []}
            if not error["message"] and isinstance(details, list) and details:
                error["message"] = str((details[0] or {}).get("title") or "")
            return f"{name} is {status}", error
    return None


def _item_health(protection: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(reason, error) when a Recovery Services protected item reports itself unhealthy, else None: a KPI
    that is not Healthy, or ``protectionStatus`` other than Healthy. Backup instances carry neither."""
    kpi = _kpi_error(protection)
    if kpi is not None:
        what, error = kpi
        return f"{what}: {error['code']}: {error['message']}".rstrip(": "), error
    status = protection.get("protectionStatus")
    if status and _lower(status) != "healthy":
        reason = f"the protected item's protection status is {status}"
        return reason, {"code": f"ProtectionStatus{status}", "message": reason, "recommendedAction": []}
    return None


def item_last_backup(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The last backup of a Recovery Services protected item (as a job row: status, start and end), which
    the item itself reports (``lastBackupStatus``, ``lastBackupTime``); None when it has none yet."""
    status = item.get("lastBackupStatus")
    if not status:
        return None
    when = item.get("lastBackupTime")
    return {"status": status, "startTime": when, "endTime": when}


def newest_backup(item_last: Mapping[str, Any] | None, job: Mapping[str, Any]) -> Mapping[str, Any]:
    """A share's last backup: its newest Recovery Services job (which carries the error) unless the backup
    its protected item reports is newer (one Resource Graph has no job of yet, or older than its 14 days)."""
    if item_last is None:
        return job
    ended = parse_instant(job.get("endTime")) or parse_instant(job.get("startTime"))
    reported = parse_instant(item_last.get("endTime"))
    return job if ended is None or reported is None or ended >= reported else item_last


def orphan(protection: Mapping[str, Any]) -> Entry:
    """A backup instance whose datasource no longer exists (in a subscription the sweep covers)."""
    datasource_id = str(protection.get("datasourceId") or protection.get("datasource") or "")
    kind = kind_for_type(resource_type_of(datasource_id))
    base: dict[str, Any] = {
        "resource_id": datasource_id,
        "resource_type": resource_type_of(datasource_id),
        "kind": kind.name if kind else None,
        "name": datasource_id.rsplit("/", 1)[-1],
        "subscription_id": _segment(datasource_id, "subscriptions"),
        "resource_group": _segment(datasource_id, "resourceGroups").lower(),
        "vault_id": protection.get("vaultId"),
        "policy_id": protection.get("policyId"),
        "backup_instance_id": protection.get("instanceId"),
        "protection_state": protection.get("state") or protection.get("status"),
    }
    instance = protection.get("instanceId")
    reason = f"the datasource no longer exists; backup instance {instance} still holds its data"
    return _entry(base, Classification.ORPHANED, reason)


def _unprotected(base: dict[str, Any], action: str, reason: str, skip_reason: str | None) -> Entry:
    if action in (PROTECT, DRY_RUN):
        return _entry(base, Classification.UNPROTECTED, f"not protected; rule {base['rule']} covers it")
    if skip_reason in (SkipReason.UNSUPPORTED.value, SkipReason.INVALID.value):
        return _entry(base, Classification.UNSUPPORTED, reason)
    if skip_reason == SkipReason.NO_VAULT_IN_REGION.value:  # covered, yet nothing can protect it: a gap
        entry = _entry(base, Classification.UNPROTECTED, f"not protected: {reason}")
        return replace(
            entry, recommended_action=[f"Add a vault in {base['location']} to rule {base['rule']}"]
        )
    return _entry(base, Classification.EXCLUDED, reason)


def _entry(
    base: dict[str, Any], classification: Classification, reason: str, error: dict[str, Any] | None = None
) -> Entry:
    actions = list((error or {}).get("recommendedAction") or [])
    if classification in ACTIONS and not actions:
        actions = [ACTIONS[classification]]
    return Entry(
        classification=classification, reason=reason, recommended_action=actions, error=error, **base
    )


def _job_view(job: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not job:
        return None
    return {"status": job.get("status"), "startTime": job.get("startTime"), "endTime": job.get("endTime")}


def _segment(resource_id: str, name: str) -> str:
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    try:
        return parts[lowered.index(name.lower()) + 1]
    except (ValueError, IndexError):
        return ""


def resource_type_of(resource_id: str) -> str:
    """``Microsoft.Storage/storageAccounts`` of an id (``""`` when it is not an ARM resource id)."""
    try:
        return parse_resource_id(resource_id).type
    except BackupAutopilotError:
        return ""
