"""Microsoft.RecoveryServices (Recovery Services vaults, Azure file shares): URL paths and request bodies.

The flow follows seeds/004 (the Learn article "Back up Azure file shares with REST API") and the
``docs-fileshare`` captures; we send the current api-version (2025-08-01, ``bms.json``) everywhere and
follow the poll URLs the service returns exactly as given (they carry older api-versions and
``/Subscriptions/`` casing). Container and item names are always taken from responses, never built: they
contain ``;`` and are percent-encoded as one path segment each.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from shared.arm.ids import ResourceId, parse_resource_id, quote_segment
from shared.errors import InvalidResourceIdError
from shared.parsing import parse_instant

API_VERSION = "2025-08-01"  # Microsoft.RecoveryServices backup (bms.json)
VAULT_API_VERSION = "2024-10-01"  # Microsoft.RecoveryServices/vaults itself (to read its identity)
VAULT_TYPE = "Microsoft.RecoveryServices/vaults"
FABRIC = "Azure"
AZURE_STORAGE_FILTER = "backupManagementType eq 'AzureStorage'"
SHARE_TYPE = "Microsoft.Storage/storageAccounts/fileServices/shares"
ITEM_IN_ANOTHER_VAULT = "BMSUserErrorItemAlreadyProtectedInAnotherVault"
CONTAINER_IN_ANOTHER_VAULT = "BMSUserErrorContainerAlreadyRegisteredToAnotherVault"
#: ``ProtectionState`` values (bms.json) of a share whose protection is configured.
CONFIGURED_STATES = frozenset({"protected", "irpending"})


def _vault(vault_id: str | ResourceId) -> ResourceId:
    rid = vault_id if isinstance(vault_id, ResourceId) else parse_resource_id(vault_id)
    if rid.type.lower() != VAULT_TYPE.lower():
        raise InvalidResourceIdError(
            rid.raw, f"not a Recovery Services vault id (type {rid.type})", field="vaultId"
        )
    return rid


def vault_path(vault_id: str | ResourceId) -> str:
    return _vault(vault_id).url_path()


def policy_id(vault_id: str | ResourceId, policy_name: str) -> str:
    return f"{_vault(vault_id).canonical()}/backupPolicies/{policy_name}"


def fabric_path(vault_id: str | ResourceId) -> str:
    return f"{vault_path(vault_id)}/backupFabrics/{FABRIC}"


def refresh_containers_path(vault_id: str | ResourceId) -> str:
    return f"{fabric_path(vault_id)}/refreshContainers"


def protectable_containers_path(vault_id: str | ResourceId) -> str:
    return f"{fabric_path(vault_id)}/protectableContainers"


def protection_containers_path(vault_id: str | ResourceId) -> str:
    """``backupProtectionContainers``: the containers registered with the vault."""
    return f"{vault_path(vault_id)}/backupProtectionContainers"


def container_path(vault_id: str | ResourceId, container_name: str) -> str:
    return f"{fabric_path(vault_id)}/protectionContainers/{quote_segment(container_name)}"


def inquire_path(vault_id: str | ResourceId, container_name: str) -> str:
    return f"{container_path(vault_id, container_name)}/inquire"


def protectable_items_path(vault_id: str | ResourceId) -> str:
    return f"{vault_path(vault_id)}/backupProtectableItems"


def protected_items_path(vault_id: str | ResourceId) -> str:
    """``backupProtectedItems``: every item the vault protects."""
    return f"{vault_path(vault_id)}/backupProtectedItems"


def protected_item_path(vault_id: str | ResourceId, container_name: str, item_name: str) -> str:
    return f"{container_path(vault_id, container_name)}/protectedItems/{quote_segment(item_name)}"


def protected_item_id(vault_id: str | ResourceId, container_name: str, item_name: str) -> str:
    """The protected item's ARM id (names as the service gave them, unencoded)."""
    return f"{_vault(vault_id).canonical()}/backupFabrics/{FABRIC}/protectionContainers/{container_name}/protectedItems/{item_name}"  # noqa: E501


def filtered(path: str) -> str:
    """``path`` with ``$filter=backupManagementType eq 'AzureStorage'`` (percent-encoded) as its query."""
    return f"{path}?$filter={quote(AZURE_STORAGE_FILTER, safe='')}"


# -- bodies ---------------------------------------------------------------------------------------


def register_container_body(account_id: str, friendly_name: str) -> dict[str, Any]:
    """``ProtectionContainerResource`` with ``AzureStorageContainer`` properties (seeds/004)."""
    rid = parse_resource_id(account_id)
    return {
        "properties": {
            "containerType": "StorageContainer",
            "sourceResourceId": rid.canonical(),
            "resourceGroup": rid.resource_group,
            "friendlyName": friendly_name,
            "backupManagementType": "AzureStorage",
        }
    }


