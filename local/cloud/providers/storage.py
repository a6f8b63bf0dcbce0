"""Microsoft.Storage: storage accounts (kind, sku, isHnsEnabled), blob containers, file shares.

Storage account PUT is asynchronous like real ARM when ``config.async_storage_create`` is true (the
default): a create answers **202** with ``Location`` (``.../providers/Microsoft.Storage/locations/{loc}
/asyncoperations/{id}``) and ``Retry-After``; polling it gives 202 until ``durations["storage.create"]``
emulated seconds pass, then **200** with the account. The account is readable at once with
``provisioningState: "Creating"`` → ``"Succeeded"``. Updates of an existing account answer 200 at once.
"""

from __future__ import annotations

from typing import Any

from ..core import Cloud, CloudError, RequestContext, Resource, ResourceType, Response, iso, register_type
from ..core.arm import base_body, require_location

RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
ACCOUNTS = RG + "/providers/Microsoft.Storage/storageAccounts"
ACCOUNT = ACCOUNTS + "/{accountName}"
ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"
KINDS = {
    "storagev2": "StorageV2",
    "blobstorage": "BlobStorage",
    "blockblobstorage": "BlockBlobStorage",
    "filestorage": "FileStorage",
    "storage": "Storage",
}


def account_body(
    cloud: Cloud, ctx: RequestContext, rid: str, req: dict[str, Any], old: Resource | None
) -> dict[str, Any]:
    return build_account(cloud, rid, req, old)


def build_account(cloud: Cloud, rid: str, req: dict[str, Any], old: Resource | None = None) -> dict[str, Any]:
    """The body ARM stores for a storage account PUT (``old``: the account being updated)."""
    location = old.location if old else require_location(req)
    kind = str(req.get("kind") or (old.body.get("kind") if old else "StorageV2"))
    if kind.lower() not in KINDS:
        raise CloudError(400, "InvalidKind", f"The kind '{kind}' is not valid for a storage account.")
    sku = req.get("sku") or (old.body.get("sku") if old else None) or {"name": "Standard_LRS"}
    props_in = dict(req.get("properties") or {})
    props = dict(old.properties) if old else {}
    props.update(props_in)
    name = rid.rstrip("/").split("/")[-1]
    props.setdefault("isHnsEnabled", False)
    props.setdefault("creationTime", iso(cloud.clock.now()))
    props.setdefault("primaryLocation", location)
    props.setdefault("statusOfPrimary", "available")
    props.setdefault("accessTier", "Hot")
    props.setdefault("supportsHttpsTrafficOnly", True)
    props.setdefault(
        "primaryEndpoints",
        {
            "blob": f"https://{name}.blob.core.windows.net/",
            "file": f"https://{name}.file.core.windows.net/",
            "queue": f"https://{name}.queue.core.windows.net/",
            "table": f"https://{name}.table.core.windows.net/",
            "dfs": f"https://{name}.dfs.core.windows.net/",
        },
    )
    creating = (
        old is None and cloud.config.async_storage_create and cloud.config.duration("storage.create") > 0
    )
    props["provisioningState"] = "Creating" if creating else "Succeeded"
    body = base_body(rid, ACCOUNT_TYPE, req, location=location, properties=props)
    body["kind"] = KINDS[kind.lower()]
    body["sku"] = {
        "name": sku.get("name", "Standard_LRS"),
        "tier": sku.get("tier") or _tier(sku.get("name", "")),
    }
    if old and "tags" not in req:
        body["tags"] = old.body.get("tags", {})
    return body


def _tier(sku_name: str) -> str:
    return "Premium" if sku_name.lower().startswith("premium") else "Standard"


