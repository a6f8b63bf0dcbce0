"""Datasource kinds as data: what each protectable resource type needs.

Adding a kind is adding one ``DatasourceKind`` to ``KINDS``: the ARM type it matches, the backup
``datasourceType``, the service (which decides the vault type a rule must name and the flow the
orchestration runs: ``functions/protection/flows``), the roles the vault identity needs and where, the
resource that carries its location and tags when it has none, an eligibility check over the resource as
read from ARM, and the request builder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.arm.ids import ResourceId, parse_resource_id
from shared.errors import InvalidRequestError
from shared.services import dataprotection as dp
from shared.services import recoveryservices as rs


class BackupService(StrEnum):
    DATA_PROTECTION = "DataProtection"  # Backup vault
    RECOVERY_SERVICES = "RecoveryServices"  # Recovery Services vault

    @property
    def vault_type(self) -> str:
        return dp.VAULT_TYPE if self is BackupService.DATA_PROTECTION else rs.VAULT_TYPE

    def policy_id(self, vault_id: str, policy_name: str) -> str:
        """The policy's id in the vault (both services keep policies under ``backupPolicies``)."""
        if self is BackupService.DATA_PROTECTION:
            return dp.policy_id(vault_id, policy_name)
        return rs.policy_id(vault_id, policy_name)


def service_of_vault(vault_type: str) -> BackupService | None:
    """The service whose vaults have this ARM type, or None."""
    return next((s for s in BackupService if s.vault_type.lower() == vault_type.lower()), None)


class RoleScope(StrEnum):
    DATASOURCE = "datasource"  # the resource itself
    PARENT = "parent"  # the parent resource (the server of a database)
    RESOURCE_GROUP = "resource_group"  # the datasource's resource group
    KEY_VAULT = "key_vault"  # the Key Vault holding the connection secret
    TOP_LEVEL = "top_level"  # the top-level resource it is under (the storage account of a file share)


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


BLOB_CONTAINER_TYPE = "Microsoft.Storage/storageAccounts/blobServices/containers"

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
    resource_api_version: str  # to re-read the resource (and the resource it is located by) from ARM
    eligibility: Eligibility  # None when protectable, else the reason it is not
    build_request: Builder  # -> BackupInstance (DataProtection) / ProtectedItemResource (RecoveryServices)
    description: str = ""
    #: The resource whose location and tags the datasource takes when it carries none (a database: its
    #: server; a file share: its storage account); None when it always carries its own.
    located_by: RoleScope | None = None
    #: Child resource types whose *writes* concern the datasource's protection: a blob container created
    #: later must join a vaulted blob backup's container list. Such a write re-checks the datasource.
    member_types: tuple[str, ...] = ()

    def scope_id(self, scope: RoleScope, datasource_id: str) -> str:
        """The id of the resource ``scope`` names for this datasource (not the Key Vault: see the rule)."""
        rid = parse_resource_id(datasource_id)
        if scope is RoleScope.DATASOURCE:
            return rid.canonical()
        if scope is RoleScope.PARENT:
            return rid.parent.canonical() if rid.parent else rid.canonical()
        if scope is RoleScope.RESOURCE_GROUP:
            return rid.resource_group_id
        if scope is RoleScope.TOP_LEVEL:
            top = ResourceId(
                rid.subscription, rid.resource_group, rid.namespace, rid.types[:1], rid.names[:1], ""
            )
            return top.canonical()
        raise ValueError(f"{scope} is not derived from the datasource id")

    def located_by_id(self, datasource_id: str) -> str | None:
        """The id of the resource that carries this datasource's location and tags, when another does."""
        return self.scope_id(self.located_by, datasource_id) if self.located_by else None

    def matches(self, resource_type: str) -> bool:
        return resource_type.lower() in (t.lower() for t in self.resource_types)

    def role_assignments(
        self, datasource_id: str, key_vault_id: str | None = None
    ) -> list[RoleAssignmentNeed]:
        """Exactly the (scope, role) pairs the vault identity needs for this datasource."""
        out: list[RoleAssignmentNeed] = []
        for role in self.roles:
            scope: str
            if role.scope is RoleScope.KEY_VAULT:
                if not key_vault_id:
                    raise InvalidRequestError(
                        "keyVaultId", f"{self.name} needs the Key Vault id to grant {role.role_name}"
                    )
                scope = parse_resource_id(key_vault_id).canonical()
            else:
                scope = self.scope_id(role.scope, datasource_id)
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


def file_share_eligibility(resource: Mapping[str, Any]) -> str | None:
    """Azure Backup for file shares (Recovery Services, snapshot-based) protects SMB shares."""
    protocols = str(_props(resource).get("enabledProtocols") or "SMB")
    if protocols.upper() == "NFS":
        return "NFS file shares are not supported by Azure Backup for Azure Files (SMB shares only)"
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


def build_file_share_item(t: ProtectionTarget) -> dict[str, Any]:
    account, _ = rs.share_location(t.datasource_id)
    return rs.protected_item_body(account, t.policy_id)


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
    build_request=build_blob_instance,
    description="Blobs in a storage account, operational backup in a Backup vault",
    member_types=(BLOB_CONTAINER_TYPE,),
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
    build_request=build_postgresql_instance,
    description="Azure Database for PostgreSQL single server database, vaulted backup",
    located_by=RoleScope.PARENT,
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
    build_request=build_postgresql_flexible_instance,
    description="Azure Database for PostgreSQL flexible server, vaulted backup",
)

FILE_SHARE = DatasourceKind(
    name="file_share",
    resource_types=(rs.SHARE_TYPE,),
    datasource_type="AzureFileShare",
    service=BackupService.RECOVERY_SERVICES,
    roles=(
        RoleRequirement(
            "Storage Account Backup Contributor", STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR, RoleScope.TOP_LEVEL
        ),
    ),
    resource_api_version="2023-05-01",
    eligibility=file_share_eligibility,
    build_request=build_file_share_item,
    description="Azure file share, snapshot backup in a Recovery Services vault",
    located_by=RoleScope.TOP_LEVEL,
)

KINDS: tuple[DatasourceKind, ...] = (BLOB, POSTGRESQL, POSTGRESQL_FLEXIBLE, FILE_SHARE)


def owner_of_member(resource_id: str) -> tuple[DatasourceKind, str] | None:
    """For a member resource (a blob container): its datasource kind and the datasource's id."""
    rid = parse_resource_id(resource_id)
    for kind in KINDS:
        if rid.type.lower() in (t.lower() for t in kind.member_types):
            return kind, kind.scope_id(RoleScope.TOP_LEVEL, rid.canonical())
    return None


def kind_for_type(resource_type: str) -> DatasourceKind | None:
    for kind in KINDS:
        if kind.matches(resource_type):
            return kind
    return None
