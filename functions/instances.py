"""Which backup instance an HTTP request is about, and holding it for that request (restore, backup now,
protection change): shared by every API that acts on a protected datasource.

The backup instance of a datasource is found deterministically: its name is ``backup_instance_name(id)``
(what the protection pipeline creates) in one of the vaults the protection rules name; a file share's
"backup instance" is its protected item in one of the rules' Recovery Services vaults (:func:`find_share`).
No Resource Graph lookup: it lags behind ARM by minutes and would make "protected a minute ago" look unknown.

One request per backup instance at a time (:mod:`shared.locks`): the request that creates the instance's
lock blob runs; the others get 409 until it has ended, when its orchestration releases it with the
``release_instance_lock`` activity (this module's blueprint).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import azure.durable_functions as df

from functions import runtime
from shared.arm.client import correlation
from shared.arm.ids import parse_resource_id
from shared.arm.steps import read_resource
from shared.errors import (
    ArmError,
    BackupAutopilotError,
    InProgressError,
    NotFoundError,
    NotPossibleError,
    RequestRefusedError,
)
from shared.lifecycle.changes import SOFT_DELETED
from shared.lifecycle.messages import InstanceState, StateRead
from shared.locks import LockOwner, lock_key
from shared.progress import TERMINAL
from shared.protection.kinds import BackupService
from shared.protection.rules import vault_service
from shared.restore import share_steps
from shared.restore import steps as restore_steps
from shared.restore.steps import BackupInstanceFacts
from shared.services import dataprotection as dp
from shared.services import recoveryservices as rs

RELEASE_LOCK = "release_instance_lock"
TAKE_LOCK = "take_instance_lock"
READ_DELETED = "read_deleted_instance"
ACTIVE = [
    df.OrchestrationRuntimeStatus.Running,
    df.OrchestrationRuntimeStatus.Pending,
    df.OrchestrationRuntimeStatus.ContinuedAsNew,
]

bp = df.Blueprint()


def named_by_rules(field: str) -> Iterator[str]:
    """The resource ids the protection rules name under ``field`` (``vault``, ``keyVault``), each once."""
    seen: set[str] = set()
    for rule in runtime.rules().document.get("rules", []):
        named = (rule.get(field) or {}).get("id") if isinstance(rule, dict) else None
        if isinstance(named, str) and named.lower() not in seen:
            seen.add(named.lower())
            yield named


def rule_vaults(service: BackupService = BackupService.DATA_PROTECTION) -> Iterator[str]:
    """The vaults of ``service`` (Backup vaults unless told) the protection rules name, in rule order."""
    return (v for v in named_by_rules("vault") if vault_service(v) is service)


def arm_failure(error: BackupAutopilotError, what: str) -> RequestRefusedError:
    if not isinstance(error, ArmError):
        return NotPossibleError(
            f"{what}: {error.message}", errors=[{"field": "resourceId", "reason": error.kind}]
        )
    if error.status == 404:
        return NotFoundError(f"{what}: {error.message}")
    return NotPossibleError(
        f"{what}: {error.message}",
        errors=[{"field": "resourceId", "reason": error.code}],
        armError=error.to_dict(),
    )


async def find_instance(resource_id: str | None, backup_instance_id: str | None) -> BackupInstanceFacts:
    """The backup instance facts (whatever its protection state), or a 404/422 problem."""
    arm = runtime.arm()
    if backup_instance_id is not None:
        found = await restore_steps.read_backup_instance(arm, backup_instance_id)
        what = f"backup instance {backup_instance_id}"
    else:
        assert resource_id is not None
        found = await restore_steps.find_backup_instance(arm, resource_id, rule_vaults())
        what = f"resource {resource_id}"
    if found.error is not None:
        raise arm_failure(found.error, f"reading {what} failed")
    if not found.found:
        raise NotFoundError(
            f"{what} is not protected by a backup instance this app can see",
            errors=[{"field": "resourceId" if resource_id else "backupInstanceId", "reason": "not found"}],
        )
    return found


def is_share(resource_id: str | None, backup_instance_id: str | None) -> bool:
    """Whether the reference names a file share or a Recovery Services protected item."""
    if backup_instance_id is not None:
        return parse_resource_id(backup_instance_id).type.lower() == rs.ITEM_TYPE.lower()
    return resource_id is not None and parse_resource_id(resource_id).type.lower() == rs.SHARE_TYPE.lower()


def service_of(resource_id: str | None, backup_instance_id: str | None) -> BackupService:
    """The backup service a request's reference is about."""
    if is_share(resource_id, backup_instance_id):
        return BackupService.RECOVERY_SERVICES
    return BackupService.DATA_PROTECTION


