"""A sweep-sized tenant over real HTTP: 100,000 storage accounts in 100 subscriptions are bulk-loaded, then
read back through Resource Graph 1,000 rows a page, as a compliance sweep would."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from local.azurite import free_port
from local.cloud.app import create_app
from local.cloud.testing import TEST_TOKEN, ServerThread, fast_config

pytestmark = pytest.mark.integration

QUERY = (
    "Resources | where type =~ 'microsoft.storage/storageaccounts' "
    "| project id, name, subscriptionId, kind, sku, tags, properties"
)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    thread = ServerThread(create_app(fast_config()), free_port()).start()
    try:
        yield thread
    finally:
        thread.stop()


async def test_hundred_thousand_accounts_load_and_page_through_resource_graph(server: ServerThread) -> None:
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {TEST_TOKEN}"}, timeout=120
    ) as c:
        started = time.perf_counter()
        loaded = await c.post(
            "/_admin/bulk/storageAccounts", json={"subscriptions": 100, "accountsPerSubscription": 1000}
        )
        load_seconds = time.perf_counter() - started
        assert loaded.status_code == 200 and loaded.json()["created"] == 100_000
        started = time.perf_counter()
        ids: set[str] = set()
        subscriptions: set[str] = set()
        token = None
        pages = 0
        while True:
            options: dict[str, str] = {"$skipToken": token} if token else {}
            page = await c.post(
                "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
                json={"query": QUERY, "options": options},
            )
            assert page.status_code == 200, page.text
            body = page.json()
            assert body["totalRecords"] == 100_000 and body["count"] == len(body["data"]) == 1000
            ids.update(r["id"] for r in body["data"])
            subscriptions.update(r["subscriptionId"] for r in body["data"])
            pages += 1
            token = body.get("$skipToken")
            if not token:
                break
        page_seconds = time.perf_counter() - started
    print(f"bulk load {load_seconds:.1f}s, {pages} Resource Graph pages {page_seconds:.1f}s")
    assert pages == 100 and len(ids) == 100_000 and len(subscriptions) == 100
    assert load_seconds < 30 and page_seconds < 60
