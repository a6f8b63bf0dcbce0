# ruff: noqa: E501 - ARM ids are long by nature
"""Compliance sweeps end to end on the local stack: the host runs ``function_app.py``, the emulator holds a
tenant with every situation (``local/cloud/seeds/compliance-tenant.yaml``, and a protected file share deleted
through ARM before the sweep), remediation goes through the protection pipeline, and a second sweep sees the
result."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from local.azurite import REPO_ROOT
from local.stack import LocalStack, StackConfig
from shared.compliance.report import SCHEMA_PATH
from tests.integration.protection.support import Outcomes

pytestmark = pytest.mark.integration

PROD = "11111111-1111-1111-1111-111111111111"
DEV = "22222222-2222-2222-2222-222222222222"
DATA = f"/subscriptions/{PROD}/resourceGroups/rg-data-weu/providers"
SEED = REPO_ROOT / "local" / "cloud" / "seeds" / "compliance-tenant.yaml"
RULES = Path(__file__).with_name("rules.yaml")


def account(name: str) -> str:
    return f"{DATA}/Microsoft.Storage/storageAccounts/{name}"


def database(server: str, name: str) -> str:
    return f"{DATA}/Microsoft.DBforPostgreSQL/servers/{server}/databases/{name}"


def flexible(name: str) -> str:
    return f"{DATA}/Microsoft.DBforPostgreSQL/flexibleServers/{name}"


def share(name: str) -> str:
    return f"{account('stfiles')}/fileServices/default/shares/{name}"


EXPECTED = {
    account("stprotected"): "protected",
    account("sterror"): "unhealthy",
    account("ststopped"): "stopped",
    account("stsuspended"): "suspended",
    account("stsoftdeleted"): "soft_deleted",
    account("stjobfailed"): "unhealthy",
    account("stdrift"): "drift",
    account("storphan"): "orphaned",
    account("stunprotected1"): "unprotected",
    account("stunprotected2"): "unsupported",  # a BlobStorage account: blob operational backup needs GPv2
    account("sthns"): "unsupported",
    account("stpremium"): "unsupported",
    account("stnfs"): "unsupported",
    account("stexcluded"): "excluded",
    account("stfiles"): "unprotected",  # its blobs: prod-blobs; its shares: prod-files
    share("finance"): "protected",
    share("hr"): "orphaned",  # deleted through ARM before the sweep; its protected item remains
    share("legal"): "unhealthy",  # ProtectionError
    share("projects"): "drift",  # protected by files-legacy, the rule names DefaultFileSharePolicy
    share("scratch"): "unprotected",  # it predates the app: remediation protects it
    share("archive"): "orphaned",  # gone before the seed's protected item was read
    database("pg-orders", "orders"): "protected",
    database("pg-orders", "billing"): "unprotected",
    database("pg-legacy", "legacy"): "unprotected",
    flexible("pgflex-crm"): "protected",
    flexible("pgflex-reports"): "unprotected",
    flexible("pgflex-scratch"): "excluded",
    f"/subscriptions/{DEV}/resourceGroups/rg-dev/providers/Microsoft.Storage/storageAccounts/stdevscratch": "excluded",
    f"/subscriptions/{DEV}/resourceGroups/rg-dev/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex-dev": "excluded",
}
UNPROTECTED = sorted(k for k, v in EXPECTED.items() if v == "unprotected")


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    config = StackConfig(
        seed=SEED,
        rules=RULES,
        time_factor=120.0,
        name="e2e-compliance",
        host_env={
            "COMPLIANCE_SUBSCRIPTIONS": f"{PROD},{DEV}",
            "COMPLIANCE_REMEDIATION": "on",
            "COMPLIANCE_REMEDIATION_PER_SECOND": "2",
        },
    )
    with LocalStack(config) as running:
        yield running


def api(stack: LocalStack, method: str, path: str) -> httpx.Response:
    assert stack.host is not None
    return httpx.request(
        method,
        f"{stack.host.base_url}/api/{path}",
        headers={"x-functions-key": stack.host.function_key},
        timeout=60.0,
    )


def wait_done(stack: LocalStack, sweep_id: str, timeout: float = 180.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        document = api(stack, "GET", f"sweeps/{sweep_id}").json()
        if document.get("phase") in ("done", "failed"):
            return dict(document)
        assert time.monotonic() < deadline, f"sweep {sweep_id} still {document.get('phase')}: {document}"
        time.sleep(1.0)


def classifications(report: dict[str, Any]) -> dict[str, str]:
    return {e["resourceId"].lower(): e["classification"] for e in report["entries"]}


def test_a_sweep_reports_every_situation_and_remediation_protects_exactly_the_unprotected(
    stack: LocalStack,
) -> None:
    deleted = stack.arm("DELETE", share("hr"))
    assert deleted.status_code in (200, 204), deleted.text
    outcomes = Outcomes(stack)
    start = outcomes.mark()
    started = api(stack, "POST", "sweeps")
    assert started.status_code == 202, started.text
    sweep_id = started.json()["id"]
    assert started.headers["Location"].endswith(f"/api/sweeps/{sweep_id}")
    joined = api(stack, "POST", "sweeps")  # a second start while it runs joins it
    assert joined.json()["id"] == sweep_id and joined.json()["joined"] is True

    status = wait_done(stack, sweep_id)
    assert status["phase"] == "done", status
    assert status["remediation"]["mode"] == "on"
    assert status["remediation"]["requested"] == len(UNPROTECTED)
    assert status["summary"]["total"] == len(EXPECTED)

    report = api(stack, "GET", "sweeps/latest/report")
    assert report.status_code == 200
    document = report.json()
    Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(document)
    got = classifications(document)
    assert got == {k.lower(): v for k, v in EXPECTED.items()}
    assert document["sweep"]["id"] == sweep_id
    assert document["summary"]["byClassification"]["unprotected"] == len(UNPROTECTED)
    drift = next(e for e in document["entries"] if e["resourceId"] == account("stdrift"))
    assert "bv-weu-legacy" in drift["vaultId"] and drift["expectedVaultId"].endswith("/bv-weu")
    share_drift = next(e for e in document["entries"] if e["resourceId"] == share("projects"))
    assert share_drift["policyId"].endswith("/rsv-weu/backupPolicies/files-legacy")
    assert share_drift["expectedPolicyId"].endswith("/rsv-weu/backupPolicies/DefaultFileSharePolicy")
    hr = next(e for e in document["entries"] if e["resourceId"] == share("hr"))
    assert hr["backupInstanceId"].endswith("/protectedItems/AzureFileShare;hr") and hr["kind"] == "file_share"
    by_kind = {k["kind"]: k["counts"] for k in document["summary"]["byKind"]}
    assert by_kind["file_share"] == {
        "protected": 1,
        "orphaned": 2,
        "unhealthy": 1,
        "drift": 1,
        "unprotected": 1,
    }
    failed_job = next(e for e in document["entries"] if e["resourceId"] == account("stjobfailed"))
    assert failed_job["error"]["code"] == "UserErrorStorageAccountNotFound"
    assert "reached" in failed_job["error"]["message"]
    assert failed_job["recommendedAction"] == [
        "Check that the storage account exists and the Backup vault can reach it, then retry."
    ]
    notes = " ".join(n["note"] for n in document["sweep"]["notes"])
    assert "not indexed by Resource Graph" in notes

    same = api(stack, "GET", f"sweeps/{sweep_id}/report").json()
    assert same["sweep"]["id"] == sweep_id
    rows = list(csv.DictReader(io.StringIO(api(stack, "GET", f"sweeps/{sweep_id}/report.csv").text)))
    assert {r["resourceId"].lower(): r["classification"] for r in rows} == got
    page = api(stack, "GET", "sweeps/latest/report.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "stunprotected1" in page.text
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)  # no external assets

    assert "File share" in page.text and 'data-kind="file_share"' in page.text

    completed = stack.wait_for_event(
        lambda e: e["data"]["sweepId"] == sweep_id, 30.0, event_type="BackupAutopilot.Sweep.Completed"
    )
    assert completed is not None, completed
    assert completed["data"]["total"] == len(EXPECTED) and completed["data"]["gaps"] == sum(
        v not in ("protected", "excluded", "unsupported") for v in EXPECTED.values()
    )
    assert completed["data"]["byClassification"]["orphaned"] == 3  # storphan, and two shares
    assert completed["data"]["byKind"]["file_share"] == by_kind["file_share"]

    # Remediation sent each unprotected resource through the protection pipeline (origin sweep).
    results = outcomes.wait_for(UNPROTECTED, timeout=120.0, start=start)
    assert all(r["correlation_id"] == f"sweep:{sweep_id}" for r in results.values())
    protected = sorted(rid for rid, r in results.items() if r["kind"] == "protected")
    assert account("stunprotected1") in protected and flexible("pgflex-reports") in protected
    assert share("scratch") in protected, results[share("scratch")]

    second = api(stack, "POST", "sweeps").json()
    assert second["id"] != sweep_id and second["joined"] is False
    assert wait_done(stack, second["id"])["phase"] == "done"
    again = classifications(api(stack, "GET", "sweeps/latest/report").json())
    for rid in UNPROTECTED:
        expected = "protected" if rid in protected else "unprotected"
        assert again[rid.lower()] in (expected, "configuring"), (rid, results[rid]["reason"])
    assert again[account("stdrift").lower()] == "drift"  # reported, never moved
    assert again[share("projects").lower()] == "drift"
    assert again[share("scratch").lower()] == "protected"  # the share that predates the app


def test_bad_sweep_ids_and_missing_reports_are_404_problems(stack: LocalStack) -> None:
    for path in ("sweeps/nope", "sweeps/sweep-000000000000-request/report", "sweeps/x%00/report.csv"):
        response = api(stack, "GET", path)
        assert response.status_code == 404, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), path
    assert httpx.post(f"{stack.host.base_url}/api/sweeps", timeout=30).status_code == 401  # type: ignore[union-attr]
