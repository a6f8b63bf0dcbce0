"""Who protects a datasource that the service says is already protected: one Resource Graph query.

``UserErrorDppDatasourceAlreadyProtected`` says *that* a datasource is protected, not *where* (its message
names a vault in prose). Resource Graph's ``RecoveryServicesResources`` has every backup instance with its
``dataSourceInfo.resourceID`` and ``policyInfo.policyId``: one query finds the holder, whatever subscription
its vault is in, so the outcome can say whether it is the rule's vault and policy (or drift).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.arm.client import ArmClient
from shared.arm.steps import answers_errors
from shared.errors import BackupAutopilotError
from shared.records import Record
from shared.services import resourcegraph as rg


@dataclass(frozen=True)
class Holder(Record):
    """The backup instance that protects the datasource (``found=False``: Resource Graph does not know it)."""

    found: bool = False
    backup_instance_id: str | None = None
    vault_id: str | None = None
    policy_id: str | None = None
    error: BackupAutopilotError | None = None


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


@answers_errors(lambda error: Holder(error=error))
async def find_holder(arm: ArmClient, datasource_id: str) -> Holder:
    query = holder_query(datasource_id)
    if query is None:
        return Holder()
    response = await arm.post(rg.PATH, api_version=rg.API_VERSION, json=rg.query_body(query, rg.GraphScope()))
    rows, _, _ = rg.page_of(response.body)
    if not rows:
        return Holder()
    row = rows[0]
    instance_id = str(row.get("id") or "")
    policy = ((row.get("properties") or {}).get("policyInfo") or {}).get("policyId")
    return Holder(True, instance_id, instance_id.split("/backupInstances/")[0] or None, policy)
