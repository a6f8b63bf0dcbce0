"""Microsoft.Resources: subscriptions (seeded; GET/list) and resource groups (PUT/GET/DELETE/list)."""

from __future__ import annotations

import copy
from typing import Any

from ..core import Cloud, CloudError, RequestContext, Response
from ..core.arm import page
from ..core.cloud import RESOURCE_GROUP_TYPE, SUBSCRIPTION_TYPE

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SUB = "/subscriptions/{subscriptionId}"
RG = SUB + "/resourcegroups/{resourceGroupName}"


def add_subscription(cloud: Cloud, subscription_id: str, display_name: str | None = None) -> None:
    body = {
        "id": f"/subscriptions/{subscription_id}",
        "authorizationSource": "RoleBased",
        "subscriptionId": subscription_id,
        "tenantId": TENANT_ID,
        "displayName": display_name or subscription_id,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    }
    cloud.store.put(f"/subscriptions/{subscription_id}", SUBSCRIPTION_TYPE, body, cloud.clock.seconds())


def resource_group_body(resource_id: str, name: str, location: str, tags: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": resource_id,
        "name": name,
        "type": RESOURCE_GROUP_TYPE,
        "location": location,
        "tags": tags,
        "properties": {"provisioningState": "Succeeded"},
    }


def add_resource_group(
    cloud: Cloud, subscription_id: str, name: str, location: str, tags: Any = None
) -> None:
    rid = f"/subscriptions/{subscription_id}/resourceGroups/{name}"
    cloud.store.put(rid, RESOURCE_GROUP_TYPE, resource_group_body(rid, name, location, dict(tags or {})))


class ResourcesProvider:
    name = "Microsoft.Resources"

    def register(self, cloud: Cloud) -> None:
        r = cloud.router

        async def list_subscriptions(ctx: RequestContext) -> Response:
            subs = cloud.store.list_children("/", SUBSCRIPTION_TYPE)
            return Response(200, {"value": [copy.deepcopy(s.body) for s in subs]})

        async def get_subscription(ctx: RequestContext) -> Response:
            return Response(200, cloud.require_subscription(ctx.params["subscriptionId"]).view())

        async def put_group(ctx: RequestContext) -> Response:
            sub, name = ctx.params["subscriptionId"], ctx.params["resourceGroupName"]
            cloud.require_subscription(sub)
            request = ctx.json_object()
            location = request.get("location")
            rid = f"/subscriptions/{sub}/resourceGroups/{name}"
            existing = cloud.store.get(rid)
            if existing is not None:
                if location and str(location).lower() != str(existing.location).lower():
                    raise CloudError(
                        409,
                        "InvalidResourceGroupLocation",
                        f"Invalid resource group location '{location}'. The Resource group already exists in "
                        f"location '{existing.location}'.",
                    )
                location = existing.location
            if not location:
                raise CloudError(
                    400, "LocationRequired", "The location property is required for this definition."
                )
            body = resource_group_body(
                existing.id if existing else rid, name, str(location), request.get("tags") or {}
            )
            resource, created = cloud.store.put(rid, RESOURCE_GROUP_TYPE, body, cloud.clock.seconds())
            cloud.emit_write_for(ctx, resource)
            return Response(201 if created else 200, resource.view())

        async def get_group(ctx: RequestContext) -> Response:
            group = cloud.require_resource_group(
                ctx.params["subscriptionId"], ctx.params["resourceGroupName"]
            )
            return Response(200, group.view())

        async def delete_group(ctx: RequestContext) -> Response:
            sub, name = ctx.params["subscriptionId"], ctx.params["resourceGroupName"]
            cloud.require_subscription(sub)
            group = cloud.store.get(f"/subscriptions/{sub}/resourceGroups/{name}")
            if group is None:
                raise CloudError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
            cloud.store.delete(group.id)
            cloud.emit_write_for(ctx, group, delete=True)
            # Real ARM deletes groups asynchronously (202 + Location); done at once here.
            return Response(200)

        async def list_groups(ctx: RequestContext) -> Response:
            sub = ctx.params["subscriptionId"]
            cloud.require_subscription(sub)
            groups = cloud.store.list_children(f"/subscriptions/{sub}", RESOURCE_GROUP_TYPE)
            return Response(200, {"value": [copy.deepcopy(g.body) for g in groups]})

        async def list_group_resources(ctx: RequestContext) -> Response:
            group = cloud.require_resource_group(
                ctx.params["subscriptionId"], ctx.params["resourceGroupName"]
            )
            keep = ("id", "name", "type", "location", "tags", "kind", "sku")
            rows = cloud.store.top_level_in(group.id)
            return Response(200, page(ctx, rows, lambda r: {k: r.body[k] for k in keep if k in r.body}))

        r.add("GET", "/subscriptions", "Subscriptions_List", list_subscriptions)
        r.add("GET", SUB, "Subscriptions_Get", get_subscription)
        r.add(
            "PUT",
            RG,
            "ResourceGroups_CreateOrUpdate",
            put_group,
            arm_operation="Microsoft.Resources/subscriptions/resourceGroups/write",
        )
        r.add("GET", RG, "ResourceGroups_Get", get_group)
        r.add(
            "DELETE",
            RG,
            "ResourceGroups_Delete",
            delete_group,
            arm_operation="Microsoft.Resources/subscriptions/resourceGroups/delete",
        )
        r.add("GET", SUB + "/resourcegroups", "ResourceGroups_List", list_groups)
        r.add("GET", RG + "/resources", "Resources_ListByResourceGroup", list_group_resources)
