"""Backup now and protection changes over HTTP, end to end: real host, Azurite, the emulated cloud, events."""

from __future__ import annotations

import time
from typing import Any

from local.stack import LocalStack
from tests.integration.restore.restore_stack import (
    ACCOUNT,
    DEV_ACCOUNT,
    LIFE_ACCOUNT,
    LIFE_DELETED,
    LIFE_PG_FLEX,
    RestoreApi,
)


def _event_for(stack: LocalStack, request_id: str, event_type: str) -> dict[str, Any]:
    found = stack.wait_for_event(lambda e: (e.get("data") or {}).get("id") == request_id, 30.0, event_type)
    assert found is not None, f"no {event_type} event for {request_id}"
    return found


def _change(api: RestoreApi, change: str, resource: str, **extra: Any) -> dict[str, Any]:
    started = api.post({"change": change, "resourceId": resource, **extra}, route="protection-changes")
    assert started.status_code == 202, started.text
    assert started.headers["Location"].endswith(f"/api/protection-changes/{started.json()['id']}")
    done, _ = api.wait_until_done(started.json()["id"], route="protection-changes")
    return done


def test_a_backup_now_runs_to_its_end_adds_a_recovery_point_and_publishes_its_event(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    before = {p["id"] for p in api.points(LIFE_PG_FLEX)["recoveryPoints"]}
    started = api.post({"resourceId": LIFE_PG_FLEX, "correlationId": "bn-1"}, route="backups")
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["operation"] == "backup" and body["backupRule"]["retentionTag"] == "Default"

    done, _ = api.wait_until_done(body["id"], route="backups")

    assert done["phase"] == "succeeded", done
    assert done["job"]["id"] and done["job"]["status"] == "Completed" and done["correlationId"] == "bn-1"
    event = _event_for(restore_stack, body["id"], "BackupAutopilot.Backup.Succeeded")
    assert event["data"]["job_id"] == done["job"]["id"] and event["subject"] == done["backupInstanceId"]
    after = {p["id"] for p in api.points(LIFE_PG_FLEX)["recoveryPoints"]}
    assert len(after - before) == 1  # the backup's own recovery point


def test_backup_now_refusals_start_nothing(api: RestoreApi) -> None:
    operational = api.post({"resourceId": ACCOUNT}, route="backups")
    outside = api.post({"resourceId": DEV_ACCOUNT}, route="backups")
    bad_tag = api.post({"resourceId": LIFE_PG_FLEX, "retentionTag": "Yearly"}, route="backups")
    unknown = api.post({"resourceId": LIFE_PG_FLEX.replace("backupnow", "nosuch")}, route="backups")

    assert operational.status_code == 422 and "operational backup only" in operational.json()["detail"]
    assert outside.status_code == 403 and "outside the scopes allowed" in outside.json()["detail"]
    assert bad_tag.status_code == 422 and bad_tag.json()["retentionTags"] == ["Default"]
    assert unknown.status_code == 404
    assert api.get("/backups/backup-nosuch").status_code == 404


def test_stop_suspend_resume_each_tracked_to_their_state_idempotent_and_evented(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    stopped = _change(api, "stop", LIFE_ACCOUNT)
    again = _change(api, "stop", LIFE_ACCOUNT)
    not_now = api.post({"change": "suspend", "resourceId": LIFE_ACCOUNT}, route="protection-changes")
    resumed = _change(api, "resume", LIFE_ACCOUNT)
    suspended = _change(api, "suspend", LIFE_ACCOUNT)
    resumed_again = _change(api, "resume", LIFE_ACCOUNT)

    assert (stopped["phase"], stopped["changed"], stopped["stateAfter"]) == (
        "succeeded",
        True,
        "ProtectionStopped",
    )
    assert (again["phase"], again["changed"], again["stateAfter"]) == (
        "succeeded",
        False,
        "ProtectionStopped",
    )
    assert not_now.status_code == 422 and not_now.json()["currentProtectionState"] == "ProtectionStopped"
    assert (resumed["stateBefore"], resumed["stateAfter"]) == ("ProtectionStopped", "ProtectionConfigured")
    assert suspended["stateAfter"] == "BackupSchedulesSuspended"
    assert (resumed_again["stateBefore"], resumed_again["stateAfter"]) == (
        "BackupSchedulesSuspended",
        "ProtectionConfigured",
    )
    event = _event_for(restore_stack, stopped["id"], "BackupAutopilot.ProtectionChange.Succeeded")
    assert event["data"]["operation"] == "stop" and event["data"]["state_after"] == "ProtectionStopped"


def test_a_write_event_never_resumes_a_protection_a_person_stopped_and_says_how_to(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    stopped = _change(api, "stop", LIFE_ACCOUNT)
    assert stopped["stateAfter"] == "ProtectionStopped", stopped
    _, since = restore_stack.topic_events(0)
    account = restore_stack.arm("GET", LIFE_ACCOUNT).json()
    rewritten = {k: account[k] for k in ("location", "kind", "sku")} | {"properties": {}}
    assert restore_stack.arm("PUT", LIFE_ACCOUNT, {**rewritten, "tags": {"touched": "1"}}).status_code in (
        200,
        201,
    )

    def ours(event: dict[str, Any]) -> bool:
        data = event.get("data") or {}
        is_protection = str(event.get("type", "")).startswith("BackupAutopilot.Protection.")
        return is_protection and str(data.get("datasource_id") or "").lower() == LIFE_ACCOUNT.lower()

    outcome = restore_stack.wait_for_event(ours, timeout=60.0, since=since)
    resumed = _change(api, "resume", LIFE_ACCOUNT)

    assert outcome is not None, "no outcome for the stopped datasource's write event"
    data = outcome["data"]
    assert data["kind"] == "skipped", data
    assert "is ProtectionStopped: its protection was changed on purpose" in data["reason"], data
    assert data["backup_instance_id"] == stopped["backupInstanceId"]
    assert resumed["stateAfter"] == "ProtectionConfigured"


def test_a_delete_needs_its_confirmation_then_ends_soft_deleted_and_protecting_again_is_refused(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    unconfirmed = api.post({"change": "delete", "resourceId": LIFE_DELETED}, route="protection-changes")
    wrong = api.post(
        {"change": "delete", "resourceId": LIFE_DELETED, "confirmDatasourceId": LIFE_ACCOUNT},
        route="protection-changes",
    )
    assert (
        unconfirmed.status_code == 400 and unconfirmed.json()["errors"][0]["field"] == "confirmDatasourceId"
    )
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "confirmDatasourceId"
    assert api.points(LIFE_DELETED)["backupInstanceId"]  # nothing was deleted by the refusals

    deleted = _change(api, "delete", LIFE_DELETED, confirmDatasourceId=LIFE_DELETED)

    assert (deleted["phase"], deleted["stateAfter"]) == ("succeeded", "SoftDeleted"), deleted
    assert api.get("/restore-points", resourceId=LIFE_DELETED).status_code == 404
    mark = time.monotonic()
    update = {
        "location": "westeurope",
        "kind": "StorageV2",
        "sku": {"name": "Standard_LRS"},
        "properties": {},
    }
    assert restore_stack.arm("PUT", LIFE_DELETED, {**update, "tags": {"again": "1"}}).status_code in (
        200,
        201,
    )
    outcome = None
    for event in restore_stack.follow_events(timeout=60, poll=1.0):
        data = event.get("data") or {}
        protection = str(event.get("type", "")).startswith("BackupAutopilot.Protection.")
        ours = str(data.get("datasource_id") or "").lower() == LIFE_DELETED.lower()
        if protection and ours and data.get("kind") != "protected":
            outcome = data
            break
    assert outcome is not None, (
        f"no outcome for the soft-deleted datasource after {time.monotonic() - mark:.0f}s"
    )
    assert outcome.get("kind") == "failed", outcome
    assert "is soft-deleted in" in outcome["reason"] and "purged on" in outcome["reason"], outcome
    assert outcome["error"]["recommendedAction"][0].startswith("Undelete it (POST ")
