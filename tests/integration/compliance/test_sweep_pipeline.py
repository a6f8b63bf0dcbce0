"""The whole sweep pipeline without the Functions host: the real emulator in process (``httpx.ASGITransport``)
seeded with ``local/cloud/seeds/compliance-tenant.yaml``, the one ARM client, a folder store; every Resource
Graph source paged, the databases listed per server, the file shares listed per account the plan names, the
policies read, then the classification, the report, the gaps document and remediation, as the sweep's
activities run them one after the other."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from local.cloud.app import create_app
from local.cloud.bulk import StorageAccountBatch, load_storage_accounts
from local.cloud.core.pipeline import ArmApp
from local.cloud.testing import client, fast_config
from shared.arm.client import ArmClient
from shared.arm.credentials import LocalCredential
from shared.arm.rate_limit import RateLimiter
from shared.compliance import shares, steps
from shared.compliance.inventory import NOTES, Source
from shared.compliance.report import CSV_COLUMNS, SCHEMA_PATH, SweepInfo
from shared.compliance.store import FolderStore, get_json, pages, pages_prefix, sweep_path
from shared.protection.messages import ProtectionRequest
from shared.protection.rules import Rules
from shared.services import recoveryservices as rs
from shared.services import resourcegraph as rg
from shared.services.recoveryservices import SHARE_TYPE
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.integration

SEED = REPO_ROOT / "local" / "cloud" / "seeds" / "compliance-tenant.yaml"
PROD = "11111111-1111-1111-1111-111111111111"
DEV = "22222222-2222-2222-2222-222222222222"
SANDBOX = "33333333-3333-3333-3333-333333333333"
DATA = f"/subscriptions/{PROD}/resourceGroups/rg-data-weu/providers"
BACKUP = f"/subscriptions/{PROD}/resourceGroups/rg-backup-weu/providers/Microsoft.DataProtection/backupVaults"
BV = f"{BACKUP}/bv-weu"
BV_LEGACY = f"{BACKUP}/bv-weu-legacy"
RSV = (
    f"/subscriptions/{PROD}/resourceGroups/rg-backup-weu/providers/Microsoft.RecoveryServices/vaults/rsv-weu"
)
KEY_VAULT = f"{DATA}/Microsoft.KeyVault/vaults/kv-contoso-pg"
SCHEMA = Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def policy(name: str, vault: str = BV) -> str:
    return f"{vault}/backupPolicies/{name}"


RULES = Rules.from_document(
    {
        "version": 1,
        "exclude": {"tags": {"backup": "exclude"}},
        "rules": [
            {
                "name": "prod-blobs",
                "match": {"resourceTypes": ["Microsoft.Storage/storageAccounts"], "subscriptions": [PROD]},
                "vault": {"id": BV, "location": "westeurope"},
                "policy": "blob-operational",
            },
            {
                "name": "prod-postgresql-single",
                "match": {
                    "resourceTypes": ["Microsoft.DBforPostgreSQL/servers/databases"],
                    "subscriptions": [PROD],
                },
                "vault": {"id": BV, "location": "westeurope"},
                "policy": "pg-weekly",
                "keyVault": {
                    "id": KEY_VAULT,
                    "secretUri": "https://kv-contoso-pg.vault.azure.net/secrets/{server}-conn",
                },
            },
            {
                "name": "prod-postgresql-flexible",
                "match": {
                    "resourceTypes": ["Microsoft.DBforPostgreSQL/flexibleServers"],
                    "subscriptions": [PROD],
                },
                "vault": {"id": BV, "location": "westeurope"},
                "policy": "pgflex-daily",
            },
            {
                "name": "prod-files",
                "match": {"resourceTypes": [SHARE_TYPE], "subscriptions": [PROD]},
                "vault": {"id": RSV, "location": "westeurope"},
                "policy": "DefaultFileSharePolicy",
            },
        ],
    },
    "compliance-tenant rules",
)


def account(name: str) -> str:
    return f"{DATA}/Microsoft.Storage/storageAccounts/{name}"


def database(server: str, name: str) -> str:
    return f"{DATA}/Microsoft.DBforPostgreSQL/servers/{server}/databases/{name}"


def flexible(name: str) -> str:
    return f"{DATA}/Microsoft.DBforPostgreSQL/flexibleServers/{name}"


def share(name: str) -> str:
    return f"{account('stfiles')}/fileServices/default/shares/{name}"


def dev(provider: str, name: str) -> str:
    return f"/subscriptions/{DEV}/resourceGroups/rg-dev/providers/{provider}/{name}"


# name -> (resource id, classification, rule): every resource the seed's header names, in this scope.
EXPECTED: dict[str, tuple[str, str, str | None]] = {
    "stprotected": (account("stprotected"), "protected", "prod-blobs"),
    "sterror": (account("sterror"), "unhealthy", "prod-blobs"),
    "ststopped": (account("ststopped"), "stopped", "prod-blobs"),
    "stsuspended": (account("stsuspended"), "suspended", "prod-blobs"),
    "stsoftdeleted": (account("stsoftdeleted"), "soft_deleted", "prod-blobs"),
    "stjobfailed": (account("stjobfailed"), "unhealthy", "prod-blobs"),
    "stdrift": (account("stdrift"), "drift", "prod-blobs"),
    "storphan": (account("storphan"), "orphaned", None),
    "stunprotected1": (account("stunprotected1"), "unprotected", "prod-blobs"),
    # BlobStorage (legacy blob-only) kind: blob backup supports standard general-purpose v2 accounts only
    "stunprotected2": (account("stunprotected2"), "unsupported", None),
    "sthns": (account("sthns"), "unsupported", None),
    "stpremium": (account("stpremium"), "unsupported", None),
    "stnfs": (account("stnfs"), "unsupported", None),
    "stexcluded": (account("stexcluded"), "excluded", None),
    # its blobs are covered by prod-blobs; its file shares (Recovery Services) by prod-files
    "stfiles": (account("stfiles"), "unprotected", "prod-blobs"),
    "finance": (share("finance"), "protected", "prod-files"),
    "hr": (share("hr"), "stopped", "prod-files"),
    "legal": (share("legal"), "unhealthy", "prod-files"),
    "projects": (share("projects"), "drift", "prod-files"),  # files-legacy, not DefaultFileSharePolicy
    "scratch": (share("scratch"), "unprotected", "prod-files"),
    "archive": (share("archive"), "orphaned", None),  # the share is gone, its protected item remains
    "orders": (database("pg-orders", "orders"), "protected", "prod-postgresql-single"),
    "billing": (database("pg-orders", "billing"), "unprotected", "prod-postgresql-single"),
    "legacy": (database("pg-legacy", "legacy"), "unprotected", "prod-postgresql-single"),
    "pgflex-crm": (flexible("pgflex-crm"), "protected", "prod-postgresql-flexible"),
    "pgflex-reports": (flexible("pgflex-reports"), "unprotected", "prod-postgresql-flexible"),
    "pgflex-scratch": (flexible("pgflex-scratch"), "excluded", None),
    "stdevscratch": (dev("Microsoft.Storage/storageAccounts", "stdevscratch"), "excluded", None),
    "pgflex-dev": (dev("Microsoft.DBforPostgreSQL/flexibleServers", "pgflex-dev"), "excluded", None),
}
UNPROTECTED = {"stunprotected1", "stfiles", "billing", "legacy", "pgflex-reports", "scratch"}


@dataclass
class Run:
    """What one pass of the pipeline produced."""

    store: FolderStore
    sweep: SweepInfo
    pages: dict[Source, list[steps.PageResult]] = field(default_factory=dict)
    servers: list[str] = field(default_factory=list)
    listed: dict[str, steps.ListResult] = field(default_factory=dict)
    share_accounts: list[str] = field(default_factory=list)
    intervals: dict[str, float | None] = field(default_factory=dict)
    summary: steps.SweepSummary = field(default_factory=steps.SweepSummary)
    report: dict[str, Any] = field(default_factory=dict)
    gaps: dict[str, Any] = field(default_factory=dict)
    csv_rows: list[list[str]] = field(default_factory=list)

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        by_name = {e["name"]: e for e in self.report["entries"]}
        assert len(by_name) == len(self.report["entries"]), "a name is reported twice"
        return by_name


async def seeded_app() -> ArmApp:
    app = create_app(fast_config())
    async with client(app) as c:
        seeded = await c.post("/_admin/seed", content=SEED.read_bytes())
        assert seeded.status_code == 200, seeded.text
    return app


def arm_client(app: ArmApp) -> ArmClient:
    return ArmClient(
        endpoint="https://management.local",
        credential=LocalCredential(),
        transport=httpx.ASGITransport(app=app),
        limiter=RateLimiter(burst=1000, reads_per_second=1000, writes_per_second=1000),
    )


async def run_pipeline(
    app: ArmApp, root: Path, sweep: SweepInfo, scopes: list[rg.GraphScope], rules: Rules = RULES
) -> Run:
    """fetch_page for every source and scope batch (on skip tokens), list_databases per server, the share
    plan and list_shares per page of each account it names, read_policy per policy, classify_sweep, then read
    back what it wrote."""
    run = Run(FolderStore(root), sweep)
    policies: set[str] = set()
    async with arm_client(app) as arm:
        for source in Source:
            run.pages[source] = []
            for batch, scope in enumerate(scopes):
                token: str | None = None
                for page in range(steps.MAX_PAGES_PER_SOURCE):
                    request = steps.PageRequest(
                        sweep.id, source, scope, batch, page, token, f"sweep:{sweep.id}"
                    )
                    result = await steps.fetch_page(arm, run.store, request)
                    assert result.error is None, result.error
                    run.pages[source].append(result)
                    run.servers.extend(result.servers)
                    policies.update(result.policies)
                    token = result.skip_token
                    if not token:
                        break
        for index, server in enumerate(run.servers):
            run.listed[server] = await steps.list_databases(
                arm, run.store, steps.ListRequest(sweep.id, server, index)
            )
        plan = await shares.plan_share_lists(run.store, rules, shares.SharePlanRequest(sweep.id))
        run.share_accounts = plan.accounts
        unlisted_accounts = await shares.list_every_share(arm, run.store, sweep.id, plan.accounts)
        assert unlisted_accounts == {}
        for policy_id in sorted(policies):
            read = await steps.read_policy(arm, steps.PolicyRequest(policy_id))
            assert read.error is None, read.error
            run.intervals[policy_id] = read.seconds
    unlisted = [s for s, listed in run.listed.items() if listed.error is not None]
    intervals = {p.lower(): s for p, s in run.intervals.items() if s}
    classify = steps.ClassifyRequest(sweep, intervals, unlisted)
    run.summary = await steps.classify_sweep(run.store, rules, classify, now=app.cloud.clock.now())
    run.report = await get_json(run.store, sweep_path(sweep.id, "report.json"))
    run.gaps = await get_json(run.store, sweep_path(sweep.id, "gaps.json"))
    text = await run.store.get(sweep_path(sweep.id, "report.csv"))
    assert text is not None
    run.csv_rows = list(csv.reader(io.StringIO(text.decode())))
    return run


def sweep_info(sweep_id: str, subscriptions: list[str], management_groups: list[str]) -> SweepInfo:
    return SweepInfo(
        id=sweep_id,
        started_at="2026-12-01T12:00:00Z",
        trigger="workstation",
        subscriptions=subscriptions,
        management_groups=management_groups,
        remediation="on",
        finished_at="2026-12-01T12:01:00Z",
        notes=[{"source": n.source, "note": n.note} for n in NOTES],
    )


@pytest.fixture(scope="module")
async def tenant() -> ArmApp:
    return await seeded_app()


@pytest.fixture(scope="module")
async def by_subscription(tenant: ArmApp, tmp_path_factory: pytest.TempPathFactory) -> Run:
    scopes = rg.batches([PROD, DEV], [])
    sweep = sweep_info("sweep-subscriptions", [PROD, DEV], [])
    return await run_pipeline(tenant, tmp_path_factory.mktemp("by-subscription"), sweep, scopes)


@pytest.fixture(scope="module")
async def by_management_group(tenant: ArmApp, tmp_path_factory: pytest.TempPathFactory) -> Run:
    scopes = rg.batches([], ["mg-prod"])
    sweep = sweep_info("sweep-mg-prod", [], ["mg-prod"])
    return await run_pipeline(tenant, tmp_path_factory.mktemp("by-management-group"), sweep, scopes)


# -- the inventory --------------------------------------------------------------------------------


async def test_each_source_is_one_page_and_the_databases_and_policies_are_read(by_subscription: Run) -> None:
    run = by_subscription
    assert [len(run.pages[s]) for s in Source] == [1, 1, 1, 1]
    rows = {s: run.pages[s][0].rows for s in Source}
    # 2 subscriptions; 14 + 1 accounts, 2 single + 4 flexible servers; 9 instances + 1 deleted and 5 protected
    # items of file shares; 4 Data Protection backup jobs and 2 Recovery Services ones (finance's, legal's)
    assert rows == {
        Source.SUBSCRIPTIONS: 2,
        Source.DATASOURCES: 21,
        Source.BACKUP_INSTANCES: 15,
        Source.BACKUP_JOBS: 6,
    }
    quota = [q for s in Source if (q := run.pages[s][0].quota.remaining) is not None]
    assert len(quota) == 4 and quota == sorted(quota, reverse=True)  # each page spends one query
    # the shares of every production account prod-files can match are listed (one call each): not the
    # excluded one, not the premium block blob one (no file service), not the dev ones (no share rule)
    listed = {a.rsplit("/", 1)[-1] for a in run.share_accounts}
    accounts = {n for n, (rid, _, _) in EXPECTED.items() if rid == account(n) and n != "storphan"}
    assert listed == accounts - {"stexcluded", "stpremium"} and len(run.share_accounts) == 12
    assert sorted(run.servers) == [
        f"{DATA}/Microsoft.DBforPostgreSQL/servers/{s}" for s in ("pg-legacy", "pg-orders")
    ]
    assert {s.rsplit("/", 1)[-1]: r.databases for s, r in run.listed.items()} == {
        "pg-orders": 2,
        "pg-legacy": 1,
    }
    assert run.intervals == {
        policy("blob-operational"): None,  # operational tier: continuous, no schedule
        policy("blob-legacy", BV_LEGACY): None,
        policy("pg-weekly"): 7 * 86400.0,
        policy("pgflex-daily"): 12 * 3600.0,
        policy("DefaultFileSharePolicy", RSV): 86400.0,  # Recovery Services: scheduleRunFrequency Daily
        policy("files-legacy", RSV): 86400.0,
    }


async def test_staged_pages_are_the_reduced_rows(by_subscription: Run) -> None:
    staged = [
        row
        async for page in pages(by_subscription.store, pages_prefix("sweep-subscriptions", "backupJobs"))
        for row in page
    ]
    assert {tuple(sorted(r)) for r in staged} == {
        ("datasource", "endTime", "errorDetails", "startTime", "status"),  # Data Protection jobs
        ("endTime", "errorDetails", "job", "startTime", "status"),  # Recovery Services: vault|account|share
    }
    assert sorted(r["datasource"].rsplit("/", 1)[-1] for r in staged if "datasource" in r) == [
        "orders",
        "stjobfailed",
        "stjobfailed",
        "stprotected",
    ]
    assert sorted(r["job"].rsplit("|", 1)[-1] for r in staged if "job" in r) == ["finance", "legal"]


# -- the classification of every resource ---------------------------------------------------------


@pytest.mark.parametrize("name", list(EXPECTED))
async def test_every_resource_of_the_seed_is_classified(by_subscription: Run, name: str) -> None:
    resource_id, classification, rule = EXPECTED[name]
    got = by_subscription.entries[name]
    assert (got["resourceId"], got["classification"], got["rule"]) == (resource_id, classification, rule)
    assert got["gap"] is (classification not in ("protected", "excluded", "unsupported"))


async def test_nothing_else_is_reported_and_out_of_scope_is_absent(by_subscription: Run) -> None:
    run = by_subscription
    assert set(run.entries) == set(EXPECTED)
    assert run.summary.total == len(EXPECTED) == 29
    assert "stsandbox" not in run.entries  # subscription 3333 is out of scope
    assert all(SANDBOX not in e["resourceId"] for e in run.report["entries"])
    # servers are listed for their databases, never reported; shares are reported as the file_share kind
    assert not [e for e in run.report["entries"] if e["resourceId"].endswith(("/pg-orders", "/pg-legacy"))]
    assert not [e for e in run.report["entries"] if "kv-" in e["resourceId"]]
    shares_seen = [e for e in run.report["entries"] if "/fileServices/" in e["resourceId"]]
    assert {e["kind"] for e in shares_seen} == {"file_share"} and len(shares_seen) == 6
    notes = " ".join(n["note"] for n in run.report["sweep"]["notes"])
    assert "file shares are not indexed by Resource Graph" in notes and "not covered" not in notes


async def test_what_the_vault_reports_is_carried_verbatim(by_subscription: Run) -> None:
    entries = by_subscription.entries
    error = entries["sterror"]["error"]
    assert error == {
        "code": "UserErrorMissingRequiredPermissions",
        "message": "Appropriate permissions to perform the operation is missing.",
        "recommendedAction": [
            "Grant appropriate permissions to perform this operation as mentioned at "
            "https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation."
        ],
    }
    assert entries["sterror"]["recommendedAction"] == error["recommendedAction"]
    failed = entries["stjobfailed"]
    assert failed["error"] == {
        "code": "UserErrorStorageAccountNotFound",
        "message": "The storage account could not be reached to take the backup.",
        "recommendedAction": [
            "Check that the storage account exists and the Backup vault can reach it, then retry."
        ],
    }
    assert failed["lastBackup"]["status"] == "Failed"  # the latest of its two jobs (Completed 30 h ago)
    assert failed["protectionState"] == "ProtectionConfigured"
    assert entries["stsuspended"]["protectionState"] == "BackupSchedulesSuspended"
    assert entries["stsoftdeleted"]["backupInstanceId"] == f"{BV}/deletedBackupInstances/bi-stsoftdeleted"
    assert entries["stprotected"]["lastBackup"]["status"] == "Completed"
    assert entries["orders"]["lastBackup"]["status"] == "Completed"


async def test_drift_names_both_vaults_and_policies(by_subscription: Run) -> None:
    drift = by_subscription.entries["stdrift"]
    assert (drift["vaultId"], drift["policyId"]) == (BV_LEGACY, policy("blob-legacy", BV_LEGACY))
    assert (drift["expectedVaultId"], drift["expectedPolicyId"]) == (BV, policy("blob-operational"))
    for text in (BV_LEGACY, policy("blob-legacy", BV_LEGACY), BV, policy("blob-operational"), "prod-blobs"):
        assert text in drift["reason"]


async def test_the_orphan_is_the_instance_left_by_a_deleted_account(by_subscription: Run) -> None:
    orphans = [e for e in by_subscription.report["entries"] if e["classification"] == "orphaned"]
    assert [o["name"] for o in orphans] == ["storphan", "archive"]
    gone = orphans[0]
    assert gone["backupInstanceId"] == f"{BV}/backupInstances/bi-storphan"
    assert (gone["vaultId"], gone["policyId"], gone["kind"]) == (BV, policy("blob-operational"), "blob")
    assert (gone["subscriptionId"], gone["resourceGroup"]) == (PROD, "rg-data-weu")


async def test_file_shares_are_classified_from_their_protected_items(by_subscription: Run) -> None:
    entries = by_subscription.entries
    item = f"{RSV}/backupFabrics/Azure/protectionContainers/StorageContainer;Storage;rg-data-weu;stfiles"
    finance = entries["finance"]
    assert (finance["vaultId"], finance["policyId"]) == (RSV, f"{RSV}/backupPolicies/DefaultFileSharePolicy")
    assert finance["backupInstanceId"] == f"{item}/protectedItems/AzureFileShare;finance"
    assert (finance["protectionState"], finance["lastBackup"]["status"]) == ("Protected", "Completed")
    assert (finance["location"], finance["resourceGroup"]) == ("westeurope", "rg-data-weu")  # the account's
    drift = entries["projects"]
    assert (drift["vaultId"], drift["policyId"]) == (RSV, f"{RSV}/backupPolicies/files-legacy")
    assert drift["expectedPolicyId"] == f"{RSV}/backupPolicies/DefaultFileSharePolicy"
    assert "files-legacy" in drift["reason"] and "DefaultFileSharePolicy" in drift["reason"]
    legal = entries["legal"]
    assert legal["protectionState"] == "ProtectionError" and legal["lastBackup"]["status"] == "Failed"
    # the error of its failed backup job (an AzureStorageJob in Resource Graph), verbatim
    message = "The file share snapshot could not be taken because the share limit was reached."
    assert legal["error"] == {
        "code": "400",
        "message": message,
        "recommendedAction": ["Delete older snapshots of the file share, then retry the backup."],
    }
    assert legal["reason"] == f"protection state ProtectionError: 400: {message}"
    assert entries["hr"]["protectionState"] == "ProtectionStopped"  # stopped first, though its policy drifts
    gone = entries["archive"]
    assert gone["backupInstanceId"] == f"{item}/protectedItems/AzureFileShare;archive"
    assert (gone["kind"], gone["resourceType"], gone["subscriptionId"]) == ("file_share", SHARE_TYPE, PROD)
    scratch = entries["scratch"]
    assert (scratch["expectedVaultId"], scratch["vaultId"]) == (RSV, None)


async def test_databases_take_their_servers_place_and_the_rule_names_the_vault(by_subscription: Run) -> None:
    entries = by_subscription.entries
    for name in ("orders", "billing", "legacy"):
        got = entries[name]
        assert (got["kind"], got["resourceType"], got["location"], got["resourceGroup"]) == (
            "postgresql",
            "Microsoft.DBforPostgreSQL/servers/databases",
            "westeurope",
            "rg-data-weu",
        )
        assert (got["expectedVaultId"], got["expectedPolicyId"]) == (BV, policy("pg-weekly"))
    assert entries["pgflex-reports"]["expectedPolicyId"] == policy("pgflex-daily")
    assert entries["stdevscratch"]["reason"] == "no rule covers this resource"
    assert (
        entries["stexcluded"]["reason"]
        == entries["pgflex-scratch"]["reason"]
        == "excluded by tag backup=exclude"
    )
    assert "NFS 3.0" in entries["stnfs"]["reason"] and "hierarchical namespace" in entries["sthns"]["reason"]
    assert (
        "kind BlobStorage" in entries["stunprotected2"]["reason"]
        and "premium" in entries["stpremium"]["reason"]
    )


# -- the documents --------------------------------------------------------------------------------


async def test_the_report_validates_and_its_summary_counts_every_entry(by_subscription: Run) -> None:
    report = by_subscription.report
    assert list(SCHEMA.iter_errors(report)) == []
    counts: dict[str, int] = {}
    for _, classification, _ in EXPECTED.values():
        counts[classification] = counts.get(classification, 0) + 1
    summary = report["summary"]
    assert {k: v for k, v in summary["byClassification"].items() if v} == counts
    assert summary["total"] == 29 and summary["gaps"] == 17
    kinds = {k["kind"]: k["counts"] for k in summary["byKind"]}
    assert by_subscription.summary == steps.SweepSummary(29, 17, counts, kinds)
    assert [
        (s["subscriptionId"], s["displayName"], sum(s["counts"].values())) for s in summary["bySubscription"]
    ] == [
        (PROD, "Contoso Production", 27),
        (DEV, "Contoso Dev", 2),
    ]
    by_kind = {k["kind"]: sum(k["counts"].values()) for k in summary["byKind"]}
    assert by_kind == {"blob": 16, "postgresql": 3, "postgresql_flexible": 4, "file_share": 6}
    assert report["sweep"]["scope"] == {"subscriptions": [PROD, DEV], "managementGroups": []}


async def test_the_gaps_document_holds_exactly_the_gaps(by_subscription: Run) -> None:
    gaps = by_subscription.gaps
    assert list(SCHEMA.iter_errors(gaps)) == []
    assert (
        gaps["summary"] == by_subscription.report["summary"]
        and gaps["sweep"] == by_subscription.report["sweep"]
    )
    assert gaps["gaps"] == [e for e in by_subscription.report["entries"] if e["gap"]]
    expected = {n for n, (_, c, _) in EXPECTED.items() if c not in ("protected", "excluded", "unsupported")}
    assert {g["name"] for g in gaps["gaps"]} == expected
    assert {g["name"] for g in gaps["gaps"] if g["classification"] == "unprotected"} == UNPROTECTED


async def test_the_csv_has_one_row_per_entry(by_subscription: Run) -> None:
    header, *rows = by_subscription.csv_rows
    assert header == list(CSV_COLUMNS) and len(rows) == 29
    assert [r[0] for r in rows] == [e["resourceId"] for e in by_subscription.report["entries"]]
    by_id = {r[0]: dict(zip(CSV_COLUMNS, r, strict=True)) for r in rows}
    assert by_id[account("stjobfailed")]["errorCode"] == "UserErrorStorageAccountNotFound"


async def test_remediation_sends_exactly_the_unprotected(by_subscription: Run) -> None:
    sent: list[tuple[ProtectionRequest, int]] = []

    async def send(text: str, delay: int) -> None:
        sent.append((ProtectionRequest.from_dict(text), delay))

    request = steps.RemediateRequest("sweep-subscriptions", "on", 2.0)
    result = await steps.remediate(by_subscription.store, request, send)
    ids = {EXPECTED[n][0].lower() for n in UNPROTECTED}
    assert {r.datasource_id.lower() for r, _ in sent} == ids and len(sent) == 6
    assert all(r.origin == "sweep" and r.correlation_id == "sweep:sweep-subscriptions" for r, _ in sent)
    assert sorted(d for _, d in sent) == [0, 0, 1, 1, 2, 2]  # six in subscription 1111, two a second
    assert result == steps.RemediationResult("on", 6, 2.5)
    (share_request,) = [r for r, _ in sent if r.resource_type == SHARE_TYPE]
    assert share_request.datasource_id == share("scratch")


# -- a management group scope ---------------------------------------------------------------------


async def test_a_management_group_scope_covers_its_subscription_only(
    by_management_group: Run, by_subscription: Run
) -> None:
    run = by_management_group
    assert list(SCHEMA.iter_errors(run.report)) == []
    assert {e["subscriptionId"] for e in run.report["entries"]} == {PROD}
    assert [s["subscriptionId"] for s in run.report["summary"]["bySubscription"]] == [PROD]
    assert run.report["sweep"]["scope"] == {"subscriptions": [], "managementGroups": ["mg-prod"]}
    assert run.pages[Source.SUBSCRIPTIONS][0].rows == 1
    production = {n for n, (rid, _, _) in EXPECTED.items() if f"/subscriptions/{PROD}/" in rid}
    assert set(run.entries) == production and "stdevscratch" not in run.entries
    assert {n: e["classification"] for n, e in run.entries.items()} == {
        n: by_subscription.entries[n]["classification"] for n in production
    }
    assert {g["name"] for g in run.gaps["gaps"] if g["classification"] == "unprotected"} == UNPROTECTED


async def test_a_subscription_inside_a_management_group_of_the_scope_is_reported_once(
    tenant: ArmApp, tmp_path: Path
) -> None:
    scopes = rg.batches([PROD], ["mg-prod"])
    run = await run_pipeline(tenant, tmp_path, sweep_info("sweep-both", [PROD], ["mg-prod"]), scopes)
    ids = [e["resourceId"].lower() for e in run.report["entries"]]
    assert len(ids) == len(set(ids)) == 27


# -- paging ---------------------------------------------------------------------------------------


@pytest.fixture
async def bulk_tenant() -> AsyncIterator[tuple[ArmApp, str]]:
    app = create_app(fast_config())
    loaded = load_storage_accounts(app.cloud, StorageAccountBatch(subscriptions=1, per_subscription=2500))
    (subscription,) = loaded.subscriptions
    assert loaded.accounts == 2500
    yield app, subscription


async def test_two_thousand_five_hundred_accounts_page_in_three_and_are_all_classified(
    bulk_tenant: tuple[ArmApp, str], tmp_path: Path
) -> None:
    app, subscription = bulk_tenant
    group = f"/subscriptions/{subscription}/resourceGroups/rg-backup"
    vault = f"{group}/providers/Microsoft.DataProtection/backupVaults/bv"
    rules = Rules.from_document(
        {
            "version": 1,
            "rules": [
                {
                    "name": "bulk-blobs",
                    "match": {"resourceTypes": ["Microsoft.Storage/storageAccounts"]},
                    "vault": {"id": vault, "location": "westeurope"},
                    "policy": "blob-operational",
                }
            ],
        }
    )
    sweep = sweep_info("sweep-bulk", [subscription], [])
    run = await run_pipeline(app, tmp_path, sweep, rg.batches([subscription], []), rules)
    datasource_pages = run.pages[Source.DATASOURCES]
    assert [p.rows for p in datasource_pages] == [1000, 1000, 500]
    tokens = [p.skip_token for p in datasource_pages]
    assert tokens[0] and tokens[1] and tokens[0] != tokens[1] and tokens[2] is None
    staged = [name async for name in run.store.names(pages_prefix("sweep-bulk", "datasources"))]
    assert [n.rsplit("/", 1)[-1] for n in staged] == ["000-00000.json", "000-00001.json", "000-00002.json"]
    assert run.summary.total == 2500 and run.summary.by_classification == {"unprotected": 2500}
    ids = {e["resourceId"] for e in run.report["entries"]}
    assert len(ids) == len(run.report["entries"]) == 2500
    assert len(run.gaps["gaps"]) == 2500 and len(run.csv_rows) == 2501
    assert run.report["summary"]["bySubscription"] == [
        {"subscriptionId": subscription, "displayName": "Bulk 1", "counts": {"unprotected": 2500}}
    ]


async def test_an_account_of_two_thousand_and_one_shares_is_listed_in_three_pages(tmp_path: Path) -> None:
    app = create_app(fast_config())
    batch = StorageAccountBatch(subscriptions=1, per_subscription=2)  # no shares, no share rule
    (subscription,) = load_storage_accounts(app.cloud, batch).subscriptions
    many = StorageAccountBatch(1, 1, resource_group="rg-files", name_prefix="sf", shares_per_account=2001)
    load_storage_accounts(app.cloud, many)
    vault = f"/subscriptions/{subscription}/resourceGroups/rg-backup/providers/{rs.VAULT_TYPE}/rsv"
    rules = Rules.from_document(
        {
            "version": 1,
            "rules": [
                {
                    "name": "files",
                    "match": {"resourceTypes": [SHARE_TYPE], "resourceGroups": ["rg-files"]},
                    "vault": {"id": vault, "location": "westeurope"},
                    "policy": "DefaultFileSharePolicy",
                }
            ],
        }
    )
    sweep = sweep_info("sweep-shares", [subscription], [])
    run = await run_pipeline(app, tmp_path, sweep, rg.batches([subscription], []), rules)
    (account_id,) = run.share_accounts  # only the account the share rule can match is listed
    assert account_id.endswith(
        "/resourceGroups/rg-files/providers/Microsoft.Storage/storageAccounts/sf0001000000"
    )
    staged = [name async for name in run.store.names(pages_prefix("sweep-shares", shares.SHARES))]
    assert [n.rsplit("/", 1)[-1] for n in staged] == ["000-00000.json", "000-00001.json", "000-00002.json"]
    entries = [e for e in run.report["entries"] if e["kind"] == "file_share"]
    assert len(entries) == len({e["resourceId"] for e in entries}) == 2001
    assert {e["classification"] for e in entries} == {"unprotected"}
    assert {e["expectedVaultId"] for e in entries} == {vault}
    assert run.summary.by_kind == {"blob": {"excluded": 3}, "file_share": {"unprotected": 2001}}
