"""Fault injection through the admin API: 429, 5xx, delays, resets, failed operations and jobs."""

from __future__ import annotations

import time

import httpx
import pytest

from local.cloud.app import create_app
from local.cloud.core.faults import FaultInjector, FaultRule
from local.cloud.testing import client, fast_config

SEED = b"subscriptions: [{id: s1, resourceGroups: [{name: rg, location: westeurope}]}, {id: s2}]"
RG = "/subscriptions/s1/resourceGroups/rg?api-version=2021-04-01"


def test_rule_matches_pattern_subscription_and_count() -> None:
    faults = FaultInjector()
    faults.add(FaultRule(kind="error", operation="ResourceGroups_*", subscription="S1", count=1))
    assert faults.for_request("StorageAccounts_Get", "s1") == []
    assert faults.for_request("ResourceGroups_Get", "s2") == []
    assert [r.kind for r in faults.for_request("resourcegroups_get", "s1")] == ["error"]
    assert faults.for_request("ResourceGroups_Get", "s1") == []  # count exhausted


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        FaultRule(kind="explode")


async def test_injected_throttle_and_server_error() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED)
        rules = [
            {"kind": "throttle", "operation": "ResourceGroups_Get", "count": 1, "retry_after": 7},
            {
                "kind": "error",
                "operation": "ResourceGroups_Get",
                "count": 1,
                "status": 503,
                "code": "ServiceUnavailable",
            },
        ]
        created = await c.post("/_admin/faults", json={"rules": rules})
        assert created.status_code == 201
        first, second, third = [await c.get(RG) for _ in range(3)]
        counters = (await c.get("/_admin/counters")).json()
    assert first.status_code == 429 and first.headers["Retry-After"] == "7"
    assert second.status_code == 503 and second.json()["error"]["code"] == "ServiceUnavailable"
    assert third.status_code == 200
    assert counters["throttled"]["ResourceGroups_Get"] == 1
    assert counters["server_errors"]["ResourceGroups_Get"] == 1
    assert counters["subscriptions"]["s1"]["calls"] == 3


async def test_delay_fault_slows_the_response() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED)
        await c.post(
            "/_admin/faults", json={"kind": "delay", "operation": "*", "delay_seconds": 0.3, "count": 1}
        )
        started = time.monotonic()
        response = await c.get(RG)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


async def test_reset_fault_drops_the_connection() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED)
        await c.post("/_admin/faults", json={"kind": "reset", "operation": "ResourceGroups_Get", "count": 1})
        with pytest.raises(Exception) as info:
            await c.get(RG)
        assert "ResourceGroups_Get" in str(info.value) or isinstance(info.value, httpx.HTTPError)
        assert (await c.get(RG)).status_code == 200


async def test_faults_are_cleared_by_delete() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED)
        await c.post("/_admin/faults", json={"kind": "error", "operation": "*"})
        assert (await c.get(RG)).status_code == 500
        await c.delete("/_admin/faults")
        assert (await c.get(RG)).status_code == 200
