"""Microsoft.DBforPostgreSQL: single servers (+ databases) and flexible servers (+ databases)."""

from __future__ import annotations

from typing import Any

from ..core import Cloud, RequestContext, Resource, ResourceType, iso, register_type
from ..core.arm import base_body, require_location

RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.DBforPostgreSQL"


#: The SKU a server gets when the request names none: single servers use the Gen5 names, flexible servers
#: the VM-size names (``Standard_D2ds_v4``, tier ``GeneralPurpose``).
DEFAULT_SKUS = {
    "servers": {"name": "GP_Gen5_2", "tier": "GeneralPurpose"},
    "flexibleServers": {"name": "Standard_D2ds_v4", "tier": "GeneralPurpose"},
}


def _server_builder(resource_type: str, host_suffix: str, default_sku: dict[str, str]) -> Any:
    def build(
        cloud: Cloud, ctx: RequestContext, rid: str, req: dict[str, Any], old: Resource | None
    ) -> dict[str, Any]:
        location = old.location if old else require_location(req)
        props = dict(old.properties) if old else {}
        props.update(
            {k: v for k, v in (req.get("properties") or {}).items() if k != "administratorLoginPassword"}
        )
        name = rid.rstrip("/").split("/")[-1]
        props.setdefault("version", "11" if "flexible" not in resource_type else "16")
        props.setdefault("state", "Ready" if "flexible" in resource_type else None)
        props.setdefault("userVisibleState", "Ready")
        props.setdefault("fullyQualifiedDomainName", f"{name}.{host_suffix}")
        props.setdefault("administratorLogin", "pgadmin")
        props["provisioningState"] = "Succeeded"
        props = {k: v for k, v in props.items() if v is not None}
        body = base_body(rid, resource_type, req, location=location, properties=props)
        body["sku"] = req.get("sku") or (old.body.get("sku") if old else None) or dict(default_sku)
        return body

    return build


def _database_builder(resource_type: str) -> Any:
    def build(
        cloud: Cloud, ctx: RequestContext, rid: str, req: dict[str, Any], old: Resource | None
    ) -> dict[str, Any]:
        props = dict(old.properties) if old else {}
        props.update(req.get("properties") or {})
        props.setdefault("charset", "UTF8")
        props.setdefault("collation", "English_United States.1252")
        return {
            "id": rid,
            "name": rid.rstrip("/").split("/")[-1],
            "type": resource_type,
            "properties": props,
            "systemData": {"createdAt": iso(cloud.clock.now())},
        }

    return build


class PostgreSqlProvider:
    name = "Microsoft.DBforPostgreSQL"

    def register(self, cloud: Cloud) -> None:
        for kind, prefix, suffix in (
            ("servers", "Servers", "postgres.database.azure.com"),
            ("flexibleServers", "FlexibleServers", "postgres.database.azure.com"),
        ):
            stype = f"Microsoft.DBforPostgreSQL/{kind}"
            register_type(
                cloud,
                ResourceType(
                    type=stype,
                    collection=f"{RG}/{kind}",
                    name_param="serverName",
                    operation_prefix=prefix if kind == "servers" else "Servers_Flexible",
                    build=_server_builder(stype, suffix, DEFAULT_SKUS[kind]),
                    put_operation="Create",
                    list_operation="ListByResourceGroup",
                    subscription_collection=f"/subscriptions/{{subscriptionId}}/providers/Microsoft.DBforPostgreSQL/{kind}",
                ),
            )
            register_type(
                cloud,
                ResourceType(
                    type=f"{stype}/databases",
                    collection=f"{RG}/{kind}/{{serverName}}/databases",
                    name_param="databaseName",
                    operation_prefix="Databases" if kind == "servers" else "Databases_Flexible",
                    build=_database_builder(f"{stype}/databases"),
                    list_operation="ListByServer",
                ),
            )
