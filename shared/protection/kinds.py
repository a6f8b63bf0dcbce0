"""Datasource kinds as data: what each protectable resource type needs.

Adding a kind (e.g. Azure file shares in a Recovery Services vault) is adding one ``DatasourceKind``
to ``KINDS``: the ARM type it matches, the backup ``datasourceType``, the service, the roles the vault
identity needs and where, an eligibility check over the resource as read from ARM, and the request
builder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.arm.ids import parse_resource_id
from shared.errors import InvalidRequestError
from shared.services import dataprotection as dp


class BackupService(StrEnum):
    DATA_PROTECTION = "DataProtection"  # Backup vault
    RECOVERY_SERVICES = "RecoveryServices"  # Recovery Services vault


class RoleScope(StrEnum):
    DATASOURCE = "datasource"  # the resource itself
    PARENT = "parent"  # the parent resource (the server of a database)
    RESOURCE_GROUP = "resource_group"  # the datasource's resource group
    KEY_VAULT = "key_vault"  # the Key Vault holding the connection secret


@dataclass(frozen=True)
class RoleRequirement:
    role_name: str
    role_definition_guid: str
    scope: RoleScope

    def role_definition_id(self, subscription: str) -> str:
        return (
            f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/"
            f"{self.role_definition_guid}"
        )


# Built-in role definition GUIDs (fixed across tenants).
STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR = "e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
PG_FLEX_LTR_BACKUP_ROLE = "c088a766-074b-43ba-90d4-1fb21feae531"


@dataclass(frozen=True)
class ProtectionTarget:
    """Everything a builder needs: the datasource as read from ARM + the rule's vault/policy/secret."""

    datasource_id: str
    location: str
    policy_id: str
    secret_uri: str | None = None
    parent_location: str | None = None


@dataclass(frozen=True)
class RoleAssignmentNeed:
    scope_id: str
    role_name: str
    role_definition_guid: str

    def to_dict(self) -> dict[str, str]:
        return {
            "scopeId": self.scope_id,
            "roleName": self.role_name,
            "roleDefinitionGuid": self.role_definition_guid,
        }


Eligibility = Callable[[Mapping[str, Any]], str | None]
Builder = Callable[[ProtectionTarget], dict[str, Any]]


@dataclass(frozen=True)
class DatasourceKind:
    name: str
    resource_types: tuple[str, ...]
    datasource_type: str
    service: BackupService
    roles: tuple[RoleRequirement, ...]
    resource_api_version: str  # to re-read the resource from ARM
    eligibility: Eligibility  # None when protectable, else the reason it is not
    build_backup_instance: Builder  # -> BackupInstance (DataProtection) properties
    description: str = ""

    def matches(self, resource_type: str) -> bool:
        return resource_type.lower() in (t.lower() for t in self.resource_types)

    def role_assignments(
        self, datasource_id: str, key_vault_id: str | None = None
    ) -> list[RoleAssignmentNeed]:
        """Exactly the (scope, role) pairs the vault identity needs for this datasource."""
        rid = parse_resource_id(datasource_id)
        out: list[RoleAssignmentNeed] = []
        for role in self.roles:
            scope: str
            if role.scope is RoleScope.DATASOURCE:
                scope = rid.canonical()
            elif role.scope is RoleScope.PARENT:
                parent = rid.parent
                scope = parent.canonical() if parent else rid.canonical()
            elif role.scope is RoleScope.RESOURCE_GROUP:
                scope = rid.resource_group_id
            else:
                if not key_vault_id:
                    raise InvalidRequestError(
                        "keyVaultId", f"{self.name} needs the Key Vault id to grant {role.role_name}"
                    )
                scope = parse_resource_id(key_vault_id).canonical()
            out.append(RoleAssignmentNeed(scope, role.role_name, role.role_definition_guid))
        return out


# -- eligibility ---------------------------------------------------------------------------------


