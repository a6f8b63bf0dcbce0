"""File shares: protectable items, protected items (enable protection; stop, suspend, resume, delete and
soft delete in :mod:`.changes`), on-demand backup, recovery points, full-share restore, and the vault-level
backupOperations / backupJobs reads."""

from __future__ import annotations

import random
from typing import Any

from ...core import Cloud, CloudError, RequestContext, Resource, Response, iso, norm, parse_iso
from . import changes, lifecycle
from .containers import CONTAINER, container_for, vault_id
from .lifecycle import POLL_API_VERSION, RESTORE_POLL_API_VERSION, state
from .names import item_name, item_not_found, parse_item
from .permissions import check_vault_may_back_up
from .state import Container, ProtectedItem
from .vaults import VAULT

SHARE_TYPE = "Microsoft.Storage/storageAccounts/fileServices/shares"
ITEM_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems"
RP_TYPE = f"{ITEM_TYPE}/recoveryPoints"
ITEM = f"{CONTAINER}/protectedItems/{{protectedItemName}}"


def _shares(cloud: Cloud, account_id: str) -> list[Any]:
    return cloud.store.list_children(f"{account_id}/fileServices/default", SHARE_TYPE)


def _discovered_shares(cloud: Cloud, container: Container) -> list[Any]:
    """The shares an inquire has seen: the service discovers a new share only some time after it was
    created (``durations["rs.share_discovery"]`` emulated seconds, default 0), at an inquire after that.
    A container never inquired shows what is discoverable now."""
    lag = cloud.config.durations.get("rs.share_discovery", 0.0)
    seen = container.inquired_at if container.inquired_at is not None else cloud.clock.seconds()
    return [s for s in _shares(cloud, container.account_id) if s.created + lag <= seen]


def item_key(vid: str, container: str, share: str) -> tuple[str, str, str]:
    """The key of a protected item in ``RecoveryServicesState.items``."""
    return (norm(vid), container.lower(), item_name(share).lower())


def _find_item(ctx: RequestContext) -> tuple[str, ProtectedItem]:
    vid = vault_id(ctx)
    container = container_for(ctx.cloud, vid, ctx.params["containerName"])
    share = parse_item(ctx.params["protectedItemName"])
    item = state(ctx.cloud).items.get(item_key(vid, container.name, share))
    if item is None:
        raise item_not_found()
    return vid, item


def item_body(item: ProtectedItem) -> dict[str, Any]:
    props: dict[str, Any] = {
        "protectedItemType": "AzureFileShareProtectedItem",
        "friendlyName": item.share_name,
        "backupManagementType": "AzureStorage",
        "workloadType": "AzureFileShare",
        "containerName": item.container_name.split(";", 1)[1].lower()
        if ";" in item.container_name
        else item.container_name,
        "sourceResourceId": item.account_id,
        "policyId": item.policy_id,
        "policyName": item.policy_id.rstrip("/").split("/")[-1],
        "vaultId": item.vault_id,
        "protectionStatus": item.protection_status,
        "protectionState": item.protection_state,
        "healthStatus": item.health_status,
        "lastBackupStatus": item.last_backup_status,
        "lastBackupTime": item.last_backup_time,
        "extendedInfo": {"recoveryPointCount": len(item.recovery_points), "policyState": "Consistent"},
    }
    if item.last_recovery_point:
        props["lastRecoveryPoint"] = item.last_recovery_point
    props.update(changes.deferred_delete_fields(item))
    return {"id": item.id, "name": item.name, "type": ITEM_TYPE, "properties": props}


