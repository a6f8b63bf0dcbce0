"""Classification of Azure file shares from hand-built inputs, in the shapes a sweep builds them: shares as
``list_shares`` stages them (no location or tags: their storage account's), protected items as
``reduce_row(Source.BACKUP_INSTANCES, ...)`` makes them from ``RecoveryServicesResources`` rows
(``AzureFileshareProtectedItem`` properties of ``bms.json``), and which accounts a sweep lists at all."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.compliance.classify import (
    Classification,
    Entry,
    Facts,
    classify,
    item_last_backup,
    newest_backup,
    orphan,
)
from shared.compliance.inventory import Source, query_of, reduce_row, share_key
from shared.compliance.shares import (
    ACCOUNTS,
    SharePlanRequest,
    account_of_share,
    plan_share_lists,
    rules_cover_shares,
    share_rule_can_match,
)
from shared.compliance.steps import rs_schedule_interval
from shared.compliance.store import FolderStore, get_json, page_path, put_json
from shared.protection.rules import Rules
from shared.services.recoveryservices import SHARE_TYPE

SUB = "0000aaaa-0000-4000-8000-00000000aaaa"
DATA = f"/subscriptions/{SUB}/resourceGroups/rg-data"
BACKUP = f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults"
RSV = f"{BACKUP}/rsv-main"
RSV_OTHER = f"{BACKUP}/rsv-other"
ACCOUNT = f"{DATA}/providers/Microsoft.Storage/storageAccounts/stfiles"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ITEM_TYPE = "microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems"
RULES = Rules.from_document(
    {
        "version": 1,
        "exclude": {"tags": {"backup": "exclude"}},
        "rules": [
            {
                "name": "shares-main",
                "match": {"resourceTypes": [SHARE_TYPE], "subscriptions": [SUB]},
                "vault": {"id": RSV, "location": "westeurope"},
                "policy": "daily-shares",
            }
        ],
    },
    "test",
)


def policy(name: str, vault: str = RSV) -> str:
    return f"{vault}/backupPolicies/{name}"


def account_row(**changes: Any) -> dict[str, Any]:
    """The storage account as Resource Graph lists it (what the plan and the shares' location come from)."""
    return {
        "id": ACCOUNT,
        "name": "stfiles",
        "type": "microsoft.storage/storageaccounts",
        "kind": "StorageV2",
        "location": "westeurope",
        "resourceGroup": "rg-data",
        "subscriptionId": SUB,
        "tags": {},
        **changes,
    }


def share(name: str, protocols: str = "SMB") -> dict[str, Any]:
    return {
        "id": f"{ACCOUNT}/fileServices/default/shares/{name}",
        "name": name,
        "type": SHARE_TYPE,
        "subscriptionId": SUB,
        "parent": ACCOUNT.lower(),
        "properties": {"enabledProtocols": protocols, "shareQuota": 100},
    }


def item(name: str, state: str, *, vault: str = RSV, policy_name: str = "daily-shares", **props: Any) -> Any:
    """A protected item row of ``RecoveryServicesResources``, reduced as the sweep keeps it."""
    container = f"{vault}/backupFabrics/Azure/protectionContainers/StorageContainer;Storage;rg-data;stfiles"
    row = {
        "id": f"{container}/protectedItems/AzureFileShare;{name}",
        "name": f"AzureFileShare;{name}",
        "type": ITEM_TYPE,
        "properties": {
            "protectedItemType": "AzureFileShareProtectedItem",
            "backupManagementType": "AzureStorage",
            "workloadType": "AzureFileShare",
            "friendlyName": name,
            "sourceResourceId": ACCOUNT,
            "policyId": policy(policy_name, vault),
            "protectionState": state,
            "protectionStatus": "Healthy",
            "lastBackupStatus": "Completed",
            "lastBackupTime": "2026-06-01T02:00:00Z",
            **props,
        },
    }
    return reduce_row(Source.BACKUP_INSTANCES, row)


def judge(resource: Mapping[str, Any], *items: Mapping[str, Any], account: Any = None) -> Entry:
    last = item_last_backup(items[0]) if items else None
    facts = Facts(list(items), last, {}, NOW)
    return classify(resource, RULES, facts, account if account is not None else account_row())


def test_a_protected_item_is_the_protection_of_the_share_it_names() -> None:
    reduced = item("Finance", "Protected")
    assert (
        reduced["datasource"]
        == share_key(ACCOUNT, "finance")
        == f"{ACCOUNT.lower()}/fileservices/default/shares/finance"
    )
    assert reduced["datasourceId"] == f"{ACCOUNT}/fileServices/default/shares/Finance"
    assert reduced["vaultId"] == RSV and reduced["policyId"] == policy("daily-shares")
    assert account_of_share(reduced["datasource"]) == ACCOUNT.lower()
    # an item without its account or share name protects nothing a sweep can place
    bare = {"id": "x", "type": ITEM_TYPE, "properties": {"friendlyName": "a"}}
    assert reduce_row(Source.BACKUP_INSTANCES, bare) is None


def test_the_protection_queries_read_the_azure_storage_items_and_jobs_with_the_backup_instances() -> None:
    instances = query_of(Source.BACKUP_INSTANCES)
    assert instances.startswith("RecoveryServicesResources | where type in~ (")
    storage = "tostring(properties.backupManagementType) =~ 'AzureStorage'"
    assert f"or (type =~ '{ITEM_TYPE}' and {storage})" in instances
    assert instances.endswith("| project id, name, type, properties")
    jobs = query_of(Source.BACKUP_JOBS)
    assert "properties.operationCategory =~ 'Backup'" in jobs  # Data Protection jobs
    assert f"{storage} and tostring(properties.operation) =~ 'Backup'" in jobs
    assert jobs.endswith("| project id, type, properties")


def test_no_item_and_a_rule_is_unprotected_with_the_rules_vault_and_policy() -> None:
    entry = judge(share("scratch"))
    assert (entry.classification, entry.rule, entry.kind) == (
        Classification.UNPROTECTED,
        "shares-main",
        "file_share",
    )
    assert (entry.expected_vault_id, entry.expected_policy_id) == (RSV, policy("daily-shares"))
    assert (entry.location, entry.resource_group, entry.resource_type) == (
        "westeurope",
        "rg-data",
        SHARE_TYPE,
    )


def test_protected_and_irpending_are_protected() -> None:
    protected = judge(share("finance"), item("finance", "Protected"))
    assert protected.classification is Classification.PROTECTED
    assert protected.backup_instance_id and protected.backup_instance_id.endswith("AzureFileShare;finance")
    assert protected.last_backup == {
        "status": "Completed",
        "startTime": "2026-06-01T02:00:00Z",
        "endTime": "2026-06-01T02:00:00Z",
    }
    pending = judge(share("new"), item("new", "IRPending", lastBackupStatus="", lastBackupTime=None))
    assert pending.classification is Classification.PROTECTED and pending.last_backup is None
    assert "the first backup has not run yet" in pending.reason


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("ProtectionStopped", Classification.STOPPED),
        ("ProtectionPaused", Classification.SUSPENDED),
        ("BackupsSuspended", Classification.SUSPENDED),
        ("ProtectionError", Classification.UNHEALTHY),
        ("Invalid", Classification.UNHEALTHY),
        ("SomethingNew", Classification.UNHEALTHY),  # an open set: named in the reason
    ],
)
def test_the_protection_state_decides_first(state: str, expected: Classification) -> None:
    entry = judge(share("s"), item("s", state, policy_name="other"))  # its policy drifts, the state wins
    assert entry.classification is expected and entry.protection_state == state
    assert state in entry.reason


