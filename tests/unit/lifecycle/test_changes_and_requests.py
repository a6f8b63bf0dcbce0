"""Protection changes planned from the instance's state, the on-demand backup's rule and tag, and the two
request bodies: pure logic."""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import InvalidRequestError, NotPossibleError
from shared.lifecycle.backup import adhoc_backup_body, vault_backup_rule
from shared.lifecycle.changes import Change, plan_change
from shared.lifecycle.request import check_confirmation, parse_backup, parse_change

SUB = "/subscriptions/11111111-1111-1111-1111-111111111111"
ACCOUNT = f"{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stlife"
VAULT = f"{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv"
INSTANCE = f"{VAULT}/backupInstances/stlife-0f0e"


@pytest.mark.parametrize(
    ("change", "state", "call", "expected"),
    [
        (Change.STOP, "ProtectionConfigured", ("POST", "stopProtection"), {"ProtectionStopped"}),
        (Change.STOP, "BackupSchedulesSuspended", ("POST", "stopProtection"), {"ProtectionStopped"}),
        (Change.STOP, "ProtectionError", ("POST", "stopProtection"), {"ProtectionStopped"}),
        (Change.STOP, "ProtectionStopped", (None, None), {"ProtectionStopped"}),
        (Change.SUSPEND, "ProtectionConfigured", ("POST", "suspendBackups"), None),
        (Change.SUSPEND, "BackupSchedulesSuspended", (None, None), {"BackupSchedulesSuspended"}),
        (Change.RESUME, "BackupSchedulesSuspended", ("POST", "resumeBackups"), {"ProtectionConfigured"}),
        (Change.RESUME, "RetentionSchedulesSuspended", ("POST", "resumeBackups"), {"ProtectionConfigured"}),
        (Change.RESUME, "ProtectionStopped", ("POST", "resumeProtection"), {"ProtectionConfigured"}),
        (Change.RESUME, "ProtectionConfigured", (None, None), {"ProtectionConfigured"}),
        (Change.DELETE, "ProtectionStopped", ("DELETE", None), {"Deleted", "SoftDeleted"}),
        (Change.DELETE, "ConfiguringProtection", ("DELETE", None), {"Deleted", "SoftDeleted"}),
    ],
)
def test_each_change_is_one_call_from_the_states_it_applies_to_and_none_when_made_already(
    change: Change, state: str, call: tuple[str | None, str | None], expected: set[str] | None
) -> None:
    plan = plan_change(change, state)
    assert plan.refusal is None
    assert (plan.method, plan.action) == call
    assert plan.unchanged is (call == (None, None))
    if expected is not None:
        assert plan.expected_states == expected


@pytest.mark.parametrize(
    ("change", "state", "says"),
    [
        (Change.SUSPEND, "ProtectionStopped", "resume first"),
        (Change.STOP, "ConfiguringProtection", "wait until its protection has settled"),
        (Change.RESUME, "ProtectionError", "cannot resume"),
        (Change.STOP, None, "state Unknown"),
    ],
)
def test_a_change_that_does_not_apply_to_the_state_is_refused_with_what_to_do(
    change: Change, state: str | None, says: str
) -> None:
    plan = plan_change(change, state)
    assert plan.method is None and not plan.unchanged
    assert plan.refusal is not None and says in plan.refusal


def _policy(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {"objectType": "BackupPolicy", "policyRules": list(rules)}}


VAULT_RULE = {
    "name": "BackupWeekly",
    "objectType": "AzureBackupRule",
    "dataStore": {"dataStoreType": "VaultStore", "objectType": "DataStoreInfoBase"},
    "trigger": {
        "objectType": "ScheduleBasedTriggerContext",
        "taggingCriteria": [
            {"isDefault": False, "tagInfo": {"tagName": "Weekly"}, "taggingPriority": 20},
            {"isDefault": True, "tagInfo": {"tagName": "Default"}, "taggingPriority": 99},
        ],
    },
}
RETENTION = {"name": "Default", "objectType": "AzureRetentionRule", "isDefault": True, "lifecycles": []}


def test_an_on_demand_backup_uses_the_vault_rule_and_its_default_or_the_asked_for_tag() -> None:
    default = vault_backup_rule(_policy(RETENTION, VAULT_RULE), None)
    weekly = vault_backup_rule(_policy(RETENTION, VAULT_RULE), "Weekly")
    assert adhoc_backup_body(default) == {
        "backupRuleOptions": {
            "ruleName": "BackupWeekly",
            "triggerOption": {"retentionTagOverride": "Default"},
        }
    }
    assert (weekly.rule_name, weekly.retention_tag, weekly.tags) == (
        "BackupWeekly",
        "Weekly",
        ("Weekly", "Default"),
    )


def test_an_unknown_tag_and_an_operational_only_policy_are_refused() -> None:
    with pytest.raises(NotPossibleError) as unknown:
        vault_backup_rule(_policy(VAULT_RULE), "Yearly")
    assert unknown.value.extra["retentionTags"] == ["Weekly", "Default"]
    with pytest.raises(NotPossibleError) as operational:
        vault_backup_rule(_policy(RETENTION), None)
    assert "operational backup only" in operational.value.detail


def test_request_bodies_are_checked_against_their_schemas_naming_the_field() -> None:
    assert parse_backup({"resourceId": ACCOUNT, "retentionTag": "Weekly"}).retention_tag == "Weekly"
    assert parse_backup({"backupInstanceId": INSTANCE}).backup_instance_id == INSTANCE
    cases: list[tuple[Any, str]] = [
        ({}, "resourceId"),
        ({"resourceId": ACCOUNT, "backupInstanceId": INSTANCE}, "resourceId"),
        ({"resourceId": ACCOUNT, "extra": 1}, "body"),
        ({"backupInstanceId": ACCOUNT}, "backupInstanceId"),
        ({"resourceId": ACCOUNT, "retentionTag": "no spaces"}, "retentionTag"),
    ]
    for body, field in cases:
        with pytest.raises(InvalidRequestError) as refused:
            parse_backup(body)
        assert refused.value.field == field, body


def test_a_delete_needs_the_datasource_named_and_other_changes_take_no_confirmation() -> None:
    with pytest.raises(InvalidRequestError) as missing:
        parse_change({"change": "delete", "resourceId": ACCOUNT})
    assert missing.value.field == "confirmDatasourceId"
    with pytest.raises(InvalidRequestError) as misplaced:
        parse_change({"change": "stop", "resourceId": ACCOUNT, "confirmDatasourceId": ACCOUNT})
    assert misplaced.value.field == "confirmDatasourceId"
    with pytest.raises(InvalidRequestError) as unknown:
        parse_change({"change": "pause", "resourceId": ACCOUNT})
    assert unknown.value.field == "change"

    other = f"{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stother"
    wrong = parse_change({"change": "delete", "backupInstanceId": INSTANCE, "confirmDatasourceId": other})
    with pytest.raises(InvalidRequestError) as mismatch:
        check_confirmation(wrong, ACCOUNT)
    assert mismatch.value.field == "confirmDatasourceId"
    right = parse_change({"change": "delete", "resourceId": ACCOUNT, "confirmDatasourceId": ACCOUNT.upper()})
    check_confirmation(right, ACCOUNT)  # ids compare case-insensitively
    check_confirmation(parse_change({"change": "suspend", "resourceId": ACCOUNT}), ACCOUNT)