async def protectable_items(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    flt = ctx.query.get("$filter", "")
    if flt and "azurestorage" not in flt.lower().replace(" ", ""):
        return Response(200, {"value": []})
    st = state(ctx.cloud)
    value = []
    for (v, _), c in st.containers.items():
        if v != norm(vid) or c.registration_status != "Registered":
            continue
        for share in _discovered_shares(ctx.cloud, c):
            if item_key(vid, c.name, share.name) in st.items:
                continue
            name = f"azurefileshare;{share.name}"
            value.append(
                {
                    "id": f"{vid}/backupFabrics/Azure/protectionContainers/{c.name.lower()}/protectableItems/{name}",  # noqa: E501
                    "name": name,
                    "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectableItems",  # noqa: E501
                    "properties": {
                        "parentContainerFabricId": c.account_id,
                        "parentContainerFriendlyName": c.friendly_name,
                        "azureFileShareType": "XSMB",
                        "backupManagementType": "AzureStorage",
                        "workloadType": "AzureFileShare",
                        "protectableItemType": "AzureFileShare",
                        "friendlyName": share.name,
                        "protectionState": "NotProtected",
                    },
                }
            )
    return Response(200, {"value": value})


def _policy(cloud: Cloud, vid: str, policy_id: str) -> Resource:
    """The vault's AzureStorage policy ``policy_id``, or the service's refusal."""
    policy = cloud.store.get(policy_id) if policy_id else None
    if policy is None or not norm(policy_id).startswith(norm(vid) + "/backuppolicies/"):
        raise CloudError(
            400, "BMSUserErrorPolicyNotFound", f"Backup policy '{policy_id}' was not found in the vault."
        )
    if str(policy.properties.get("backupManagementType")) != "AzureStorage":
        raise CloudError(
            400, "BMSUserErrorPolicyWorkloadMismatch", "The policy's workload type does not match the item."
        )
    return policy


def _saver(cloud: Cloud) -> changes.Save:
    def save(item: ProtectedItem) -> None:
        cloud.store.put(item.id, ITEM_TYPE, item_body(item))

    return save


async def protect(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    cloud = ctx.cloud
    container = container_for(cloud, vid, ctx.params["containerName"])
    share_name = parse_item(ctx.params["protectedItemName"])
    props = ctx.json_object().get("properties") or {}
    if props.get("protectedItemType") not in (None, "AzureFileShareProtectedItem"):
        raise CloudError(
            400, "BMSUserErrorInvalidInput", "Input provided for the call is invalid: protectedItemType."
        )
    share = next(
        (s for s in _shares(cloud, container.account_id) if s.name.lower() == share_name.lower()), None
    )
    if share is None:
        raise item_not_found()
    key = item_key(vid, container.name, share.name)
    policy_id = str(props.get("policyId") or "")
    existing = state(cloud).items.get(key)
    if existing is not None:  # stop, suspend, resume, a policy change or an undelete
        policy = _policy(cloud, vid, policy_id) if policy_id else None
        return changes.update_item(ctx, existing, props, policy, _saver(cloud))
    policy = _policy(cloud, vid, policy_id)
    for (v, _c, _i), other in state(cloud).items.items():
        if (
            v != norm(vid)
            and other.account_id.lower() == container.account_id.lower()
            and other.share_name.lower() == share.name.lower()
        ):
            raise CloudError(
                400,
                "BMSUserErrorItemAlreadyProtectedInAnotherVault",
                f"File share '{share.name}' is already protected by another Recovery Services vault.",
            )
    path_name = ctx.params["protectedItemName"]
    iid = f"{vid}/backupFabrics/Azure/protectionContainers/{container.name}/protectedItems/{path_name}"
    item = state(cloud).items.get(key)
    fail = cloud.faults.operation_failure("ProtectedItems_CreateOrUpdate", ctx.subscription_id)

    vault = cloud.require(vid)

    def finish(op: Any) -> None:
        nonlocal item
        check_vault_may_back_up(cloud, vault, container.account_id)
        if item is None:
            item = ProtectedItem(
                iid, vid, container.name, item_name(share.name), share.name, container.account_id, policy.id
            )
            state(cloud).items[key] = item
        item.policy_id = policy.id
        cloud.store.put(item.id, ITEM_TYPE, item_body(item))
        op.result_id = item.id
        op.job_id = lifecycle.start_job(
            cloud,
            vid,
            operation="ConfigureBackup",
            entity=share.name,
            account_name=container.friendly_name,
            duration=0,
        )

    op = lifecycle.start_operation(cloud, vid, cloud.config.durations.get("rs.protect", 2.0), finish, fail)
    return lifecycle.accepted(ctx, op, iid, async_header=True, api=POLL_API_VERSION)


async def get_item(ctx: RequestContext) -> Response:
    _, item = _find_item(ctx)
    return Response(200, item_body(item))


async def list_items(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    return Response(
        200, {"value": [item_body(i) for k, i in state(ctx.cloud).items.items() if k[0] == norm(vid)]}
    )


async def delete_item(ctx: RequestContext) -> Response:
    vid, item = _find_item(ctx)
    key = item_key(vid, item.container_name, item.share_name)
    return changes.delete_item(ctx, key, item, _saver(ctx.cloud))


async def backup(ctx: RequestContext) -> Response:
    vid, item = _find_item(ctx)
    cloud = ctx.cloud
    props = ctx.json_object().get("properties") or {}
    if props.get("objectType") not in (None, "AzureFileShareBackupRequest"):
        raise CloudError(
            400, "BMSUserErrorInvalidInput", "Input provided for the call is invalid: objectType."
        )
    expiry = _expiry(cloud, props.get("recoveryPointExpiryTimeInUTC"))
    fail = cloud.faults.job_failure("Backups_Trigger", ctx.subscription_id)

    def completed(job: dict[str, Any]) -> None:
        now = cloud.clock.now()
        rp_name = str(random.randint(10**17, 10**18 - 1))
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
        account = item.account_id.rsplit("/", 1)[-1]
        item.recovery_points.insert(
            0,
            {
                "eTag": None,
                "id": f"{item.id}/recoveryPoints/{rp_name}",
                "location": None,
                "name": rp_name,
                "properties": {
                    "fileShareSnapshotUri": f"https://{account}.file.core.windows.net/{item.share_name}?sharesnapshot={stamp}",
                    "objectType": "AzureFileShareRecoveryPoint",
                    "recoveryPointSizeInGb": 1,
                    **({"recoveryPointProperties": {"expiryTime": expiry}} if expiry else {}),
                    "recoveryPointTime": now.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                    "recoveryPointType": "FileSystemConsistent",
                },
                "resourceGroup": vid.split("/")[4],
                "tags": None,
                "type": RP_TYPE,
            },
        )
        item.protection_state, item.last_backup_status, item.last_backup_time = (
            "Protected",
            "Completed",
            iso(now),
        )
        item.last_recovery_point = iso(now)
        cloud.store.put(item.id, ITEM_TYPE, item_body(item))

    def finish(op: Any) -> None:
        op.job_id = lifecycle.start_job(
            cloud,
            vid,
            operation="Backup",
            entity=item.share_name,
            account_name=item.account_id.rsplit("/", 1)[-1],
            duration=cloud.config.duration("backup_job"),
            fail_with=fail,
            on_complete=completed,
        )

    op = lifecycle.start_operation(cloud, vid, 0, finish)
    return lifecycle.accepted(ctx, op, item.id, async_header=True, api=POLL_API_VERSION)


def _expiry(cloud: Cloud, value: Any) -> str | None:
    """``recoveryPointExpiryTimeInUTC``: absent, or a time after now (the service's refusal otherwise)."""
    if value is None:
        return None
    try:
        moment = parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment <= cloud.clock.now():
        raise CloudError(
            400,
            "BMSUserErrorInvalidInput",
            "Input provided for the call is invalid: recoveryPointExpiryTimeInUTC.",
        )
    return iso(moment)


async def recovery_points(ctx: RequestContext) -> Response:
    _, item = _find_item(ctx)
    return Response(200, {"value": item.recovery_points})


def _recovery_point(item: ProtectedItem, name: str) -> dict[str, Any]:
    found = next((rp for rp in item.recovery_points if rp["name"] == name), None)
    if found is None:
        raise CloudError(404, "BMSUserErrorRecoveryPointNotFound", f"Recovery point '{name}' was not found.")
    return found


async def get_recovery_point(ctx: RequestContext) -> Response:
    _, item = _find_item(ctx)
    return Response(200, _recovery_point(item, ctx.params["recoveryPointId"]))


async def restore(ctx: RequestContext) -> Response:
    vid, item = _find_item(ctx)
    cloud = ctx.cloud
    _recovery_point(item, ctx.params["recoveryPointId"])
    props = ctx.json_object().get("properties") or {}
    if props.get("objectType") != "AzureFileShareRestoreRequest":
        raise CloudError(
            400, "BMSUserErrorInvalidInput", "Input provided for the call is invalid: objectType."
        )
    recovery_type = props.get("recoveryType")
    account = item.account_id.rsplit("/", 1)[-1]
    bag = {"Source File Share Name": item.share_name, "Source Storage Account Name": account}
    bag.update(_restore_scope(props))
    if recovery_type == "AlternateLocation":
        target = props.get("targetDetails") or {}
        target_account = cloud.store.get(str(target.get("targetResourceId") or ""))
        target_share = (
            cloud.store.get(f"{target_account.id}/fileServices/default/shares/{target.get('name')}")
            if target_account is not None and target.get("name")
            else None
        )
        if target_share is None:  # the target share must exist (the service restores into a share)
            raise CloudError(
                400,
                "BMSUserErrorInvalidRestoreTarget",
                "The target storage account or file share is not valid.",
            )
        assert target_account is not None
        folder = ((props.get("restoreFileSpecs") or [{}])[0] or {}).get("targetFolderPath") or ""
        bag.update(
            {
                "Job Type": "Recover to an alternate file share",
                "Target File Share Name": str(target["name"]),
                "Target Storage Account Name": target_account.name,
                "RestoreDestination": "/".join(
                    p for p in (target_account.name, str(target["name"]), folder) if p
                ),
            }
        )
    elif recovery_type == "OriginalLocation":
        bag["Job Type"] = "Recover to the original file share"
    else:
        raise CloudError(
            400, "BMSUserErrorInvalidInput", "Input provided for the call is invalid: recoveryType."
        )
    fail = cloud.faults.job_failure("Restores_Trigger", ctx.subscription_id)

    def finish(op: Any) -> None:
        op.job_id = lifecycle.start_job(
            cloud,
            vid,
            operation="Restore",
            entity=item.share_name,
            account_name=account,
            duration=cloud.config.duration("restore_job"),
            property_bag=bag,
            fail_with=fail,
        )

    op = lifecycle.start_operation(cloud, vid, 0, finish)
    return lifecycle.accepted(ctx, op, item.id, async_header=True, api=RESTORE_POLL_API_VERSION)


_COPY_OPTIONS = ("CreateCopy", "Skip", "Overwrite", "FailOnConflict")  # bms.json CopyOptions
_FILE_SPEC_TYPES = ("File", "Directory")


def _restore_scope(props: dict[str, Any]) -> dict[str, str]:
    """Check ``copyOptions``, ``restoreRequestType`` and the item specs of an item-level restore (no
    captured example of the refusals: the service's generic BMSUserErrorInvalidInput)."""
    if props.get("copyOptions") not in _COPY_OPTIONS:
        raise CloudError(
            400, "BMSUserErrorInvalidInput", "Input provided for the call is invalid: copyOptions."
        )
    kind = props.get("restoreRequestType", "FullShareRestore")
    specs = props.get("restoreFileSpecs") or []
    if kind == "ItemLevelRestore":
        if not specs or any(
            not isinstance(s, dict) or not s.get("path") or s.get("fileSpecType") not in _FILE_SPEC_TYPES
            for s in specs
        ):
            raise CloudError(
                400, "BMSUserErrorInvalidInput", "Input provided for the call is invalid: restoreFileSpecs."
            )
        return {"Restore Type": "Item Level Restore", "Items": ";".join(str(s["path"]) for s in specs)}
    if kind != "FullShareRestore" or any(isinstance(s, dict) and s.get("path") for s in specs):
        raise CloudError(
            400, "BMSUserErrorInvalidInput", "Input provided for the call is invalid: restoreRequestType."
        )
    return {"Restore Type": "Full Share Restore"}


async def item_operation_result(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    op = lifecycle.operation(ctx.cloud, vid, ctx.params["operationId"])
    path = f"{vid}/backupFabrics/Azure/protectionContainers/{ctx.params['containerName']}/protectedItems/{ctx.params['protectedItemName']}/operationResults/{op.id}"  # noqa: E501
    return lifecycle.location_result(ctx, op, path)


async def operation_status(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    return Response(
        200, lifecycle.status_body(lifecycle.operation(ctx.cloud, vid, ctx.params["operationId"]))
    )


async def backup_operation_result(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    op = lifecycle.operation(ctx.cloud, vid, ctx.params["operationId"])
    return lifecycle.location_result(ctx, op, f"{vid}/backupOperationResults/{op.id}")


async def list_jobs(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    jobs = [
        lifecycle.job_view(ctx.cloud, j)
        for j in state(ctx.cloud).jobs.values()
        if norm(j["id"]).startswith(norm(vid) + "/")
    ]
    jobs.sort(key=lambda j: j["properties"]["startTime"], reverse=True)
    return Response(200, {"value": jobs})


async def get_job(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    job = state(ctx.cloud).jobs.get(ctx.params["jobName"].lower())
    if job is None or not norm(job["id"]).startswith(norm(vid) + "/"):
        raise CloudError(404, "BMSUserErrorJobNotFound", f"Job '{ctx.params['jobName']}' was not found.")
    return Response(200, lifecycle.job_view(ctx.cloud, job))


def register(cloud: Cloud) -> None:
    add = cloud.router.add
    write = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/write"
    add("GET", f"{VAULT}/backupProtectableItems", "BackupProtectableItems_List", protectable_items)
    add("PUT", ITEM, "ProtectedItems_CreateOrUpdate", protect, arm_operation=write)
    add("GET", ITEM, "ProtectedItems_Get", get_item)
    add("DELETE", ITEM, "ProtectedItems_Delete", delete_item)
    add("GET", f"{VAULT}/backupProtectedItems", "BackupProtectedItems_List", list_items)
    add("POST", f"{ITEM}/backup", "Backups_Trigger", backup, kind="action")
    add("GET", f"{ITEM}/recoveryPoints", "RecoveryPoints_List", recovery_points)
    add("GET", f"{ITEM}/recoveryPoints/{{recoveryPointId}}", "RecoveryPoints_Get", get_recovery_point)
    add(
        "POST",
        f"{ITEM}/recoveryPoints/{{recoveryPointId}}/restore",
        "Restores_Trigger",
        restore,
        kind="action",
    )
    add(
        "GET",
        f"{ITEM}/operationResults/{{operationId}}",
        "ProtectedItemOperationResults_Get",
        item_operation_result,
    )
    add(
        "GET",
        f"{ITEM}/operationsStatus/{{operationId}}",
        "ProtectedItemOperationStatuses_Get",
        operation_status,
    )
    add("GET", f"{VAULT}/backupOperations/{{operationId}}", "BackupOperationStatuses_Get", operation_status)
    add(
        "GET",
        f"{VAULT}/backupOperationResults/{{operationId}}",
        "BackupOperationResults_Get",
        backup_operation_result,
    )
    add("GET", f"{VAULT}/backupJobs", "BackupJobs_List", list_jobs)
    add("GET", f"{VAULT}/backupJobs/{{jobName}}", "JobDetails_Get", get_job)