def test_another_policy_or_vault_is_drift_with_both_named() -> None:
    entry = judge(share("projects"), item("projects", "Protected", policy_name="legacy-shares"))
    assert entry.classification is Classification.DRIFT
    assert (entry.policy_id, entry.expected_policy_id) == (policy("legacy-shares"), policy("daily-shares"))
    assert policy("legacy-shares") in entry.reason and policy("daily-shares") in entry.reason
    other = judge(share("p"), item("p", "Protected", vault=RSV_OTHER))
    assert other.classification is Classification.DRIFT and other.vault_id == RSV_OTHER
    # the policy id as the service spells it (/Subscriptions/...) is the same policy
    same = item("q", "Protected")
    same["policyId"] = same["policyId"].replace("/subscriptions/", "/Subscriptions/")
    assert judge(share("q"), same).classification is Classification.PROTECTED


def test_a_failed_last_backup_is_unhealthy() -> None:
    entry = judge(share("legal"), item("legal", "Protected", lastBackupStatus="Failed"))
    assert entry.classification is Classification.UNHEALTHY
    assert entry.last_backup and entry.last_backup["status"] == "Failed"
    assert entry.error and entry.error["code"] == "BackupJobFailed"


def test_an_unhealthy_kpi_is_unhealthy_with_its_details_verbatim() -> None:
    kpis = {
        "BackupHealth": {
            "resourceHealthStatus": "PersistentUnhealthy",
            "resourceHealthDetails": [
                {
                    "code": 400201,
                    "title": "SnapshotLimitReached",
                    "message": "The share has reached its snapshot limit.",
                    "recommendations": ["Delete older snapshots of the share."],
                }
            ],
        }
    }
    entry = judge(share("legal"), item("legal", "Protected", kpisHealths=kpis))
    assert entry.classification is Classification.UNHEALTHY
    assert entry.error == {
        "code": "400201",
        "message": "The share has reached its snapshot limit.",
        "recommendedAction": ["Delete older snapshots of the share."],
    }
    assert entry.recommended_action == ["Delete older snapshots of the share."]
    assert "BackupHealth is PersistentUnhealthy" in entry.reason
    # the same KPI names why a share in ProtectionError is unhealthy
    failing = judge(share("legal"), item("legal", "ProtectionError", kpisHealths=kpis))
    assert failing.error == entry.error and "ProtectionError" in failing.reason


