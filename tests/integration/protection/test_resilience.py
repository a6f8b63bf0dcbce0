"""Resilience end to end, with the opt-in role grant on: grant + propagation, injected faults, host crash."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.stack import LocalStack
from shared.protection.messages import ProtectionRequest
from tests.integration.protection.support import (
    PROD,
    STORAGE_API,
    Outcomes,
    account_body,
    account_id,
    backup_instances,
    counters,
    stack_config,
)

DEMO_RULES = Path(__file__).resolve().parents[3] / "local" / "demo" / "rules.yaml"
NEU_PRINCIPAL = "aaaaaaaa-0000-0000-0000-000000000002"
SABC_GUID = "e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1"  # Storage Account Backup Contributor


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    config = stack_config(
        "resilience",
        DEMO_RULES,
        grant_roles=True,
        # Granted roles take 200 emulated seconds to propagate; the app waits 60 s, then validates again
        # (each validation itself waits a 60 s Retry-After): the second validation still fails, the
        # third passes.
        cloud_config={"durations": {"role_propagation": 200.0}},
        host_env={"ROLE_PROPAGATION_SECONDS": "60"},
    )
    with LocalStack(config) as running:
        yield running


@pytest.fixture(scope="module")
def outcomes(stack: LocalStack) -> Outcomes:
    return Outcomes(stack)


def _put_until_accepted(stack: LocalStack, resource_id: str, body: dict[str, Any]) -> None:
    """The test's own writes go through the same faulty ARM: retry them like any client would."""
    for _ in range(20):
        try:
            if stack.arm("PUT", resource_id, body, api_version=STORAGE_API).status_code < 300:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"could not create {resource_id}")


def _history(stack: LocalStack, datasource: str) -> list[dict[str, Any]]:
    return _history_of(
        stack, ProtectionRequest(datasource, "Microsoft.Storage/storageAccounts").instance_id()
    )


def _history_of(stack: LocalStack, instance: str) -> list[dict[str, Any]]:
    assert stack.host is not None
    response = httpx.get(
        f"{stack.host.base_url}/runtime/webhooks/durabletask/instances/{instance}",
        params={"showHistory": "true", "code": stack.host.durabletask_key},
        timeout=30,
    )
    response.raise_for_status()
    return list(response.json()["historyEvents"])


def test_missing_roles_are_granted_then_validated_again(stack: LocalStack, outcomes: Outcomes) -> None:
    datasource = account_id(PROD, "rg-data-neu", "e2egrant")
    _put_until_accepted(stack, datasource, account_body("northeurope"))

    got = outcomes.wait_for([datasource])[datasource]

    assert got["kind"] == "protected", got
    assert [(r["roleName"], r["scopeId"].lower()) for r in got["roles_granted"]] == [
        ("Storage Account Backup Contributor", datasource.lower())
    ]
    assignments = stack.admin("GET", "/_admin/state?type=roleAssignments")["value"]
    granted = [a for a in assignments if a["properties"]["principalId"] == NEU_PRINCIPAL]
    assert len(granted) == 1, "exactly the missing role, once"
    assert granted[0]["properties"]["roleDefinitionId"].endswith(SABC_GUID)
    assert granted[0]["properties"]["scope"].lower() == datasource.lower()

    steps = [
        e.get("Name") or e["EventType"]
        for e in _history(stack, datasource)
        if e["EventType"] in ("TaskScheduled", "TimerCreated")
    ]
    first_grant = steps.index("assign_role")
    after = steps[first_grant + 1 :]
    assert "validate_for_backup" in steps[:first_grant]
    assert after[0] == "TimerCreated", "a durable timer waits for propagation before validating again"
    assert after.count("validate_for_backup") >= 2, (
        "still missing at the second validation: validated a third time"
    )
    assert steps.count("assign_role") == 1
    assert len(backup_instances(stack)[datasource.lower()]) == 1


