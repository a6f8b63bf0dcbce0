"""The main job's compliance sweep: resources that were there before the app (no write event) are found,
reported, and protected through the same pipeline.

Through the app's HTTP API with the function key, as an operator would: ``POST /api/sweeps``, the status
until it is done, the summary, the page's URL, then the protection outcome of each resource remediation sent.
The host needs ``SWEEP_HOST_ENV`` (merge into ``StackConfig.host_env``).
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from local.stack import LocalStack

SWEEP_HOST_ENV = {
    "COMPLIANCE_SUBSCRIPTIONS": "11111111-1111-1111-1111-111111111111,22222222-2222-2222-2222-222222222222",
    "COMPLIANCE_REMEDIATION": "on",
}
# Seeded before the app (local/demo/tenant.yaml): what the sweep must find unprotected and then protect.
PRE_EXISTING = ("stlegacyarchive", "stlegacyexports", "pgflex-legacy")


def _wait_done(api: httpx.Client, sweep_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    phase = None
    while True:
        status: dict[str, Any] = api.get(f"/sweeps/{sweep_id}").json()
        if status.get("phase") != phase:
            phase = status.get("phase")
            print(f"  sweep {sweep_id}: {phase} {status.get('progress', '')}", flush=True)
        if phase in ("done", "failed"):
            return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"sweep {sweep_id} still {phase} after {timeout}s")
        time.sleep(0.5)


def _outcomes(stack: LocalStack, wanted: set[str], since: int, timeout: float) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while wanted - set(found) and (remaining := deadline - time.monotonic()) > 0:
        events, since = stack.topic_events(since, wait=min(2.0, remaining))
        for event in events:
            subject = str(event.get("subject") or "").lower()
            if (
                subject in wanted
                and subject not in found
                and str(event.get("type", "")).startswith("BackupAutopilot.Protection.")
            ):
                found[subject] = event.get("data") or {}
                data = found[subject]
                print(
                    f"  {data.get('kind', '?'):<10} {subject.rsplit('/', 1)[-1]:<28} {data.get('reason', '')}"
                )
    return found


def sweep_demo(stack: LocalStack, timeout: float = 120.0) -> int:
    """0 when the sweep found every pre-existing resource unprotected and remediation protected them."""
    assert stack.host is not None
    _, since = stack.topic_events(0)
    with httpx.Client(
        base_url=f"{stack.host.base_url}/api",
        headers={"x-functions-key": stack.host.function_key},
        timeout=60,
    ) as api:
        started = api.post("/sweeps")
        started.raise_for_status()
        sweep = started.json()
        status = _wait_done(api, sweep["id"], timeout)
        summary = status.get("summary") or {}
        counts = ", ".join(
            f"{v} {k}" for k, v in sorted((summary.get("byClassification") or {}).items()) if v
        )
        print(
            f"  {summary.get('total')} resources in scope, {summary.get('gaps')} gaps: {counts}", flush=True
        )
        print(f"  remediation: {status.get('remediation')}", flush=True)
        print(f"  the page: {sweep['pageUrl']} (with the function key: ?code=...)", flush=True)
        report = api.get("/sweeps/latest/report").json()
    # What remediation sent: the unprotected that a vault can take (none in its region: reported, not sent).
    unprotected = {
        e["resourceId"].lower()
        for e in report["entries"]
        if e["classification"] == "unprotected" and e.get("expectedVaultId")
    }
    print("\nProtection outcomes of what remediation sent:", flush=True)
    outcomes = _outcomes(stack, unprotected, since, timeout)
    missing = [name for name in PRE_EXISTING if not any(rid.endswith(f"/{name}") for rid in unprotected)]
    not_protected = [
        name
        for name in PRE_EXISTING
        if not any(rid.endswith(f"/{name}") and o.get("kind") == "protected" for rid, o in outcomes.items())
    ]
    if status.get("phase") != "done" or missing or not_protected:
        print(
            f"  UNEXPECTED: phase {status.get('phase')}, not found {missing}, not protected {not_protected}"
        )
        return 1
    print(f"  ok: {', '.join(PRE_EXISTING)} were found unprotected and are now protected", flush=True)
    return 0
