"""The emulator's Recovery Services rules the file-share flow meets: a vault identity needs its role on the
storage account (register, protect), and a new share is discovered only some time after its creation, at an
inquire (in process, as ``test_recoveryservices_flow``)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from local.cloud.app import create_app

from .rs_flow import ACCOUNT, API, RG, SEED, SUB, VAULT
from .test_recoveryservices_flow import AUTH, poll, wait_status

PRINCIPAL = "bbbbbbbb-0000-0000-0000-000000000004"
ROLE_DEFINITIONS = "providers/Microsoft.Authorization/roleDefinitions"
SABC = "e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1"  # Storage Account Backup Contributor
FILTER = "$filter=backupManagementType eq 'AzureStorage'"
CONTAINER = f"StorageContainer;Storage;{RG};testvault2"
CPATH = f"{VAULT}/backupFabrics/Azure/protectionContainers/{quote(CONTAINER)}"
REGISTER = {
    "properties": {
        "containerType": "StorageContainer",
        "sourceResourceId": ACCOUNT,
        "resourceGroup": RG,
        "friendlyName": "testvault2",
        "backupManagementType": "AzureStorage",
    }
}


async def _client(seed: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="https://management.local", headers=AUTH) as c:
        assert (await c.post("/_admin/seed", json=seed)).status_code == 200
        assert (await c.put("/_admin/config", json=seed["config"])).status_code == 200
        yield c


@pytest.fixture
async def with_identity() -> AsyncIterator[httpx.AsyncClient]:
    seed = copy.deepcopy(SEED)
    seed["subscriptions"][0]["resourceGroups"][0]["recoveryServicesVaults"][0]["principalId"] = PRINCIPAL
    async for client in _client(seed):
        yield client


@pytest.fixture
async def late_discovery() -> AsyncIterator[httpx.AsyncClient]:
    seed = copy.deepcopy(SEED)
    seed["config"]["durations"] = {**seed["config"]["durations"], "rs.share_discovery": 0.6, "rs.inquire": 0}
    async for client in _client(seed):
        yield client


async def _refresh_and_register(arm: httpx.AsyncClient) -> dict[str, Any]:
    refresh = await arm.post(f"{VAULT}/backupFabrics/Azure/refreshContainers?api-version={API}&{FILTER}")
    await poll(arm, refresh.headers["Location"], {204})
    registered = await arm.put(f"{CPATH}?api-version={API}", json=REGISTER)
    assert registered.status_code == 202, registered.text
    return await wait_status(arm, registered.headers["Azure-AsyncOperation"])


async def test_a_vault_identity_without_its_role_cannot_register_until_it_is_granted(
    with_identity: httpx.AsyncClient,
) -> None:
    arm = with_identity
    vault = (await arm.get(f"{VAULT}?api-version=2024-10-01")).json()
    assert vault["identity"]["principalId"] == PRINCIPAL

    refused = await _refresh_and_register(arm)

    assert refused["status"] == "Failed"
    assert refused["error"]["code"] == "UserErrorMissingRequiredPermissions"
    grant = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{SUB}/{ROLE_DEFINITIONS}/{SABC}",
            "principalId": PRINCIPAL,
            "principalType": "ServicePrincipal",
        }
    }
    path = f"{ACCOUNT}/providers/Microsoft.Authorization/roleAssignments/9f0e2d1c-0000-4000-8000-000000000001"
    assert (await arm.put(f"{path}?api-version=2022-04-01", json=grant)).status_code in (200, 201)
    accepted = await _refresh_and_register(arm)
    assert accepted["status"] == "Succeeded"


async def test_a_new_share_is_listed_only_by_an_inquire_after_its_discovery_delay(
    late_discovery: httpx.AsyncClient,
) -> None:
    arm = late_discovery
    assert (await _refresh_and_register(arm))["status"] == "Succeeded"
    share = f"{ACCOUNT}/fileServices/default/shares/brandnew"
    assert (await arm.put(f"{share}?api-version=2023-05-01", json={})).status_code in (200, 201)

    async def listed_after_inquire() -> set[str]:
        inquire = await arm.post(f"{CPATH}/inquire?api-version={API}")
        await poll(arm, inquire.headers["Location"], {204})
        items = (await arm.get(f"{VAULT}/backupProtectableItems?api-version={API}&{FILTER}")).json()["value"]
        return {i["properties"]["friendlyName"] for i in items}

    assert "brandnew" not in await listed_after_inquire()
    await asyncio.sleep(0.8)
    assert "brandnew" in await listed_after_inquire()
