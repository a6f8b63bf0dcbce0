"""Bulk loading of storage accounts (``local.cloud.bulk``), through the admin API and in Python."""

from __future__ import annotations

from local.cloud.app import create_app
from local.cloud.bulk import StorageAccountBatch, bulk_subscription_id, load_storage_accounts
from local.cloud.core import ResourceWrite
from local.cloud.testing import client, fast_config

GRAPH = "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01"


async def test_admin_bulk_load_is_visible_through_arm_and_resource_graph() -> None:
    app = create_app(fast_config())
    events: list[ResourceWrite] = []
    app.cloud.hooks.add(events.append)
    async with client(app) as c:
        loaded = await c.post(
            "/_admin/bulk/storageAccounts",
            json={
                "subscriptions": 3,
                "accountsPerSubscription": 5,
                "tags": {"backup": "exclude"},
                "sku": "Standard_GRS",
            },
        )
        sub = bulk_subscription_id(2)
        account = await c.get(
            f"/subscriptions/{sub}/resourceGroups/rg-bulk/providers/Microsoft.Storage/storageAccounts/"
            "st0002000004?api-version=2023-05-01"
        )
        listed = await c.get(
            f"/subscriptions/{sub}/providers/Microsoft.Storage/storageAccounts?api-version=2023-05-01"
        )
        counted = await c.post(
            GRAPH,
            json={
                "query": "Resources | where type =~ 'microsoft.storage/storageaccounts' "
                "and tags.backup == 'exclude' | summarize n = count() by subscriptionId",
            },
        )
        containers = await c.post(
            GRAPH, json={"query": "ResourceContainers | where type =~ 'microsoft.resources/subscriptions'"}
        )
    body = loaded.json()
    assert loaded.status_code == 200 and body["created"] == 15 and body["seconds"] >= 0
    assert body["subscriptions"] == [bulk_subscription_id(i) for i in (1, 2, 3)]
    assert account.status_code == 200
    props = account.json()["properties"]
    assert props["provisioningState"] == "Succeeded" and props["isHnsEnabled"] is False
    assert account.json()["sku"] == {"name": "Standard_GRS", "tier": "Standard"}
    assert len(listed.json()["value"]) == 5
    assert sorted(r["n"] for r in counted.json()["data"]) == [5, 5, 5]
    assert len(containers.json()["data"]) == 3
    assert events == []  # no ResourceWriteSuccess storm


async def test_python_batches_side_by_side_and_bad_prefixes() -> None:
    app = create_app(fast_config())
    first = load_storage_accounts(app.cloud, StorageAccountBatch(subscriptions=2, per_subscription=3))
    second = load_storage_accounts(
        app.cloud,
        StorageAccountBatch(subscriptions=1, per_subscription=2, first_subscription=3, kind="BlobStorage"),
    )
    accounts = app.cloud.store.list_by_type("Microsoft.Storage/storageAccounts")
    assert (first.accounts, second.accounts, len(accounts)) == (6, 2, 8)
    assert {a.body["kind"] for a in accounts if bulk_subscription_id(3) in a.id} == {"BlobStorage"}
    async with client(app) as c:
        bad = await c.post("/_admin/bulk/storageAccounts", json={"namePrefix": "Bad-Prefix"})
    assert bad.status_code == 400 and "namePrefix" in bad.json()["error"]["message"]


async def test_bulk_file_shares_are_listed_through_arm_and_not_indexed_by_resource_graph() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        loaded = await c.post(
            "/_admin/bulk/storageAccounts",
            json={"subscriptions": 1, "accountsPerSubscription": 2, "sharesPerAccount": 3},
        )
        account = (
            f"/subscriptions/{bulk_subscription_id(1)}/resourceGroups/rg-bulk/providers/"
            "Microsoft.Storage/storageAccounts/st0001000001"
        )
        listed = await c.get(f"{account}/fileServices/default/shares?api-version=2023-05-01")
        one = await c.get(f"{account}/fileServices/default/shares/share2?api-version=2023-05-01")
        indexed = await c.post(
            GRAPH,
            json={
                "query": "Resources | where type =~ 'microsoft.storage/storageaccounts/fileservices/shares'"
            },
        )
    assert loaded.status_code == 200 and loaded.json()["created"] == 2
    shares = listed.json()["value"]
    assert [s["name"] for s in shares] == ["share0", "share1", "share2"]
    assert shares[0]["id"] == f"{account}/fileServices/default/shares/share0"
    assert shares[0]["properties"]["enabledProtocols"] == "SMB"
    assert one.status_code == 200 and one.json()["name"] == "share2"
    assert indexed.status_code == 200 and indexed.json()["data"] == []  # in no Resource Graph table