def test_a_protection_status_other_than_healthy_is_unhealthy() -> None:
    entry = judge(share("s"), item("s", "Protected", protectionStatus="Unhealthy"))
    assert entry.classification is Classification.UNHEALTHY
    assert entry.error and entry.error["code"] == "ProtectionStatusUnhealthy"
    healthy_kpi = {"BackupHealth": {"resourceHealthStatus": "Healthy", "resourceHealthDetails": []}}
    assert judge(share("s"), item("s", "Protected", kpisHealths=healthy_kpi)).classification is (
        Classification.PROTECTED
    )


def test_nfs_shares_are_unsupported_and_excluded_accounts_exclude_their_shares() -> None:
    assert judge(share("nfs", "NFS")).classification is Classification.UNSUPPORTED
    excluded = judge(share("s"), account=account_row(tags={"backup": "exclude"}))
    assert excluded.classification is Classification.EXCLUDED and "backup=exclude" in excluded.reason


def test_an_item_whose_share_is_gone_is_an_orphan() -> None:
    entry = orphan(item("archive", "Protected"))
    assert entry.classification is Classification.ORPHANED
    assert (entry.resource_id, entry.kind, entry.name) == (
        f"{ACCOUNT}/fileServices/default/shares/archive",
        "file_share",
        "archive",
    )
    assert (entry.subscription_id, entry.resource_group, entry.vault_id) == (SUB, "rg-data", RSV)


def test_which_accounts_have_their_shares_listed() -> None:
    assert share_rule_can_match(RULES, account_row())
    assert not share_rule_can_match(RULES, account_row(tags={"backup": "exclude"}))
    assert not share_rule_can_match(RULES, account_row(kind="BlockBlobStorage"))  # no file service
    other = ACCOUNT.replace(SUB, "0000bbbb-0000-4000-8000-00000000bbbb")
    assert not share_rule_can_match(RULES, account_row(id=other))  # no share rule covers its subscription
    # covered, but no vault in its region: listed (its shares are gaps the report must show)
    assert share_rule_can_match(RULES, account_row(location="northeurope"))
    assert judge(share("s"), account=account_row(location="northeurope")).classification is (
        Classification.UNPROTECTED
    )


