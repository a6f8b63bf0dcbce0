"""Soft delete of backup instances.

With soft delete on (``securitySettings.softDeleteSettings.state`` ``On`` or ``AlwaysOn``, what a new vault
gets) a deleted instance moves to ``deletedBackupInstances/{name}`` (``DeletedBackupInstance`` with
``deletionInfo``) for the retention days, and protecting its datasource again in that vault is refused until
it is undeleted or purged (Azure: a soft-deleted item cannot be registered again with the same vault; the
error code is not captured: ``UserErrorBackupInstanceSoftDeleted``).
"""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta

from ...core import Cloud, CloudError, Resource, iso, norm
from .state import DataProtectionState

DELETED_TYPE = "Microsoft.DataProtection/backupVaults/deletedBackupInstances"
SOFT_DELETE_ON = frozenset({"on", "alwayson"})


def soft_delete_on(vault: Resource) -> bool:
    settings = (vault.properties.get("securitySettings") or {}).get("softDeleteSettings") or {}
    return str(settings.get("state", "")).lower() in SOFT_DELETE_ON


def refuse_if_soft_deleted(cloud: Cloud, vault: Resource, datasource_id: str) -> None:
    """A PUT of a backup instance for a datasource that has a soft-deleted instance in the vault: refused."""
    for deleted in cloud.store.list_children(vault.id, DELETED_TYPE):
        info = (deleted.properties.get("dataSourceInfo") or {}).get("resourceID")
        if norm(str(info or "")) == norm(datasource_id):
            raise CloudError(
                409,
                "UserErrorBackupInstanceSoftDeleted",
                f"The datasource has a backup instance '{deleted.name}' in soft deleted state in this vault. "
                "Undelete it to resume its protection, or wait until it is purged before protecting the "
                "datasource again in this vault.",
            )


def soft_delete(cloud: Cloud, instance: Resource) -> None:
    """Move ``instance`` to ``deletedBackupInstances/{name}`` with its ``deletionInfo`` (the vault's days)."""
    vault_id, name = instance.id.rsplit("/backupInstances/", 1)
    vault = cloud.require(vault_id)
    settings = (vault.properties.get("securitySettings") or {}).get("softDeleteSettings") or {}
    now = cloud.clock.now()
    deleted_id = f"{vault_id}/deletedBackupInstances/{name}"
    body = copy.deepcopy(instance.body)
    body.update({"id": deleted_id, "name": name, "type": DELETED_TYPE})
    body["properties"]["deletionInfo"] = {
        "deletionTime": iso(now),
        "billingEndDate": iso(now),
        "scheduledPurgeTime": iso(now + timedelta(days=float(settings.get("retentionDurationInDays", 14)))),
        "deleteActivityID": str(uuid.uuid4()),
    }
    state = cloud.state(DataProtectionState)
    ds_id = norm(str(instance.properties["dataSourceInfo"]["resourceID"]))
    if norm(state.protected.get(ds_id, "")) == norm(instance.id):
        state.protected.pop(ds_id)
    state.recovery_points.pop(norm(instance.id), None)
    cloud.store.delete(instance.id)
    cloud.store.put(deleted_id, DELETED_TYPE, body, cloud.clock.seconds())
