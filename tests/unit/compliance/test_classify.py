"""Classification of one resource from hand-built inputs: every classification, its reason, the vault and
policy it names, and the error and recommended action carried verbatim.

The inputs have the shapes a sweep builds them in: resources as Resource Graph rows (lower-case ``type``),
protections and last jobs as :func:`shared.compliance.inventory.reduce_row` makes them from the
``RecoveryServicesResources`` rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.compliance.classify import (
    ACTIONS,
    NOT_GAPS,
    Classification,
    Entry,
    Facts,
    choose,
    classify,
    orphan,
)
from shared.compliance.inventory import Source, reduce_row
from shared.protection.rules import Rules

SUB = "0000aaaa-0000-4000-8000-00000000aaaa"
OTHER_SUB = "0000bbbb-0000-4000-8000-00000000bbbb"
DATA = f"/subscriptions/{SUB}/resourceGroups/rg-data"
SCRATCH = f"/subscriptions/{SUB}/resourceGroups/rg-scratch"
BACKUP = f"/subscriptions/{SUB}/resourceGroups/rg-backup"
VAULT = f"{BACKUP}/providers/Microsoft.DataProtection/backupVaults/bv-main"
LEGACY_VAULT = f"{BACKUP}/providers/Microsoft.DataProtection/backupVaults/bv-legacy"
KEY_VAULT = f"{DATA}/providers/Microsoft.KeyVault/vaults/kv-pg"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

RULES_DOCUMENT: dict[str, Any] = {
    "version": 1,
    "exclude": {"tags": {"backup": "exclude"}, "resourceGroups": ["rg-scratch"]},
    "rules": [
        {
            "name": "blobs-main",
            "match": {"resourceTypes": ["Microsoft.Storage/storageAccounts"], "subscriptions": [SUB]},
            "vault": {"id": VAULT, "location": "westeurope"},
            "policy": "blob-daily",
        },
        {
            "name": "pg-single",
            "match": {
                "resourceTypes": ["Microsoft.DBforPostgreSQL/servers/databases"],
                "subscriptions": [SUB],
            },
            "vault": {"id": VAULT, "location": "westeurope"},
            "policy": "pg-weekly",
            "keyVault": {"id": KEY_VAULT, "secretUri": "https://kv-pg.vault.azure.net/secrets/{server}-conn"},
        },
        {
            "name": "pg-flexible",
            "match": {"resourceTypes": ["Microsoft.DBforPostgreSQL/flexibleServers"], "subscriptions": [SUB]},
            "vault": {"id": VAULT, "location": "westeurope"},
            "policy": "pgflex-daily",
        },
    ],
}
RULES = Rules.from_document(RULES_DOCUMENT, "test")


def policy(name: str, vault: str = VAULT) -> str:
    return f"{vault}/backupPolicies/{name}"


BLOB_POLICY = policy("blob-daily")


def account(
    name: str,
    *,
    group: str = DATA,
    kind: str = "StorageV2",
    sku: str = "Standard_LRS",
    tags: Mapping[str, str] | None = None,
    location: str = "westeurope",
    **properties: Any,
) -> dict[str, Any]:
    """A storage account as a Resource Graph row."""
    tier = "Premium" if sku.startswith("Premium") else "Standard"
    return {
        "id": f"{group}/providers/Microsoft.Storage/storageAccounts/{name}",
        "name": name,
        "type": "microsoft.storage/storageaccounts",
        "kind": kind,
        "location": location,
        "resourceGroup": group.rsplit("/", 1)[-1],
        "subscriptionId": group.split("/")[2],
        "sku": {"name": sku, "tier": tier},
        "tags": dict(tags or {}),
        "properties": {"isHnsEnabled": False, **properties},
    }


def server(name: str, tags: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A PostgreSQL single server as a Resource Graph row (the parent of its databases)."""
    return {
        "id": f"{DATA}/providers/Microsoft.DBforPostgreSQL/servers/{name}",
        "name": name,
        "type": "microsoft.dbforpostgresql/servers",
        "location": "westeurope",
        "resourceGroup": "rg-data",
        "subscriptionId": SUB,
        "tags": dict(tags or {}),
        "properties": {},
    }