class StorageProvider:
    name = "Microsoft.Storage"

    def register(self, cloud: Cloud) -> None:
        async def respond_put(ctx: RequestContext, resource: Resource, created: bool) -> Response | None:
            if created:  # ARM creates the default blob and file services with the account
                kind = resource.body.get("kind")
                if kind != "FileStorage":
                    _ensure_service(cloud, resource.id, "blob")
                if kind != "BlockBlobStorage":
                    _ensure_service(cloud, resource.id, "file")
            if not created or resource.properties.get("provisioningState") != "Creating":
                return None
            duration = cloud.config.duration("storage.create")

            def complete() -> dict[str, Any] | None:
                resource.properties["provisioningState"] = "Succeeded"
                cloud.emit_write(
                    resource_id=resource.id,
                    resource_type=ACCOUNT_TYPE,
                    http_method="PUT",
                    principal=ctx.principal,
                    correlation_id=ctx.correlation_id,
                    body=resource.view(),
                )
                return None

            op = cloud.operations.start(
                target_id=resource.id,
                operation_id="StorageAccounts_Create",
                subscription_id=ctx.params["subscriptionId"],
                location=resource.location or "",
                duration=duration,
                complete=complete,
                in_progress="InProgress",
                fail_with=cloud.faults.operation_failure(
                    "StorageAccounts_Create", ctx.params["subscriptionId"]
                ),
            )
            path = (
                f"/subscriptions/{ctx.params['subscriptionId']}/providers/Microsoft.Storage/locations/"
                f"{resource.location}/asyncoperations/{op.id}"
            )
            headers = {"Location": ctx.url(path), "Retry-After": str(cloud.config.retry_after_seconds)}
            return Response(202, None, headers)

        async def poll(ctx: RequestContext) -> Response:
            op = cloud.operations.get(ctx.params["operationId"])
            if op is None:
                raise CloudError(404, "ResourceNotFound", "The async operation was not found.")
            if not op.done:
                return Response(
                    202,
                    None,
                    {"Location": ctx.url(ctx.path), "Retry-After": str(cloud.config.retry_after_seconds)},
                )
            if op.status == "Failed":
                raise CloudError(
                    int(op.data.get("http_status", 500)),
                    str((op.error or {}).get("code")),
                    str((op.error or {}).get("message")),
                )
            return Response(200, cloud.require(op.target_id).view())

        register_type(
            cloud,
            ResourceType(
                type=ACCOUNT_TYPE,
                collection=ACCOUNTS,
                name_param="accountName",
                operation_prefix="StorageAccounts",
                build=account_body,
                put_operation="Create",
                list_operation="ListByResourceGroup",
                respond_put=respond_put,
                subscription_collection="/subscriptions/{subscriptionId}/providers/Microsoft.Storage/storageAccounts",
            ),
        )
        cloud.router.add(
            "GET",
            "/subscriptions/{subscriptionId}/providers/Microsoft.Storage/locations/{location}/asyncoperations/{operationId}",
            "StorageAccounts_GetAsyncOperation",
            poll,
        )
        for svc, kind_name, child, child_param, prefix in (
            ("blobServices", "blob", "containers", "containerName", "BlobContainers"),
            ("fileServices", "file", "shares", "shareName", "FileShares"),
        ):
            svc_type = f"{ACCOUNT_TYPE}/{svc}"
            register_type(
                cloud,
                ResourceType(
                    type=svc_type,
                    collection=f"{ACCOUNT}/{svc}",
                    name_param="serviceName",
                    operation_prefix=f"{svc[0].upper()}{svc[1:]}",
                    build=_service_body(svc_type),
                    fixed_name="default",
                    emit_events=False,
                    put_operation="SetServiceProperties",
                ),
            )
            register_type(
                cloud,
                ResourceType(
                    type=f"{svc_type}/{child}",
                    collection=f"{ACCOUNT}/{svc}/default/{child}",
                    name_param=child_param,
                    operation_prefix=prefix,
                    build=_child_body(f"{svc_type}/{child}", kind_name),
                    put_operation="Create",
                ),
            )


def _service_body(resource_type: str) -> Any:
    def build(
        cloud: Cloud, ctx: RequestContext, rid: str, req: dict[str, Any], old: Resource | None
    ) -> dict[str, Any]:
        props = dict(old.properties) if old else {}
        props.update(req.get("properties") or {})
        return {"id": rid, "name": "default", "type": resource_type, "properties": props}

    return build


def _child_body(resource_type: str, service: str) -> Any:
    def build(
        cloud: Cloud, ctx: RequestContext, rid: str, req: dict[str, Any], old: Resource | None
    ) -> dict[str, Any]:
        account_id = rid.split(f"/{service}Services/")[0]
        account = cloud.require(account_id)
        kind = str(account.body.get("kind", ""))
        if (service == "file" and kind == "BlockBlobStorage") or (
            service == "blob" and kind == "FileStorage"
        ):
            raise CloudError(
                400,
                "FeatureNotSupportedForAccount",
                f"{service.capitalize()} is not supported for the account.",
            )
        _ensure_service(cloud, account_id, service)
        props = dict(old.properties) if old else {}
        props.update(req.get("properties") or {})
        props.setdefault("lastModifiedTime", iso(cloud.clock.now()))
        if service == "file":
            props.setdefault("shareQuota", 5120)
            props.setdefault("enabledProtocols", "SMB")
        else:
            props.setdefault("publicAccess", "None")
        body = {"id": rid, "name": rid.rstrip("/").split("/")[-1], "type": resource_type, "properties": props}
        body["etag"] = f'"0x{int(cloud.clock.seconds() * 1000):X}"'
        return body

    return build


def _ensure_service(cloud: Cloud, account_id: str, service: str) -> None:
    sid = f"{account_id}/{service}Services/default"
    if cloud.store.get(sid) is None:
        stype = f"{ACCOUNT_TYPE}/{service}Services"
        cloud.store.put(sid, stype, {"id": sid, "name": "default", "type": stype, "properties": {}})