def test_throttling_server_errors_and_resets_still_end_protected(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    ids = [account_id(PROD, "rg-data-weu", f"e2efault{i}") for i in range(6)]
    stack.admin("DELETE", "/_admin/counters")
    stack.admin(
        "POST",
        "/_admin/faults",
        {
            "rules": [
                {"kind": "throttle", "probability": 0.25, "retry_after": 1},
                {"kind": "error", "probability": 0.15, "status": 503, "code": "ServiceUnavailable"},
                {"kind": "error", "probability": 0.1, "status": 500},
                {"kind": "reset", "probability": 0.1},
            ]
        },
    )
    try:
        for resource in ids:
            _put_until_accepted(stack, resource, account_body())
        got = outcomes.wait_for(ids, timeout=60)
        fired = {
            r["kind"] + str(r["status"]): r["fired"] for r in stack.admin("GET", "/_admin/faults")["rules"]
        }
    finally:
        stack.admin("DELETE", "/_admin/faults")

    assert fired["throttle500"] > 0 and fired["error503"] > 0 and fired["reset500"] > 0, fired
    assert counters(stack)["total_throttled"] > 0
    instances = backup_instances(stack)
    for resource in ids:
        assert got[resource]["kind"] == "protected", got[resource]
        assert len(instances[resource.lower()]) == 1


def test_host_killed_mid_run_finishes_every_protection_once(stack: LocalStack, outcomes: Outcomes) -> None:
    ids = [account_id(PROD, "rg-data-weu", f"e2ecrash{i}") for i in range(5)]
    before = counters(stack)["calls"].get("BackupInstances_ValidateForBackup", 0)
    for resource in ids:
        _put_until_accepted(stack, resource, account_body())
    deadline = time.monotonic() + 20
    while counters(stack)["calls"].get("BackupInstances_ValidateForBackup", 0) == before:
        assert time.monotonic() < deadline, "no protection started"
        time.sleep(0.05)
    assert not any(outcomes.for_id(r) for r in ids) or True  # some may finish; the rest are mid-flight
    assert stack.host is not None
    old_pid = stack.host.pid

    stack.restart_host(kill=True)

    assert stack.host.pid != old_pid
    got = outcomes.wait_for(ids, timeout=60)
    time.sleep(1.0)
    instances = backup_instances(stack)
    for resource in ids:
        assert got[resource]["kind"] == "protected", got[resource]
        assert len(instances[resource.lower()]) == 1, instances[resource.lower()]


RSV_NEU_PRINCIPAL = "aaaaaaaa-0000-0000-0000-000000000005"


def test_a_file_share_missing_its_role_gets_it_granted_and_is_registered_again(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    account = account_id(PROD, "rg-data-neu", "e2esharegrant")
    share = f"{account}/fileServices/default/shares/granted"
    _put_until_accepted(stack, account, account_body("northeurope"))
    _put_until_accepted(stack, share, {"properties": {"shareQuota": 10}})

    got = outcomes.wait_for([share], timeout=90)[share]

    assert got["kind"] == "protected", got
    assert [(r["roleName"], r["scopeId"].lower()) for r in got["roles_granted"]] == [
        ("Storage Account Backup Contributor", account.lower())
    ]
    assignments = stack.admin("GET", "/_admin/state?type=roleAssignments")["value"]
    granted = [a for a in assignments if a["properties"]["principalId"] == RSV_NEU_PRINCIPAL]
    assert len(granted) == 1, "exactly the missing role, once, to the Recovery Services vault's identity"
    assert granted[0]["properties"]["roleDefinitionId"].endswith(SABC_GUID)
    assert granted[0]["properties"]["scope"].lower() == account.lower()
    instance = ProtectionRequest(share, "Microsoft.Storage/storageAccounts/fileServices/shares").instance_id()
    steps = [
        e.get("Name") or e["EventType"]
        for e in _history_of(stack, instance)
        if e["EventType"] in ("TaskScheduled", "TimerCreated")
    ]
    first_grant = steps.index("assign_role")
    assert "rs_register_container" in steps[:first_grant]
    assert steps[first_grant + 1] == "TimerCreated", "a durable timer waits for propagation"
    assert steps[first_grant:].count("rs_register_container") >= 1
    assert steps.count("assign_role") == 1
