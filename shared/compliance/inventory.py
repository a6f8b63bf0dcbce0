"""What a sweep reads, and the compact rows it keeps of each answer.

Everything comes from Azure Resource Graph (never per-resource reads), except what Resource Graph does not
index: PostgreSQL single-server databases are listed through ARM, one bounded, rate-limited call per server
(``databases_path``), and Azure file shares (``microsoft.storage/storageaccounts/fileservices/shares`` is in
no Resource Graph table) through ARM, one call per page of an account's shares (``shares_path``), only for the
accounts a file-share rule can match or a Recovery Services protected item names; the report says so. Each
source is one query; its pages are reduced as they arrive to the few fields the classification needs
(``reduce_row``), so what is stored and later streamed stays small.

Row shapes (Resource Graph): every row has ``id, name, type, location, resourceGroup, subscriptionId, kind,
sku, tags, properties``; ``type`` is lower case; ``properties`` is the resource's ARM ``properties``.
Backup instances (``RecoveryServicesResources``): ``properties.dataSourceInfo.resourceID``,
``properties.policyInfo.policyId``, ``properties.currentProtectionState``, ``properties.protectionStatus``
(``status``, ``errorDetails``). Data Protection backup jobs: ``properties.dataSourceId``,
``properties.operationCategory``, ``properties.status``, ``properties.startTime``/``endTime``,
``properties.errorDetails``. Recovery Services protected items of file shares (``RecoveryServicesResources``,
``AzureFileshareProtectedItem`` in ``bms.json``): ``properties.sourceResourceId`` (the storage account),
``properties.friendlyName`` (the share), ``properties.policyId``, ``properties.protectionState``,
``properties.protectionStatus``, ``properties.lastBackupStatus``/``lastBackupTime``,
``properties.kpisHealths`` (``resourceHealthStatus`` and ``resourceHealthDetails`` per KPI). Their backup
jobs (``AzureStorageJob``): ``properties.storageAccountName``, ``properties.entityFriendlyName``,
``properties.operation``, ``properties.status``, ``properties.startTime``/``endTime``,
``properties.errorDetails`` (``errorCode``, ``errorString``, ``recommendations``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.arm.ids import parse_resource_id
from shared.errors import BackupAutopilotError
from shared.protection.kinds import KINDS, BackupService

POSTGRESQL_SERVER_TYPE = "microsoft.dbforpostgresql/servers"
POSTGRESQL_DATABASE_TYPE = "microsoft.dbforpostgresql/servers/databases"
POSTGRESQL_API_VERSION = "2017-12-01"
STORAGE_ACCOUNT_TYPE = "microsoft.storage/storageaccounts"
STORAGE_API_VERSION = "2023-05-01"  # Microsoft.Storage fileServices/shares (the share kind's api-version)
SHARE_ITEM_TYPE = "microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems"
RS_JOB_TYPE = "microsoft.recoveryservices/vaults/backupjobs"
_DATASOURCE_COLUMNS = (
    "id",
    "name",
    "type",
    "kind",
    "location",
    "resourceGroup",
    "subscriptionId",
    "sku",
    "tags",
)


class Source(StrEnum):
    SUBSCRIPTIONS = "subscriptions"
    DATASOURCES = "datasources"
    BACKUP_INSTANCES = "backupInstances"  # and the Recovery Services protected items of file shares
    BACKUP_JOBS = "backupJobs"  # and the Recovery Services backup jobs of file shares


def _indexed_types() -> list[str]:
    """The datasource types a sweep reads from Resource Graph's ``Resources``: the Backup-vault kinds (a
    database is found through its server). Storage accounts are among them, and carry the file shares."""
    types = {
        t.lower()
        for kind in KINDS
        if kind.service is BackupService.DATA_PROTECTION
        for t in kind.resource_types
    }
    if POSTGRESQL_DATABASE_TYPE in types:
        types.discard(POSTGRESQL_DATABASE_TYPE)
        types.add(POSTGRESQL_SERVER_TYPE)
    return sorted(types)


def query_of(source: Source) -> str:
    """The KQL of a source. Every query keeps ``id`` (Resource Graph pages only such answers)."""
    if source is Source.SUBSCRIPTIONS:
        return (
            "ResourceContainers | where type =~ 'microsoft.resources/subscriptions' "
            "| project id, name, subscriptionId"
        )
    if source is Source.DATASOURCES:
        types = ", ".join(f"'{t}'" for t in _indexed_types())
        return (
            f"Resources | where type in~ ({types}) "
            "| project id, name, type, kind, location, resourceGroup, subscriptionId, sku, tags, properties"
        )
    if source is Source.BACKUP_INSTANCES:  # one query for both kinds of protection record (one table)
        return (
            "RecoveryServicesResources | where type in~ ("
            "'microsoft.dataprotection/backupvaults/backupinstances', "
            "'microsoft.dataprotection/backupvaults/deletedbackupinstances') "
            f"or (type =~ '{SHARE_ITEM_TYPE}' "
            "and tostring(properties.backupManagementType) =~ 'AzureStorage') "
            "| project id, name, type, properties"
        )
    return (
        "RecoveryServicesResources | where (type =~ 'microsoft.dataprotection/backupvaults/backupjobs' "
        "and properties.operationCategory =~ 'Backup') "
        f"or (type =~ '{RS_JOB_TYPE}' and tostring(properties.backupManagementType) =~ 'AzureStorage' "
        "and tostring(properties.operation) =~ 'Backup') | project id, type, properties"
    )


def databases_path(server_id: str) -> str:
    """``GET {server}/databases``: a server's databases (not indexed by Resource Graph)."""
    return f"{parse_resource_id(server_id).url_path()}/databases"


