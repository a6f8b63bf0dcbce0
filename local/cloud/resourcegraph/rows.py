"""Rows of the three Resource Graph tables, built from the emulator's live state at query time.

Shape (every row, every table): the 16 columns of ``tables.COLUMNS``. ``type`` is the ARM type in lower
case; ``id`` keeps the casing the resource was created with; ``resourceGroup`` is lower case; absent
top-level values read as ``""`` (``kind``, ``location``, ``managedBy``) or ``null`` (``sku``, ``plan``,
``identity``, ``zones``, ``extendedLocation``); ``tags`` is ``{}`` when there are none; ``properties`` is the
resource's ARM ``properties`` object with the values as the resource provider returns them (``"StorageV2"``,
``"ProtectionConfigured"``, ...).

Where rows come from:

* ``Resources`` / ``RecoveryServicesResources``: every resource in the store whose type the table holds
  (``tables.table_of``), plus the records providers keep outside the store and publish through
  ``cloud.graph_sources`` (Data Protection and Recovery Services backup jobs).
* ``ResourceContainers``: subscriptions (``name`` is the display name; ``properties`` carries
  ``subscriptionPolicies``, ``state`` and ``managementGroupAncestorsChain``, nearest group first, the tenant
  root group last), resource groups (type ``microsoft.resources/subscriptions/resourcegroups``) and
  management groups (``properties.displayName``, ``properties.details.managementGroupAncestorsChain``,
  ``properties.details.parent``), including the tenant root group named after the tenant id.

Sources used for these shapes:

* "Query your backups using Azure Resource Graph (ARG)", MicrosoftDocs/azure-docs
  ``articles/backup/query-backups-using-azure-resource-graph.md`` (https://learn.microsoft.com/azure/backup/
  query-backups-using-azure-resource-graph): RecoveryServicesResources holds backup instances, protected
  items and jobs; sample queries read ``properties.currentProtectionState``, ``properties.dataSourceInfo.
  resourceID``, ``properties.policyInfo``, ``properties.sourceResourceId``, ``properties.policyId``,
  ``properties.backupManagementType``, ``properties.status``, ``properties.operationCategory``,
  ``properties.isUserTriggered``, ``properties.dataSourceId``; backup/restore jobs stay queryable 14 days.
* "Azure Resource Graph table and resource type reference", MicrosoftDocs/azure-docs
  ``articles/governance/resource-graph/reference/supported-tables-resources.md``: which type is in which
  table (no file shares, no PostgreSQL single-server databases in any table).
* Resource Graph sample queries for management groups, ``articles/governance/resource-graph/includes/
  samples-by-category/management-groups.md``: ``properties.managementGroupAncestorsChain`` (entries with
  ``name`` and ``displayName``, ``[0]`` the direct parent), ``properties.state == 'Enabled'``,
  ``properties.details.managementGroupAncestorsChain`` on management-group rows.
* Resource Graph storage samples, ``.../samples-by-category/azure-storage.md``: storage accounts under
  ``type =~ 'microsoft.storage/storageaccounts'``, tags read as ``tags['name']``.
* Az.DataProtection's Resource Graph helpers (Azure/azure-powershell, ``GetBackupInstanceARGQuery`` /
  ``GetBackupJobARGQuery``): ``RecoveryServicesResources | where type =~
  'microsoft.dataprotection/backupvaults/backupinstances'`` and ``.../backupjobs``.
* The 2024-04-01 ``Resources`` examples in the shared corpus (``resourcegraph/examples``): lower-case
  ``type``, ``tags`` as an object.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from ..core import Cloud, ResourceId
from ..core.cloud import RESOURCE_GROUP_TYPE, SUBSCRIPTION_TYPE
from ..providers.management import Group, Hierarchy
from ..providers.resources import TENANT_ID
from .tables import MANAGEMENT_GROUP, RESOURCE_GROUP, SUBSCRIPTION, table_of

Row = dict[str, Any]


@lru_cache(maxsize=1 << 18)
def _id_parts(resource_id: str) -> tuple[str, str, str]:
    """(subscription, lower-case resource group, name) of an id; ids never change, so this is cached."""
    parsed = ResourceId.parse(resource_id)
    return parsed.subscription or "", (parsed.resource_group or "").lower(), parsed.name


def resource_row(resource_id: str, arg_type: str, body: dict[str, Any]) -> Row:
    subscription, group, name = _id_parts(resource_id)
    return {
        "id": resource_id,
        "name": body.get("name") or name,
        "type": arg_type,
        "tenantId": TENANT_ID,
        "kind": body.get("kind") or "",
        "location": body.get("location") or "",
        "resourceGroup": group,
        "subscriptionId": subscription,
        "managedBy": body.get("managedBy") or "",
        "sku": body.get("sku"),
        "plan": body.get("plan"),
        "properties": body.get("properties") or {},
        "tags": body.get("tags") or {},
        "identity": body.get("identity"),
        "zones": body.get("zones"),
        "extendedLocation": body.get("extendedLocation"),
    }


def rows(cloud: Cloud, table: str) -> Iterator[Row]:
    """Every row of ``table`` (before any scope or query is applied)."""
    if table == "ResourceContainers":
        yield from _containers(cloud)
        return
    for resource in cloud.store:
        arg_type = resource.type.lower()
        if table_of(arg_type) == table:
            yield resource_row(resource.id, arg_type, resource.body)
    for source in cloud.graph_sources.values():
        for body in source(cloud):
            arg_type = str(body["type"]).lower()
            if table_of(arg_type) == table:
                yield resource_row(str(body["id"]), arg_type, body)


def _containers(cloud: Cloud) -> Iterator[Row]:
    hierarchy = Hierarchy.of(cloud)
    for sub in cloud.store.list_children("/", SUBSCRIPTION_TYPE):
        body = sub.body
        sub_id = str(body.get("subscriptionId") or sub.name)
        chain = [g.link() for g in hierarchy.subscription_chain(sub_id)]
        yield _container(
            sub.id,
            SUBSCRIPTION,
            str(body.get("displayName") or sub_id),
            sub_id,
            {
                "subscriptionPolicies": body.get("subscriptionPolicies") or {},
                "managementGroupAncestorsChain": chain,
                "state": body.get("state", "Enabled"),
            },
            tags=body.get("tags") or {},
        )
        for group in cloud.store.list_children(sub.id, RESOURCE_GROUP_TYPE):
            yield {
                **_container(
                    group.id,
                    RESOURCE_GROUP,
                    group.name,
                    sub_id,
                    group.body.get("properties") or {},
                    tags=group.body.get("tags") or {},
                ),
                "location": group.location or "",
                "resourceGroup": group.name.lower(),
                "managedBy": group.body.get("managedBy") or "",
            }
    for mg in hierarchy.groups:
        yield _container(mg.id, MANAGEMENT_GROUP, mg.name, "", _group_properties(hierarchy, mg))


def _group_properties(hierarchy: Hierarchy, group: Group) -> dict[str, Any]:
    parent = hierarchy.group(group.parent) if group.parent else None
    details: dict[str, Any] = {
        "managementGroupAncestorsChain": [g.link() for g in hierarchy.ancestors(group.name)],
        "parent": {"id": parent.id, "name": parent.name, "displayName": parent.display_name}
        if parent
        else None,
    }
    return {"displayName": group.display_name, "tenantId": TENANT_ID, "details": details}


def _container(
    rid: str, arg_type: str, name: str, subscription: str, properties: dict[str, Any], tags: Any = None
) -> Row:
    return {
        "id": rid,
        "name": name,
        "type": arg_type,
        "tenantId": TENANT_ID,
        "kind": "",
        "location": "",
        "resourceGroup": "",
        "subscriptionId": subscription,
        "managedBy": "",
        "sku": None,
        "plan": None,
        "properties": properties,
        "tags": tags or {},
        "identity": None,
        "zones": None,
        "extendedLocation": None,
    }