def _props(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    props = resource.get("properties")
    return props if isinstance(props, Mapping) else {}


def storage_account_eligibility(resource: Mapping[str, Any]) -> str | None:
    """Blob operational backup: standard general-purpose v2 accounts without hierarchical namespace."""
    kind = str(resource.get("kind") or "")
    raw_sku = resource.get("sku")
    sku: Mapping[str, Any] = raw_sku if isinstance(raw_sku, Mapping) else {}
    tier = str(sku.get("tier") or "")
    sku_name = str(sku.get("name") or "")
    props = _props(resource)
    if kind == "BlockBlobStorage" or tier.lower() == "premium" or sku_name.lower().startswith("premium"):
        return "premium block blob / premium storage accounts are not supported for blob operational backup"
    if kind == "FileStorage":
        return "FileStorage (premium file share) accounts have no blob service to back up"
    if props.get("isNfsV3Enabled") is True:
        return "NFS 3.0 accounts are not supported for blob operational backup"
    if props.get("isHnsEnabled") is True:
        return "hierarchical namespace (ADLS Gen2) accounts are not supported for blob operational backup"
    if kind and kind != "StorageV2":
        return (
            f"storage account kind {kind} is not supported: blob operational backup needs general-purpose v2"
        )
    return None


_PG_SYSTEM_DATABASES = frozenset({"azure_maintenance", "azure_sys"})


def postgresql_database_eligibility(resource: Mapping[str, Any]) -> str | None:
    name = str(resource.get("name") or "")
    if name.lower() in _PG_SYSTEM_DATABASES:
        return f"{name} is a system database and cannot be backed up"
    return None


def always_eligible(resource: Mapping[str, Any]) -> str | None:
    return None


# -- builders ------------------------------------------------------------------------------------


def build_blob_instance(t: ProtectionTarget) -> dict[str, Any]:
    info = dp.datasource_info(t.datasource_id, datasource_type=BLOB.datasource_type, location=t.location)
    return dp.backup_instance(data_source_info=info, policy=dp.policy_info(t.policy_id))


def build_postgresql_instance(t: ProtectionTarget) -> dict[str, Any]:
    rid = parse_resource_id(t.datasource_id)
    server = rid.parent
    if server is None:
        raise InvalidRequestError("datasourceId", "a PostgreSQL database id must be under a server")
    if not t.secret_uri:
        raise InvalidRequestError("secretUri", "single-server PostgreSQL needs a Key Vault secret URI")
    dtype = POSTGRESQL.datasource_type
    info = dp.datasource_info(rid, datasource_type=dtype, location=t.location)
    set_info = dp.datasource_info(
        server, datasource_type=dtype, location=t.parent_location or t.location, object_type="DatasourceSet"
    )
    return dp.backup_instance(
        data_source_info=info,
        data_source_set_info=set_info,
        auth_credentials=dp.secret_store_credentials(t.secret_uri),
        policy=dp.policy_info(t.policy_id),
    )


def build_postgresql_flexible_instance(t: ProtectionTarget) -> dict[str, Any]:
    rid = parse_resource_id(t.datasource_id)
    info = dp.datasource_info(
        rid,
        datasource_type=POSTGRESQL_FLEXIBLE.datasource_type,
        location=t.location,
        resource_uri=rid.canonical(),
    )
    return dp.backup_instance(data_source_info=info, policy=dp.policy_info(t.policy_id))


# -- the table -----------------------------------------------------------------------------------

BLOB = DatasourceKind(
    name="blob",
    resource_types=("Microsoft.Storage/storageAccounts",),
    datasource_type="Microsoft.Storage/storageAccounts/blobServices",
    service=BackupService.DATA_PROTECTION,
    roles=(
        RoleRequirement(
            "Storage Account Backup Contributor", STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR, RoleScope.DATASOURCE
        ),
    ),
    resource_api_version="2023-05-01",
    eligibility=storage_account_eligibility,
    build_backup_instance=build_blob_instance,
    description="Blobs in a storage account, operational backup in a Backup vault",
)

POSTGRESQL = DatasourceKind(
    name="postgresql",
    resource_types=("Microsoft.DBforPostgreSQL/servers/databases",),
    datasource_type="Microsoft.DBforPostgreSQL/servers/databases",
    service=BackupService.DATA_PROTECTION,
    roles=(
        RoleRequirement("Reader", READER, RoleScope.PARENT),
        RoleRequirement("Key Vault Secrets User", KEY_VAULT_SECRETS_USER, RoleScope.KEY_VAULT),
    ),
    resource_api_version="2017-12-01",
    eligibility=postgresql_database_eligibility,
    build_backup_instance=build_postgresql_instance,
    description="Azure Database for PostgreSQL single server database, vaulted backup",
)

POSTGRESQL_FLEXIBLE = DatasourceKind(
    name="postgresql_flexible",
    resource_types=("Microsoft.DBforPostgreSQL/flexibleServers",),
    datasource_type="Microsoft.DBforPostgreSQL/flexibleServers",
    service=BackupService.DATA_PROTECTION,
    roles=(
        RoleRequirement(
            "PostgreSQL Flexible Server Long Term Retention Backup Role",
            PG_FLEX_LTR_BACKUP_ROLE,
            RoleScope.DATASOURCE,
        ),
        RoleRequirement("Reader", READER, RoleScope.RESOURCE_GROUP),
    ),
    resource_api_version="2022-12-01",
    eligibility=always_eligible,
    build_backup_instance=build_postgresql_flexible_instance,
    description="Azure Database for PostgreSQL flexible server, vaulted backup",
)

KINDS: tuple[DatasourceKind, ...] = (BLOB, POSTGRESQL, POSTGRESQL_FLEXIBLE)


def kind_for_type(resource_type: str) -> DatasourceKind | None:
    for kind in KINDS:
        if kind.matches(resource_type):
            return kind
    return None
