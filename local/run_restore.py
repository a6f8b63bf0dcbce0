"""The main job's restore demo: restore a container prefix range of a protected account to a point in time.

Everything goes through the app's HTTP API with the function key, as an operator would: the restore points
(``GET /api/restore-points``), a dry run, the restore itself (``POST /api/restores``), then the status
(``GET /api/restores/{id}``) printed at every change until the job ends, and the completion event.

The host must allow restores in the account's scope: start the stack with ``host_env=RESTORE_HOST_ENV``
(or any ``RESTORE_ALLOWED_SCOPES`` that covers the account).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx

from local.stack import LocalStack

# App settings the main job's host needs for this demo (merge into StackConfig.host_env).
RESTORE_HOST_ENV = {
    "RESTORE_ALLOWED_SCOPES": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data-weu"
}
RANGES = [{"min": "invoices/2025-", "max": "invoices/2025-12"}]


def _parse(text: str) -> datetime:
    head, _, tail = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(tail[:6] or '0').ljust(6, '0')}+00:00")


def api_client(stack: LocalStack) -> httpx.Client:
    """The app's HTTP API with the function key, as an operator calls it."""
    assert stack.host is not None
    return httpx.Client(
        base_url=f"{stack.host.base_url}/api",
        headers={"x-functions-key": stack.host.function_key},
        timeout=30.0,
    )


def _wait_for_range(api: httpx.Client, account_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = api.get("/restore-points", params={"resourceId": account_id})
        if response.status_code == 200 and response.json().get("restorableTimeRanges"):
            span: dict[str, Any] = response.json()["restorableTimeRanges"][0]
            if _parse(span["endTime"]) > _parse(span["startTime"]):
                return span
        if time.monotonic() > deadline:
            raise TimeoutError(f"no restorable time range for {account_id}: {response.text[:300]}")
        time.sleep(0.5)


def restore_demo(stack: LocalStack, protected_account_id: str, timeout: float = 120.0) -> int:
    """Restore ``RANGES`` of the account to the middle of its restorable range; 0 when the job succeeded."""
    short = protected_account_id.rsplit("/", 1)[-1]
    print(f"\nRestore: {short}, container prefix range {RANGES[0]['min']} .. {RANGES[0]['max']}", flush=True)
    with api_client(stack) as api:
        span = _wait_for_range(api, protected_account_id, timeout)
        low, high = _parse(span["startTime"]), _parse(span["endTime"])
        point = (low + (high - low) / 2).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        print(f"  restorable {span['startTime']} .. {span['endTime']}; restoring to {point}", flush=True)
        body = {
            "kind": "blobPointInTime",
            "resourceId": protected_account_id,
            "pointInTime": point,
            "ranges": RANGES,
        }
        verdict = api.post("/restores", params={"dryRun": "true"}, json=body)
        print(f"  dry run -> {verdict.status_code} valid={verdict.json().get('valid')}", flush=True)
        started = api.post("/restores", json=body)
        if started.status_code != 202:
            print(f"  refused: {started.status_code} {started.text[:500]}", flush=True)
            return 1
        restore_id = started.json()["id"]
        print(f"  POST /api/restores -> 202, status at {started.headers.get('location')}", flush=True)
        t0, last, doc = time.monotonic(), None, started.json()
        while time.monotonic() - t0 < timeout:
            doc = api.get(f"/restores/{restore_id}").json()
            job = doc.get("job") or {}
            seen = (doc.get("phase"), job.get("status"), (job.get("progress") or {}).get("polls"))
            if seen != last:
                last = seen
                job_name = (job.get("id") or "-").rsplit("/", 1)[-1]
                print(
                    f"  [{time.monotonic() - t0:5.1f}s] phase={doc['phase']:<10} "
                    f"job={job.get('status') or '-':<11} polls={seen[2]} jobId={job_name}",
                    flush=True,
                )
            if doc.get("phase") in ("succeeded", "failed"):
                break
            time.sleep(0.2)
        error = doc.get("error")
        duration = (doc.get("job") or {}).get("durationSeconds")
        ending = f": {error}" if error else ""
        print(f"  ended {doc.get('phase')} (job duration {duration} s emulated){ending}", flush=True)
        ended = "Succeeded" if doc.get("phase") == "succeeded" else "Failed"
        event = stack.wait_for_event(
            lambda e: (e.get("data") or {}).get("restore_id") == restore_id,
            timeout=10.0,
            event_type=f"BackupAutopilot.Restore.{ended}",
        )
        print(f"  completion event on the topic: {event['type'] if event else 'none received'}", flush=True)
        return 0 if doc.get("phase") == "succeeded" and event else 1