def protected_item_body(account_id: str, policy_id_: str) -> dict[str, Any]:
    """``ProtectedItemResource`` with ``AzureFileshareProtectedItem`` properties (seeds/004)."""
    return {
        "properties": {
            "protectedItemType": "AzureFileShareProtectedItem",
            "sourceResourceId": parse_resource_id(account_id).canonical(),
            "policyId": policy_id_,
        }
    }


# -- reading answers ------------------------------------------------------------------------------


def _props(entry: Any) -> Mapping[str, Any]:
    props = entry.get("properties") if isinstance(entry, Mapping) else None
    return props if isinstance(props, Mapping) else {}


def _values(body: Any) -> list[Mapping[str, Any]]:
    raw = body.get("value") if isinstance(body, Mapping) else None
    return [v for v in raw if isinstance(v, Mapping)] if isinstance(raw, list) else []


def _same_id(a: object, b: str) -> bool:
    return isinstance(a, str) and a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def share_location(share_id: str | ResourceId) -> tuple[str, str]:
    """(storage account id, share name) of a ``.../fileServices/default/shares/{name}`` id."""
    rid = share_id if isinstance(share_id, ResourceId) else parse_resource_id(share_id)
    if rid.type.lower() != SHARE_TYPE.lower():
        raise InvalidResourceIdError(rid.raw, f"not a file share id (type {rid.type})", field="datasourceId")
    account = ResourceId(
        rid.subscription, rid.resource_group, rid.namespace, rid.types[:1], rid.names[:1], ""
    )
    return account.canonical(), rid.name


def find_protectable_container(body: Any, account_id: str) -> str | None:
    """The name of the protectable container whose ``containerId`` is the account, from the list answer."""
    for entry in _values(body):
        if _same_id(_props(entry).get("containerId"), account_id) and isinstance(entry.get("name"), str):
            return str(entry["name"])
    return None


def find_registered_container(body: Any, account_id: str) -> str | None:
    """The name of the registered container whose ``sourceResourceId`` is the account."""
    for entry in _values(body):
        props = _props(entry)
        if (
            _same_id(props.get("sourceResourceId"), account_id)
            and str(props.get("registrationStatus", "Registered")).lower() == "registered"
            and isinstance(entry.get("name"), str)
        ):
            return str(entry["name"])
    return None


def find_protectable_share(body: Any, account_id: str, share: str) -> tuple[str, str] | None:
    """(container name, item name) of the share, from ``backupProtectableItems``: matched by its friendly
    name and its parent container's fabric id; both names come from the item's id as the service gave it."""
    for entry in _values(body):
        props = _props(entry)
        name = str(props.get("friendlyName") or "")
        if name.lower() != share.lower() or not _same_id(props.get("parentContainerFabricId"), account_id):
            continue
        parts = str(entry.get("id") or "").split("/")
        lowered = [p.lower() for p in parts]
        if "protectioncontainers" in lowered and isinstance(entry.get("name"), str):
            container = parts[lowered.index("protectioncontainers") + 1]
            return container, str(entry["name"])
    return None


def find_protected_share(body: Any, account_id: str, share: str) -> Mapping[str, Any] | None:
    """The protected item of the share (matched by ``sourceResourceId`` and friendly name), or None."""
    for entry in _values(body):
        props = _props(entry)
        if (
            _same_id(props.get("sourceResourceId"), account_id)
            and str(props.get("friendlyName") or "").lower() == share.lower()
        ):
            return entry
    return None


def protected_item_state(resource: Any) -> tuple[str | None, str | None]:
    """(``protectionState``, ``policyId``) of a protected item."""
    props = _props(resource)
    state, policy = props.get("protectionState"), props.get("policyId")
    return (state if isinstance(state, str) else None, policy if isinstance(policy, str) else None)


# -- restores ---------------------------------------------------------------------------------------------

ITEM_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems"
COPY_OPTIONS = {"overwrite": "Overwrite", "skip": "Skip"}  # the API's CopyOptions we offer
FILE_SPEC_TYPES = {"file": "File", "folder": "Directory"}


def protected_item(item_id: str | ResourceId) -> ResourceId:
    """A protected item id, checked (``InvalidResourceIdError`` naming ``backupInstanceId`` otherwise)."""
    rid = item_id if isinstance(item_id, ResourceId) else parse_resource_id(item_id)
    if rid.type.lower() != ITEM_TYPE.lower():
        raise InvalidResourceIdError(
            rid.raw, "not a Recovery Services protected item id", field="backupInstanceId"
        )
    return rid


def vault_of_item(item_id: str | ResourceId) -> str:
    rid = protected_item(item_id)
    return ResourceId(
        rid.subscription, rid.resource_group, rid.namespace, rid.types[:1], rid.names[:1], ""
    ).canonical()


