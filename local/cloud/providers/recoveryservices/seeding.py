"""Seed section ``protectedFileShares`` (top level, after subscriptions): Azure file shares a Recovery
Services vault already protects, in a stated situation, with their past jobs.

::

    protectedFileShares:
      - vault: /subscriptions/.../providers/Microsoft.RecoveryServices/vaults/rsv
        storageAccount: /subscriptions/.../providers/Microsoft.Storage/storageAccounts/st
        share: share1
        policy: DefaultFileSharePolicy  # a policy of the vault, or any full policy id (drift is just data)
        state: Protected                # ProtectionState: Protected, ProtectionError, ProtectionStopped, ...
        lastBackupStatus: Completed     # default Failed on ProtectionError, none if IRPending, else Completed
        lastBackupHoursAgo: 20
        protectionStatus: Healthy       # default: Unhealthy on ProtectionError, else Healthy
        healthStatus: Passed            # HealthStatus; default ActionRequired on ProtectionError, else Passed
        jobs: [{operation: Backup, status: Failed, hoursAgo: 2, durationMinutes: 3,
                errorCode: 400, errorMessage: ..., recommendations: [...]}]

The storage account's container is registered to the vault (as ``refreshContainers`` + register would);
the account itself need not exist (a share whose account was deleted is an orphan). Enum values are the
swagger's (``bms.json`` 2025-08-01): ``ProtectionState``, ``HealthStatus``, ``JobStatus``,
``JobOperationType``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from ...core import Cloud, CloudError, ResourceId, iso, norm
from .containers import CONTAINER_TYPE, container_body
from .items import ITEM_TYPE, item_body, item_key
from .lifecycle import job_body, state
from .names import container_name, item_name
from .state import Container, ProtectedItem

PROTECTION_STATES = (
    "Invalid",
    "IRPending",
    "Protected",
    "ProtectionError",
    "ProtectionStopped",
    "ProtectionPaused",
    "BackupsSuspended",
)
HEALTH_STATUSES = ("Passed", "ActionRequired", "ActionSuggested", "Invalid")
JOB_STATUSES = (
    "Invalid",
    "InProgress",
    "Completed",
    "Failed",
    "CompletedWithWarnings",
    "Cancelled",
    "Cancelling",
)
JOB_OPERATIONS = (
    "Invalid",
    "Register",
    "UnRegister",
    "ConfigureBackup",
    "Backup",
    "Restore",
    "DisableBackup",
    "DeleteBackupData",
    "CrossRegionRestore",
    "Undelete",
    "UpdateCustomerManagedKey",
)


def _one_of(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if str(value) not in allowed:
        raise CloudError(400, "InvalidSeed", f"{what} {value!r} is not one of {allowed}")
    return str(value)


def seed_protected_file_shares(cloud: Cloud, items: Any) -> None:
    for entry in items or []:
        _protect(cloud, dict(entry))


def _protect(cloud: Cloud, entry: dict[str, Any]) -> None:
    vault = cloud.require(str(entry["vault"]))
    account_id, share = str(entry["storageAccount"]), str(entry["share"])
    parsed = ResourceId.parse(account_id)
    account_name = parsed.name
    policy = str(entry.get("policy", "DefaultFileSharePolicy"))
    policy_id = policy if policy.startswith("/") else f"{vault.id}/backupPolicies/{policy}"
    protection_state = _one_of(entry.get("state", "Protected"), PROTECTION_STATES, "state")
    failing = protection_state == "ProtectionError"
    default_last = "Failed" if failing else "Completed" if protection_state != "IRPending" else ""
    last_status = str(entry.get("lastBackupStatus", default_last))
    last_time = cloud.clock.now() - timedelta(hours=float(entry.get("lastBackupHoursAgo", 20)))
    st = state(cloud)
    name = container_name(parsed.resource_group or "", account_name)
    container = st.containers.setdefault(
        (norm(vault.id), name.lower()), Container(name, vault.id, account_id, account_name)
    )
    container.registration_status = "Registered"
    cid = f"{vault.id}/backupFabrics/Azure/protectionContainers/{name}"
    item = ProtectedItem(
        f"{cid}/protectedItems/{item_name(share)}",
        vault.id,
        name,
        item_name(share),
        share,
        account_id,
        policy_id,
        protection_state=protection_state,
        protection_status=str(entry.get("protectionStatus", "Unhealthy" if failing else "Healthy")),
        health_status=_one_of(
            entry.get("healthStatus", "ActionRequired" if failing else "Passed"),
            HEALTH_STATUSES,
            "healthStatus",
        ),
        last_backup_status=last_status,
        last_backup_time=iso(last_time) if last_status else None,
        last_recovery_point=iso(last_time) if last_status == "Completed" else None,
    )
    st.items[item_key(vault.id, name, share)] = item
    cloud.store.put(cid, CONTAINER_TYPE, container_body(vault.id, container, cloud))
    cloud.store.put(item.id, ITEM_TYPE, item_body(item))
    for job in entry.get("jobs") or []:
        _add_job(cloud, vault.id, item, dict(job))


def _add_job(cloud: Cloud, vault_id: str, item: ProtectedItem, job: dict[str, Any]) -> None:
    status = _one_of(job.get("status", "Completed"), JOB_STATUSES, "job status")
    operation = _one_of(job.get("operation", "Backup"), JOB_OPERATIONS, "job operation")
    started = cloud.clock.now() - timedelta(hours=float(job.get("hoursAgo", 1)))
    job_id = str(job.get("id") or uuid.uuid4())
    account = item.account_id.rsplit("/", 1)[-1]
    body = job_body(vault_id, job_id, operation, item.share_name, account, started)
    props = body["properties"]
    props["status"] = status
    if status not in ("InProgress", "Cancelling"):
        ended = started + timedelta(minutes=float(job.get("durationMinutes", 3)))
        props["endTime"] = iso(ended)
        props["duration"] = f"PT{(ended - started).total_seconds():.7f}S"
        props["actionsInfo"] = []
    if status == "Failed":
        message = str(job.get("errorMessage", "The backup operation failed."))
        props["errorDetails"] = [
            {
                "errorCode": int(job.get("errorCode", 400)),
                "errorString": message,
                "recommendations": [str(r) for r in job.get("recommendations") or ["Retry the operation."]],
            }
        ]
        props["extendedInfo"]["dynamicErrorMessage"] = message
    state(cloud).jobs[job_id.lower()] = body