def shares_path(account_id: str) -> str:
    """``GET {account}/fileServices/default/shares``: an account's file shares (not indexed by Resource Graph;
    paged with ``nextLink``; soft-deleted shares only with ``$expand=deleted``, which is not asked)."""
    return f"{parse_resource_id(account_id).url_path()}/fileServices/default/shares"


def share_key(account_id: str, share: str) -> str:
    """The case-insensitive key of a file share id, from its account id and name."""
    return f"{_key(account_id)}/fileservices/default/shares/{share.lower()}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _key(resource_id: Any) -> str:
    """The case-insensitive key of an ARM id (``""`` when it is not one)."""
    if not isinstance(resource_id, str) or not resource_id:
        return ""
    try:
        return parse_resource_id(resource_id).key()
    except BackupAutopilotError:
        return resource_id.lower()


def _vault_of(instance_id: str) -> str | None:
    """The vault of a (deleted) backup instance id."""
    lowered = instance_id.lower()
    for marker in ("/backupinstances/", "/deletedbackupinstances/"):
        at = lowered.find(marker)
        if at > 0:
            return instance_id[:at]
    return None


def reduce_row(source: Source, row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The compact form of one row kept for the classification (None: nothing to keep)."""
    props = _dict(row.get("properties"))
    if source is Source.SUBSCRIPTIONS:
        return {"subscriptionId": str(row.get("subscriptionId") or ""), "name": str(row.get("name") or "")}
    if source is Source.DATASOURCES:
        return {k: row.get(k) for k in _DATASOURCE_COLUMNS} | {"properties": props}
    arg_type = str(row.get("type") or "").lower()
    if source is Source.BACKUP_INSTANCES and arg_type == SHARE_ITEM_TYPE:
        return _share_item(row, props)
    if source is Source.BACKUP_INSTANCES:
        info = _dict(props.get("dataSourceInfo"))
        status = _dict(props.get("protectionStatus"))
        return {
            "datasource": _key(info.get("resourceID")),
            "datasourceId": info.get("resourceID"),
            "datasourceType": info.get("datasourceType"),
            "instanceId": row.get("id"),
            "vaultId": _vault_of(str(row.get("id") or "")),
            "policyId": _dict(props.get("policyInfo")).get("policyId"),
            "state": props.get("currentProtectionState"),
            "status": status.get("status"),
            "errorDetails": status.get("errorDetails"),
        }
    if arg_type == RS_JOB_TYPE:
        return _share_job(row, props)
    datasource = _key(props.get("dataSourceId"))
    if not datasource:
        return None
    return {
        "datasource": datasource,
        "status": props.get("status"),
        "startTime": props.get("startTime"),
        "endTime": props.get("endTime"),
        "errorDetails": props.get("errorDetails"),
    }


def _share_item(row: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any] | None:
    """A protected item as the classification sees a protection: the share it protects (its account and
    friendly name), the vault, the policy, ``protectionState`` (the state) and the item's own health."""
    account, share = props.get("sourceResourceId"), props.get("friendlyName")
    if not isinstance(account, str) or not account or not isinstance(share, str) or not share:
        return None
    item_id = str(row.get("id") or "")
    at = item_id.lower().find("/backupfabrics/")
    share_id = f"{account.rstrip('/')}/fileServices/default/shares/{share}"
    vault = item_id[:at] if at > 0 else str(props.get("vaultId") or "")
    return {
        "datasource": share_key(account, share),
        "datasourceId": _canonical(share_id),
        "datasourceType": "AzureFileShare",
        "instanceId": item_id,
        "vaultId": vault or None,
        "jobKey": share_job_key(vault, account.rstrip("/").rsplit("/", 1)[-1], share),
        "policyId": props.get("policyId"),
        "state": props.get("protectionState"),
        "protectionStatus": props.get("protectionStatus"),
        "lastBackupStatus": props.get("lastBackupStatus"),
        "lastBackupTime": props.get("lastBackupTime"),
        "kpisHealths": props.get("kpisHealths") if isinstance(props.get("kpisHealths"), dict) else None,
    }


def _share_job(row: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any] | None:
    """An ``AzureStorageJob``: it names its share by vault, storage account name and share name
    (``storageAccountName``, ``entityFriendlyName``), not by id; :func:`share_job_key` matches it to the
    protected item of the same vault, account and share."""
    item_id, account, share = (
        str(row.get("id") or ""),
        props.get("storageAccountName"),
        props.get("entityFriendlyName"),
    )
    at = item_id.lower().find("/backupjobs/")
    if at <= 0 or not isinstance(account, str) or not account or not isinstance(share, str) or not share:
        return None
    return {
        "job": share_job_key(item_id[:at], account, share),
        "status": props.get("status"),
        "startTime": props.get("startTime"),
        "endTime": props.get("endTime"),
        "errorDetails": props.get("errorDetails"),
    }


def share_job_key(vault_id: str, account_name: str, share: str) -> str:
    """What a Recovery Services job and a protected item of the same share have in common (account names are
    unique across Azure)."""
    return f"{vault_id.lower()}|{account_name.lower()}|{share.lower()}"


def _canonical(resource_id: str) -> str:
    try:
        return parse_resource_id(resource_id).canonical()
    except BackupAutopilotError:
        return resource_id


@dataclass(frozen=True)
class SourceNote:
    """What the report says about how a part of the inventory was made."""

    source: str
    note: str


NOTES = (
    SourceNote(
        "Resource Graph",
        "storage accounts, PostgreSQL servers, backup instances, backup jobs, and the Recovery Services "
        "protected items and backup jobs of file shares",
    ),
    SourceNote(
        "ARM",
        "PostgreSQL single-server databases are not indexed by Resource Graph: listed per server through ARM "
        "(bounded, rate-limited calls)",
    ),
    SourceNote(
        "ARM",
        "Azure file shares are not indexed by Resource Graph: listed through ARM for the storage accounts a "
        "file-share rule can match or a protected item names (bounded, rate-limited calls); shares of other "
        "accounts are not reported",
    ),
)
