"""Declarative tracked/proxy resource types: one ``ResourceType`` gives PUT/GET/DELETE/list routes with
ARM's semantics (parent must exist, 200 vs 201, 204 on deleting a missing resource, write hooks)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .cloud import Cloud
from .context import RequestContext, Response
from .errors import CloudError
from .ids import ResourceId
from .store import Resource

#: Build the stored body: (cloud, ctx, resource id, request body, existing resource or None) -> body.
BodyBuilder = Callable[[Cloud, RequestContext, str, dict[str, Any], Resource | None], dict[str, Any]]
#: Optionally answer a PUT differently (async create): return a Response or None for the default.
PutResponder = Callable[[RequestContext, Resource, bool], Awaitable[Response | None]]
DeleteHook = Callable[[Cloud, Resource], None]


@dataclass
class ResourceType:
    type: str
    #: Collection path template, e.g. ``/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}
    #: /providers/Microsoft.Storage/storageAccounts``; the item path is ``{collection}/{<name_param>}``.
    collection: str
    name_param: str
    #: Swagger operation-id prefix: ``StorageAccounts`` gives StorageAccounts_Create/Get/Delete/List.
    operation_prefix: str
    build: BodyBuilder
    #: Optional subscription-wide list path.
    subscription_collection: str | None = None
    respond_put: PutResponder | None = None
    on_delete: DeleteHook | None = None
    #: Write events (Event Grid ResourceWriteSuccess) for this type.
    emit_events: bool = True
    put_operation: str = "CreateOrUpdate"
    list_operation: str = "List"
    #: Allowed literal item names (e.g. ``default`` for blobServices); None = any.
    fixed_name: str | None = None

    def item_template(self) -> str:
        return f"{self.collection}/{{{self.name_param}}}"


def resource_id_from(template: str, params: dict[str, str]) -> str:
    """Fill a path template with the request's parameters (names as the client sent them)."""
    parts = []
    for segment in template.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            parts.append(params[segment[1:-1]])
        else:
            parts.append(segment)
    return "/".join(parts)


def parent_of(resource_id: str) -> str | None:
    """The id of the parent resource (resource group for top-level types)."""
    parsed = ResourceId.parse(resource_id)
    parts = resource_id.rstrip("/").split("/")
    if len(parsed.types) > 1:
        return "/".join(parts[:-2])
    if parsed.types:
        return "/".join(parts[:-4])
    return "/".join(parts[:-2]) or None


def ensure_parent(cloud: Cloud, resource_id: str) -> None:
    """ARM answers ResourceGroupNotFound / ParentResourceNotFound before touching a child."""
    parsed = ResourceId.parse(resource_id)
    if parsed.subscription:
        cloud.require_subscription(parsed.subscription)
    if parsed.subscription and parsed.resource_group:
        cloud.require_resource_group(parsed.subscription, parsed.resource_group)
    if len(parsed.types) > 1:
        parent = parent_of(resource_id)
        if parent and cloud.store.get(parent) is None:
            pp = ResourceId.parse(parent)
            raise CloudError(
                404,
                "ParentResourceNotFound",
                f"Failed to perform 'write' on resource(s) of type '{parsed.type}', because the parent "
                f"resource '{pp.type}/{'/'.join(pp.names)}' could not be found.",
            )


