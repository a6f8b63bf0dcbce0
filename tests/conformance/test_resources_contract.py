"""Conformance of the generic resource providers with ARM's contract (ASYNC-OPERATIONS.md, the RPC):
PUT answers 201 then 200, GET returns what PUT stored, lists are ``{"value": [...]}``, DELETE answers
200 then 204, errors are ``{"error": {"code", "message"}}``, and an async create polls 202 then 200.
(azure-specs holds no Microsoft.Storage / DBforPostgreSQL / KeyVault examples; the shapes checked are
ARM's common ones.)"""

from __future__ import annotations

from typing import Any

import pytest

from local.cloud.app import create_app
from local.cloud.testing import client, fast_config

from .test_dataprotection_shapes import check_poll_header

SUB = "/subscriptions/5e1f0000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/rg-contract"
ST = f"{RG}/providers/Microsoft.Storage/storageAccounts"
PG = f"{RG}/providers/Microsoft.DBforPostgreSQL"
KV = f"{RG}/providers/Microsoft.KeyVault"
CASES: list[tuple[str, dict[str, Any], str]] = [
    (f"{ST}/stcontract",
     {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}, "2023-05-01"),
    (f"{ST}/stcontract/blobServices/default/containers/c1", {}, "2023-05-01"),
    (f"{ST}/stcontract/fileServices/default/shares/s1", {}, "2023-05-01"),
    (f"{PG}/servers/pgc", {"location": "westeurope"}, "2017-12-01"),
    (f"{PG}/servers/pgc/databases/db1", {"properties": {}}, "2017-12-01"),
    (f"{PG}/flexibleServers/pgf", {"location": "westeurope"}, "2022-12-01"),
    (f"{PG}/flexibleServers/pgf/databases/db1", {"properties": {}}, "2022-12-01"),
    (f"{KV}/vaults/kvc", {"location": "westeurope", "properties": {}}, "2023-07-01"),
    (f"{KV}/vaults/kvc/secrets/sec", {"properties": {"value": "hidden"}}, "2023-07-01"),
]  # fmt: skip


@pytest.fixture
async def c() -> Any:
    app = create_app(fast_config())
    async with client(app) as http:
        await http.post("/_admin/seed", json={"subscriptions": [{"id": SUB.split("/")[-1]}]})
        assert (
            await http.put(f"{RG}?api-version=2021-04-01", json={"location": "westeurope"})
        ).status_code == 201
        yield http


async def test_put_get_list_delete_follow_arm(c: Any) -> None:
    for rid, body, version in CASES:
        url = f"{rid}?api-version={version}"
        first, second = await c.put(url, json=body), await c.put(url, json=body)
        assert (first.status_code, second.status_code) == (201, 200), rid
        got = (await c.get(url)).json()
        assert got["id"].lower() == rid.lower() and got["name"] == rid.rsplit("/", 1)[-1]
        assert isinstance(got["properties"], dict) and "type" in got
        assert "hidden" not in str(got)  # secret values are never returned
        listing = (await c.get(f"{rid.rsplit('/', 1)[0]}?api-version={version}")).json()
        assert rid.rsplit("/", 1)[-1] in [item["name"] for item in listing["value"]]
    for rid, _, version in reversed(CASES):
        url = f"{rid}?api-version={version}"
        assert (await c.delete(url)).status_code == 200
        assert (await c.delete(url)).status_code == 204
        missing = await c.get(url)
        assert missing.status_code == 404 and set(missing.json()["error"]) >= {"code", "message"}


async def test_parent_must_exist(c: Any) -> None:
    orphan = await c.put(
        f"{RG}/providers/Microsoft.Storage/storageAccounts/nope/blobServices/default/containers/x"
        "?api-version=2023-05-01",
        json={},
    )
    no_group = await c.put(
        f"{SUB}/resourceGroups/missing/providers/Microsoft.KeyVault/vaults/k?api-version=2023-07-01",
        json={"location": "westeurope"},
    )
    assert orphan.status_code == 404 and orphan.json()["error"]["code"] == "ParentResourceNotFound"
    assert no_group.status_code == 404 and no_group.json()["error"]["code"] == "ResourceGroupNotFound"


async def test_storage_create_is_async_like_arm() -> None:
    app = create_app(fast_config(async_storage_create=True, durations={"storage.create": 5}))
    async with client(app) as http:
        await http.post(
            "/_admin/seed",
            json={"subscriptions": [{"id": SUB.split("/")[-1], "resourceGroups": [{"name": "rg-contract"}]}]},
        )
        url = f"{RG}/providers/Microsoft.Storage/storageAccounts/stasync?api-version=2023-05-01"
        accepted = await http.put(
            url, json={"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}
        )
        assert accepted.status_code == 202
        assert check_poll_header("Location", accepted.headers["Location"]) == []
        assert check_poll_header("Retry-After", accepted.headers["Retry-After"]) == []
        creating = (await http.get(url)).json()["properties"]["provisioningState"]
        assert (await http.get(accepted.headers["Location"])).status_code == 202
        await http.post("/_admin/clock/advance", json={"seconds": 6})
        done = await http.get(accepted.headers["Location"])
    assert creating == "Creating"
    assert done.status_code == 200 and done.json()["properties"]["provisioningState"] == "Succeeded"