def recovery_points_path(item_id: str | ResourceId) -> str:
    return f"{protected_item(item_id).url_path()}/recoveryPoints"


def restore_path(item_id: str | ResourceId, recovery_point: str) -> str:
    return f"{recovery_points_path(item_id)}/{quote_segment(recovery_point)}/restore"


def backup_jobs_path(vault_id: str | ResourceId) -> str:
    return f"{vault_path(vault_id)}/backupJobs"


def backup_job_path(vault_id: str | ResourceId, job_name: str) -> str:
    return f"{backup_jobs_path(vault_id)}/{quote_segment(job_name)}"


def share_restore_body(
    *,
    source_account_id: str,
    copy_options: str,
    items: list[tuple[str, str]] | None = None,
    target_account_id: str | None = None,
    target_share: str | None = None,
    target_folder: str | None = None,
) -> dict[str, Any]:
    """``RestoreRequestResource`` with ``AzureFileShareRestoreRequest`` (docs-fileshare captures fs09/fs10):
    the full share (``items`` None) or items ``[(path, "File"|"Directory")]``, to the original share
    (no target) or to ``target_share`` of ``target_account_id`` (under ``target_folder``)."""
    alternate = target_account_id is not None
    props: dict[str, Any] = {
        "objectType": "AzureFileShareRestoreRequest",
        "recoveryType": "AlternateLocation" if alternate else "OriginalLocation",
        "sourceResourceId": parse_resource_id(source_account_id).canonical(),
        "copyOptions": copy_options,
        "restoreRequestType": "ItemLevelRestore" if items else "FullShareRestore",
    }
    folder = {"targetFolderPath": target_folder} if alternate and target_folder else {}
    if items:
        props["restoreFileSpecs"] = [{"path": path, "fileSpecType": kind, **folder} for path, kind in items]
    elif folder:
        props["restoreFileSpecs"] = [folder]
    if alternate:
        assert target_account_id is not None and target_share
        props["targetDetails"] = {
            "name": target_share,
            "targetResourceId": parse_resource_id(target_account_id).canonical(),
        }
    return {"properties": props}


def share_of_item(resource: Any) -> str | None:
    """The file share id a protected item protects (its ``sourceResourceId`` account + ``friendlyName``)."""
    props = _props(resource)
    account, name = props.get("sourceResourceId"), props.get("friendlyName")
    if not isinstance(account, str) or not isinstance(name, str) or not name:
        return None
    return f"{parse_resource_id(account).canonical()}/fileServices/default/shares/{name}"


# -- backup now and protection changes ---------------------------------------------------------------------

STOPPED = "ProtectionStopped"
SUSPENDED = "BackupsSuspended"  # ProtectionState since 2023 (bms.json 2025-08-01): retain as per policy


def backup_path(item_id: str | ResourceId) -> str:
    """``POST {protectedItem}/backup`` (Backups_Trigger)."""
    return f"{protected_item(item_id).url_path()}/backup"


def backup_request_body(expiry: str) -> dict[str, Any]:
    """``BackupRequestResource`` with ``AzureFileShareBackupRequest`` (fs07): the recovery point is kept
    until ``expiry`` (UTC, ``2020-03-07T18:29:59.000Z``)."""
    return {
        "properties": {"objectType": "AzureFileShareBackupRequest", "recoveryPointExpiryTimeInUTC": expiry}
    }


def protection_change_body(account_id: str, policy_id_: str, state: str | None) -> dict[str, Any]:
    """The ``ProtectedItemResource`` PUT that changes a share's protection: ``state`` ProtectionStopped (stop,
    keep the data: no policy), BackupsSuspended (no scheduled backups, retention as per ``policy_id_``), or
    None (resume: protected with ``policy_id_`` again, the body of enabling protection)."""
    body = protected_item_body(account_id, "" if state == STOPPED else policy_id_)
    if state is not None:
        body["properties"]["protectionState"] = state
    return body


def soft_deleted(resource: Any) -> tuple[bool, str | None]:
    """(whether the item is kept by the vault's soft delete, when it is purged) of a protected item:
    ``isScheduledForDeferredDelete``; the purge is ``deferredDeleteTimeInUTC`` (the delete) plus
    ``softDeleteRetentionPeriodInDays`` (14 unless the vault says otherwise)."""
    props = _props(resource)
    if props.get("isScheduledForDeferredDelete") is not True:
        return False, None
    deleted = parse_instant(props.get("deferredDeleteTimeInUTC"))
    days = props.get("softDeleteRetentionPeriodInDays")
    days = days if isinstance(days, int) and not isinstance(days, bool) and days > 0 else 14
    purge = (deleted + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ") if deleted else None
    return True, purge
