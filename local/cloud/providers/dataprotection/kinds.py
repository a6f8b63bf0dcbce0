"""Datasource kinds as data: which datasourceType means what, which roles the vault identity needs
on which scope, and which account shapes are unsupported. (STYLE.md: data over code.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...core import Resource, ResourceId
from ..authorization.roles import PG_FLEX_LTR_BACKUP, READER, STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR

#: (role guid, function from the datasource id to the scope the role must cover, label)
RoleNeed = tuple[str, Callable[[str], str], str]


def _itself(resource_id: str) -> str:
    return resource_id


def _server_of_database(resource_id: str) -> str:
    return resource_id.rsplit("/databases/", 1)[0]


def _resource_group_of(resource_id: str) -> str:
    parsed = ResourceId.parse(resource_id)
    return f"/subscriptions/{parsed.subscription}/resourceGroups/{parsed.resource_group}"


@dataclass(frozen=True)
class DatasourceKind:
    key: str
    datasource_types: tuple[str, ...]
    resource_type: str
    roles: tuple[RoleNeed, ...]
    #: True when backups land in the vault (recovery points); False for operational (continuous) backup.
    needs_key_vault: bool = False


BLOB = DatasourceKind(
    "blob",
    ("microsoft.storage/storageaccounts/blobservices", "microsoft.storage/storageaccounts/adlsblobservices"),
    "Microsoft.Storage/storageAccounts",
    (
        (
            STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR,
            _itself,
            "Storage Account Backup Contributor on the storage account",
        ),
    ),
)
POSTGRESQL = DatasourceKind(
    "postgresql",
    ("microsoft.dbforpostgresql/servers/databases", "ossdb"),
    "Microsoft.DBforPostgreSQL/servers/databases",
    ((READER, _server_of_database, "Reader on the PostgreSQL server"),),
    needs_key_vault=True,
)
POSTGRESQL_FLEX = DatasourceKind(
    "postgresql_flex",
    ("microsoft.dbforpostgresql/flexibleservers",),
    "Microsoft.DBforPostgreSQL/flexibleServers",
    (
        (
            PG_FLEX_LTR_BACKUP,
            _itself,
            "PostgreSQL Flexible Server Long Term Retention Backup Role on the server",
        ),
        (READER, _resource_group_of, "Reader on the server's resource group"),
    ),
)
KINDS = (BLOB, POSTGRESQL, POSTGRESQL_FLEX)


def kind_for(datasource_type: str) -> DatasourceKind | None:
    wanted = datasource_type.lower()
    for kind in KINDS:
        if wanted in kind.datasource_types:
            return kind
    return None


def unsupported_account_reason(account: Resource, vaulted: bool) -> str | None:
    """Why a storage account cannot be protected (None when it can). Operational backup needs
    general-purpose v2 (or BlobStorage) without hierarchical namespace; premium block blob and NFS 3.0
    accounts are refused."""
    kind = str(account.body.get("kind", ""))
    sku = str((account.body.get("sku") or {}).get("name", ""))
    if kind == "FileStorage":
        return "FileStorage accounts have no blob service to protect."
    if kind == "BlockBlobStorage" or sku.lower().startswith("premium"):
        return "Premium (BlockBlobStorage) storage accounts are not supported for blob backup."
    if account.properties.get("isNfsV3Enabled"):
        return "Storage accounts with NFS 3.0 enabled are not supported for blob backup."
    if account.properties.get("isHnsEnabled") and not vaulted:
        return "Storage accounts with hierarchical namespace (ADLS Gen2) do not support operational backup."
    return None
