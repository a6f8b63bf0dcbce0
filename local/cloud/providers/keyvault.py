"""Microsoft.KeyVault: vaults (access policies, RBAC flag) and secrets (the PostgreSQL secret store)."""

from __future__ import annotations

from typing import Any

from ..core import Cloud, RequestContext, Resource, ResourceType, iso, register_type
from ..core.arm import base_body, require_location

RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.KeyVault"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def vault_body(
    cloud: Cloud, ctx: RequestContext, rid: str, req: dict[str, Any], old: Resource | None
) -> dict[str, Any]:
    location = old.location if old else require_location(req)
    props = dict(old.properties) if old else {}
    props.update(req.get("properties") or {})
    name = rid.rstrip("/").split("/")[-1]
    props.setdefault("tenantId", TENANT_ID)
    props.setdefault("sku", {"family": "A", "name": "standard"})
    props.setdefault("accessPolicies", [])
    props.setdefault("enableRbacAuthorization", False)
    props["vaultUri"] = f"https://{name}.vault.azure.net/"
    props["provisioningState"] = "Succeeded"
    return base_body(rid, "Microsoft.KeyVault/vaults", req, location=location, properties=props)


def secret_body(
    cloud: Cloud, ctx: RequestContext, rid: str, req: dict[str, Any], old: Resource | None
) -> dict[str, Any]:
    parts = rid.rstrip("/").split("/")
    vault, name = parts[-3], parts[-1]
    props = {k: v for k, v in (req.get("properties") or {}).items() if k != "value"}  # values never stored
    props["secretUri"] = f"https://{vault}.vault.azure.net/secrets/{name}"
    props["secretUriWithVersion"] = (
        f"https://{vault}.vault.azure.net/secrets/{name}/{int(cloud.clock.seconds())}"
    )
    props.setdefault("attributes", {"enabled": True, "created": int(cloud.clock.seconds())})
    return {
        "id": rid,
        "name": name,
        "type": "Microsoft.KeyVault/vaults/secrets",
        "properties": props,
        "systemData": {"createdAt": iso(cloud.clock.now())},
    }


def find_vault_by_uri(cloud: Cloud, uri: str) -> Resource | None:
    """The key vault whose ``https://{name}.vault.azure.net`` host the URI names (any subscription)."""
    host = uri.split("//", 1)[-1].split("/", 1)[0].lower()
    name = host.split(".", 1)[0]
    for vault in cloud.store.list_by_type("Microsoft.KeyVault/vaults"):
        if vault.name.lower() == name:
            return vault
    return None


class KeyVaultProvider:
    name = "Microsoft.KeyVault"

    def register(self, cloud: Cloud) -> None:
        register_type(
            cloud,
            ResourceType(
                type="Microsoft.KeyVault/vaults",
                collection=f"{RG}/vaults",
                name_param="vaultName",
                operation_prefix="Vaults",
                build=vault_body,
                list_operation="ListByResourceGroup",
                subscription_collection="/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/vaults",
            ),
        )
        register_type(
            cloud,
            ResourceType(
                type="Microsoft.KeyVault/vaults/secrets",
                collection=f"{RG}/vaults/{{vaultName}}/secrets",
                name_param="secretName",
                operation_prefix="Secrets",
                build=secret_body,
            ),
        )