def register_type(cloud: Cloud, spec: ResourceType) -> None:
    router = cloud.router
    item = spec.item_template()
    prefix = spec.operation_prefix

    async def put(ctx: RequestContext) -> Response:
        resource_id = resource_id_from(item, ctx.params)
        _check_fixed_name(spec, ctx.params[spec.name_param])
        ensure_parent(cloud, resource_id)
        request = ctx.json_object()
        existing = cloud.store.get(resource_id)
        body = spec.build(cloud, ctx, existing.id if existing else resource_id, request, existing)
        resource, created = cloud.store.put(resource_id, spec.type, body, cloud.clock.seconds())
        if spec.respond_put is not None:
            custom = await spec.respond_put(ctx, resource, created)
            if custom is not None:
                return custom
        if spec.emit_events:
            cloud.emit_write_for(ctx, resource)
        return Response(201 if created else 200, resource.view())

    async def get(ctx: RequestContext) -> Response:
        resource_id = resource_id_from(item, ctx.params)
        return Response(200, cloud.require(resource_id).view())

    async def delete(ctx: RequestContext) -> Response:
        resource_id = resource_id_from(item, ctx.params)
        parsed = ResourceId.parse(resource_id)
        if parsed.subscription and parsed.resource_group:
            cloud.require_resource_group(parsed.subscription, parsed.resource_group)
        resource = cloud.store.get(resource_id)
        if resource is None:
            return Response(204)
        if spec.on_delete is not None:
            spec.on_delete(cloud, resource)
        cloud.store.delete(resource_id)
        if spec.emit_events:
            cloud.emit_write_for(ctx, resource, delete=True)
        return Response(200)

    async def list_items(ctx: RequestContext) -> Response:
        parent = resource_id_from(spec.collection, ctx.params)
        parent_id = parent_of(parent + "/x") or parent
        parsed = ResourceId.parse(parent_id)
        if parsed.subscription and parsed.resource_group:
            cloud.require_resource_group(parsed.subscription, parsed.resource_group)
        items = cloud.store.list_children(parent_id, spec.type)
        return Response(200, page(ctx, items, lambda r: r.view()))

    async def list_subscription(ctx: RequestContext) -> Response:
        sub = ctx.params["subscriptionId"]
        cloud.require_subscription(sub)
        items = cloud.store.list_by_type(spec.type, within=f"/subscriptions/{sub}")
        return Response(200, page(ctx, items, lambda r: r.view()))

    router.add("PUT", item, f"{prefix}_{spec.put_operation}", put, arm_operation=f"{spec.type}/write")
    router.add("GET", item, f"{prefix}_Get", get)
    router.add("DELETE", item, f"{prefix}_Delete", delete, arm_operation=f"{spec.type}/delete")
    router.add("GET", spec.collection, f"{prefix}_{spec.list_operation}", list_items)
    if spec.subscription_collection:
        router.add("GET", spec.subscription_collection, f"{prefix}_ListBySubscription", list_subscription)


PAGE_SIZE = 1000


def page(ctx: RequestContext, rows: list[Any], render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """ARM list paging: at most ``PAGE_SIZE`` items, then ``nextLink`` with a ``$skiptoken``."""
    try:
        start = max(int(ctx.query.get("$skiptoken", "0")), 0)
    except ValueError as exc:
        raise CloudError(400, "InvalidSkipToken", "The $skiptoken is not valid.") from exc
    body: dict[str, Any] = {"value": [render(r) for r in rows[start : start + PAGE_SIZE]]}
    if start + PAGE_SIZE < len(rows):
        body["nextLink"] = ctx.url(ctx.path) + f"&$skiptoken={start + PAGE_SIZE}"
    return body


def _check_fixed_name(spec: ResourceType, name: str) -> None:
    if spec.fixed_name and name.lower() != spec.fixed_name:
        raise CloudError(
            400,
            "InvalidResourceName",
            f"The resource name '{name}' is invalid; it must be '{spec.fixed_name}'.",
        )


def base_body(
    resource_id: str,
    resource_type: str,
    request: dict[str, Any],
    *,
    location: str | None = None,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The common envelope of a tracked resource: id, name, type, location, tags, properties."""
    body: dict[str, Any] = {
        "id": resource_id,
        "name": ResourceId.parse(resource_id).name,
        "type": resource_type,
    }
    loc = location if location is not None else request.get("location")
    if loc is not None:
        body["location"] = loc
    if "tags" in request or loc is not None:
        body["tags"] = dict(request.get("tags") or {})
    body["properties"] = properties if properties is not None else dict(request.get("properties") or {})
    return body


def require_location(request: dict[str, Any]) -> str:
    location = request.get("location")
    if not isinstance(location, str) or not location:
        raise CloudError(400, "LocationRequired", "The location property is required for this definition.")
    return location