def share_job(name: str, status: str, start: str, end: str | None, errors: Any = None) -> Any:
    """A Recovery Services ``AzureStorageJob`` row (``backupJobs``), reduced: it names its share by vault,
    storage account name and share name."""
    row = {
        "id": f"{RSV}/backupJobs/00000000-0000-0000-0000-00000000000{len(name)}",
        "type": "microsoft.recoveryservices/vaults/backupjobs",
        "properties": {
            "jobType": "AzureStorageJob",
            "backupManagementType": "AzureStorage",
            "operation": "Backup",
            "entityFriendlyName": name,
            "storageAccountName": "stfiles",
            "status": status,
            "startTime": start,
            "endTime": end,
            "errorDetails": errors,
        },
    }
    return reduce_row(Source.BACKUP_JOBS, row)


FAILED = [
    {
        "errorCode": 400,
        "errorString": "The file share snapshot could not be taken.",
        "recommendations": ["Delete older snapshots, then retry."],
    }
]


def test_a_job_names_the_share_as_its_protected_item_does() -> None:
    job = share_job("Legal", "Failed", "2026-06-01T03:00:00Z", "2026-06-01T03:05:00Z", FAILED)
    assert job["job"] == item("legal", "Protected")["jobKey"]
    assert job["job"] != item("finance", "Protected")["jobKey"]


def test_a_failed_job_gives_its_error_verbatim() -> None:
    protected = item("legal", "Protected", lastBackupStatus="Failed", lastBackupTime="2026-06-01T03:00:00Z")
    job = share_job("legal", "Failed", "2026-06-01T03:00:00Z", "2026-06-01T03:05:00Z", FAILED)
    last = newest_backup(item_last_backup(protected), job)
    assert last is job
    entry = classify(share("legal"), RULES, Facts([protected], last, {}, NOW), account_row())
    assert entry.classification is Classification.UNHEALTHY
    assert entry.error == {
        "code": "400",
        "message": "The file share snapshot could not be taken.",
        "recommendedAction": ["Delete older snapshots, then retry."],
    }
    failing = item("legal", "ProtectionError")
    in_error = classify(share("legal"), RULES, Facts([failing], job, {}, NOW), account_row())
    assert in_error.error == entry.error and in_error.reason.startswith(
        "protection state ProtectionError: 400"
    )


def test_a_backup_the_item_reports_after_the_last_job_wins() -> None:
    protected = item(
        "legal", "Protected", lastBackupStatus="Completed", lastBackupTime="2026-06-01T09:00:00Z"
    )
    old_failure = share_job("legal", "Failed", "2026-05-31T03:00:00Z", "2026-05-31T03:05:00Z", FAILED)
    last = newest_backup(item_last_backup(protected), old_failure)
    assert last == item_last_backup(protected)
    assert judge(share("legal"), protected).classification is Classification.PROTECTED
    assert newest_backup(None, old_failure) is old_failure


@pytest.mark.parametrize(
    ("schedule", "seconds"),
    [
        ({"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily"}, 86400.0),
        ({"scheduleRunFrequency": "Weekly", "scheduleRunDays": ["Sunday"]}, 7 * 86400.0),
        ({"scheduleRunFrequency": "Weekly", "scheduleWeeklyFrequency": 2}, 14 * 86400.0),
        ({"scheduleRunFrequency": "Hourly", "hourlySchedule": {"interval": 4}}, 4 * 3600.0),
        ({"schedulePolicyType": "SimpleSchedulePolicyV2", "scheduleRunFrequency": "Hourly"}, None),
        ({"scheduleRunFrequency": "Invalid"}, None),
        ({}, None),
    ],
)
def test_a_recovery_services_policy_backs_up_at_its_schedules_interval(
    schedule: dict[str, Any], seconds: float | None
) -> None:
    policy_body = {"properties": {"backupManagementType": "AzureStorage", "schedulePolicy": schedule}}
    assert rs_schedule_interval(policy_body) == seconds


