"""The compliance tenant (``local/cloud/seeds/compliance-tenant.yaml``) and Resource Graph helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from local.cloud.app import create_app
from local.cloud.testing import client, fast_config
from tests.paths import REPO_ROOT

SEED = REPO_ROOT / "local" / "cloud" / "seeds" / "compliance-tenant.yaml"
PROD = "11111111-1111-1111-1111-111111111111"
DEV = "22222222-2222-2222-2222-222222222222"
SANDBOX = "33333333-3333-3333-3333-333333333333"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
DATA = f"/subscriptions/{PROD}/resourceGroups/rg-data-weu"
BACKUP = f"/subscriptions/{PROD}/resourceGroups/rg-backup-weu"
BV = f"{BACKUP}/providers/Microsoft.DataProtection/backupVaults/bv-weu"
RSV = f"{BACKUP}/providers/Microsoft.RecoveryServices/vaults/rsv-weu"
GRAPH = "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01"
DP_V = "?api-version=2025-09-01"
BI_TYPE = "microsoft.dataprotection/backupvaults/backupinstances"
DP_JOB_TYPE = "microsoft.dataprotection/backupvaults/backupjobs"
RS_ITEM_TYPE = "microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems"
RS_JOB_TYPE = "microsoft.recoveryservices/vaults/backupjobs"


@asynccontextmanager
async def compliance_tenant(**config: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(fast_config(**config))
    async with client(app) as c:
        seeded = await c.post("/_admin/seed", content=SEED.read_bytes())
        assert seeded.status_code == 200, seeded.text
        yield c


async def graph(c: httpx.AsyncClient, query: str, **body: Any) -> dict[str, Any]:
    response = await c.post(GRAPH, json={"query": query, **body})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def rows(c: httpx.AsyncClient, query: str, **body: Any) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = (await graph(c, query, **body))["data"]
    return data
