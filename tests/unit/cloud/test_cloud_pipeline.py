"""The ARM pipeline: auth, api-version, case-insensitive paths, request ids, 404 shapes, write hooks."""

from __future__ import annotations

import base64
import json

import httpx

from local.cloud.app import create_app
from local.cloud.core import ResourceWrite
from local.cloud.testing import client, fast_config

ACCOUNTS = "/subscriptions/s1/resourceGroups/RG-Data/providers/Microsoft.Storage/storageAccounts"
SEED = b"subscriptions: [{id: s1, resourceGroups: [{name: RG-Data, location: westeurope}]}]"


def _jwt(claims: dict[str, str]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"e30.{payload}.sig"


async def test_auth_and_api_version_errors() -> None:
    app = create_app(fast_config())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://arm") as c:
        missing = await c.get("/subscriptions/s1?api-version=2022-12-01")
        wrong = await c.get("/subscriptions/s1?api-version=2022-12-01", headers={"Authorization": "Basic x"})
        no_version = await c.get("/subscriptions/s1", headers={"Authorization": "Bearer t"})
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "AuthenticationFailed"
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert no_version.status_code == 400
    assert no_version.json()["error"]["code"] == "MissingApiVersionParameter"


async def test_paths_case_insensitive_names_preserved_and_ids_echoed() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED)
        response = await c.get(
            "/Subscriptions/s1/resourcegroups/rg-data?api-version=2021-04-01",
            headers={"x-ms-correlation-request-id": "corr-1"},
        )
    assert response.status_code == 200
    assert response.json()["name"] == "RG-Data"
    assert response.headers["x-ms-correlation-request-id"] == "corr-1"
    assert response.headers["x-ms-request-id"]


async def test_not_found_shapes() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED)
        no_group = await c.get(
            "/subscriptions/s1/resourceGroups/nope/providers/Microsoft.Storage/storageAccounts/a?api-version=1"
        )
        no_account = await c.get(
            "/subscriptions/s1/resourceGroups/RG-Data/providers/Microsoft.Storage/storageAccounts/a?api-version=1"
        )
        no_type = await c.get(
            "/subscriptions/s1/resourceGroups/RG-Data/providers/Microsoft.Nope/things/a?api-version=1"
        )
    assert no_group.status_code == 404 and no_group.json()["error"]["code"] == "ResourceGroupNotFound"
    assert no_account.status_code == 404 and no_account.json()["error"]["code"] == "ResourceNotFound"
    assert no_type.status_code == 404 and no_type.json()["error"]["code"] == "InvalidResourceType"


async def test_resource_write_hook_carries_principal_and_correlation() -> None:
    app = create_app(fast_config())
    events: list[ResourceWrite] = []
    app.cloud.hooks.add(events.append)
    async with client(app, token=_jwt({"oid": "principal-42"})) as c:
        await c.post("/_admin/seed", content=SEED)
        events.clear()
        path = f"{ACCOUNTS}/stnew?api-version=2023-05-01"
        created = await c.put(
            path,
            json={"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}},
            headers={"x-ms-correlation-request-id": "c-9"},
        )
        deleted = await c.delete(path)
    assert created.status_code == 201 and deleted.status_code == 200
    assert [e.operation_name for e in events] == [
        "Microsoft.Storage/storageAccounts/write",
        "Microsoft.Storage/storageAccounts/delete",
    ]
    assert events[0].principal == "principal-42"
    assert events[0].correlation_id == "c-9"
    assert events[0].resource_group == "RG-Data" and events[0].subscription_id == "s1"


async def test_async_storage_create_answers_202_then_200() -> None:
    config = fast_config(async_storage_create=True, durations={"storage.create": 0.1})
    app = create_app(config)
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED)
        path = f"{ACCOUNTS}/stasync?api-version=2023-05-01"
        accepted = await c.put(
            path, json={"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}
        )
        poll = accepted.headers["Location"]
        running = await c.get(poll)
        await c.post("/_admin/clock/advance", json={"seconds": 1})
        done = await c.get(poll)
    assert accepted.status_code == 202 and accepted.headers["Retry-After"] == "0"
    assert running.status_code == 202
    assert done.status_code == 200 and done.json()["properties"]["provisioningState"] == "Succeeded"
