"""Backup vaults (system-assigned identity, async PUT) and backup policies."""

from __future__ import annotations

import uuid
from typing import Any

from ...core import Cloud, CloudError, RequestContext, Resource, ResourceType, Response, register_type
from ...core.arm import base_body, require_location
from ..resources import TENANT_ID
from .operations import NS, SUB, start
from .state import DataProtectionState

VAULTS = SUB + "/resourceGroups/{resourceGroupName}" + NS + "/backupVaults"
VAULT_TYPE = "Microsoft.DataProtection/backupVaults"
POLICY_TYPE = "Microsoft.DataProtection/backupVaults/backupPolicies"


def identity_for(request: dict[str, Any], old: Resource | None) -> dict[str, Any] | None:
    wanted = request.get("identity") or (old.body.get("identity") if old else None)
    if not wanted:
        return None
    kind = str(wanted.get("type", "None"))
    if kind.lower() == "none":
        return {"type": "None"}
    previous = (old.body.get("identity") or {}) if old else {}
    identity = {"type": "SystemAssigned" if "system" in kind.lower() else kind}
    if "system" in kind.lower():
        identity["principalId"] = previous.get("principalId") or str(uuid.uuid4())
        identity["tenantId"] = TENANT_ID
    if wanted.get("userAssignedIdentities"):
        identity["userAssignedIdentities"] = wanted["userAssignedIdentities"]
    return identity


def vault_body(
    cloud: Cloud, ctx: RequestContext, rid: str, req: dict[str, Any], old: Resource | None
) -> dict[str, Any]:
    location = old.location if old else require_location(req)
    props = dict(old.properties) if old else {}
    props.update(req.get("properties") or {})
    if not props.get("storageSettings"):
        raise CloudError(
            400, "BadRequest", "storageSettings is required to create a Backup vault."
        )  # nearest real code
    props.setdefault(
        "securitySettings", {"softDeleteSettings": {"retentionDurationInDays": 14, "state": "On"}}
    )
    props.setdefault("secureScore", "Adequate")
    props.setdefault(
        "monitoringSettings", {"azureMonitorAlertSettings": {"alertsForAllJobFailures": "Enabled"}}
    )
    props["provisioningState"] = "Succeeded" if old else "Provisioning"
    props.setdefault("resourceMoveState", "Unknown")
    body = base_body(rid, VAULT_TYPE, req, location=location, properties=props)
    identity = identity_for(req, old)
    if identity:
        body["identity"] = identity
    if old and "tags" not in req:
        body["tags"] = old.body.get("tags", {})
    return body


def policy_body(
    cloud: Cloud, ctx: RequestContext, rid: str, req: dict[str, Any], old: Resource | None
) -> dict[str, Any]:
    props = dict(req.get("properties") or {})
    if (
        props.get("objectType") != "BackupPolicy"
        or not props.get("datasourceTypes")
        or not props.get("policyRules")
    ):
        raise CloudError(
            400,
            "BadRequest",  # no documented code for a malformed policy: nearest real one
            "The policy must have objectType 'BackupPolicy', datasourceTypes and policyRules.",
        )
    return {"id": rid, "name": rid.rstrip("/").split("/")[-1], "type": POLICY_TYPE, "properties": props}


def is_vaulted(policy: Resource) -> bool:
    """True when the policy backs up into the vault (VaultStore backup rule) rather than operationally."""
    for rule in policy.properties.get("policyRules", []):
        if rule.get("objectType") == "AzureBackupRule":
            store = (rule.get("dataStore") or {}).get("dataStoreType", "")
            if str(store).lower() == "vaultstore":
                return True
    return False


class VaultsProvider:
    name = "Microsoft.DataProtection/backupVaults"

    def register(self, cloud: Cloud) -> None:
        async def respond_put(ctx: RequestContext, vault: Resource, created: bool) -> Response | None:
            if not created:
                return None

            def complete() -> dict[str, Any] | None:
                vault.properties["provisioningState"] = "Succeeded"
                cloud.emit_write_for(ctx, vault)
                return None

            op, headers = start(
                ctx,
                target=vault.id,
                operation_id="BackupVaults_CreateOrUpdate",
                location=vault.location or "",
                duration_key="vault.create",
                complete=complete,
                vault_id=vault.id,
            )
            op.data["final"] = "resource"
            headers["Azure-AsyncOperation"] = ctx.url(f"{vault.id}/operationStatus/{op.id}")
            headers.pop("Location", None)
            return Response(201, vault.view(), headers)

        def on_delete(cloud: Cloud, vault: Resource) -> None:
            state = cloud.state(DataProtectionState)
            prefix = vault.id.lower() + "/backupinstances/"
            if any(bi.lower().startswith(prefix) for bi in state.protected.values()):
                raise CloudError(
                    400,
                    "UserErrorBackupVaultNotEmpty",  # nearest: vault still holds backup instances
                    "Backup vault cannot be deleted as it contains protected backup instances.",
                )

        register_type(
            cloud,
            ResourceType(
                type=VAULT_TYPE,
                collection=VAULTS,
                name_param="vaultName",
                operation_prefix="BackupVaults",
                build=vault_body,
                respond_put=respond_put,
                on_delete=on_delete,
                list_operation="GetInResourceGroup",
                subscription_collection=SUB + NS + "/backupVaults",
            ),
        )
        register_type(
            cloud,
            ResourceType(
                type=POLICY_TYPE,
                collection=VAULTS + "/{vaultName}/backupPolicies",
                name_param="backupPolicyName",
                operation_prefix="BackupPolicies",
                build=policy_body,
            ),
        )
        _policy_put_is_200(cloud)


def _policy_put_is_200(cloud: Cloud) -> None:
    """The swagger declares only 200 for BackupPolicies_CreateOrUpdate (no 201): wrap the handler."""
    for route in cloud.router.routes:
        if route.operation_id == "BackupPolicies_CreateOrUpdate":
            inner = route.handler

            async def handler(ctx: RequestContext, inner: Any = inner) -> Response:
                response: Response = await inner(ctx)
                if response.status == 201:
                    response.status = 200
                return response

            object.__setattr__(route, "handler", handler)