def database(parent: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A database as ``list_databases`` stages it: no location nor tags of its own."""
    return {
        "id": f"{parent['id']}/databases/{name}",
        "name": name,
        "type": "microsoft.dbforpostgresql/servers/databases",
        "subscriptionId": SUB,
        "resourceGroup": "rg-data",
        "properties": {"charset": "UTF8"},
    }


def flexible(name: str) -> dict[str, Any]:
    return {
        "id": f"{DATA}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{name}",
        "name": name,
        "type": "microsoft.dbforpostgresql/flexibleservers",
        "location": "westeurope",
        "resourceGroup": "rg-data",
        "subscriptionId": SUB,
        "sku": {"name": "Standard_D2ds_v4", "tier": "GeneralPurpose"},
        "tags": {},
        "properties": {},
    }


def instance(
    resource: Mapping[str, Any],
    state: str | None,
    *,
    name: str | None = None,
    vault: str = VAULT,
    policy_id: str = BLOB_POLICY,
    status: str | None = None,
    error_details: Any = None,
    deleted: bool = False,
) -> dict[str, Any]:
    """A (deleted) backup instance row of ``RecoveryServicesResources``, reduced as the sweep keeps it."""
    collection = "deletedBackupInstances" if deleted else "backupInstances"
    kind = "deletedbackupinstances" if deleted else "backupinstances"
    properties: dict[str, Any] = {
        "dataSourceInfo": {"resourceID": resource["id"], "datasourceType": resource["type"]},
        "policyInfo": {"policyId": policy_id},
        "protectionStatus": {"status": status or state, "errorDetails": error_details},
    }
    if state is not None:
        properties["currentProtectionState"] = state
    row = {
        "id": f"{vault}/{collection}/{name or 'bi-' + str(resource['name'])}",
        "name": name or f"bi-{resource['name']}",
        "type": f"microsoft.dataprotection/backupvaults/{kind}",
        "properties": properties,
    }
    reduced = reduce_row(Source.BACKUP_INSTANCES, row)
    assert reduced is not None
    return reduced


def job(
    resource: Mapping[str, Any], status: str, ended_hours_ago: float, error_details: Any = None
) -> dict[str, Any]:
    """The last backup job of a datasource (a Data Protection ``backupJobs`` row, reduced)."""
    end = NOW - timedelta(hours=ended_hours_ago)
    row = {
        "id": f"{VAULT}/backupJobs/job-{resource['name']}",
        "properties": {
            "dataSourceId": resource["id"],
            "operationCategory": "Backup",
            "status": status,
            "startTime": (end - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
            "endTime": end.strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
            "errorDetails": error_details,
        },
    }
    reduced = reduce_row(Source.BACKUP_JOBS, row)
    assert reduced is not None
    return reduced


def judge(
    resource: Mapping[str, Any],
    protections: Sequence[Mapping[str, Any]] = (),
    last_job: Mapping[str, Any] | None = None,
    intervals: Mapping[str, float] | None = None,
    parent: Mapping[str, Any] | None = None,
    rules: Rules = RULES,
) -> Entry:
    facts = Facts(tuple(protections), last_job, dict(intervals or {}), NOW)
    return classify(resource, rules, facts, parent)


# -- protected ------------------------------------------------------------------------------------


def test_protected_names_its_rule_vault_policy_and_last_backup_and_is_not_a_gap() -> None:
    resource = account("stgood")
    protection = instance(resource, "ProtectionConfigured")
    last = job(resource, "Completed", 2)
    entry = judge(resource, [protection], last, {BLOB_POLICY.lower(): 86400.0})
    assert entry.classification is Classification.PROTECTED and not entry.gap
    assert entry.resource_id == resource["id"] and entry.name == "stgood"
    assert entry.resource_type == "Microsoft.Storage/storageAccounts" and entry.kind == "blob"
    assert (entry.subscription_id, entry.resource_group, entry.location) == (SUB, "rg-data", "westeurope")
    assert entry.rule == "blobs-main" and "blobs-main" in entry.reason
    assert entry.vault_id == VAULT and entry.policy_id == BLOB_POLICY
    assert entry.expected_vault_id == VAULT and entry.expected_policy_id == BLOB_POLICY
    assert entry.backup_instance_id == f"{VAULT}/backupInstances/bi-stgood"
    assert entry.protection_state == "ProtectionConfigured"
    assert entry.last_backup == {
        "status": "Completed",
        "startTime": last["startTime"],
        "endTime": last["endTime"],
    }
    assert entry.error is None and entry.recommended_action == []


def test_protected_flexible_server_and_single_server_database() -> None:
    crm = flexible("pgflex-crm")
    entry = judge(crm, [instance(crm, "ProtectionConfigured", policy_id=policy("pgflex-daily"))])
    assert (entry.classification, entry.kind, entry.rule) == (
        Classification.PROTECTED,
        "postgresql_flexible",
        "pg-flexible",
    )
    assert entry.resource_type == "Microsoft.DBforPostgreSQL/flexibleServers"
    parent = server("pg-orders")
    orders = database(parent, "orders")
    entry = judge(
        orders, [instance(orders, "ProtectionConfigured", policy_id=policy("pg-weekly"))], parent=parent
    )
    assert (entry.classification, entry.kind, entry.rule) == (
        Classification.PROTECTED,
        "postgresql",
        "pg-single",
    )
    assert entry.location == "westeurope"  # a database takes its server's location


# -- the backup instance's state ------------------------------------------------------------------

PERMISSIONS_ERROR = {
    "code": "UserErrorMissingRequiredPermissions",
    "message": "Appropriate permissions to perform the operation is missing.",
    "recommendedAction": [
        "Grant appropriate permissions to perform this operation as mentioned at "
        "https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation."
    ],
    "target": "",
    "isRetryable": False,
    "isUserError": False,
    "properties": {"ActivityId": "dd1d8987-e384-5f97-9f49-9342391c42a4"},
}


@pytest.mark.parametrize("shape", ["object", "list"])
def test_protection_error_is_unhealthy_with_the_error_details_verbatim(shape: str) -> None:
    resource = account("sterror")
    details: Any = PERMISSIONS_ERROR if shape == "object" else [PERMISSIONS_ERROR, {"code": "Second"}]
    entry = judge(resource, [instance(resource, "ProtectionError", error_details=details)])
    assert entry.classification is Classification.UNHEALTHY and entry.gap
    assert entry.error == {
        "code": PERMISSIONS_ERROR["code"],
        "message": PERMISSIONS_ERROR["message"],
        "recommendedAction": PERMISSIONS_ERROR["recommendedAction"],
    }
    assert entry.recommended_action == PERMISSIONS_ERROR["recommendedAction"]
    assert entry.reason == (
        "protection state ProtectionError: UserErrorMissingRequiredPermissions: "
        "Appropriate permissions to perform the operation is missing."
    )
    assert entry.protection_state == "ProtectionError" and entry.vault_id == VAULT


def test_protection_error_with_legacy_error_fields_and_no_action_gets_the_generic_action() -> None:
    resource = account("sterror")
    details = [{"errorCode": "UserErrorKeyVaultPermissionsNotConfigured", "errorMessage": "No access."}]
    entry = judge(resource, [instance(resource, "ConfiguringProtectionFailed", error_details=details)])
    assert entry.classification is Classification.UNHEALTHY
    assert entry.error == {
        "code": "UserErrorKeyVaultPermissionsNotConfigured",
        "message": "No access.",
        "recommendedAction": [],
    }
    assert entry.recommended_action == [ACTIONS[Classification.UNHEALTHY]]


@pytest.mark.parametrize(
    ("state", "status", "expected"),
    [
        ("ConfiguringProtection", None, Classification.CONFIGURING),
        ("UpdatingProtection", None, Classification.CONFIGURING),
        ("ProtectionStopped", None, Classification.STOPPED),
        ("BackupSchedulesSuspended", "ProtectionStopped", Classification.SUSPENDED),
        ("RetentionSchedulesSuspended", "ProtectionStopped", Classification.SUSPENDED),
        ("protectionstopped", None, Classification.STOPPED),  # compared case-insensitively
        (None, "ProtectionStopped", Classification.STOPPED),  # the status only when the state is missing
    ],
)
def test_the_state_decides_configuring_stopped_and_suspended(
    state: str | None, status: str | None, expected: Classification
) -> None:
    resource = account("stx")
    entry = judge(resource, [instance(resource, state, status=status)])
    assert entry.classification is expected and entry.gap
    assert entry.protection_state == (state or status)
    assert entry.reason == f"protection state {state or status}"
    assert entry.recommended_action == [ACTIONS[expected]] and entry.error is None
    assert entry.backup_instance_id == f"{VAULT}/backupInstances/bi-stx"


def test_soft_deleted_from_the_deleted_backup_instances_row() -> None:
    resource = account("stsoftdeleted")
    protection = instance(resource, "SoftDeleted", deleted=True)
    assert protection["vaultId"] == VAULT  # the vault is found in a deletedBackupInstances id too
    entry = judge(resource, [protection])
    assert entry.classification is Classification.SOFT_DELETED and entry.gap
    assert entry.backup_instance_id == f"{VAULT}/deletedBackupInstances/bi-stsoftdeleted"
    assert entry.vault_id == VAULT and entry.protection_state == "SoftDeleted"
    assert entry.recommended_action == [ACTIONS[Classification.SOFT_DELETED]]


def test_an_unknown_state_is_unhealthy_and_named() -> None:
    resource = account("stodd")
    entry = judge(resource, [instance(resource, "SomethingNew")])
    assert (
        entry.classification is Classification.UNHEALTHY and entry.reason == "protection state SomethingNew"
    )


# -- drift ----------------------------------------------------------------------------------------


def test_drift_names_both_vaults_and_both_policies() -> None:
    resource = account("stdrift")
    legacy = policy("blob-legacy", LEGACY_VAULT)
    entry = judge(
        resource, [instance(resource, "ProtectionConfigured", vault=LEGACY_VAULT, policy_id=legacy)]
    )
    assert entry.classification is Classification.DRIFT and entry.gap
    assert (entry.vault_id, entry.policy_id) == (LEGACY_VAULT, legacy)
    assert (entry.expected_vault_id, entry.expected_policy_id) == (VAULT, BLOB_POLICY)
    assert entry.reason == (
        f"protected by {legacy} in {LEGACY_VAULT}, but rule blobs-main names {BLOB_POLICY} in {VAULT}"
    )
    assert entry.recommended_action == [ACTIONS[Classification.DRIFT]]


def test_drift_by_policy_alone_and_no_drift_for_a_difference_of_case() -> None:
    resource = account("stdrift")
    other = policy("blob-weekly")
    entry = judge(resource, [instance(resource, "ProtectionConfigured", policy_id=other)])
    assert entry.classification is Classification.DRIFT and other in entry.reason
    same = instance(resource, "ProtectionConfigured", vault=VAULT.upper(), policy_id=BLOB_POLICY.lower())
    assert judge(resource, [same]).classification is Classification.PROTECTED


# -- the last backup job --------------------------------------------------------------------------

JOB_ERROR = {
    "code": "UserErrorStorageAccountNotFound",
    "message": "The storage account could not be reached to take the backup.",
    "recommendedAction": [
        "Check that the storage account exists and the Backup vault can reach it, then retry."
    ],
    "isRetryable": False,
}


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "CompletedWithErrors"])
def test_a_failed_last_job_is_unhealthy_with_code_message_and_action_verbatim(status: str) -> None:
    resource = account("stjobfailed")
    last = job(resource, status, 6, [JOB_ERROR])
    entry = judge(resource, [instance(resource, "ProtectionConfigured")], last)
    assert entry.classification is Classification.UNHEALTHY and entry.gap
    assert entry.error == {
        "code": JOB_ERROR["code"],
        "message": JOB_ERROR["message"],
        "recommendedAction": JOB_ERROR["recommendedAction"],
    }
    assert entry.recommended_action == JOB_ERROR["recommendedAction"]
    assert entry.reason == f"the last backup job {status}: {JOB_ERROR['code']}: {JOB_ERROR['message']}"
    assert entry.last_backup is not None and entry.last_backup["status"] == status


def test_a_failed_last_job_without_error_details_still_says_so() -> None:
    resource = account("stjobfailed")
    entry = judge(resource, [instance(resource, "ProtectionConfigured")], job(resource, "Failed", 1))
    assert entry.classification is Classification.UNHEALTHY
    assert entry.error == {"code": "BackupJobFailed", "message": "", "recommendedAction": []}
    assert entry.reason == "the last backup job Failed: BackupJobFailed"
    assert entry.recommended_action == [ACTIONS[Classification.UNHEALTHY]]


def test_a_last_backup_older_than_twice_the_policy_interval_is_overdue() -> None:
    resource = account("stlate")
    protection = instance(resource, "ProtectionConfigured", policy_id=BLOB_POLICY.upper())
    every_4h = {BLOB_POLICY.lower(): 4 * 3600.0}  # PT4H; the interval is looked up case-insensitively
    entry = judge(resource, [protection], job(resource, "Completed", 9), every_4h)
    assert entry.classification is Classification.UNHEALTHY and entry.gap
    reason = "the last backup was 9.0 h ago; the policy backs up every 4 h"
    assert entry.reason == reason
    assert entry.error == {"code": "BackupOverdue", "message": reason, "recommendedAction": []}
    # within twice the interval, without a job on record, or without a schedule: not overdue
    assert judge(resource, [protection], job(resource, "Completed", 7), every_4h).classification is (
        Classification.PROTECTED
    )
    assert judge(resource, [protection], None, every_4h).classification is Classification.PROTECTED
    assert judge(resource, [protection], job(resource, "Completed", 24 * 30), {}).classification is (
        Classification.PROTECTED
    )


# -- not protected --------------------------------------------------------------------------------


def test_unprotected_names_the_covering_rule_and_what_it_would_use() -> None:
    entry = judge(account("stnew", sku="Standard_GRS"))
    assert entry.classification is Classification.UNPROTECTED and entry.gap
    assert entry.rule == "blobs-main" and entry.reason == "not protected; rule blobs-main covers it"
    assert (entry.expected_vault_id, entry.expected_policy_id) == (VAULT, BLOB_POLICY)
    assert entry.vault_id is None and entry.backup_instance_id is None and entry.last_backup is None
    assert entry.recommended_action == [ACTIONS[Classification.UNPROTECTED]]


def test_unprotected_database_and_flexible_server_and_a_dry_run_document() -> None:
    parent = server("pg-orders")
    entry = judge(database(parent, "billing"), parent=parent)
    assert (entry.classification, entry.rule, entry.expected_policy_id) == (
        Classification.UNPROTECTED,
        "pg-single",
        policy("pg-weekly"),
    )
    assert (
        entry.resource_type == "Microsoft.DBforPostgreSQL/servers/databases"
        and entry.location == "westeurope"
    )
    assert judge(flexible("pgflex-reports")).classification is Classification.UNPROTECTED
    dry = Rules.from_document({**RULES_DOCUMENT, "dryRun": True}, "dry")
    assert judge(account("stnew"), rules=dry).classification is Classification.UNPROTECTED


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        (account("stexcluded", tags={"Backup": "EXCLUDE"}), "excluded by tag Backup=EXCLUDE"),
        (account("stscratch", group=SCRATCH), "resource group rg-scratch is excluded"),
        (
            account("stother", group=f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-data"),
            "no rule covers this resource",
        ),
    ],
    ids=["tag", "resource-group", "no-rule"],
)
def test_excluded_by_tag_by_resource_group_and_by_no_covering_rule(
    resource: dict[str, Any], reason: str
) -> None:
    entry = judge(resource)
    assert entry.classification is Classification.EXCLUDED and not entry.gap
    assert entry.reason == reason and entry.recommended_action == []
    assert entry.expected_vault_id is None


def test_a_database_takes_its_servers_exclusion_tag() -> None:
    parent = server("pg-scratch", tags={"backup": "exclude"})
    entry = judge(database(parent, "tmp"), parent=parent)
    assert (
        entry.classification is Classification.EXCLUDED and entry.reason == "excluded by tag backup=exclude"
    )


@pytest.mark.parametrize(
    ("resource", "fragment"),
    [
        (account("sthns", isHnsEnabled=True), "hierarchical namespace"),
        (account("stpremium", kind="BlockBlobStorage", sku="Premium_LRS"), "premium"),
        (account("stpremiumv2", sku="Premium_LRS"), "premium"),
        (account("stnfs", isHnsEnabled=True, isNfsV3Enabled=True), "NFS 3.0"),
        (account("stlegacy", kind="BlobStorage"), "kind BlobStorage"),
        (account("stv1", kind="Storage"), "kind Storage"),
        (account("stfilestorage", kind="FileStorage", sku="Premium_LRS"), "premium"),
    ],
    ids=["hns", "premium-blockblob", "premium-sku", "nfs3", "blobstorage", "gpv1", "filestorage"],
)
def test_unsupported_accounts_say_why_and_are_not_gaps(resource: dict[str, Any], fragment: str) -> None:
    entry = judge(resource)
    assert entry.classification is Classification.UNSUPPORTED and not entry.gap
    assert fragment in entry.reason and entry.rule is None and entry.recommended_action == []


def test_a_system_database_is_unsupported() -> None:
    parent = server("pg-orders")
    entry = judge(database(parent, "azure_maintenance"), parent=parent)
    assert entry.classification is Classification.UNSUPPORTED and "system database" in entry.reason


def test_a_covered_resource_with_no_vault_in_its_region_is_a_gap() -> None:
    entry = judge(account("stnorth", location="northeurope"))
    assert entry.rule == "blobs-main" and "no vault in region northeurope" in entry.reason
    assert entry.gap and entry.classification is not Classification.EXCLUDED


# -- orphans and several instances ----------------------------------------------------------------


def test_orphan_is_the_backup_instance_of_a_datasource_that_is_gone() -> None:
    gone = account("storphan")
    protection = instance(gone, "ProtectionConfigured")
    entry = orphan(protection)
    assert entry.classification is Classification.ORPHANED and entry.gap
    assert entry.resource_id == gone["id"] and entry.name == "storphan" and entry.kind == "blob"
    assert entry.resource_type == "Microsoft.Storage/storageAccounts"
    assert (entry.subscription_id, entry.resource_group) == (SUB, "rg-data")
    assert entry.backup_instance_id == f"{VAULT}/backupInstances/bi-storphan"
    assert (entry.vault_id, entry.policy_id, entry.protection_state) == (
        VAULT,
        BLOB_POLICY,
        "ProtectionConfigured",
    )
    assert "no longer exists" in entry.reason and entry.backup_instance_id in entry.reason
    assert entry.recommended_action == [ACTIONS[Classification.ORPHANED]]


def _instances(resource: Mapping[str, Any], states: Sequence[str]) -> list[dict[str, Any]]:
    return [
        instance(resource, s, name=f"bi-{i}-{s.lower()}", deleted=s == "SoftDeleted")
        for i, s in enumerate(states)
    ]


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (
            ["SoftDeleted", "ProtectionStopped", "ProtectionConfigured", "ProtectionError"],
            "ProtectionConfigured",
        ),
        (["SoftDeleted", "ProtectionError", "ProtectionStopped"], "ProtectionError"),
        (["ProtectionStopped", "ConfiguringProtection", "SoftDeleted"], "ConfiguringProtection"),
        (["ProtectionStopped", "BackupSchedulesSuspended"], "BackupSchedulesSuspended"),
        (["SoftDeleted", "ProtectionStopped"], "ProtectionStopped"),
    ],
)
def test_several_instances_of_one_datasource_report_the_most_active(states: list[str], expected: str) -> None:
    resource = account("stmany")
    for order in itertools.permutations(_instances(resource, states)):
        assert choose(order)["state"] == expected
        entry = judge(resource, order)
        assert entry.protection_state == expected
        assert entry.backup_instance_id is not None and entry.backup_instance_id.endswith(
            f"-{expected.lower()}"
        )


def test_a_soft_deleted_instance_beside_a_new_one_is_protected() -> None:
    resource = account("streprotected")
    old = instance(resource, "SoftDeleted", name="bi-old", deleted=True)
    new = instance(resource, "ProtectionConfigured", name="bi-new")
    entry = judge(resource, [old, new])
    assert entry.classification is Classification.PROTECTED
    assert entry.backup_instance_id == f"{VAULT}/backupInstances/bi-new"


def test_what_is_a_gap() -> None:
    assert {Classification.PROTECTED, Classification.EXCLUDED, Classification.UNSUPPORTED} == NOT_GAPS
    assert {c for c in Classification if c not in NOT_GAPS} == set(ACTIONS)
