"""The main job's lifecycle demo: back up a protected PostgreSQL flexible server and an Azure file share now,
then stop and resume the protection of a storage account, each through the app's HTTP API and followed to
its end.

``POST /api/backups`` (the policy's vault-tier rule and retention tag, or the share's expiry from its
Recovery Services policy; the job followed to its end) and
``POST /api/protection-changes`` (stop keeping the data, then resume), with ``GET`` of each status document
until it ends and the completion event on the topic. The host must allow them in the datasources' scope:
start the stack with ``host_env=LIFECYCLE_HOST_ENV``.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from local.run_restore import RESTORE_HOST_ENV, api_client
from local.stack import LocalStack

LIFECYCLE_HOST_ENV = {"LIFECYCLE_ALLOWED_SCOPES": RESTORE_HOST_ENV["RESTORE_ALLOWED_SCOPES"]}
TERMINAL = ("succeeded", "failed")


def _follow(api: httpx.Client, route: str, started: httpx.Response, timeout: float) -> dict[str, Any]:
    """Print the request's status at every change until it ends; its last document."""
    request_id = started.json()["id"]
    deadline, seen = time.monotonic() + timeout, ""
    while True:
        doc: dict[str, Any] = api.get(f"/{route}/{request_id}").json()
        shown = f"phase={doc['phase']} " + (
            f"job={(doc.get('job') or {}).get('status')}"
            if route == "backups"
            else f"state {doc.get('stateBefore')} -> {doc.get('stateAfter')}"
        )
        if shown != seen:
            print(f"    {shown}", flush=True)
            seen = shown
        if doc["phase"] in TERMINAL or time.monotonic() > deadline:
            return doc
        time.sleep(0.5)


def _event(stack: LocalStack, request_id: str, prefix: str) -> str | None:
    found = stack.wait_for_event(
        lambda e: str(e.get("type", "")).startswith(prefix) and (e.get("data") or {}).get("id") == request_id,
        timeout=10.0,
    )
    return str(found["type"]) if found else None


def lifecycle_demo(stack: LocalStack, backed_up: list[str], account_id: str, timeout: float = 120.0) -> int:
    """Backup now of each of ``backed_up``, stop and resume of ``account_id``; 0 when all succeeded."""
    failures = 0
    with api_client(stack) as api:
        for resource_id in backed_up:
            print(f"\nBackup now: {resource_id.rsplit('/', 1)[-1]}", flush=True)
            started = api.post("/backups", json={"resourceId": resource_id})
            print(f"  POST /api/backups -> {started.status_code}", flush=True)
            if started.status_code != 202:
                print(f"  refused: {started.text[:300]}", flush=True)
                failures += 1
                continue
            doc = _follow(api, "backups", started, timeout)
            event = _event(stack, doc["id"], "BackupAutopilot.Backup.")
            print(f"  ended {doc['phase']}; event {event}", flush=True)
            failures += doc["phase"] != "succeeded"
        for change in ("stop", "resume"):
            print(f"\nProtection change: {change} {account_id.rsplit('/', 1)[-1]}", flush=True)
            started = api.post("/protection-changes", json={"change": change, "resourceId": account_id})
            print(f"  POST /api/protection-changes -> {started.status_code}", flush=True)
            if started.status_code != 202:
                print(f"  refused: {started.text[:300]}", flush=True)
                failures += 1
                continue
            doc = _follow(api, "protection-changes", started, timeout)
            event = _event(stack, doc["id"], "BackupAutopilot.ProtectionChange.")
            print(f"  ended {doc['phase']}; event {event}", flush=True)
            failures += doc["phase"] != "succeeded"
    return 1 if failures else 0
