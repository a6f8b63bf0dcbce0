"""The report (JSON against its schema, CSV, summary), the steps' pure parts (policy intervals, Resource
Graph scopes, quota, query bodies), one page fetched through a mock ARM, remediation over a folder store,
and the folder store's boundary."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from shared.arm.client import ArmClient
from shared.arm.credentials import LocalCredential
from shared.arm.rate_limit import RateLimiter
from shared.compliance import inventory, steps
from shared.compliance.classify import Classification, Entry
from shared.compliance.inventory import Source
from shared.compliance.report import (
    CSV_COLUMNS,
    SCHEMA_PATH,
    SCHEMA_VERSION,
    ReportWriter,
    SweepInfo,
    entry_view,
    unprotected,
)
from shared.compliance.store import FolderStore, get_json, page_path, put_json, sweep_path
from shared.errors import ArmError
from shared.protection.messages import ProtectionRequest
from shared.services import resourcegraph as rg

SUB_A = "0000aaaa-0000-4000-8000-00000000aaaa"
SUB_B = "0000bbbb-0000-4000-8000-00000000bbbb"
VAULT = f"/subscriptions/{SUB_A}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv"
POLICY = f"{VAULT}/backupPolicies/blob-daily"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def problems(document: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def account_id(name: str, sub: str = SUB_A) -> str:
    return f"/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/{name}"


def postgresql_id(path: str, sub: str = SUB_A) -> str:
    return f"/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.DBforPostgreSQL/{path}"


def database_id(server: str, name: str, sub: str = SUB_A) -> str:
    return postgresql_id(f"servers/{server}/databases/{name}", sub)


def flexible_id(name: str, sub: str = SUB_A) -> str:
    return postgresql_id(f"flexibleServers/{name}", sub)


def entry(
    resource_id: str,
    classification: Classification,
    reason: str = "why",
    *,
    kind: str | None = "blob",
    resource_type: str = "Microsoft.Storage/storageAccounts",
    **extra: Any,
) -> Entry:
    parts = resource_id.split("/") if resource_id.startswith("/subscriptions/") else ["", "", "", "", ""]
    if classification is Classification.UNPROTECTED:  # covered by a rule: classify names its vault
        extra.setdefault("expected_vault_id", f"/subscriptions/{SUB_A}/resourceGroups/rg/providers/v/bv")
    return Entry(
        resource_id=resource_id,
        classification=classification,
        reason=reason,
        resource_type=resource_type,
        kind=kind,
        name=resource_id.rsplit("/", 1)[-1],
        subscription_id=parts[2],
        resource_group=parts[4].lower(),
        location="westeurope",
        **extra,
    )


def sample_entries() -> list[Entry]:
    failed_job = {"status": "Failed", "startTime": "2026-06-01T06:00:00Z", "endTime": "2026-06-01T06:05:00Z"}
    return [
        entry(
            account_id("stgood"),
            Classification.PROTECTED,
            "protected by rule blobs: ProtectionConfigured",
            rule="blobs",
            vault_id=VAULT,
            policy_id=POLICY,
            backup_instance_id=f"{VAULT}/backupInstances/bi-stgood",
            protection_state="ProtectionConfigured",
            last_backup={"status": "Completed", "startTime": "2026-06-01T10:00:00Z", "endTime": None},
        ),
        entry(
            account_id("stfail"),
            Classification.UNHEALTHY,
            "the last backup job Failed: E: it broke, badly",
            recommended_action=["-1 retry", 'then, call "ops"'],
            last_backup=failed_job,
            error={"code": "E", "message": "@SUM(1+1) it broke,\nbadly", "recommendedAction": ["-1 retry"]},
        ),
        entry(account_id("stnew"), Classification.UNPROTECTED, "=cmd|' /C calc'!A0", rule="+rule"),
        entry(account_id("stdev", SUB_B), Classification.EXCLUDED, "no rule covers this resource"),
        entry(
            database_id("pg", "billing", SUB_B),
            Classification.UNPROTECTED,
            kind="postgresql",
            resource_type="Microsoft.DBforPostgreSQL/servers/databases",
        ),
        entry(account_id("sthns"), Classification.UNSUPPORTED, "hierarchical namespace"),
        entry("not-an-arm-id", Classification.ORPHANED, "\tgone", kind=None, resource_type=""),
    ]


SWEEP = SweepInfo(
    id="sweep-202606011200-request",
    started_at="2026-06-01T12:00:00Z",
    trigger="request",
    subscriptions=[SUB_A, SUB_B],
    remediation="dryRun",
    finished_at="2026-06-01T12:03:00Z",
    notes=[{"source": n.source, "note": n.note} for n in inventory.NOTES],
)
NAMES = {SUB_A: "Production", SUB_B: "Dev"}


def write(writer: ReportWriter, chunks: Iterable[list[Entry]]) -> tuple[dict[str, Any], str]:
    """The JSON and CSV documents the writer streams for these chunks of entries."""
    head_json, head_csv = writer.opening()
    json_parts, csv_parts = [head_json], [head_csv]
    for chunk in chunks:
        json_chunk, csv_chunk = writer.add(chunk)
        json_parts.append(json_chunk)
        csv_parts.append(csv_chunk)
    json_parts.append(writer.closing(NAMES))
    return json.loads(b"".join(json_parts)), b"".join(csv_parts).decode()


# -- the report -----------------------------------------------------------------------------------


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_streamed_report_is_json_that_validates_against_the_schema() -> None:
    entries = sample_entries()
    report, _ = write(ReportWriter(SWEEP), [entries[:2], [], entries[2:5], entries[5:]])
    assert problems(report) == []
    assert report["schemaVersion"] == SCHEMA_VERSION == 1
    assert report["sweep"] == {
        "id": SWEEP.id,
        "trigger": "request",
        "startedAt": "2026-06-01T12:00:00Z",
        "finishedAt": "2026-06-01T12:03:00Z",
        "scope": {"subscriptions": [SUB_A, SUB_B], "managementGroups": []},
        "remediation": "dryRun",
        "notes": SWEEP.notes,
    }
    assert report["entries"] == [entry_view(e) for e in entries]
    assert [e["gap"] for e in report["entries"]] == [False, True, True, False, True, False, True]
    # the validator can fail: a classification outside the documented set is refused
    broken = json.loads(json.dumps(report))
    broken["entries"][0]["classification"] = "fine"
    assert problems(broken)


def test_an_empty_report_is_valid_too() -> None:
    report, text = write(ReportWriter(SWEEP), [])
    assert problems(report) == [] and report["entries"] == []
    assert report["summary"]["total"] == 0 and report["summary"]["bySubscription"] == []
    assert list(csv.reader(io.StringIO(text))) == [list(CSV_COLUMNS)]


def test_entry_view_is_camel_case_and_covers_the_schema() -> None:
    view = entry_view(sample_entries()[1])
    assert set(view) == set(SCHEMA["$defs"]["entry"]["properties"])
    assert view["classification"] == "unhealthy" and view["gap"] is True
    assert view["error"]["message"] == "@SUM(1+1) it broke,\nbadly"


def test_the_summary_counts_by_classification_subscription_and_kind() -> None:
    writer = ReportWriter(SWEEP)
    report, _ = write(writer, [sample_entries()])
    summary = report["summary"]
    assert summary["total"] == 7 and summary["gaps"] == 4
    assert summary["byClassification"] == {
        "protected": 1,
        "unhealthy": 1,
        "configuring": 0,
        "stopped": 0,
        "suspended": 0,
        "soft_deleted": 0,
        "drift": 0,
        "unprotected": 2,
        "excluded": 1,
        "unsupported": 1,
        "orphaned": 1,
    }
    assert summary["bySubscription"] == [
        {"subscriptionId": "-", "displayName": "-", "counts": {"orphaned": 1}},
        {
            "subscriptionId": SUB_A,
            "displayName": "Production",
            "counts": {"protected": 1, "unhealthy": 1, "unprotected": 1, "unsupported": 1},
        },
        {"subscriptionId": SUB_B, "displayName": "Dev", "counts": {"excluded": 1, "unprotected": 1}},
    ]
    assert summary["byKind"] == [
        {"kind": "-", "counts": {"orphaned": 1}},
        {
            "kind": "blob",
            "counts": {"protected": 1, "unhealthy": 1, "unprotected": 1, "excluded": 1, "unsupported": 1},
        },
        {"kind": "postgresql", "counts": {"unprotected": 1}},
    ]


def test_the_gaps_document_holds_the_gaps_only_and_validates() -> None:
    writer = ReportWriter(SWEEP)
    report, _ = write(writer, [sample_entries()])
    gaps = writer.gaps_document(NAMES)
    assert problems(gaps) == []
    assert gaps["sweep"] == report["sweep"] and gaps["summary"] == report["summary"]
    assert gaps["gaps"] == [e for e in report["entries"] if e["gap"]]
    assert [g["resourceId"] for g in unprotected(gaps)] == [
        account_id("stnew"),
        database_id("pg", "billing", SUB_B),
    ]


def test_the_csv_has_the_header_one_row_per_entry_and_neutralises_formulas() -> None:
    entries = sample_entries()
    _, text = write(ReportWriter(SWEEP), [entries])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 1 + len(entries)
    by_id = {row[0]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert list(by_id) == [e.resource_id for e in entries]
    injected = by_id[account_id("stnew")]
    assert injected["reason"] == "'=cmd|' /C calc'!A0" and injected["rule"] == "'+rule"
    failed = by_id[account_id("stfail")]
    assert failed["errorMessage"] == "'@SUM(1+1) it broke,\nbadly"  # quoted, newline and comma kept
    assert failed["recommendedAction"] == '\'-1 retry | then, call "ops"'
    assert (failed["lastBackupStatus"], failed["lastBackupTime"], failed["errorCode"]) == (
        "Failed",
        "2026-06-01T06:05:00Z",
        "E",
    )
    assert by_id["not-an-arm-id"]["reason"] == "'\tgone"
    good = by_id[account_id("stgood")]
    assert good["reason"] == "protected by rule blobs: ProtectionConfigured"  # plain text is left alone
    assert good["lastBackupTime"] == "2026-06-01T10:00:00Z"  # the start when there is no end yet
    assert (good["vaultId"], good["policyId"], good["errorCode"]) == (VAULT, POLICY, "")
    for row in rows[1:]:
        assert all(cell[:1] not in ("=", "+", "-", "@", "\t", "\r") for cell in row)


# -- policy intervals -----------------------------------------------------------------------------


def backup_policy(*intervals: str) -> dict[str, Any]:
    rules: list[dict[str, Any]] = [
        {
            "name": "Default",
            "objectType": "AzureRetentionRule",
            "isDefault": True,
            "lifecycles": [{"deleteAfter": {"duration": "P30D", "objectType": "AbsoluteDeleteOption"}}],
        }
    ]
    if intervals:
        rules.insert(
            0,
            {
                "name": "BackupSchedule",
                "objectType": "AzureBackupRule",
                "trigger": {
                    "objectType": "ScheduleBasedTriggerContext",
                    "schedule": {"repeatingTimeIntervals": list(intervals), "timeZone": "UTC"},
                },
            },
        )
    return {"name": "p", "properties": {"objectType": "BackupPolicy", "policyRules": rules}}


@pytest.mark.parametrize(
    ("intervals", "seconds"),
    [
        (["R/2024-01-01T00:00:00+00:00/P1W"], 7 * 86400.0),
        (["R/2024-01-01T00:00:00+00:00/PT4H"], 4 * 3600.0),
        (["PT4H"], 4 * 3600.0),
        (["R/2024-01-01T00:00:00+00:00/P1D"], 86400.0),
        (["R/2024-01-01T00:00:00+00:00/P1DT12H"], 36 * 3600.0),
        (["R/2024-01-01T00:00:00+00:00/P1W", "R/2024-01-01T06:00:00+00:00/PT12H"], 12 * 3600.0),
        ([], None),  # operational tier: retention only, no schedule
        (["R/2024-01-01T00:00:00+00:00/P"], None),
        (["R/2024-01-01T00:00:00+00:00/every-day"], None),
    ],
)
def test_schedule_interval(intervals: list[str], seconds: float | None) -> None:
    assert steps.schedule_interval(backup_policy(*intervals)) == seconds


@pytest.mark.parametrize("policy", [None, {}, {"properties": None}, {"properties": {"policyRules": "x"}}])
def test_schedule_interval_of_nothing(policy: Any) -> None:
    assert steps.schedule_interval(policy) is None


# -- Resource Graph -------------------------------------------------------------------------------


def test_batches_of_a_thousand_subscriptions_deduplicated_lower_case_management_groups_apart() -> None:
    subscriptions = [f"{i:08X}-AAAA-4000-8000-{i:012X}" for i in range(2345)]
    asked = subscriptions + [s.lower() for s in subscriptions[:500]] + subscriptions[:10]
    scopes = rg.batches(asked, ["mg-prod", "mg-dev"])
    assert scopes[0] == rg.GraphScope(management_groups=["mg-prod", "mg-dev"])
    assert [len(s.subscriptions) for s in scopes[1:]] == [1000, 1000, 345]
    assert all(not s.management_groups for s in scopes[1:])
    flat = [sub for s in scopes[1:] for sub in s.subscriptions]
    assert flat == [s.lower() for s in subscriptions]  # first-seen order, each once, lower case
    assert [len(s.subscriptions) for s in rg.batches(subscriptions[:1000], [])] == [1000]
    assert [len(s.subscriptions) for s in rg.batches(subscriptions[:1001], [])] == [1000, 1]
    assert rg.batches([], []) == [] and rg.batches([], ["mg"]) == [rg.GraphScope(management_groups=["mg"])]
    assert rg.GraphScope().empty and not scopes[0].empty


def test_quota_of_the_headers_and_how_long_to_wait() -> None:
    spent = rg.quota_of({"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:03"})
    assert spent == rg.Quota(0, 3.0) and spent.wait_seconds() == 3.0
    left = rg.quota_of({"x-ms-user-quota-remaining": "7", "x-ms-user-quota-resets-after": "00:00:04"})
    assert left == rg.Quota(7, 4.0) and left.wait_seconds() == 0.0
    assert rg.quota_of({"x-ms-user-quota-resets-after": "01:02:03.5"}).resets_after_seconds == 3723.5
    assert rg.quota_of({"x-ms-user-quota-resets-after": "12"}).resets_after_seconds == 12.0
    unsaid = rg.quota_of({})
    assert unsaid == rg.Quota(None, None) and unsaid.wait_seconds() == 0.0
    assert rg.quota_of({"x-ms-user-quota-remaining": "-1"}).wait_seconds() == rg.QUOTA_WINDOW_SECONDS
    garbled = rg.quota_of({"x-ms-user-quota-remaining": "lots", "x-ms-user-quota-resets-after": "soon"})
    assert garbled == rg.Quota(None, None)


def test_query_body_with_and_without_a_skip_token() -> None:
    scope = rg.GraphScope(subscriptions=[SUB_A, SUB_B])
    first = rg.query_body("Resources | project id", scope)
    assert first == {
        "query": "Resources | project id",
        "options": {"resultFormat": "objectArray", "$top": 1000},
        "subscriptions": [SUB_A, SUB_B],
    }
    following = rg.query_body("Resources | project id", scope, "token-2")
    assert following["options"] == {"resultFormat": "objectArray", "$top": 1000, "$skipToken": "token-2"}
    assert following["subscriptions"] == [SUB_A, SUB_B] and following["query"] == first["query"]
    groups = rg.query_body("q", rg.GraphScope(management_groups=["mg-prod"]))
    assert groups["managementGroups"] == ["mg-prod"] and "subscriptions" not in groups
    assert "subscriptions" not in rg.query_body("q", rg.GraphScope())


def test_every_query_keeps_the_id_column_that_paging_needs() -> None:
    for source in Source:
        query = inventory.query_of(source)
        assert "project id" in query, source
    datasources = inventory.query_of(Source.DATASOURCES)
    for kind_type in ("microsoft.storage/storageaccounts", "microsoft.dbforpostgresql/flexibleservers"):
        assert f"'{kind_type}'" in datasources
    assert "'microsoft.dbforpostgresql/servers'" in datasources and "/databases'" not in datasources


def arm_over(handler: Any) -> ArmClient:
    async def no_sleep(seconds: float) -> None:
        return None

    return ArmClient(
        endpoint="https://management.example.test",
        credential=LocalCredential(),
        transport=httpx.MockTransport(handler),
        limiter=RateLimiter(burst=1000, reads_per_second=1000, writes_per_second=1000, sleep=no_sleep),
        max_retries=0,
        sleep=no_sleep,
    )


async def test_fetch_page_sends_the_query_stages_the_reduced_rows_and_reports_servers_and_quota(
    tmp_path: Path,
) -> None:
    server = f"/subscriptions/{SUB_A}/resourceGroups/rg-data/providers/Microsoft.DBforPostgreSQL/servers/pg"
    rows: list[dict[str, Any]] = [
        {"id": account_id("st1"), "name": "st1", "type": "microsoft.storage/storageaccounts", "extra": 1},
        {"id": server, "name": "pg", "type": "microsoft.dbforpostgresql/servers", "properties": {"v": "11"}},
    ]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={"data": rows, "count": 2, "totalRecords": 1002, "$skipToken": "next-page"},
            headers={"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:02"},
        )

    store = FolderStore(tmp_path)
    scope = rg.GraphScope(subscriptions=[SUB_A])
    arm = arm_over(handler)
    request = steps.PageRequest("sweep-1", Source.DATASOURCES, scope, 2, 7, "this-page")
    result = await steps.fetch_page(arm, store, request)
    await arm.aclose()
    (sent,) = seen
    assert sent.method == "POST" and sent.url.path == rg.PATH
    assert sent.url.params["api-version"] == rg.API_VERSION
    assert json.loads(sent.content) == rg.query_body(
        inventory.query_of(Source.DATASOURCES), scope, "this-page"
    )
    assert result.rows == 2 and result.skip_token == "next-page" and result.error is None
    assert result.quota == rg.Quota(0, 2.0) and result.quota.wait_seconds() == 2.0
    assert result.servers == [server] and result.policies == []
    staged = await get_json(store, page_path("sweep-1", "datasources", 2, 7))
    assert staged == [inventory.reduce_row(Source.DATASOURCES, r) for r in rows]
    assert "extra" not in staged[0] and staged[1]["properties"] == {"v": "11"}


async def test_fetch_page_answers_a_refusal_as_an_error_and_read_policy_reads_the_interval(
    tmp_path: Path,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(400, json={"error": {"code": "BadRequest", "message": "Query is invalid"}})
        return httpx.Response(200, json=backup_policy("R/2024-01-01T00:00:00+00:00/P1D"))

    arm = arm_over(handler)
    store = FolderStore(tmp_path)
    request = steps.PageRequest("sweep-1", Source.BACKUP_JOBS, rg.GraphScope(subscriptions=[SUB_A]), 0, 0)
    failed = await steps.fetch_page(arm, store, request)
    read = await steps.read_policy(arm, steps.PolicyRequest(POLICY))
    await arm.aclose()
    assert isinstance(failed.error, ArmError) and failed.error.code == "BadRequest" and failed.rows == 0
    assert await store.get(page_path("sweep-1", "backupJobs", 0, 0)) is None
    assert read == steps.PolicyInterval(POLICY, 86400.0)


# -- remediation ----------------------------------------------------------------------------------


def remediation_entries() -> list[Entry]:
    return [
        entry(account_id("sta1"), Classification.UNPROTECTED),
        entry(account_id("stb1", SUB_B), Classification.UNPROTECTED),
        entry(account_id("ststopped"), Classification.STOPPED),
        entry(
            database_id("pg", "billing"),
            Classification.UNPROTECTED,
            kind="postgresql",
            resource_type="Microsoft.DBforPostgreSQL/servers/databases",
        ),
        entry(account_id("stdrift"), Classification.DRIFT),
        entry(account_id("storphan"), Classification.ORPHANED),
        entry(account_id("stb2", SUB_B.upper()), Classification.UNPROTECTED),  # one subscription, any case
        entry(account_id("stgood"), Classification.PROTECTED),
        entry(account_id("stexcluded"), Classification.EXCLUDED),
        entry(
            flexible_id("pgflex"),
            Classification.UNPROTECTED,
            kind="postgresql_flexible",
            resource_type="Microsoft.DBforPostgreSQL/flexibleServers",
        ),
        entry(account_id("stsick"), Classification.UNHEALTHY),
    ]


UNPROTECTED_A = [account_id("sta1"), database_id("pg", "billing"), flexible_id("pgflex")]
UNPROTECTED_B = [account_id("stb1", SUB_B), account_id("stb2", SUB_B.upper())]


async def gaps_store(root: Path, sweep_id: str) -> FolderStore:
    writer = ReportWriter(SWEEP)
    writer.add(remediation_entries())
    store = FolderStore(root)
    await put_json(store, sweep_path(sweep_id, "gaps.json"), writer.gaps_document(NAMES))
    return store


class Queue:
    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], int]] = []

    async def send(self, text: str, delay: int) -> None:
        self.sent.append((json.loads(text), delay))


@pytest.mark.parametrize("per_second", [0.5, 2.0])
async def test_remediation_sends_only_the_unprotected_as_sweep_requests_spread_per_subscription(
    tmp_path: Path, per_second: float
) -> None:
    store = await gaps_store(tmp_path, "sweep-7")
    queue = Queue()
    result = await steps.remediate(store, steps.RemediateRequest("sweep-7", "on", per_second), queue.send)
    sent = {message["datasource_id"]: (message, delay) for message, delay in queue.sent}
    assert len(queue.sent) == len(sent) == 5
    assert set(sent) == set(UNPROTECTED_A + UNPROTECTED_B)
    types = {e.resource_id: e.resource_type for e in remediation_entries()}
    for resource_id, (message, _) in sent.items():
        assert message["resource_type"] == types[resource_id]
        request = ProtectionRequest.from_dict(message)  # what start_protection parses
        assert request.origin == "sweep" and request.correlation_id == "sweep:sweep-7"
        assert request.dry_run is False and request.source_event_id is None
    for per_subscription in (UNPROTECTED_A, UNPROTECTED_B):
        assert [sent[i][1] for i in per_subscription] == [
            int(n / per_second) for n in range(len(per_subscription))
        ]
    assert result == steps.RemediationResult("on", 5, 2 / per_second)


async def test_dry_run_counts_and_sends_nothing_and_off_sends_nothing(tmp_path: Path) -> None:
    store = await gaps_store(tmp_path, "sweep-8")
    queue = Queue()
    dry = await steps.remediate(store, steps.RemediateRequest("sweep-8", "dryRun", 0.5), queue.send)
    off = await steps.remediate(store, steps.RemediateRequest("sweep-8", "off", 0.5), queue.send)
    assert queue.sent == []
    assert (dry.mode, dry.requested, dry.spread_seconds) == ("dryRun", 5, 4.0)
    assert off == steps.RemediationResult("off")  # remediation off: nothing counted, nothing sent
    missing = await steps.remediate(store, steps.RemediateRequest("sweep-none", "on", 1.0), queue.send)
    assert queue.sent == [] and missing == steps.RemediationResult("on", 0, 0.0)


async def test_an_unprotected_resource_without_a_vault_for_it_is_not_sent(tmp_path: Path) -> None:
    writer = ReportWriter(SWEEP)
    writer.add([entry(account_id("stnorth"), Classification.UNPROTECTED, expected_vault_id=None)])
    store = FolderStore(tmp_path)
    await put_json(store, sweep_path("sweep-9", "gaps.json"), writer.gaps_document(NAMES))
    queue = Queue()
    result = await steps.remediate(store, steps.RemediateRequest("sweep-9", "on", 1.0), queue.send)
    assert queue.sent == [] and result == steps.RemediationResult("on", 0, 0.0)


async def test_remediation_sends_concurrently_within_its_bound(tmp_path: Path) -> None:
    store = await gaps_store(tmp_path, "sweep-10")
    in_flight, peak, sent = 0, 0, []

    async def send(text: str, delay: int) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        sent.append(json.loads(text)["datasource_id"])
        in_flight -= 1

    request = steps.RemediateRequest("sweep-10", "on", 1.0)
    result = await steps.remediate(store, request, send, concurrency=3)
    assert peak == 3 and sorted(sent) == sorted(UNPROTECTED_A + UNPROTECTED_B) and result.requested == 5


async def test_a_failed_remediation_send_fails_the_step_with_its_own_error(tmp_path: Path) -> None:
    store = await gaps_store(tmp_path, "sweep-11")

    async def send(text: str, delay: int) -> None:
        if json.loads(text)["datasource_id"] == UNPROTECTED_B[0]:
            raise ConnectionError("queue unreachable")
        await asyncio.sleep(0)

    with pytest.raises(ConnectionError, match="queue unreachable"):
        await steps.remediate(store, steps.RemediateRequest("sweep-11", "on", 1.0), send)


# -- the folder store -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["../outside.json", "sweeps/../../outside.json", "/tmp/outside.json", "..", "link/outside.json"]
)
async def test_folder_store_refuses_a_path_outside_its_root(tmp_path: Path, path: str) -> None:
    root = tmp_path / "store"
    root.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "link").symlink_to(elsewhere, target_is_directory=True)
    store = FolderStore(root)
    with pytest.raises(ValueError, match="outside the store"):
        await store.put(path, b"{}")
    with pytest.raises(ValueError, match="outside the store"):
        await store.get(path)
    with pytest.raises(ValueError, match="outside the store"):
        store.writer(path, "text/csv")
    with pytest.raises(ValueError, match="outside the store"):
        _ = [name async for name in store.names(path)]
    assert not (tmp_path / "outside.json").exists() and list(elsewhere.iterdir()) == []


async def test_folder_store_round_trips_lists_and_writes_in_blocks(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    await put_json(store, page_path("s", "datasources", 0, 1), [{"id": "b"}])
    await put_json(store, page_path("s", "datasources", 0, 0), [{"id": "a"}])
    await store.put("sweeps/s/report.csv", b"x")
    assert await get_json(store, page_path("s", "datasources", 0, 0)) == [{"id": "a"}]
    assert await store.get("sweeps/s/missing.json") is None
    names = [name async for name in store.names("sweeps/s/pages/datasources/")]
    assert names == ["sweeps/s/pages/datasources/000-00000.json", "sweeps/s/pages/datasources/000-00001.json"]
    assert [name async for name in store.names("sweeps/nothing/")] == []
    out = store.writer(sweep_path("s", "report.json"), "application/json")
    for chunk in (b'{"a": ', b"[1, ", b"2]}"):
        await out.write(chunk)
    await out.close()
    assert await get_json(store, sweep_path("s", "report.json")) == {"a": [1, 2]}


async def test_folder_store_lists_everything_under_an_empty_prefix(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    await store.put("latest.json", b"{}")
    assert [name async for name in store.names("")] == ["latest.json"]


async def test_latest_sweep_pointer(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    assert await steps.latest_sweep(store) is None
    await steps.mark_latest(store, "sweep-1", "2026-06-01T12:03:00Z")
    await steps.mark_latest(store, "sweep-2", "2026-06-01T13:03:00Z")
    assert await steps.latest_sweep(store) == "sweep-2"
    assert await get_json(store, "latest.json") == {
        "sweepId": "sweep-2",
        "finishedAt": "2026-06-01T13:03:00Z",
    }
