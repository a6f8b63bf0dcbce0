"""Races and lost answers on the restore path: identical requests at once, and a restore POST that reached
Azure while its answer was lost. Either way exactly one restore job, never a second one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local.stack import LocalStack
from tests.integration.restore.restore_stack import ACCOUNT, RestoreApi, point_in_range

DP_API = "2025-09-01"
JOB_OUTLASTING_THE_BURST = 6 * 3600  # emulated seconds: 6 s of real time at the restore stack's time factor


def _restore_jobs(stack: LocalStack, backup_instance_id: str) -> list[str]:
    vault = backup_instance_id.split("/backupInstances/")[0]
    listed = stack.arm("GET", f"{vault}/backupJobs", api_version=DP_API)
    assert listed.status_code == 200, listed.text
    return sorted(
        j["name"]
        for j in listed.json()["value"]
        if j["properties"]["operationCategory"] == "Restore"
        and j["properties"]["backupInstanceId"].lower() == backup_instance_id.lower()
    )


def _body(api: RestoreApi, correlation_id: str) -> dict[str, Any]:
    return {
        "kind": "blobPointInTime",
        "resourceId": ACCOUNT,
        "pointInTime": point_in_range(api.points(ACCOUNT)),
        "ranges": [{"min": "races", "max": "races-0"}],
        "correlationId": correlation_id,
    }


def test_identical_restore_requests_at_once_start_exactly_one_job(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    instance = api.points(ACCOUNT)["backupInstanceId"]
    before = _restore_jobs(restore_stack, instance)
    body = _body(api, "race-10")
    # The winner's job must outlast the burst: at the default 6 s (2 ms real) it ended, and freed the lock,
    # before a loaded machine had answered all ten, and a late one rightly started a second restore.
    restore_stack.admin("PUT", "/_admin/config", {"durations": {"restore_job": JOB_OUTLASTING_THE_BURST}})
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(lambda _: api.post(body), range(10)))
    finally:
        restore_stack.admin("PUT", "/_admin/config", {"durations": {"restore_job": 6}})
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(202) == 1 and statuses.count(409) == 9, [a.text[:200] for a in answers]
    winner = next(a for a in answers if a.status_code == 202).json()["id"]
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.headers["content-type"].startswith("application/problem+json")
    document, _ = api.wait_until_done(winner)
    assert document["phase"] == "succeeded", document
    assert len(_restore_jobs(restore_stack, instance)) == len(before) + 1
    again = api.post(_body(api, "after-race"))  # the lock was released: the next restore may start
    assert again.status_code == 202, again.text
    assert api.wait_until_done(again.json()["id"])[0]["phase"] == "succeeded"


def test_a_restore_post_whose_answer_is_lost_is_not_sent_again(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    instance = api.points(ACCOUNT)["backupInstanceId"]
    before = _restore_jobs(restore_stack, instance)
    restore_stack.admin("DELETE", "/_admin/faults")
    restore_stack.admin(
        "POST",
        "/_admin/faults",
        {"rules": [{"kind": "reset_after", "operation": "BackupInstances_TriggerRestore", "count": 1}]},
    )
    try:
        started = api.post(_body(api, "lost-answer"))
        assert started.status_code == 202, started.text
        document, _ = api.wait_until_done(started.json()["id"])
        rules = restore_stack.admin("GET", "/_admin/faults")["rules"]
        fired = [r["fired"] for r in rules if r["kind"] == "reset_after"]
    finally:
        restore_stack.admin("DELETE", "/_admin/faults")
    assert fired == [1]  # the POST reached the service, which started a job, and its answer was dropped
    assert document["phase"] == "succeeded", document
    after = _restore_jobs(restore_stack, instance)
    assert len(after) == len(before) + 1, after  # found, not re-sent
    assert document["job"]["id"].rsplit("/", 1)[-1] in after
