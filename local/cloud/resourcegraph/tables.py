"""Which Resource Graph table holds which resource type, and the columns every table exposes (data).

From "Azure Resource Graph table and resource type reference" (MicrosoftDocs/azure-docs
``articles/governance/resource-graph/reference/supported-tables-resources.md``):

* ``Resources`` holds top-level ARM resources only (``microsoft.storage/storageaccounts``,
  ``microsoft.dbforpostgresql/flexibleservers``, ``microsoft.dbforpostgresql/servers``, vaults, ...). Child
  types are not indexed: no ``.../fileservices/shares``, no ``.../blobservices/containers`` and no
  ``microsoft.dbforpostgresql/servers/databases`` (single-server databases must be listed through ARM).
* ``RecoveryServicesResources`` holds the backup records listed in ``RECOVERY_SERVICES_TYPES``.
* ``ResourceContainers`` holds subscriptions, resource groups and management groups.
"""

from __future__ import annotations

from functools import cache

#: Table names as KQL accepts them (case-insensitively) -> the canonical spelling.
TABLES = {
    "resources": "Resources",
    "recoveryservicesresources": "RecoveryServicesResources",
    "resourcecontainers": "ResourceContainers",
}

#: The columns of every row, in the order the service returns them.
COLUMNS = (
    "id",
    "name",
    "type",
    "tenantId",
    "kind",
    "location",
    "resourceGroup",
    "subscriptionId",
    "managedBy",
    "sku",
    "plan",
    "properties",
    "tags",
    "identity",
    "zones",
    "extendedLocation",
)

SUBSCRIPTION = "microsoft.resources/subscriptions"
RESOURCE_GROUP = "microsoft.resources/subscriptions/resourcegroups"
MANAGEMENT_GROUP = "microsoft.management/managementgroups"

RECOVERY_SERVICES_TYPES = frozenset(
    {
        "microsoft.dataprotection/backupvaults/backupinstances",
        "microsoft.dataprotection/backupvaults/backupjobs",
        "microsoft.dataprotection/backupvaults/backuppolicies",
        "microsoft.dataprotection/backupvaults/deletedbackupinstances",
        "microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems",
        "microsoft.recoveryservices/vaults/backupjobs",
        "microsoft.recoveryservices/vaults/backuppolicies",
    }
)

#: Top-level types that are not resources: containers (served as ResourceContainers rows) and emulator
#: bookkeeping.
_NOT_RESOURCES = ("microsoft.resources/", "microsoft.management/")


@cache
def table_of(arg_type: str) -> str | None:
    """The table of a lower-case ARG type (None: Resource Graph does not index it)."""
    if arg_type in RECOVERY_SERVICES_TYPES:
        return "RecoveryServicesResources"
    if arg_type in (SUBSCRIPTION, RESOURCE_GROUP, MANAGEMENT_GROUP):
        return "ResourceContainers"
    if arg_type.count("/") == 1 and not arg_type.startswith(_NOT_RESOURCES):
        return "Resources"
    return None
