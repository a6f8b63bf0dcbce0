"""Discovery and registration of storage accounts: refreshContainers, protectableContainers, register,
inquire, protection containers (seeds/004 steps 1-4)."""

from __future__ import annotations

from typing import Any

from ...core import Cloud, CloudError, RequestContext, Response, norm
from . import lifecycle
from .lifecycle import POLL_API_VERSION, state
from .names import check_fabric, container_name, container_not_found, parse_container
from .permissions import check_vault_may_back_up
from .state import Container
from .vaults import VAULT

STORAGE_TYPE = "Microsoft.Storage/storageAccounts"
CONTAINER_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers"
FABRIC = f"{VAULT}/backupFabrics/{{fabricName}}"
CONTAINER = f"{FABRIC}/protectionContainers/{{containerName}}"


def vault_id(ctx: RequestContext) -> str:
    p = ctx.params
    vid = (
        f"/subscriptions/{p['subscriptionId']}/resourceGroups/{p['resourceGroupName']}"
        f"/providers/Microsoft.RecoveryServices/vaults/{p['vaultName']}"
    )
    return ctx.cloud.require(vid).id


def _filter_ok(ctx: RequestContext) -> None:
    flt = ctx.query.get("$filter", "")
    if flt and "azurestorage" not in flt.lower().replace(" ", ""):
        raise CloudError(
            400, "BMSUserErrorInvalidInput", "Only backupManagementType eq 'AzureStorage' is supported."
        )


def file_accounts(cloud: Cloud, subscription: str) -> list[Any]:
    return [
        a
        for a in cloud.store.list_by_type(STORAGE_TYPE, within=f"/subscriptions/{subscription}")
        if str(a.body.get("kind", "StorageV2")) != "BlockBlobStorage"
    ]


def container_for(cloud: Cloud, vid: str, name: str, *, registered: bool = True) -> Container:
    found = state(cloud).containers.get((norm(vid), name.lower()))
    if found is None or (registered and found.registration_status != "Registered"):
        raise container_not_found(name)
    return found


def container_body(vid: str, c: Container, cloud: Cloud) -> dict[str, Any]:
    count = sum(1 for k in state(cloud).items if k[0] == norm(vid) and k[1] == c.name.lower())
    return {
        "id": f"{vid}/backupFabrics/Azure/protectionContainers/{c.name}",
        "name": c.name,
        "type": CONTAINER_TYPE,
        "properties": {
            "sourceResourceId": c.account_id,
            "protectedItemCount": count,
            "friendlyName": c.friendly_name,
            "backupManagementType": "AzureStorage",
            "registrationStatus": c.registration_status,
            "healthStatus": "Healthy",
            "containerType": "StorageContainer",
            "protectableObjectType": "StorageContainer",
        },
    }


async def refresh(ctx: RequestContext) -> Response:
    check_fabric(ctx.params["fabricName"])
    vid = vault_id(ctx)
    cloud = ctx.cloud

    def finish(op: Any) -> None:
        state(cloud).discovered[norm(vid)] = {
            norm(a.id) for a in file_accounts(cloud, ctx.params["subscriptionId"])
        }

    op = lifecycle.start_operation(cloud, vid, cloud.config.durations.get("rs.refresh", 1.0), finish)
    return lifecycle.accepted(ctx, op, f"{vid}/backupFabrics/Azure", async_header=False, api=POLL_API_VERSION)