def test_a_share_whose_last_backup_is_older_than_twice_its_policys_interval_is_overdue() -> None:
    late = item("s", "Protected", lastBackupTime="2026-05-29T12:00:00Z")  # 72 h before NOW
    intervals = {policy("daily-shares").lower(): 86400.0}
    entry = classify(share("s"), RULES, Facts([late], item_last_backup(late), intervals, NOW), account_row())
    assert entry.classification is Classification.UNHEALTHY
    assert entry.error and entry.error["code"] == "BackupOverdue"
    assert "72.0 h ago" in entry.reason and "every 24 h" in entry.reason
    recent = item("s", "Protected", lastBackupTime="2026-05-31T12:00:00Z")  # 24 h: not overdue
    facts = Facts([recent], item_last_backup(recent), intervals, NOW)
    assert classify(share("s"), RULES, facts, account_row()).classification is Classification.PROTECTED


BLOB_ONLY = Rules.from_document(
    {
        "version": 1,
        "rules": [
            {
                "name": "blobs",
                "match": {"resourceTypes": ["Microsoft.Storage/storageAccounts"]},
                "vault": {
                    "id": f"{DATA}/providers/Microsoft.DataProtection/backupVaults/bv",
                    "location": "westeurope",
                },
                "policy": "blob-daily",
            }
        ],
    },
    "test",
)


def test_rules_cover_shares_when_a_recovery_services_rule_names_shares_or_no_type() -> None:
    assert rules_cover_shares(RULES) and not rules_cover_shares(BLOB_ONLY)
    untyped = {"name": "all", "vault": {"id": RSV, "location": "westeurope"}, "policy": "p"}
    assert rules_cover_shares(Rules.from_document({"version": 1, "rules": [untyped]}, "test"))


async def test_the_plan_lists_the_accounts_a_rule_can_match_or_an_item_names(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    other = account_row(
        id=f"{DATA}/providers/Microsoft.Storage/storageAccounts/stother", tags={"backup": "exclude"}
    )
    await put_json(store, page_path("s1", Source.DATASOURCES.value, 0, 0), [account_row(), other])
    await put_json(
        store, page_path("s1", Source.DATASOURCES.value, 1, 0), [account_row()]
    )  # overlapping scope
    plan = await plan_share_lists(store, RULES, SharePlanRequest("s1"))
    assert plan.accounts == [ACCOUNT]  # once; the excluded one is not listed
    staged = await get_json(store, page_path("s1", ACCOUNTS, 0, 0))
    assert staged == [
        {k: account_row()[k] for k in ("id", "location", "tags", "subscriptionId", "resourceGroup")}
    ]
    # a protected item names the excluded account: its shares are listed to tell protected from orphaned
    named = item("archive", "Protected")
    named["datasource"] = share_key(other["id"], "archive")
    await put_json(store, page_path("s1", Source.BACKUP_INSTANCES.value, 0, 0), [named])
    assert (await plan_share_lists(store, RULES, SharePlanRequest("s1"))).accounts == [ACCOUNT, other["id"]]


async def test_without_a_share_rule_or_a_protected_share_the_plan_reads_no_datasource_page(
    tmp_path: Path,
) -> None:
    store = FolderStore(tmp_path)
    await put_json(store, page_path("s2", Source.DATASOURCES.value, 0, 0), [account_row()])
    read: list[str] = []
    get = store.get

    async def counting(path: str) -> bytes | None:
        read.append(path)
        return await get(path)

    store.get = counting  # type: ignore[method-assign]
    assert (await plan_share_lists(store, BLOB_ONLY, SharePlanRequest("s2"))).accounts == []
    assert not [p for p in read if "/datasources/" in p]
