"""A restore job of six emulated hours: bounded history (continue_as_new), and a conflict while it runs."""

from __future__ import annotations

from typing import Any

from local.stack import LocalStack
from tests.integration.restore.restore_stack import (
    POLLS_PER_GENERATION,
    SECOND_ACCOUNT,
    RestoreApi,
    point_in_range,
)

SIX_HOURS = 6 * 3600


def test_six_hour_job_keeps_history_bounded_and_refuses_a_second_restore(
    api: RestoreApi, restore_stack: LocalStack
) -> None:
    restore_stack.admin("PUT", "/_admin/config", {"durations": {"restore_job": SIX_HOURS}})
    try:
        point = point_in_range(api.points(SECOND_ACCOUNT))
        body = {
            "kind": "blobPointInTime",
            "resourceId": SECOND_ACCOUNT,
            "pointInTime": point,
            "ranges": [{"min": "logs", "max": "logs-0"}],
        }
        first = api.post(body)
        assert first.status_code == 202, first.text
        restore_id = first.json()["id"]
        second = api.post(body)
        assert second.status_code == 409, second.text
        assert second.headers["content-type"].startswith("application/problem+json")
        assert restore_id in second.json()["runningRestores"]
        history_sizes: list[int] = []
        doc: dict[str, Any] | None = None
        phases: list[str] = []
        import time

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            raw = restore_stack.durable_status(restore_id)
            assert raw is not None
            events = _history_length(restore_stack, restore_id)
            history_sizes.append(events)
            doc = api.get(f"/restores/{restore_id}").json()
            if not phases or phases[-1] != doc["phase"]:
                phases.append(doc["phase"])
            if doc["phase"] in ("succeeded", "failed"):
                break
            time.sleep(0.2)
        assert doc is not None and doc["phase"] == "succeeded", doc
        assert doc["job"]["durationSeconds"] >= SIX_HOURS * 0.95
        assert doc["history"]["polls"] > POLLS_PER_GENERATION, doc["history"]
        assert doc["history"]["generation"] >= doc["history"]["polls"] // POLLS_PER_GENERATION, doc["history"]
        # One execution's history holds at most one generation's polls (timer + activity each, a few events
        # per step) plus the validation/start steps of the first: bounded, whatever the job's length.
        assert max(history_sizes) <= 16 + 4 * POLLS_PER_GENERATION, history_sizes
        after = api.post(body)
        assert after.status_code == 202, after.text  # no conflict once the first has finished
        api.wait_until_done(after.json()["id"])
    finally:
        restore_stack.admin("PUT", "/_admin/config", {"durations": {"restore_job": 6}})


def _history_length(stack: LocalStack, instance_id: str) -> int:
    import httpx

    assert stack.host is not None
    response = httpx.get(
        f"{stack.host.base_url}/runtime/webhooks/durabletask/instances/{instance_id}",
        params={"showHistory": "true", "code": stack.host.durabletask_key},
        timeout=30,
    )
    return len(response.json().get("historyEvents") or [])
