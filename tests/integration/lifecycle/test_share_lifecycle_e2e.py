"""Backup now and protection changes of Azure file shares over HTTP, end to end (Recovery Services): real
host, Azurite, the emulated cloud, events. Each share is protected from its write event first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator

from local.stack import LocalStack
from tests.integration.restore.restore_stack import LIFE_PG_FLEX, RG, RestoreApi, wait_protected

ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/stlifeshares"
NIGHTLY = f"{ACCOUNT}/fileServices/default/shares/nightly"  # backed up now
PAUSED = f"{ACCOUNT}/fileServices/default/shares/paused"  # stopped, suspended, resumed
RETIRED = f"{ACCOUNT}/fileServices/default/shares/retired"  # deleted
RS_API = "2025-08-01"


@pytest.fixture(scope="module")
def shares(restore_stack: LocalStack) -> Iterator[None]:
    for path, body in (
        (ACCOUNT, {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}),
        (NIGHTLY, {"properties": {"shareQuota": 100}}),
        (PAUSED, {"properties": {"shareQuota": 100}}),
        (RETIRED, {"properties": {"shareQuota": 100}}),
    ):
        response = restore_stack.arm("PUT", path, body, api_version="2023-05-01")
        assert response.status_code in (200, 201, 202), response.text
    wait_protected(restore_stack, [NIGHTLY, PAUSED, RETIRED])
    yield


def _event_for(stack: LocalStack, request_id: str, event_type: str) -> dict[str, Any]:
    found = stack.wait_for_event(lambda e: (e.get("data") or {}).get("id") == request_id, 30.0, event_type)
    assert found is not None, f"no {event_type} event for {request_id}"
    return found


def _change(api: RestoreApi, change: str, resource: str, **extra: Any) -> dict[str, Any]:
    started = api.post({"change": change, "resourceId": resource, **extra}, route="protection-changes")
    assert started.status_code == 202, started.text
    done, _ = api.wait_until_done(started.json()["id"], route="protection-changes")
    return done


def _conforms(api: RestoreApi, schema: str, document: dict[str, Any]) -> None:
    """The status document is what the served OpenAPI description says it is."""
    served = api.get("/openapi.json").json()
    validator = Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": served["components"]}
    )
    assert [e.message for e in validator.iter_errors(document)] == []


def _item(stack: LocalStack, item_id: str, suffix: str = "") -> dict[str, Any]:
    encoded = "/".join(quote(s, safe="") for s in item_id.split("/"))
    response = stack.arm("GET", f"{encoded}{suffix}", api_version=RS_API)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.usefixtures("shares")
def test_a_share_backup_now_runs_to_its_end_adds_one_recovery_point_kept_until_its_expiry(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    before = {p["id"] for p in api.points(NIGHTLY)["recoveryPoints"]}
    started = api.post({"resourceId": NIGHTLY, "correlationId": "bn-share"}, route="backups")
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["operation"] == "backup" and body["backupRule"]["retainUntil"]

    done, _ = api.wait_until_done(body["id"], route="backups")

    assert done["phase"] == "succeeded", done
    _conforms(api, "BackupStatus", done)
    assert done["job"]["status"] == "Completed" and done["correlationId"] == "bn-share"
    assert "/protecteditems/" in done["backupInstanceId"].lower()
    event = _event_for(restore_stack, body["id"], "BackupAutopilot.Backup.Succeeded")
    assert event["data"]["job_id"] == done["job"]["id"]
    after = {p["id"] for p in api.points(NIGHTLY)["recoveryPoints"]}
    (new,) = after - before  # exactly one: the POST was sent once
    point = _item(restore_stack, done["backupInstanceId"], f"/recoveryPoints/{quote(new, safe='')}")
    expiry = point["properties"]["recoveryPointProperties"]["expiryTime"]
    assert expiry.startswith(body["backupRule"]["retainUntil"].rstrip("Z"))  # the policy's 30 days
    job = restore_stack.arm(
        "GET", f"{done['backupInstanceId'].split('/backupFabrics/')[0]}/backupJobs/{done['job']['id']}",
        api_version=RS_API,
    )  # fmt: skip
    assert job.json()["properties"]["operation"] == "Backup"


@pytest.mark.usefixtures("shares")
def test_share_backup_now_refusals_start_nothing(api: RestoreApi) -> None:
    tag = api.post({"resourceId": NIGHTLY, "retentionTag": "Default"}, route="backups")
    past = api.post({"resourceId": NIGHTLY, "retainUntil": "2020-03-07T18:29:59Z"}, route="backups")
    not_a_share = api.post(
        {"resourceId": LIFE_PG_FLEX, "retainUntil": "2099-01-01T00:00:00Z"}, route="backups"
    )
    unknown = api.post({"resourceId": NIGHTLY.replace("nightly", "nosuch")}, route="backups")

    assert tag.status_code == 422 and tag.json()["errors"][0]["field"] == "retentionTag"
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "retainUntil"
    assert not_a_share.status_code == 422 and not_a_share.json()["errors"][0]["field"] == "retainUntil"
    assert unknown.status_code == 404


@pytest.mark.usefixtures("shares")
def test_a_share_is_stopped_suspended_and_resumed_each_tracked_idempotent_and_evented(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    stopped = _change(api, "stop", PAUSED)
    again = _change(api, "stop", PAUSED)
    not_now = api.post({"change": "suspend", "resourceId": PAUSED}, route="protection-changes")
    resumed = _change(api, "resume", PAUSED)
    suspended = _change(api, "suspend", PAUSED)
    resumed_again = _change(api, "resume", PAUSED)

    assert (stopped["phase"], stopped["changed"], stopped["stateAfter"]) == (
        "succeeded",
        True,
        "ProtectionStopped",
    ), stopped
    assert stopped["stateBefore"] in ("IRPending", "Protected")
    assert (again["phase"], again["changed"], again["stateAfter"]) == (
        "succeeded",
        False,
        "ProtectionStopped",
    )
    assert not_now.status_code == 422 and not_now.json()["currentProtectionState"] == "ProtectionStopped"
    assert resumed["phase"] == "succeeded" and resumed["stateAfter"] in ("IRPending", "Protected"), resumed
    assert (suspended["stateAfter"], resumed_again["stateBefore"]) == ("BackupsSuspended", "BackupsSuspended")
    assert resumed_again["stateAfter"] in ("IRPending", "Protected")
    item = _item(restore_stack, resumed_again["backupInstanceId"])["properties"]
    assert item["policyId"].lower().endswith("/backuppolicies/daily-shares")  # the rule's policy again
    event = _event_for(restore_stack, stopped["id"], "BackupAutopilot.ProtectionChange.Succeeded")
    assert event["data"]["operation"] == "stop" and event["data"]["state_after"] == "ProtectionStopped"


@pytest.mark.usefixtures("shares")
def test_a_share_delete_needs_its_confirmation_then_ends_soft_deleted_with_its_purge_time(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    unconfirmed = api.post({"change": "delete", "resourceId": RETIRED}, route="protection-changes")
    wrong = api.post(
        {"change": "delete", "resourceId": RETIRED, "confirmDatasourceId": PAUSED}, route="protection-changes"
    )
    assert (
        unconfirmed.status_code == 400 and unconfirmed.json()["errors"][0]["field"] == "confirmDatasourceId"
    )
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "confirmDatasourceId"
    assert api.points(RETIRED)["backupInstanceId"]  # nothing was deleted by the refusals

    deleted = _change(api, "delete", RETIRED, confirmDatasourceId=RETIRED)

    assert (deleted["phase"], deleted["changed"], deleted["stateAfter"]) == ("succeeded", True, "SoftDeleted")
    assert deleted["purgeTime"], deleted  # the vault's soft delete keeps the data until then
    _conforms(api, "ProtectionChangeStatus", deleted)
    kept = _item(restore_stack, deleted["backupInstanceId"])["properties"]
    assert kept["isScheduledForDeferredDelete"] is True and kept["protectionState"] == "ProtectionStopped"
    event = _event_for(restore_stack, deleted["id"], "BackupAutopilot.ProtectionChange.Succeeded")
    assert (
        event["data"]["state_after"] == "SoftDeleted" and event["data"]["purge_time"] == deleted["purgeTime"]
    )
    twice = _change(api, "delete", RETIRED, confirmDatasourceId=RETIRED)
    assert (twice["phase"], twice["changed"]) == ("succeeded", False)
    refused = api.post({"change": "resume", "resourceId": RETIRED}, route="protection-changes")
    assert refused.status_code == 422 and "undelete it first" in refused.json()["detail"]
    # Refused before its recovery points are looked at (this share was never backed up).
    restore = {"kind": "fileShareFull", "resourceId": RETIRED, "recoveryPointId": "1"}
    no_restore = api.post({**restore, "target": {"restoreTo": "original", "onConflict": "overwrite"}})
    assert no_restore.status_code == 422, no_restore.text
    assert "is soft-deleted: undelete it first" in no_restore.json()["detail"]
