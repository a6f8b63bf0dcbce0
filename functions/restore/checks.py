"""What ``POST /api/restores`` checks before it starts anything, including a few read-only ARM calls.

Design choice (documented in the OpenAPI file): bad input must be refused with a 4xx and *no started job*,
so the trigger itself makes the read-only calls that decide it: GET the backup instance (unknown resource),
POST findRestorableTimeRanges (a read-only action) or GET recoveryPoints (time / point outside what exists).
They are two or three short calls; nothing here waits on an asynchronous operation (validateRestore and the
restore itself run in the orchestration).

The backup instance is found as every request on a protected datasource finds it
(:func:`functions.instances.find_instance`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import azure.durable_functions as df

from functions import instances, runtime
from shared.arm.ids import parse_resource_id
from shared.arm.steps import ResourceRead, read_resource
from shared.errors import (
    InProgressError,
    NotFoundError,
    NotPossibleError,
)
from shared.lifecycle.changes import SOFT_DELETED
from shared.protection.kinds import BackupService
from shared.restore import share_steps
from shared.restore import steps as restore_steps
from shared.restore.request import (
    SHARE_KINDS,
    RestoreKind,
    RestoreSubmission,
    check_kind_fits,
    check_point_in_time,
    check_scopes,
    restore_body,
    share_restore_body,
)
from shared.restore.steps import BackupInstanceFacts

RESTORE_PREFIX = "restore-"
_ID_NAMESPACE = uuid.UUID("3c5e0d3e-8f0b-4a8e-93a4-6f0f6c1de7b2")  # fixed: restore ids must stay stable


def instance_prefix(backup_instance_id: str) -> str:
    """Every restore of one backup instance has an id starting with this (conflict check by prefix)."""
    return f"{RESTORE_PREFIX}{uuid.uuid5(_ID_NAMESPACE, parse_resource_id(backup_instance_id).key())}-"


async def resolve_instance(resource_id: str | None, backup_instance_id: str | None) -> BackupInstanceFacts:
    """The backup instance facts of a datasource ready for restores, or a 404/422 problem."""
    found = await instances.find_instance(resource_id, backup_instance_id)
    what = f"backup instance {backup_instance_id}" if backup_instance_id else f"resource {resource_id}"
    if found.protection_status != "ProtectionConfigured":
        raise NotPossibleError(
            f"{what} is not ready for restores (protection status {found.protection_status})",
            errors=[{"field": "resourceId", "reason": "protection is not configured"}],
        )
    return found


def _conflict(ids: list[str]) -> InProgressError:
    return InProgressError(
        f"restore {ids[0]} of this backup instance is still running; retry when it has finished",
        errors=[{"field": "resourceId", "reason": "a restore is already running"}],
        runningRestores=ids,
    )


async def check_not_running(client: df.DurableOrchestrationClient, backup_instance_id: str) -> None:
    """The cheap early check (a refusal before any ARM read); ``take_lock`` is the atomic one."""
    found = await client.get_status_by(
        runtime_status=instances.ACTIVE, instance_id_prefix=instance_prefix(backup_instance_id)
    )
    running = sorted(str(s.instance_id) for s in found if instances.running(s))
    if running:
        raise _conflict(running)


STORAGE_API_VERSION = "2023-05-01"
KEY_VAULT_API_VERSION = "2023-07-01"


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


async def _target_account(account_id: str) -> ResourceRead:
    read = await read_resource(runtime.arm(), account_id, STORAGE_API_VERSION)
    if read.error is not None or not read.found:
        raise instances.arm_failure(
            read.error or NotFoundError("not found"), "reading the target account failed"
        )
    return read


async def check_target(submission: RestoreSubmission) -> None:
    """A restore target is what ARM says it is, not what the request claims.

    As files: the container URL must be the container's own URL under its storage account's blob endpoint
    (read from ARM), not any ``<account>.blob.<anything>`` host. As a database: the secret must live in a Key
    Vault the protection rules name, at that vault's own ``vaultUri`` (read from ARM). Vaulted blob containers
    into another account: that account must exist.
    """
    arm, target = runtime.arm(), submission.target
    if submission.kind is RestoreKind.RECOVERY_POINT_BLOB_CONTAINERS and target.get("accountId"):
        await _target_account(str(target["accountId"]))  # another account: it must exist
    elif submission.kind is RestoreKind.RECOVERY_POINT_AS_FILES:
        container = parse_resource_id(str(target["containerId"]))
        account = container.parent.parent if container.parent else None
        assert account is not None
        read = await _target_account(account.canonical())
        endpoint = str(
            ((read.resource or {}).get("properties") or {}).get("primaryEndpoints", {}).get("blob") or ""
        )
        expected = f"{endpoint.rstrip('/')}/{container.name}"
        if not endpoint or not _same_url(str(target["containerUrl"]), expected):
            raise NotPossibleError(
                f"containerUrl is not the URL of {container.canonical()} ({expected})",
                errors=[{"field": "target.containerUrl", "reason": "not the container's URL in ARM"}],
            )
    elif submission.kind is RestoreKind.RECOVERY_POINT_AS_DATABASE:
        secret = str(target["secretUri"])
        for vault_id in instances.named_by_rules("keyVault"):
            read = await read_resource(arm, vault_id, KEY_VAULT_API_VERSION)
            uri = str(((read.resource or {}).get("properties") or {}).get("vaultUri") or "")
            if uri and secret.lower().startswith(uri.rstrip("/").lower() + "/secrets/"):
                return
        raise NotPossibleError(
            "secretUri is not a secret of a Key Vault the protection rules name",
            errors=[{"field": "target.secretUri", "reason": "not in a known Key Vault"}],
        )


@dataclass(frozen=True)
class CheckedRestore:
    instance: BackupInstanceFacts
    body: dict[str, Any]
    restore_point: dict[str, Any]
    destination: str
    service: BackupService = BackupService.DATA_PROTECTION
    recovery_point_id: str | None = None  # Recovery Services: the point is in the restore's URL


async def check_share_restore(
    submission: RestoreSubmission, client: df.DurableOrchestrationClient
) -> CheckedRestore:
    """A file-share restore: the protected item, both ends in the allowed scopes, no restore running, the
    recovery point exists, an alternate target share exists in ARM."""
    scopes = runtime.settings().restore_allowed_scopes
    if submission.resource_id is not None:
        check_scopes([submission.resource_id, *submission.target_ids(submission.resource_id)], scopes)
    instance = await instances.find_share(submission.resource_id, submission.backup_instance_id)
    check_scopes([instance.datasource_id, *submission.target_ids(instance.datasource_id)], scopes)
    if instance.current_state == SOFT_DELETED:  # the vault keeps the data, but restores nothing from it
        raise NotPossibleError(
            f"the file share's protected item {instance.backup_instance_id} is soft-deleted: undelete it "
            "first (PUT the protected item with isRehydrate, as the portal's Undelete does), then restore",
            errors=[{"field": "resourceId", "reason": "its backup data is kept by the vault's soft delete"}],
        )
    await check_not_running(client, instance.backup_instance_id)
    arm = runtime.arm()
    listed = await share_steps.list_recovery_points(arm, instance.backup_instance_id)
    if listed.error is not None:
        raise instances.arm_failure(listed.error, "listing the recovery points failed")
    if submission.recovery_point_id not in [p["id"] for p in listed.points]:
        raise NotPossibleError(
            f"recovery point {submission.recovery_point_id} does not exist for this file share",
            errors=[{"field": "recoveryPointId", "reason": "unknown recovery point"}],
            recoveryPoints=listed.points[:20],
        )
    destination = instance.datasource_id
    if submission.target["restoreTo"] == "alternate":
        destination = str(submission.target["shareId"])
        read = await read_resource(arm, parse_resource_id(destination).url_path(), STORAGE_API_VERSION)
        if read.error is not None:
            raise instances.arm_failure(read.error, "reading the target share failed")
        if not read.found:
            raise NotPossibleError(
                f"the target share {destination} does not exist",
                errors=[{"field": "target.shareName", "reason": "no such share in the target account"}],
            )
        folder = submission.target.get("folder")
        destination = f"{destination}/{folder}" if folder else destination
    body = share_restore_body(submission, instance.datasource_id)
    point = {"recoveryPointId": submission.recovery_point_id}
    return CheckedRestore(
        instance, body, point, destination, BackupService.RECOVERY_SERVICES, submission.recovery_point_id
    )


async def check_restore(
    submission: RestoreSubmission, client: df.DurableOrchestrationClient
) -> CheckedRestore:
    """Every check, cheapest first; raises a ``RequestRefusedError`` / ``InvalidRequestError`` on refusal."""
    if submission.kind in SHARE_KINDS:
        return await check_share_restore(submission, client)
    if instances.is_share(submission.resource_id, submission.backup_instance_id):
        raise NotPossibleError(
            f"a {submission.kind.value} restore does not apply to an Azure file share",
            errors=[{"field": "kind", "reason": "file shares restore with fileShareFull or fileShareItems"}],
        )
    scopes = runtime.settings().restore_allowed_scopes
    if submission.resource_id is not None:
        check_scopes([submission.resource_id, *submission.target_ids(submission.resource_id)], scopes)
    instance = await resolve_instance(submission.resource_id, submission.backup_instance_id)
    # The source's data and the target both must lie in the allowed scopes (no restore of foreign data).
    check_scopes([instance.datasource_id, *submission.target_ids(instance.datasource_id)], scopes)
    check_kind_fits(submission, instance.datasource_type)
    await check_not_running(client, instance.backup_instance_id)
    arm = runtime.arm()
    if submission.kind is RestoreKind.BLOB_POINT_IN_TIME:
        assert submission.point_in_time is not None
        found = await restore_steps.find_restorable_time_ranges(arm, instance.backup_instance_id)
        if found.error is not None:
            raise instances.arm_failure(found.error, "finding the restorable time ranges failed")
        service_now = check_point_in_time(submission.point_in_time, found.ranges)
        body = restore_body(submission, instance.datasource_info, service_now=service_now)
        point: dict[str, Any] = {"pointInTime": submission.point_in_time}
        destination = instance.datasource_id
    else:
        listed = await restore_steps.list_recovery_points(arm, instance.backup_instance_id)
        if listed.error is not None:
            raise instances.arm_failure(listed.error, "listing the recovery points failed")
        ids = [p["id"] for p in listed.points]
        if submission.recovery_point_id not in ids:
            raise NotPossibleError(
                f"recovery point {submission.recovery_point_id} does not exist for this backup instance",
                errors=[{"field": "recoveryPointId", "reason": "unknown recovery point"}],
                recoveryPoints=listed.points[:20],
            )
        await check_target(submission)
        body = restore_body(submission, instance.datasource_info)
        point = {"recoveryPointId": submission.recovery_point_id}
        target = submission.target
        destination = str(
            target.get("containerUrl")
            or target.get("databaseId")
            or target.get("accountId")
            or instance.datasource_id
        )
    return CheckedRestore(instance, body, point, destination)
