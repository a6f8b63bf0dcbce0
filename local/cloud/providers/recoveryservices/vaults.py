"""Recovery Services vaults and backup policies (AzureStorage file-share policies): plain ARM CRUD."""

from __future__ import annotations

import uuid
from typing import Any

from ...core import Cloud, CloudError, RequestContext, Resource, ResourceType, base_body, register_type

VAULT_TYPE = "Microsoft.RecoveryServices/vaults"
POLICY_TYPE = "Microsoft.RecoveryServices/vaults/backupPolicies"
VAULTS = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.RecoveryServices/vaults"  # noqa: E501
VAULT = VAULTS + "/{vaultName}"


def vault_body(
    cloud: Cloud, ctx: RequestContext, rid: str, req: dict[str, Any], old: Resource | None
) -> dict[str, Any]:
    if not req.get("location") and old is None:
        raise CloudError(400, "LocationRequired", "The location property is required for this definition.")
    props = dict(old.properties) if old else {}
    props.update(req.get("properties") or {})
    props["provisioningState"] = "Succeeded"
    body = base_body(
        rid,
        VAULT_TYPE,
        req,
        location=req.get("location") or (old.location if old else None),
        properties=props,
    )
    body["sku"] = (
        req.get("sku") or (old.body.get("sku") if old else None) or {"name": "RS0", "tier": "Standard"}
    )
    identity = req.get("identity") or (old.body.get("identity") if old else None)
    if isinstance(identity, dict) and "systemassigned" in str(identity.get("type", "")).lower():
        identity = {
            "principalId": str(uuid.uuid4()),
            "tenantId": "00000000-0000-0000-0000-000000000000",
            **identity,
        }
    if identity:
        body["identity"] = identity
    body["etag"] = f"W/\"datetime'{cloud.clock.now().isoformat()}'\""
    return body


def policy_body(
    cloud: Cloud, ctx: RequestContext, rid: str, req: dict[str, Any], old: Resource | None
) -> dict[str, Any]:
    props = dict(req.get("properties") or {})
    if not props.get("backupManagementType"):
        raise CloudError(
            400, "BMSUserErrorInvalidInput", "Input provided for the call is invalid: backupManagementType."
        )
    props.setdefault("protectedItemsCount", 0)
    if props["backupManagementType"] == "AzureStorage":
        props.setdefault("workLoadType", "AzureFileShare")
    body = base_body(rid, POLICY_TYPE, req, properties=props)
    body.pop("tags", None)
    return body


def register(cloud: Cloud) -> None:
    register_type(
        cloud,
        ResourceType(
            type=VAULT_TYPE,
            collection=VAULTS,
            name_param="vaultName",
            operation_prefix="Vaults",
            build=vault_body,
            subscription_collection="/subscriptions/{subscriptionId}/providers/Microsoft.RecoveryServices/vaults",
            list_operation="ListByResourceGroup",
        ),
    )
    register_type(
        cloud,
        ResourceType(
            type=POLICY_TYPE,
            collection=f"{VAULT}/backupPolicies",
            name_param="policyName",
            operation_prefix="ProtectionPolicies",
            build=policy_body,
            emit_events=False,
        ),
    )


#: The AzureStorage (file share) policy a seed gets unless it gives ``properties``.
DEFAULT_FILE_SHARE_POLICY: dict[str, Any] = {
    "backupManagementType": "AzureStorage",
    "workLoadType": "AzureFileShare",
    "schedulePolicy": {
        "schedulePolicyType": "SimpleSchedulePolicy",
        "scheduleRunFrequency": "Daily",
        "scheduleRunTimes": ["2020-01-01T22:00:00Z"],
    },
    "retentionPolicy": {
        "retentionPolicyType": "LongTermRetentionPolicy",
        "dailySchedule": {
            "retentionTimes": ["2020-01-01T22:00:00Z"],
            "retentionDuration": {"count": 30, "durationType": "Days"},
        },
    },
    "timeZone": "UTC",
    "protectedItemsCount": 0,
}


def seed_vaults(cloud: Cloud, section: dict[str, Any]) -> None:
    """Seed ``recoveryServicesVaults: [{name, principalId?, policies: [{name, properties?}]}]`` in a resource
    group (``principalId``: the vault has a system-assigned identity with this id)."""
    import copy

    sub, rg, location = section["subscriptionId"], section["resourceGroup"], section.get("location")
    for item in section.get("items") or []:
        vid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{item['name']}"  # noqa: E501
        body = base_body(
            vid,
            VAULT_TYPE,
            {"location": item.get("location") or location},
            properties={"provisioningState": "Succeeded"},
        )
        body["sku"] = {"name": "RS0", "tier": "Standard"}
        if item.get("principalId"):  # a system-assigned identity with this principal id
            body["identity"] = {
                "type": "SystemAssigned",
                "principalId": str(item["principalId"]),
                "tenantId": "00000000-0000-0000-0000-000000000000",
            }
        cloud.store.put(vid, VAULT_TYPE, body)
        for policy in item.get("policies") or [{"name": "DefaultFileSharePolicy"}]:
            pid = f"{vid}/backupPolicies/{policy['name']}"
            props = copy.deepcopy(policy.get("properties") or DEFAULT_FILE_SHARE_POLICY)
            cloud.store.put(
                pid,
                POLICY_TYPE,
                {"id": pid, "name": policy["name"], "type": POLICY_TYPE, "properties": props},
            )