async def find_share(resource_id: str | None, backup_instance_id: str | None) -> BackupInstanceFacts:
    """The protected item of a file share (by its id, or found in the rules' Recovery Services vaults by
    storage account and share name), whatever its protection state, or a 404/422 problem."""
    arm = runtime.arm()
    if backup_instance_id is not None:
        found = await share_steps.read_protected_item(arm, backup_instance_id)
        what = f"protected item {backup_instance_id}"
    else:
        assert resource_id is not None
        vaults = rule_vaults(BackupService.RECOVERY_SERVICES)
        found = await share_steps.find_protected_share(arm, resource_id, vaults)
        what = f"file share {resource_id}"
    if found.error is not None:
        raise arm_failure(found.error, f"reading {what} failed")
    if not found.found or not found.datasource_id:
        raise NotFoundError(
            f"{what} is not protected by a Recovery Services vault this app can see",
            errors=[{"field": "resourceId" if resource_id else "backupInstanceId", "reason": "not found"}],
        )
    return found


def running(status: df.DurableOrchestrationStatus | None) -> bool:
    """Still running (a request whose work has ended is only publishing its event: it blocks nothing)."""
    if status is None or status.runtime_status not in ACTIVE:
        return False
    return not (isinstance(status.custom_status, dict) and status.custom_status.get("phase") in TERMINAL)


def in_progress(ids: list[str]) -> InProgressError:
    return InProgressError(
        f"request {ids[0]} of this backup instance is still running; retry when it has finished",
        errors=[{"field": "resourceId", "reason": "another request of this backup instance is running"}],
        running=ids,
    )


async def take_lock(client: df.DurableOrchestrationClient, backup_instance_id: str, owner_id: str) -> None:
    """Hold the backup instance's lock for request ``owner_id``, or refuse with 409 (atomic).

    A lock whose request no longer runs (and that is past its start grace) is taken over.
    """
    locks, key = runtime.instance_locks(), lock_key(backup_instance_id)
    holder = await locks.acquire(key, owner_id)
    if holder is None:
        return
    if holder.young(datetime.now(UTC)) or running(await client.get_status(holder.owner_id)):
        raise in_progress([holder.owner_id])
    if not await locks.take_over(key, holder, owner_id):
        raise in_progress([holder.owner_id])


async def release_lock(backup_instance_id: str, owner_id: str) -> bool:
    """Free the backup instance's lock if ``owner_id`` still holds it."""
    return await runtime.instance_locks().release(lock_key(backup_instance_id), owner_id)


@bp.activity_trigger(input_name="payload")
async def read_deleted_instance(payload: StateRead) -> InstanceState:
    """GET ``deletedBackupInstances/{name}``: whether the vault's soft delete keeps a deleted instance.

    Read after a delete (did the vault keep it?) and after a refused create (is a soft-deleted instance of
    this datasource why the service refuses to protect it again in this vault?).
    """
    path = dp.deleted_backup_instance_path(payload.backup_instance_id)
    with correlation(payload.correlation_id):
        read = await read_resource(runtime.arm(), path, dp.API_VERSION)
    info = ((read.resource or {}).get("properties") or {}).get("deletionInfo") or {}
    purge = info.get("scheduledPurgeTime") if isinstance(info, dict) else None
    return InstanceState(
        found=read.found,
        state=SOFT_DELETED if read.found else None,
        error=read.error,
        purge_time=str(purge) if purge else None,
    )


@bp.activity_trigger(input_name="payload")
async def take_instance_lock(payload: LockOwner) -> str | None:
    """For an orchestration's own change (the orphan stop): take the backup instance's lock. None when this
    request holds it (a retried attempt finds its own lock), else the id of the request that does. Never
    taken over here: a lock is stale only once its request has ended, which the HTTP entry points check."""
    holder = await runtime.instance_locks().acquire(lock_key(payload.backup_instance_id), payload.owner_id)
    return None if holder is None or holder.owner_id == payload.owner_id else holder.owner_id


@bp.activity_trigger(input_name="payload")
async def release_instance_lock(payload: LockOwner) -> bool:
    """The request has ended: the next request of this backup instance may start (storage only, no ARM)."""
    return await release_lock(payload.backup_instance_id, payload.owner_id)
