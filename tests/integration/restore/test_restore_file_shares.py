# ruff: noqa: E501 - ARM ids are long by nature
"""File-share restores over HTTP, end to end (Recovery Services): a share protected from its write event,
backed up on demand (what its policy's schedule would do), then a full-share restore to its original place
and an item-level restore to another share, each followed through the Recovery Services job to its end and
its completion event."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from local.stack import LocalStack
from tests.integration.restore.restore_stack import RG, RestoreApi, wait_protected

ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/strestorefiles"
SOURCE = f"{ACCOUNT}/fileServices/default/shares/projects"
TARGET_ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/strestoretarget"
TARGET = f"{TARGET_ACCOUNT}/fileServices/default/shares/recovered"
OUTSIDE = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-dev/providers/Microsoft.Storage/storageAccounts/stelsewhere"
RSV = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup-weu/providers/Microsoft.RecoveryServices/vaults/rsv-weu"
SUCCEEDED = "BackupAutopilot.Restore.Succeeded"
RS_API = "2025-08-01"


def _encoded(item_id: str) -> str:
    return "/".join(quote(s, safe="") for s in item_id.split("/"))


def _event_for(stack: LocalStack, restore_id: str) -> dict[str, Any]:
    found = stack.wait_for_event(
        lambda e: (e.get("data") or {}).get("restore_id") == restore_id, 30.0, SUCCEEDED
    )
    assert found is not None, f"no {SUCCEEDED} event for {restore_id}"
    return found


@pytest.fixture(scope="module")
def backed_up(restore_stack: LocalStack) -> Iterator[tuple[str, str]]:
    """(protected item id, recovery point id) of the source share, after one backup."""
    for path, body in (
        (ACCOUNT, {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}),
        (TARGET_ACCOUNT, {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}),
        (SOURCE, {"properties": {"shareQuota": 100}}),
        (TARGET, {"properties": {"shareQuota": 100}}),
    ):
        response = restore_stack.arm("PUT", path, body, api_version="2023-05-01")
        assert response.status_code in (200, 201, 202), response.text
    wait_protected(restore_stack, [SOURCE])
    items = restore_stack.arm("GET", f"{RSV}/backupProtectedItems", api_version=RS_API).json()["value"]
    (item,) = [i for i in items if i["properties"]["friendlyName"] == "projects"]
    backup = restore_stack.arm(
        "POST",
        f"{_encoded(item['id'])}/backup",
        {"properties": {"objectType": "AzureFileShareBackupRequest"}},
        api_version=RS_API,
    )
    assert backup.status_code == 202, backup.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        points = restore_stack.arm("GET", f"{_encoded(item['id'])}/recoveryPoints", api_version=RS_API)
        if points.status_code == 200 and points.json()["value"]:
            yield item["id"], points.json()["value"][0]["name"]
            return
        time.sleep(0.2)
    raise AssertionError("the on-demand backup made no recovery point")


def _job(stack: LocalStack, job_id: str) -> dict[str, Any]:
    response = stack.arm("GET", f"{RSV}/backupJobs/{job_id}", api_version=RS_API)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_restore_points_list_the_share_recovery_points(api: RestoreApi, backed_up: tuple[str, str]) -> None:
    item_id, point = backed_up

    listed = api.points(SOURCE)

    assert listed["backupInstanceId"].lower() == item_id.lower()
    assert listed["datasourceId"].lower() == SOURCE.lower()
    assert point in [p["id"] for p in listed["recoveryPoints"]]
    assert listed["restorableTimeRanges"] == []


def test_a_full_share_restore_to_its_original_place_runs_to_its_end(
    api: RestoreApi, restore_stack: LocalStack, backed_up: tuple[str, str]
) -> None:
    item_id, point = backed_up
    body = {
        "kind": "fileShareFull",
        "resourceId": SOURCE,
        "recoveryPointId": point,
        "target": {"restoreTo": "original", "onConflict": "overwrite"},
    }

    response = api.post(body)

    assert response.status_code == 202, response.text
    doc, _ = api.wait_until_done(response.json()["id"])
    assert doc["phase"] == "succeeded", doc
    assert doc["backupInstanceId"].lower() == item_id.lower()
    assert doc["job"]["status"] == "Completed"
    job = _job(restore_stack, doc["job"]["id"])
    assert job["properties"]["operation"] == "Restore"
    bag = job["properties"]["extendedInfo"]["propertyBag"]
    assert bag["Job Type"] == "Recover to the original file share"
    assert bag["Restore Type"] == "Full Share Restore"
    event = _event_for(restore_stack, doc["id"])
    assert event["data"]["phase"] == "succeeded"
    assert event["data"]["kind"] == "fileShareFull"
    assert event["data"]["destination"].lower() == SOURCE.lower()


def test_an_item_level_restore_to_another_share_runs_to_its_end(
    api: RestoreApi, restore_stack: LocalStack, backed_up: tuple[str, str]
) -> None:
    item_id, point = backed_up
    body = {
        "kind": "fileShareItems",
        "backupInstanceId": item_id,
        "recoveryPointId": point,
        "items": [{"path": "plans/2025/budget.xlsx", "type": "file"}, {"path": "designs", "type": "folder"}],
        "target": {
            "restoreTo": "alternate",
            "onConflict": "skip",
            "storageAccountId": TARGET_ACCOUNT,
            "shareName": "recovered",
            "folder": "from-projects",
        },
    }

    dry = api.post(body, dryRun="true")
    assert dry.status_code == 200, dry.text
    sent = dry.json()["restoreRequest"]["properties"]
    assert (sent["restoreRequestType"], sent["recoveryType"], sent["copyOptions"]) == (
        "ItemLevelRestore",
        "AlternateLocation",
        "Skip",
    )
    response = api.post(body)

    assert response.status_code == 202, response.text
    doc, _ = api.wait_until_done(response.json()["id"])
    assert doc["phase"] == "succeeded", doc
    assert doc["destination"].lower() == f"{TARGET}/from-projects".lower()
    bag = _job(restore_stack, doc["job"]["id"])["properties"]["extendedInfo"]["propertyBag"]
    assert bag["Job Type"] == "Recover to an alternate file share"
    assert bag["Target File Share Name"] == "recovered"
    assert bag["Restore Type"] == "Item Level Restore"
    assert bag["Items"] == "plans/2025/budget.xlsx;designs"
    assert bag["RestoreDestination"] == "strestoretarget/recovered/from-projects"
    event = _event_for(restore_stack, doc["id"])
    assert event["data"]["kind"] == "fileShareItems"


def test_share_restores_are_refused_with_problem_details_and_start_nothing(
    api: RestoreApi, backed_up: tuple[str, str]
) -> None:
    _, point = backed_up
    base: dict[str, Any] = {"kind": "fileShareFull", "resourceId": SOURCE, "recoveryPointId": point}
    refusals: list[tuple[dict[str, Any], int, str]] = [
        ({**base, "recoveryPointId": "123456"}, 422, "not-possible"),
        ({**base, "target": {"restoreTo": "sideways", "onConflict": "skip"}}, 400, "invalid-request"),
        (
            {
                **base,
                "target": {
                    "restoreTo": "alternate",
                    "onConflict": "skip",
                    "storageAccountId": OUTSIDE,
                    "shareName": "x1y",
                },
            },
            403,
            "scope-not-allowed",
        ),
        (
            {
                **base,
                "target": {
                    "restoreTo": "alternate",
                    "onConflict": "skip",
                    "storageAccountId": TARGET_ACCOUNT,
                    "shareName": "nosuchshare",
                },
            },
            422,
            "not-possible",
        ),
        (
            {**base, "kind": "fileShareItems", "items": [{"path": "../etc", "type": "file"}]},
            400,
            "invalid-request",
        ),
    ]
    original = {"restoreTo": "original", "onConflict": "skip"}
    blob_kind: dict[str, Any] = {
        "kind": "blobPointInTime",
        "resourceId": SOURCE,
        "pointInTime": "2025-01-01T00:00:00Z",
    }
    cases = [({"target": original, **body}, status, problem) for body, status, problem in refusals]
    cases.append(({**blob_kind, "confirmWholeAccountRollback": True}, 422, "not-possible"))
    started = api.get("/restores", resourceId=SOURCE).json()["count"]
    for body, status, problem in cases:
        response = api.post(body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith(problem), response.json()
    assert api.get("/restores", resourceId=SOURCE).json()["count"] == started
