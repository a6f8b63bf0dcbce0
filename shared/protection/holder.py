"""Who protects a datasource that the service says is already protected: one Resource Graph query.

``UserErrorDppDatasourceAlreadyProtected`` says *that* a datasource is protected, not *where* (its message
names a vault in prose). Resource Graph's ``RecoveryServicesResources`` has every backup instance with its
``dataSourceInfo.resourceID`` and ``policyInfo.policyId``: one query finds the holder, whatever subscription
its vault is in, so the outcome can say whether it is the rule's vault and policy (or drift). The same
table holds the Recovery Services protected items of file shares (``find_share_holder``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.arm.client import ArmClient
from shared.arm.steps import answers_errors
from shared.errors import BackupAutopilotError
from shared.records import Record
from shared.restore import share_steps
from shared.services import dataprotection as dp
from shared.services import recoveryservices as rs
from shared.services import resourcegraph as rg


@dataclass(frozen=True)
class Holder(Record):
    """The backup instance that protects the datasource (``found=False``: Resource Graph does not know it)."""

    found: bool = False
    backup_instance_id: str | None = None
    vault_id: str | None = None
    policy_id: str | None = None
    error: BackupAutopilotError | None = None
    #: Its protection state as the service reports it (``currentProtectionState`` of a backup instance,
    #: ``protectionState`` of a protected item, ``SoftDeleted`` while a vault's soft delete keeps it).
    state: str | None = None

    def paused(self) -> bool:
        """Protection was stopped or suspended on purpose (a person's decision, never undone here)."""
        return (self.state or "").lower() in PAUSED_STATES


#: States a person chose: stopped (data kept), backups suspended (a Backup vault's and a Recovery Services
#: vault's name for it), deleted and kept by soft delete.
PAUSED_STATES = frozenset(
    {"protectionstopped", "backupschedulessuspended", "backupssuspended", "softdeleted", "softdeleting"}
)


def holder_query(datasource_id: str) -> str | None:
    """The KQL, or None when the id cannot be put in a KQL string literal safely."""
    if any(c in datasource_id for c in "'\\\"\n\r"):
        return None
    return (
        "RecoveryServicesResources "
        "| where type =~ 'microsoft.dataprotection/backupvaults/backupinstances' "
        f"| where tostring(properties.dataSourceInfo.resourceID) =~ '{datasource_id}' "
        "| project id, properties"
    )


ITEM_TYPE = "microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems"


def share_holder_query(share_id: str) -> str | None:
    """The KQL finding a file share's protected item (any Recovery Services vault), or None when the id
    cannot be put in a KQL string literal safely."""
    if any(c in share_id for c in "'\\\"\n\r"):
        return None
    account, share = rs.share_location(share_id)
    return (
        "RecoveryServicesResources "
        f"| where type =~ '{ITEM_TYPE}' "
        f"| where tostring(properties.sourceResourceId) =~ '{account}' "
        f"| where tostring(properties.friendlyName) =~ '{share}' "
        "| project id, properties"
    )


async def _first_row(arm: ArmClient, query: str) -> dict[str, Any] | None:
    response = await arm.post(rg.PATH, api_version=rg.API_VERSION, json=rg.query_body(query, rg.GraphScope()))
    rows, _, _ = rg.page_of(response.body)
    return dict(rows[0]) if rows else None


@answers_errors(lambda error: Holder(error=error))
async def find_share_holder(arm: ArmClient, share_id: str) -> Holder:
    query = share_holder_query(share_id)
    row = await _first_row(arm, query) if query is not None else None
    if row is None:
        return Holder()
    item_id = str(row.get("id") or "")
    policy = (row.get("properties") or {}).get("policyId")
    vault = item_id.split("/backupFabrics/")[0] if "/backupFabrics/" in item_id else None
    state = share_steps.item_state(row)
    return Holder(True, item_id, vault or None, policy if isinstance(policy, str) else None, state=state)


@answers_errors(lambda error: Holder(error=error))
async def find_holder(arm: ArmClient, datasource_id: str) -> Holder:
    query = holder_query(datasource_id)
    row = await _first_row(arm, query) if query is not None else None
    if row is None:
        return Holder()
    instance_id = str(row.get("id") or "")
    policy = ((row.get("properties") or {}).get("policyInfo") or {}).get("policyId")
    state = dp.protection_state(row)[0]
    return Holder(True, instance_id, instance_id.split("/backupInstances/")[0] or None, policy, state=state)
