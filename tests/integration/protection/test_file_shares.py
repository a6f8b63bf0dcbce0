# ruff: noqa: E501 - ARM ids are long by nature
"""Azure file shares end to end (seeds/004): share write -> Event Grid -> host -> emulated Recovery Services
-> outcome event. One LocalStack for the module; the app does not grant roles.

The tenant is the demo one plus a storage account whose shares a Recovery Services vault already protects
(one with the rule's policy, one with another policy).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from local.stack import LocalStack, subscription_name
from tests.integration.protection.support import (
    DEMO,
    PROD,
    Outcomes,
    Recorder,
    account_body,
    account_id,
    counters,
    post_events,
    put_account,
    stack_config,
)

RSV_WEU = (
    f"/subscriptions/{PROD}/resourceGroups/rg-backup-weu/providers/Microsoft.RecoveryServices/vaults/rsv-weu"
)
RSV_NEU = (
    f"/subscriptions/{PROD}/resourceGroups/rg-backup-neu/providers/Microsoft.RecoveryServices/vaults/rsv-neu"
)
DAILY = f"{RSV_WEU}/backupPolicies/daily-shares"
HOURLY = f"{RSV_WEU}/backupPolicies/hourly-shares"
ITEM_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems"
OLD_ACCOUNT = account_id(PROD, "rg-data-weu", "stsharesold")
SHARE_API = "2023-05-01"


def share_id(account: str, name: str) -> str:
    return f"{account}/fileServices/default/shares/{name}"


def put_share(stack: LocalStack, resource_id: str) -> None:
    response = stack.arm("PUT", resource_id, {"properties": {"shareQuota": 100}}, api_version=SHARE_API)
    assert response.status_code in (200, 201), response.text


def protected_items(stack: LocalStack) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(storage account id, share name), lower case -> the protected items the emulator holds for it."""
    state = stack.admin("GET", f"/_admin/state?type={ITEM_TYPE}")
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in state["value"]:
        props = item["properties"]
        out.setdefault((props["sourceResourceId"].lower(), props["friendlyName"].lower()), []).append(item)
    return out


def calls(stack: LocalStack, operation: str) -> int:
    return int(counters(stack)["calls"].get(operation, 0))


def _tenant(tmp: Path) -> Path:
    document = yaml.safe_load((DEMO / "tenant.yaml").read_text(encoding="utf-8"))
    groups = {g["name"]: g for g in document["subscriptions"][0]["resourceGroups"]}
    groups["rg-data-weu"]["storageAccounts"].append(
        {"name": "stsharesold", "fileShares": ["kept", "drifted"]}
    )
    groups["rg-backup-weu"]["recoveryServicesVaults"][0]["policies"].append({"name": "hourly-shares"})
    document["protectedFileShares"] = [
        {"vault": RSV_WEU, "storageAccount": OLD_ACCOUNT, "share": "kept", "policy": "daily-shares"},
        {"vault": RSV_WEU, "storageAccount": OLD_ACCOUNT, "share": "drifted", "policy": "hourly-shares"},
    ]
    path = tmp / "tenant.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    config = replace(
        stack_config("file-shares", DEMO / "rules.yaml"), seed=_tenant(tmp_path_factory.mktemp("t"))
    )
    with LocalStack(config) as running:
        yield running


@pytest.fixture(scope="module")
def outcomes(stack: LocalStack) -> Outcomes:
    return Outcomes(stack)


def test_a_new_share_is_protected_from_its_write_event(stack: LocalStack, outcomes: Outcomes) -> None:
    account = account_id(PROD, "rg-data-weu", "stfilesnew")
    share = share_id(account, "orders")
    put_account(stack, account, account_body())
    registrations = calls(stack, "ProtectionContainers_Register")
    put_share(stack, share)

    got = outcomes.wait_for([share])[share]

    assert got["_type"] == "BackupAutopilot.Protection.Protected", got
    assert got["kind"] == "protected"
    assert got["rule"] == "prod-file-shares-westeurope"
    assert (got["vault_id"].lower(), got["policy_id"].lower()) == (RSV_WEU.lower(), DAILY.lower())
    container = "StorageContainer;Storage;rg-data-weu;stfilesnew"
    assert got["reason"] == (
        f"protected by rule prod-file-shares-westeurope (protection state IRPending; container {container} registered)"
    )
    assert (
        got["backup_instance_id"].lower()
        == (
            f"{RSV_WEU}/backupFabrics/Azure/protectionContainers/{container}/protectedItems/azurefileshare;orders"
        ).lower()
    )
    (item,) = protected_items(stack)[(account.lower(), "orders")]
    assert item["properties"]["policyId"].lower() == DAILY.lower()
    assert calls(stack, "ProtectionContainers_Register") == registrations + 1

    # a second share of the same account: its container is registered already
    second = share_id(account, "invoices")
    put_share(stack, second)
    again = outcomes.wait_for([second])[second]
    assert again["kind"] == "protected"
    assert f"container {container} was registered already" in again["reason"]
    assert calls(stack, "ProtectionContainers_Register") == registrations + 1


