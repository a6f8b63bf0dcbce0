"""The read-only Recovery Services steps of a file-share restore, backup now or protection change: the
protected item, its recovery points, the vault's jobs of the share and one job read (what
:mod:`functions.jobs` calls for a Recovery Services vault). Same error policy as :mod:`shared.arm.steps`.

A share's "backup instance" is its protected item: found through ``backupProtectedItems`` of the vaults the
protection rules name (by ``sourceResourceId`` and friendly name: names are the service's, never built).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.arm.client import ArmClient
from shared.arm.ids import parse_resource_id
from shared.arm.operations import PollPolicy, interpret_job, job_name_from
from shared.arm.retry_after import parse_retry_after
from shared.arm.steps import answers_errors, read_resource
from shared.jobs import JobIds, JobRead
from shared.lifecycle.changes import SOFT_DELETED
from shared.restore.steps import BackupInstanceFacts, RecoveryPoints
from shared.services import recoveryservices as rs

MAX_JOBS = 500


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def item_state(item: Any) -> str | None:
    """The state a protection change is planned from: the item's ``protectionState``, or ``SoftDeleted``
    while the vault's soft delete keeps it (``isScheduledForDeferredDelete``)."""
    kept, _ = rs.soft_deleted(item)
    return SOFT_DELETED if kept else rs.protected_item_state(item)[0]


def facts_of(item: Any) -> BackupInstanceFacts:
    """What a request needs of a protected item (its id, vault, share, protection state and policy)."""
    body = _dict(item)
    item_id = parse_resource_id(str(body.get("id"))).canonical()
    state, policy = rs.protected_item_state(body)
    return BackupInstanceFacts(
        found=True,
        backup_instance_id=item_id,
        vault_id=rs.vault_of_item(item_id),
        datasource_id=rs.share_of_item(body) or "",
        datasource_type=rs.SHARE_TYPE,
        protection_status=state,
        current_state=item_state(body),
        policy_id=policy or "",
    )


async def read_protected_item(arm: ArmClient, item_id: str) -> BackupInstanceFacts:
    read = await read_resource(arm, rs.protected_item(item_id).url_path(), rs.API_VERSION)
    if read.found:
        return facts_of(read.resource)
    return BackupInstanceFacts(reason=read.reason, error=read.error)


async def find_protected_share(
    arm: ArmClient, share_id: str, vault_ids: Iterable[str]
) -> BackupInstanceFacts:
    """The share's protected item in the first of ``vault_ids`` (Recovery Services vaults) that has one."""
    account, name = rs.share_location(share_id)
    for vault_id in vault_ids:
        read = await read_resource(arm, rs.filtered(rs.protected_items_path(vault_id)), rs.API_VERSION)
        if read.error is not None:
            return BackupInstanceFacts(error=read.error)
        item = rs.find_protected_share(read.resource, account, name)
        if item is not None:
            return facts_of(item)
    return BackupInstanceFacts(reason="no protected item of this share in the configured vaults")


@answers_errors(lambda error: RecoveryPoints(error=error))
async def list_recovery_points(arm: ArmClient, item_id: str) -> RecoveryPoints:
    response = await arm.get(rs.recovery_points_path(item_id), api_version=rs.API_VERSION)
    points = []
    for entry in _dict(response.body).get("value") or []:
        props = _dict(_dict(entry).get("properties"))
        name = _dict(entry).get("name")
        if isinstance(name, str):
            points.append(
                {
                    "id": name,
                    "time": props.get("recoveryPointTime"),
                    "type": props.get("recoveryPointType"),
                }
            )
    return RecoveryPoints(points)


@answers_errors(lambda error: JobIds(error=error))
async def list_jobs(arm: ArmClient, vault_id: str, share_id: str, operation: str) -> JobIds:
    """The vault's jobs of this share (entity and storage account) whose ``operation`` is ``operation``
    (``Restore``, ``Backup``): what tells whether a restore or backup POST of unknown outcome took effect."""
    account, name = rs.share_location(share_id)
    account_name = parse_resource_id(account).name.lower()
    response = await arm.get(rs.backup_jobs_path(vault_id), api_version=rs.API_VERSION)
    found = []
    for entry in (_dict(response.body).get("value") or [])[:MAX_JOBS]:
        props = _dict(_dict(entry).get("properties"))
        if (
            str(props.get("operation") or "").lower() == operation.lower()
            and str(props.get("entityFriendlyName") or "").lower() == name.lower()
            and str(props.get("storageAccountName") or "").lower() == account_name
        ):
            found.append(job_name_from(entry.get("name") or entry.get("id")) or "")
    return JobIds(sorted(j for j in found if j))


@answers_errors(lambda error: JobRead(error=error))
async def read_job(arm: ArmClient, vault_id: str, job_id: str, policy: PollPolicy) -> JobRead:
    """GET the Recovery Services job once (``AzureStorageJob``)."""
    name = job_name_from(job_id) or job_id
    response = await arm.get(rs.backup_job_path(vault_id, name), api_version=rs.API_VERSION)
    retry_after = parse_retry_after(response.header("retry-after"))
    return JobRead(
        job=interpret_job(response.body),
        retry_after_seconds=policy.clamp(retry_after) if retry_after is not None else None,
    )
