"""Restore over HTTP, end to end: real host, real Azurite, the emulated cloud, events on the topic."""

from __future__ import annotations

import time
from typing import Any

import httpx

from local.stack import LocalStack
from tests.fixtures.dataprotection import VAULTED_BLOB_POLICY
from tests.integration.restore.restore_stack import (
    ACCOUNT,
    DEV_ACCOUNT,
    PG_FLEX,
    RG,
    RestoreApi,
    point_in_range,
)

SUCCEEDED = "BackupAutopilot.Restore.Succeeded"
FAILED = "BackupAutopilot.Restore.Failed"


def _event_for(stack: LocalStack, restore_id: str, event_type: str) -> dict[str, Any]:
    def ours(event: dict[str, Any]) -> bool:
        return (event.get("data") or {}).get("restore_id") == restore_id

    found = stack.wait_for_event(ours, 30.0, event_type)
    assert found is not None, f"no {event_type} event for {restore_id}"
    return found


def _ranged(point: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "blobPointInTime",
        "resourceId": ACCOUNT,
        "pointInTime": point,
        "ranges": [{"min": "invoices/2025", "max": "invoices/2026"}, {"min": "reports", "max": "reports-0"}],
        **extra,
    }


def test_restore_points_show_ranges_for_blobs_and_points_for_postgresql(api: RestoreApi) -> None:
    blob = api.points(ACCOUNT)
    assert (
        blob["backupInstanceId"].lower().startswith(f"{RG}".lower().replace("rg-data-weu", "rg-backup-weu"))
    )
    assert len(blob["restorableTimeRanges"]) == 1
    assert blob["restorableTimeRanges"][0]["startTime"] < blob["restorableTimeRanges"][0]["endTime"]
    pg = api.points(PG_FLEX)
    assert pg["restorableTimeRanges"] == []
    assert pg["recoveryPoints"] and pg["recoveryPoints"][0]["id"]


def test_dry_run_returns_the_verdict_and_starts_nothing(api: RestoreApi) -> None:
    before = api.get("/restores").json()["count"]
    point = point_in_range(api.points(ACCOUNT))
    response = api.post(_ranged(point), dryRun="true")
    assert response.status_code == 200, response.text
    verdict = response.json()
    assert verdict["valid"] is True and verdict["dryRun"] is True
    target = verdict["restoreRequest"]["restoreTargetInfo"]
    assert target["objectType"] == "ItemLevelRestoreTargetInfo"
    assert [c["minMatchingValue"] for c in target["restoreCriteria"]] == ["invoices/2025", "reports"]
    body_flag = api.post({**_ranged(point), "dryRun": True})
    assert body_flag.status_code == 200
    assert api.get("/restores").json()["count"] == before