async def refresh_result(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    op = lifecycle.operation(ctx.cloud, vid, ctx.params["operationId"])
    return lifecycle.location_result(ctx, op, f"{vid}/backupFabrics/Azure/operationResults/{op.id}")


async def protectable_containers(ctx: RequestContext) -> Response:
    check_fabric(ctx.params["fabricName"])
    _filter_ok(ctx)
    vid = vault_id(ctx)
    st = state(ctx.cloud)
    discovered = st.discovered.get(norm(vid), set())
    registered = {
        c.account_id.lower()
        for k, c in st.containers.items()
        if k[0] == norm(vid) and c.registration_status == "Registered"
    }
    value = []
    for account in file_accounts(ctx.cloud, ctx.params["subscriptionId"]):
        if norm(account.id) not in discovered or account.id.lower() in registered:
            continue
        rg = account.id.split("/")[4]
        name = container_name(rg, account.name)
        value.append(
            {
                "id": f"{vid}/backupFabrics/Azure/protectableContainers/{name}",
                "name": name,
                "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectableContainers",
                "properties": {
                    "friendlyName": account.name,
                    "backupManagementType": "AzureStorage",
                    "protectableContainerType": "StorageContainer",
                    "healthStatus": "Healthy",
                    "containerId": account.id,
                },
            }
        )
    return Response(200, {"value": value})


async def register_container(ctx: RequestContext) -> Response:
    check_fabric(ctx.params["fabricName"])
    vid = vault_id(ctx)
    cloud = ctx.cloud
    name = ctx.params["containerName"]
    rg, account_name = parse_container(name)
    props = ctx.json_object().get("properties") or {}
    if props.get("backupManagementType", "AzureStorage") != "AzureStorage":
        raise CloudError(
            400, "BMSUserErrorInvalidInput", "Input provided for the call is invalid: backupManagementType."
        )
    account_id = f"/subscriptions/{ctx.params['subscriptionId']}/resourceGroups/{rg}/providers/{STORAGE_TYPE}/{account_name}"  # noqa: E501
    account = cloud.store.get(account_id)
    source = str(props.get("sourceResourceId") or account_id)
    if account is None or norm(source) != norm(account_id):
        raise CloudError(
            400,
            "BMSUserErrorStorageAccountNotFound",
            f"Storage account '{account_name}' not found or not supported.",
        )
    for (other_vault, cname), c in state(cloud).containers.items():
        if cname == name.lower() and other_vault != norm(vid) and c.registration_status == "Registered":
            raise CloudError(
                400,
                "BMSUserErrorContainerAlreadyRegisteredToAnotherVault",
                f"Storage account '{account_name}' is already registered with another Recovery Services vault.",  # noqa: E501
            )
    key = (norm(vid), name.lower())
    container = state(cloud).containers.get(key) or Container(name, vid, account.id, account.name)
    container.registration_status = (
        container.registration_status if container.registration_status == "Registered" else "Registering"
    )
    state(cloud).containers[key] = container
    cid = f"{vid}/backupFabrics/Azure/protectionContainers/{container.name}"

    vault = cloud.require(vid)

    def finish(op: Any) -> None:
        check_vault_may_back_up(cloud, vault, account.id)
        container.registration_status = "Registered"
        cloud.store.put(cid, CONTAINER_TYPE, container_body(vid, container, cloud))
        op.result_id = cid

    op = lifecycle.start_operation(cloud, vid, cloud.config.durations.get("rs.register", 1.0), finish)
    return lifecycle.accepted(ctx, op, cid, async_header=True, api=POLL_API_VERSION)


async def get_container(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    c = container_for(ctx.cloud, vid, ctx.params["containerName"], registered=False)
    return Response(200, container_body(vid, c, ctx.cloud))


async def list_containers(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    value = [
        container_body(vid, c, ctx.cloud)
        for k, c in state(ctx.cloud).containers.items()
        if k[0] == norm(vid) and c.registration_status == "Registered"
    ]
    return Response(200, {"value": value})


async def unregister_container(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    c = container_for(ctx.cloud, vid, ctx.params["containerName"])
    if any(k[0] == norm(vid) and k[1] == c.name.lower() for k in state(ctx.cloud).items):
        raise CloudError(
            400,
            "BMSUserErrorContainerHasDatasources",
            "The container has protected items. Stop protection and delete backup data first.",
        )
    state(ctx.cloud).containers.pop((norm(vid), c.name.lower()), None)
    ctx.cloud.store.delete(f"{vid}/backupFabrics/Azure/protectionContainers/{c.name}")
    op = lifecycle.start_operation(ctx.cloud, vid, 0)
    return lifecycle.accepted(
        ctx,
        op,
        f"{vid}/backupFabrics/Azure/protectionContainers/{c.name}",
        async_header=True,
        api=POLL_API_VERSION,
    )


async def inquire(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    c = container_for(ctx.cloud, vid, ctx.params["containerName"])
    cloud = ctx.cloud

    def finish(op: Any) -> None:
        c.inquired_at = cloud.clock.seconds()

    op = lifecycle.start_operation(cloud, vid, cloud.config.durations.get("rs.inquire", 1.0), finish)
    return lifecycle.accepted(
        ctx,
        op,
        f"{vid}/backupFabrics/Azure/protectionContainers/{c.name}",
        async_header=True,
        api=POLL_API_VERSION,
    )


async def container_operation_result(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    op = lifecycle.operation(ctx.cloud, vid, ctx.params["operationId"])
    return lifecycle.location_result(
        ctx,
        op,
        f"{vid}/backupFabrics/Azure/protectionContainers/{ctx.params['containerName']}/operationResults/{op.id}",
    )


async def container_operation_status(ctx: RequestContext) -> Response:
    vid = vault_id(ctx)
    return Response(
        200, lifecycle.status_body(lifecycle.operation(ctx.cloud, vid, ctx.params["operationId"]))
    )


def register(cloud: Cloud) -> None:
    add = cloud.router.add
    add("POST", f"{FABRIC}/refreshContainers", "ProtectionContainers_Refresh", refresh, kind="action")
    add(
        "GET",
        f"{FABRIC}/operationResults/{{operationId}}",
        "ProtectionContainerRefreshOperationResults_Get",
        refresh_result,
    )
    add("GET", f"{FABRIC}/protectableContainers", "ProtectableContainers_List", protectable_containers)
    add(
        "PUT",
        CONTAINER,
        "ProtectionContainers_Register",
        register_container,
        arm_operation="Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/write",
    )
    add("GET", CONTAINER, "ProtectionContainers_Get", get_container)
    add("DELETE", CONTAINER, "ProtectionContainers_Unregister", unregister_container)
    add("GET", f"{VAULT}/backupProtectionContainers", "BackupProtectionContainers_List", list_containers)
    add("POST", f"{CONTAINER}/inquire", "ProtectionContainers_Inquire", inquire, kind="action")
    add(
        "GET",
        f"{CONTAINER}/operationResults/{{operationId}}",
        "ProtectionContainerOperationResults_Get",
        container_operation_result,
    )
    add(
        "GET",
        f"{CONTAINER}/operationsStatus/{{operationId}}",
        "ProtectionContainerOperationStatuses_Get",
        container_operation_status,
    )
