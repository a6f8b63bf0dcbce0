"""The Azure Files flow of seeds/004 against the emulator in process: every step, its status codes,
headers and bodies, the error codes, plus the Resource Graph view of protected items."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from local.cloud.app import create_app

from .rs_flow import ACCOUNT, API, RG, SEED, SUB, VAULT

AUTH = {"Authorization": "Bearer local"}


@pytest.fixture
async def arm() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://management.local", headers=AUTH) as c:
        seeded = await c.post("/_admin/seed", json=SEED)
        assert seeded.status_code == 200, seeded.text
        assert (await c.put("/_admin/config", json=SEED["config"])).status_code == 200
        yield c


async def poll(client: httpx.AsyncClient, url: str, until: set[int]) -> httpx.Response:
    for _ in range(200):
        answer = await client.get(url)
        if answer.status_code in until:
            return answer
        assert answer.status_code == 202, answer.text
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never finished")


async def wait_status(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    for _ in range(200):
        body: dict[str, Any] = (await client.get(url)).json()
        if body["status"] != "InProgress":
            return body
        assert body["endTime"] == "0001-01-01T00:00:00.00000Z"
        await asyncio.sleep(0.05)
    raise AssertionError("operation never finished")


async def wait_job(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    for _ in range(200):
        job: dict[str, Any] = (await client.get(f"{VAULT}/backupJobs/{job_id}?api-version={API}")).json()
        if job["properties"]["status"] != "InProgress":
            return job
        await asyncio.sleep(0.05)
    raise AssertionError("job never finished")


async def test_file_share_flow_end_to_end(arm: httpx.AsyncClient) -> None:
    flt = "$filter=backupManagementType eq 'AzureStorage'"
    # 1. refresh: 202 + Location (no Azure-AsyncOperation), then 202 ... 204
    refresh = await arm.post(f"{VAULT}/backupFabrics/Azure/refreshContainers?api-version={API}&{flt}")
    assert refresh.status_code == 202 and "Azure-AsyncOperation" not in refresh.headers
    assert "/backupFabrics/Azure/operationResults/" in refresh.headers["Location"]
    assert refresh.headers["Location"].endswith("?api-version=2016-12-01")
    assert (await poll(arm, refresh.headers["Location"], {204})).content == b""

    # 2. protectable containers: take the name from the response
    listed = (
        await arm.get(f"{VAULT}/backupFabrics/Azure/protectableContainers?api-version={API}&{flt}")
    ).json()
    container = next(c for c in listed["value"] if c["properties"]["friendlyName"] == "testvault2")
    assert container["properties"]["containerId"] == ACCOUNT
    name = container["name"]
    assert name == f"StorageContainer;Storage;{RG};testvault2"

    # 3. register (URL-encoded ;) -> 202 + Location + Azure-AsyncOperation, then 200 + container
    cpath = f"{VAULT}/backupFabrics/Azure/protectionContainers/{quote(name)}"
    body = {
        "properties": {
            "containerType": "StorageContainer",
            "sourceResourceId": ACCOUNT,
            "resourceGroup": RG,
            "friendlyName": "testvault2",
            "backupManagementType": "AzureStorage",
        }
    }
    reg = await arm.put(f"{cpath}?api-version={API}", json=body)
    assert reg.status_code == 202, reg.text
    assert "/operationsStatus/" in reg.headers["Azure-AsyncOperation"]
    done = await poll(arm, reg.headers["Location"], {200})
    assert done.json()["properties"]["registrationStatus"] == "Registered"
    assert done.json()["name"] == name

    # 4. inquire -> 202, then 204
    inquire = await arm.post(f"{cpath}/inquire?api-version={API}")
    assert inquire.status_code == 202
    await poll(arm, inquire.headers["Location"], {204})

    # 5. protectable items: azurefileshare;... names
    items = (await arm.get(f"{VAULT}/backupProtectableItems?api-version={API}&{flt}")).json()["value"]
    share = next(i for i in items if i["properties"]["friendlyName"] == "testshare")
    assert share["name"] == "azurefileshare;testshare"
    assert share["properties"]["parentContainerFabricId"] == ACCOUNT
    item_container, item_name = share["id"].split("/protectionContainers/")[1].split("/protectableItems/")

    # 6. enable protection: 202 + both headers, backupOperations -> Succeeded with jobId
    ipath = f"{VAULT}/backupFabrics/Azure/protectionContainers/{quote(item_container)}/protectedItems/{quote(item_name)}"  # noqa: E501
    protect = await arm.put(
        f"{ipath}?api-version={API}",
        json={
            "properties": {
                "protectedItemType": "AzureFileShareProtectedItem",
                "sourceResourceId": ACCOUNT,
                "policyId": f"{VAULT}/backupPolicies/schedule1",
            }
        },
    )
    assert protect.status_code == 202, protect.text
    op_id = protect.headers["Azure-AsyncOperation"].split("/operationsStatus/")[1].split("?")[0]
    status = await wait_status(arm, f"{VAULT}/backupOperations/{op_id}?api-version={API}")
    assert status["status"] == "Succeeded"
    assert status["properties"]["objectType"] == "OperationStatusJobExtendedInfo"
    item = (await poll(arm, protect.headers["Location"], {200})).json()
    assert item["properties"]["protectedItemType"] == "AzureFileShareProtectedItem"
    assert item["properties"]["protectionState"] == "IRPending"

    # already protected: listing no longer offers it; a second PUT is an update (202), not an error
    items = (await arm.get(f"{VAULT}/backupProtectableItems?api-version={API}&{flt}")).json()["value"]
    assert "azurefileshare;testshare" not in {i["name"] for i in items}

    # 7. on-demand backup -> job InProgress -> Completed, recovery point appears
    trigger = await arm.post(
        f"{ipath}/backup?api-version={API}",
        json={
            "properties": {
                "objectType": "AzureFileShareBackupRequest",
                "recoveryPointExpiryTimeInUTC": "2030-03-07T18:29:59.000Z",
            }
        },
    )
    assert trigger.status_code == 202 and "/operationsStatus/" in trigger.headers["Azure-AsyncOperation"]
    status = await wait_status(arm, trigger.headers["Azure-AsyncOperation"])
    job_id = status["properties"]["jobId"]
    running = (await arm.get(f"{VAULT}/backupJobs/{job_id}?api-version={API}")).json()
    assert running["properties"]["status"] == "InProgress" and "endTime" not in running["properties"]
    job = await wait_job(arm, job_id)
    assert job["properties"]["status"] == "Completed" and job["properties"]["operation"] == "Backup"
    assert job["properties"]["jobType"] == "AzureStorageJob" and job["properties"]["duration"].startswith(
        "PT"
    )
    rps = (await arm.get(f"{ipath}/recoveryPoints?api-version={API}")).json()["value"]
    assert len(rps) == 1 and rps[0]["properties"]["objectType"] == "AzureFileShareRecoveryPoint"

    # 8. restore: original and alternate location, tracked by jobs
    rp = rps[0]["name"]
    for request in (
        {"recoveryType": "OriginalLocation"},
        {
            "recoveryType": "AlternateLocation",
            "restoreFileSpecs": [{"targetFolderPath": "restoredata"}],
            "targetDetails": {
                "name": "azurefiles1",
                "targetResourceId": ACCOUNT.replace("testvault2", "afaccount1"),
            },
        },
    ):
        props = {
            "objectType": "AzureFileShareRestoreRequest",
            "sourceResourceId": ACCOUNT,
            "copyOptions": "Overwrite",
            "restoreRequestType": "FullShareRestore",
            **request,
        }
        restore = await arm.post(
            f"{ipath}/recoveryPoints/{rp}/restore?api-version={API}", json={"properties": props}
        )
        assert restore.status_code == 202, restore.text
        assert restore.headers["Location"].endswith("api-version=2019-05-13")
        status = await wait_status(arm, restore.headers["Azure-AsyncOperation"])
        job = await wait_job(arm, status["properties"]["jobId"])
        assert job["properties"]["operation"] == "Restore" and job["properties"]["status"] == "Completed"
    assert (
        job["properties"]["extendedInfo"]["propertyBag"]["RestoreDestination"]
        == "afaccount1/azurefiles1/restoredata"
    )

    jobs = (await arm.get(f"{VAULT}/backupJobs?api-version={API}")).json()["value"]
    assert {j["properties"]["operation"] for j in jobs} >= {"ConfigureBackup", "Backup", "Restore"}

    # Resource Graph sees the protected item in RecoveryServicesResources
    graph = await arm.post(
        "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
        json={
            "subscriptions": [SUB],
            "query": "RecoveryServicesResources | where type =~ "
            "'microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems' "
            "| extend state = tostring(properties.protectionState) | project id, name, state",
        },
    )
    assert graph.status_code == 200, graph.text
    assert graph.headers["x-ms-user-quota-remaining"] == "14"
    assert graph.json()["data"] == [
        {"id": item["id"], "name": "AzureFileShare;testshare", "state": "Protected"}
    ]

    # 9. stop protection and delete data: 202, then the item is gone (BMSUserErrorDataSourceObjectNotFound)
    # when the vault's soft delete is off (on, Azure's default, it is kept: test_sdk_recoveryservices)
    soft_delete_off = {"securitySettings": {"softDeleteSettings": {"softDeleteState": "Disabled"}}}
    vault = await arm.put(f"{VAULT}?api-version=2024-10-01", json={"properties": soft_delete_off})
    assert vault.status_code in (200, 201), vault.text
    delete = await arm.delete(f"{ipath}?api-version={API}")
    assert delete.status_code == 202
    await wait_status(arm, delete.headers["Azure-AsyncOperation"])
    gone = await arm.get(f"{ipath}?api-version={API}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "BMSUserErrorDataSourceObjectNotFound"


async def test_error_codes(arm: httpx.AsyncClient) -> None:
    unregistered = f"{VAULT}/backupFabrics/Azure/protectionContainers/{quote(f'StorageContainer;Storage;{RG};afaccount1')}"  # noqa: E501
    answer = await arm.post(f"{unregistered}/inquire?api-version={API}")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "BMSUserErrorContainerObjectNotFound"
    answer = await arm.put(
        f"{unregistered}/protectedItems/{quote('AzureFileShare;azurefiles1')}?api-version={API}",
        json={"properties": {}},
    )
    assert answer.json()["error"]["code"] == "BMSUserErrorContainerObjectNotFound"
    missing_vault = await arm.get(f"{VAULT}x/backupJobs?api-version={API}")
    assert missing_vault.status_code == 404 and missing_vault.json()["error"]["code"] == "ResourceNotFound"
    bad_graph = await arm.post(
        "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
        json={"query": "Resources | join (Resources) on id"},
    )
    assert bad_graph.status_code == 400
    assert bad_graph.json()["error"]["details"][0]["code"] == "InvalidQuery"