def test_ranged_blob_restore_runs_to_success_and_emits_an_event(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    point = point_in_range(api.points(ACCOUNT))
    response = api.post(_ranged(point, correlationId="e2e-ranged"))
    assert response.status_code == 202, response.text
    started = response.json()
    assert response.headers["location"] == started["statusUrl"]
    doc, phases = api.wait_until_done(started["id"])
    assert doc["phase"] == "succeeded", doc
    assert phases[-1] == "succeeded" and set(phases) <= {"validating", "starting", "running", "succeeded"}
    assert doc["job"]["id"] and doc["job"]["status"] == "Completed"
    assert doc["job"]["durationSeconds"] is not None and doc["job"]["durationSeconds"] >= 0
    assert (
        doc["restorePoint"] == {"pointInTime": point.replace("Z", "0Z")} or doc["restorePoint"]["pointInTime"]
    )
    event = _event_for(restore_stack, started["id"], SUCCEEDED)
    assert event["data"]["destination"].lower() == ACCOUNT.lower()
    assert event["data"]["restore_point"]["pointInTime"] == doc["restorePoint"]["pointInTime"]
    assert event["data"]["duration_seconds"] is not None
    listed = api.get("/restores", phase="succeeded", resourceId=ACCOUNT).json()
    assert started["id"] in [d["id"] for d in listed["value"]]


def test_whole_account_rollback_needs_confirmation_then_succeeds(api: RestoreApi) -> None:
    point = point_in_range(api.points(ACCOUNT), 0.3)
    body = {"kind": "blobPointInTime", "resourceId": ACCOUNT, "pointInTime": point}
    refused = api.post(body)
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["field"] == "confirmWholeAccountRollback"
    response = api.post({**body, "confirmWholeAccountRollback": True})
    assert response.status_code == 202, response.text
    doc, _ = api.wait_until_done(response.json()["id"])
    assert doc["phase"] == "succeeded", doc


def test_postgresql_flexible_server_restores_as_files(api: RestoreApi, restore_stack: LocalStack) -> None:
    point_id = api.points(PG_FLEX)["recoveryPoints"][0]["id"]
    container = f"{ACCOUNT}/blobServices/default/containers/pgrestores"
    body = {
        "kind": "recoveryPointAsFiles",
        "resourceId": PG_FLEX,
        "recoveryPointId": point_id,
        "target": {
            "containerId": container,
            "containerUrl": "https://strestoresrc.blob.core.windows.net/pgrestores",
            "filePrefix": "crm-restore",
        },
    }
    as_database = {
        **body,
        "kind": "recoveryPointAsDatabase",
        "target": {
            "databaseId": f"{RG}/providers/Microsoft.DBforPostgreSQL/servers/pg-orders/databases/crm",
            "secretUri": "https://kv-contoso-pg.vault.azure.net/secrets/pg-orders-conn",
        },
    }
    refused = api.post(as_database)
    assert refused.status_code == 422 and "files" in refused.json()["detail"]
    response = api.post(body)
    assert response.status_code == 202, response.text
    doc, _ = api.wait_until_done(response.json()["id"])
    assert doc["phase"] == "succeeded", doc
    assert doc["destination"] == "https://strestoresrc.blob.core.windows.net/pgrestores"
    event = _event_for(restore_stack, doc["id"], SUCCEEDED)
    assert event["data"]["restore_point"] == {"recoveryPointId": point_id}


def test_every_bad_request_is_a_4xx_problem_and_starts_nothing(api: RestoreApi) -> None:
    points = api.points(ACCOUNT)
    point = point_in_range(points)
    before = api.get("/restores").json()["count"]
    unknown = f"{RG}/providers/Microsoft.Storage/storageAccounts/stnosuchaccount"
    cases: list[tuple[Any, int, str]] = [
        ({**_ranged(point), "resourceId": unknown}, 404, "not protected"),
        ({**_ranged(point), "pointInTime": "yesterday"}, 400, "pointInTime"),
        ({**_ranged(point), "pointInTime": "2025-01-01T00:00:00"}, 400, "timezone"),
        ({**_ranged(point), "ranges": [{"min": "zeta", "max": "alpha"}]}, 400, "sort before"),
        (
            {**_ranged(point), "ranges": [{"min": f"c{i:02d}", "max": f"c{i:02d}-0"} for i in range(11)]},
            400,
            "10",
        ),
        ({**_ranged(point), "ranges": [{"min": "Bad_Name", "max": "zzz"}]}, 400, "container"),
        ({**_ranged(point), "resourceId": DEV_ACCOUNT}, 403, "outside the scopes"),
        ({**_ranged(point), "pointInTime": "2001-01-01T00:00:00Z"}, 422, "outside the restorable"),
        (
            {
                "kind": "recoveryPointAsFiles",
                "resourceId": PG_FLEX,
                "recoveryPointId": "nosuchpoint",
                "target": {
                    "containerId": f"{ACCOUNT}/blobServices/default/containers/pgrestores",
                    "containerUrl": "https://strestoresrc.blob.core.windows.net/pgrestores",
                    "filePrefix": "x",
                },
            },
            422,
            "recovery point",
        ),
        ({**_ranged(point), "resourceId": "not-an-id"}, 400, "resourceId"),
        ({**_ranged(point), "surprise": 1}, 400, "surprise"),
        ({"kind": "blobPointInTime"}, 400, "resourceId"),
        ([1, 2], 400, "JSON object"),
    ]
    for body, status, words in cases:
        response = api.post(body)
        assert response.status_code == status, (body, response.text)
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert problem["status"] == status and problem["type"] and problem["title"]
        assert words.lower() in (problem["detail"] + str(problem["errors"])).lower(), (words, problem)
    out_of_range = api.post({**_ranged(point), "pointInTime": "2001-01-01T00:00:00Z"}).json()
    assert (
        out_of_range["restorableTimeRanges"] == points["restorableTimeRanges"]
        or out_of_range["restorableTimeRanges"]
    )
    raw = httpx.post(f"{api.base}/api/restores", content=b"{not json", headers=api.key, timeout=30)
    assert raw.status_code == 400 and raw.json()["errors"][0]["field"] == "body"
    no_key = httpx.post(f"{api.base}/api/restores", json=_ranged(point), timeout=30)
    assert no_key.status_code == 401
    assert api.get("/restores/restore-nope").status_code == 404
    assert api.get("/restores").json()["count"] == before


def test_a_failing_restore_job_ends_failed_with_its_error_and_event(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    restore_stack.admin(
        "POST",
        "/_admin/faults",
        {
            "kind": "fail_job",
            "operation": "BackupInstances_TriggerRestore",
            "count": 1,
            "code": "UserErrorRestoreTargetNotReachable",
            "message": "The restore target could not be reached.",
        },
    )
    point = point_in_range(api.points(ACCOUNT))
    response = api.post(_ranged(point))
    assert response.status_code == 202, response.text
    doc, _ = api.wait_until_done(response.json()["id"])
    assert doc["phase"] == "failed"
    assert doc["job"]["status"] == "Failed"
    assert doc["error"]["code"] == "UserErrorRestoreTargetNotReachable"
    assert "could not be reached" in doc["error"]["message"]
    event = _event_for(restore_stack, doc["id"], FAILED)
    assert event["data"]["error"]["code"] == "UserErrorRestoreTargetNotReachable"


WEU_VAULT = (
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup-weu/providers/"
    "Microsoft.DataProtection/backupVaults/bv-weu"
)


def test_vaulted_blob_containers_restore_with_prefixes_into_another_account(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    """A vaulted blob instance made by hand (the rules protect operationally), restored through the app."""
    stack = restore_stack
    policy = f"{WEU_VAULT}/backupPolicies/blob-vaulted-e2e"
    assert stack.arm("PUT", policy, VAULTED_BLOB_POLICY, api_version="2025-09-01").status_code in (200, 201)
    account = f"{RG}/providers/Microsoft.Storage/storageAccounts/stvaultedsrc"
    body = {
        "location": "westeurope",
        "kind": "StorageV2",
        "sku": {"name": "Standard_LRS"},
        "tags": {"backup": "off"},
    }
    assert stack.arm("PUT", account, {**body, "properties": {}}).status_code in (200, 201, 202)
    for container in ("invoices", "reports"):
        made = stack.arm("PUT", f"{account}/blobServices/default/containers/{container}", {"properties": {}})
        assert made.status_code in (200, 201), made.text
    instance = f"{WEU_VAULT}/backupInstances/stvaultedsrc-by-hand"
    parameters = {"objectType": "BlobBackupDatasourceParameters", "containersList": ["invoices", "reports"]}
    bi = {
        "properties": {
            "objectType": "BackupInstance",
            "dataSourceInfo": {
                "objectType": "Datasource",
                "resourceID": account,
                "resourceName": "stvaultedsrc",
                "resourceType": "Microsoft.Storage/storageAccounts",
                "resourceLocation": "westeurope",
                "datasourceType": "Microsoft.Storage/storageAccounts/blobServices",
            },
            "policyInfo": {
                "policyId": policy,
                "policyParameters": {"backupDatasourceParametersList": [parameters]},
            },
        }
    }
    assert stack.arm("PUT", instance, bi, api_version="2025-09-01").status_code in (200, 201)
    for _ in range(100):
        got = stack.arm("GET", instance, api_version="2025-09-01").json()
        if got["properties"].get("currentProtectionState") == "ProtectionConfigured":
            break
        time.sleep(0.1)
    points = api.get("/restore-points", backupInstanceId=instance).json()["recoveryPoints"]
    assert points and "VaultStore" in points[0]["dataStores"]

    restore = {
        "kind": "recoveryPointBlobContainers",
        "backupInstanceId": instance,
        "recoveryPointId": points[0]["id"],
        "target": {"containers": ["invoices"], "prefixes": ["invoices/2025/"], "accountId": ACCOUNT},
    }
    outside = api.post({**restore, "target": {**restore["target"], "accountId": DEV_ACCOUNT}})
    not_backed_up = api.post({**restore, "target": {"containers": ["archive"]}})
    response = api.post(restore)

    assert outside.status_code == 403
    assert not_backed_up.status_code == 202, not_backed_up.text  # validateRestore (the first step) refuses it
    refused, _ = api.wait_until_done(not_backed_up.json()["id"])
    assert refused["phase"] == "failed" and refused["error"]["code"] == "UserErrorContainerNotFound", refused
    assert response.status_code == 202, response.text
    doc, _ = api.wait_until_done(response.json()["id"])
    assert doc["phase"] == "succeeded", doc
    assert doc["destination"].lower() == ACCOUNT.lower()
    event = _event_for(restore_stack, response.json()["id"], SUCCEEDED)
    assert event["data"]["destination"].lower() == ACCOUNT.lower()
