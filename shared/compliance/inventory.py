"""What a sweep reads, and the compact rows it keeps of each answer.

Everything comes from Azure Resource Graph (never per-resource reads), except what Resource Graph does not
index: PostgreSQL single-server databases are listed through ARM, one bounded, rate-limited call per server
(``databases_path``), and the report says so. Each source is one query; its pages are reduced as they arrive
to the few fields the classification needs (``reduce_row``), so what is stored and later streamed stays small.

Row shapes (Resource Graph): every row has ``id, name, type, location, resourceGroup, subscriptionId, kind,
sku, tags, properties``; ``type`` is lower case; ``properties`` is the resource's ARM ``properties``.
Backup instances (``RecoveryServicesResources``): ``properties.dataSourceInfo.resourceID``,
``properties.policyInfo.policyId``, ``properties.currentProtectionState``, ``properties.protectionStatus``
(``status``, ``errorDetails``). Data Protection backup jobs: ``properties.dataSourceId``,
``properties.operationCategory``, ``properties.status``, ``properties.startTime``/``endTime``,
``properties.errorDetails``.
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
    BACKUP_INSTANCES = "backupInstances"
    BACKUP_JOBS = "backupJobs"


def _indexed_types() -> list[str]:
    """The datasource types a sweep covers, as Resource Graph indexes them (a database is found through its
    server). Backup-vault kinds only: file shares (Recovery Services) are not covered yet (see ``NOTES``)."""
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
    if source is Source.BACKUP_INSTANCES:
        return (
            "RecoveryServicesResources | where type in~ ("
            "'microsoft.dataprotection/backupvaults/backupinstances', "
            "'microsoft.dataprotection/backupvaults/deletedbackupinstances') "
            "| project id, name, properties"
        )
    return (
        "RecoveryServicesResources | where type =~ 'microsoft.dataprotection/backupvaults/backupjobs' "
        "| where properties.operationCategory =~ 'Backup' | project id, properties"
    )


def databases_path(server_id: str) -> str:
    """``GET {server}/databases``: a server's databases (not indexed by Resource Graph)."""
    return f"{parse_resource_id(server_id).url_path()}/databases"


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


@dataclass(frozen=True)
class SourceNote:
    """What the report says about how a part of the inventory was made."""

    source: str
    note: str


NOTES = (
    SourceNote("Resource Graph", "storage accounts, PostgreSQL servers, backup instances and backup jobs"),
    SourceNote(
        "ARM",
        "PostgreSQL single-server databases are not indexed by Resource Graph: listed per server through ARM "
        "(bounded, rate-limited calls)",
    ),
    SourceNote(
        "not covered",
        "Azure file shares are protected from their write events (Recovery Services), but sweeps do not "
        "cover them yet: Resource Graph does not index shares, and listing them per storage account and "
        "matching Recovery Services protected items is not built",
    ),
)