def test_a_refresh_answering_202_several_times_is_followed_to_its_204(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    stack.admin("PUT", "/_admin/config", {"durations": {"rs.refresh": 200.0}})  # 60 s Retry-After: 202 x3
    try:
        account = account_id(PROD, "rg-data-weu", "stfilesslow")
        put_account(stack, account, account_body())
        before = calls(stack, "ProtectionContainerRefreshOperationResults_Get")
        share = share_id(account, "slow")
        put_share(stack, share)

        got = outcomes.wait_for([share], timeout=60)[share]
    finally:
        stack.admin("PUT", "/_admin/config", {"durations": {"rs.refresh": 1.0}})

    assert got["kind"] == "protected", got
    assert calls(stack, "ProtectionContainerRefreshOperationResults_Get") - before >= 4  # 202, 202, 202, 204


def test_a_share_not_discoverable_at_first_is_found_by_a_later_refresh(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    # The service does not see the new share until the first round's look-up has missed it: the discovery lag
    # is huge until then, and gone after (the app's next bounded round finds it).
    stack.admin("PUT", "/_admin/config", {"durations": {"rs.share_discovery": 1e9}})
    try:
        account = account_id(PROD, "rg-data-weu", "stfileslate")
        put_account(stack, account, account_body())
        refreshes = calls(stack, "ProtectionContainers_Refresh")
        lookups = calls(stack, "BackupProtectableItems_List")
        share = share_id(account, "late")
        put_share(stack, share)
        deadline = time.monotonic() + 60
        while calls(stack, "BackupProtectableItems_List") == lookups and time.monotonic() < deadline:
            time.sleep(0.05)
        stack.admin("PUT", "/_admin/config", {"durations": {"rs.share_discovery": 0.0}})

        got = outcomes.wait_for([share], timeout=60)[share]
    finally:
        stack.admin("PUT", "/_admin/config", {"durations": {"rs.share_discovery": 0.0}})

    assert got["kind"] == "protected", got
    assert calls(stack, "ProtectionContainers_Refresh") - refreshes >= 2
    assert len(protected_items(stack)[(account.lower(), "late")]) == 1


def test_a_share_already_protected_is_a_success_or_drift_naming_both_policies(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    kept, drifted = share_id(OLD_ACCOUNT, "kept"), share_id(OLD_ACCOUNT, "drifted")
    puts = calls(stack, "ProtectedItems_CreateOrUpdate")
    put_share(stack, kept)
    put_share(stack, drifted)

    got = outcomes.wait_for([kept, drifted])

    assert got[kept]["kind"] == "already_protected", got[kept]
    assert got[kept]["policy_id"].lower() == DAILY.lower()
    assert got[drifted]["kind"] == "drift", got[drifted]
    assert (
        HOURLY.lower() in got[drifted]["reason"].lower() and DAILY.lower() in got[drifted]["reason"].lower()
    )
    assert got[drifted]["policy_id"].lower() == HOURLY.lower()
    assert calls(stack, "ProtectedItems_CreateOrUpdate") == puts  # nothing re-protected, nothing moved
    items = protected_items(stack)
    assert len(items[(OLD_ACCOUNT.lower(), "drifted")]) == 1
    assert items[(OLD_ACCOUNT.lower(), "drifted")][0]["properties"]["policyId"].lower() == HOURLY.lower()


def test_missing_permissions_fail_naming_the_role_on_the_account(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    account = account_id(PROD, "rg-data-neu", "stfilesneu")
    share = share_id(account, "reports")
    put_account(stack, account, account_body("northeurope"))
    put_share(stack, share)

    got = outcomes.wait_for([share])[share]

    assert got["kind"] == "failed", got
    assert f"Storage Account Backup Contributor on {account}" in got["reason"]
    assert "PROTECTION_GRANT_ROLES=true" in got["reason"]
    assert got["error"]["code"] == "UserErrorMissingRequiredPermissions"
    assert got["vault_id"].lower() == RSV_NEU.lower()
    assert (account.lower(), "reports") not in protected_items(stack)


def _capture_prod_events(stack: LocalStack, recorder: Recorder) -> None:
    stack.admin("DELETE", f"/_admin/eventgrid/subscriptions/{subscription_name(PROD)}")
    stack.admin(
        "POST",
        "/_admin/eventgrid/subscriptions",
        {
            "name": "capture-prod",
            "endpoint": recorder.url,
            "scope": f"/subscriptions/{PROD}",
            "schema": "EventGridSchema",
            "skipValidation": True,
            "filter": {"includedEventTypes": ["Microsoft.Resources.ResourceWriteSuccess"]},
        },
    )


def test_share_events_delivered_three_times_shuffled_give_one_protected_item_each(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    account = account_id(PROD, "rg-data-weu", "stfilesdup")
    shares = [share_id(account, f"dup{i}") for i in range(4)]
    recorder = Recorder()
    try:
        _capture_prod_events(stack, recorder)
        put_account(stack, account, account_body())
        for share in shares:
            put_share(stack, share)
        deadline = time.monotonic() + 15
        while len(recorder.events()) < len(shares) + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        events = [e for e in recorder.events() if "/shares/" in e["subject"]]
    finally:
        stack.admin("DELETE", "/_admin/eventgrid/subscriptions/capture-prod")
        stack.subscribe(PROD)
        recorder.close()
    assert {e["subject"].lower() for e in events} == {s.lower() for s in shares}
    deliveries = events * 3
    random.Random(11).shuffle(deliveries)

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda event: post_events(stack, [event]).status_code, deliveries))
    assert all(200 <= s < 300 for s in statuses), statuses

    got = outcomes.wait_for(shares, timeout=90)
    time.sleep(2.0)  # let late duplicates run through the queue before counting
    outcomes.collect()
    items = protected_items(stack)
    for share in shares:
        assert got[share]["kind"] == "protected", got[share]
        assert len(items[(account.lower(), share.rsplit("/", 1)[-1])]) == 1
        kinds = {e["data"]["kind"] for e in outcomes.for_id(share)}
        assert kinds == {"protected"}, f"{share}: duplicate deliveries produced {kinds}"
