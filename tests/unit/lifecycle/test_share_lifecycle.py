"""A file share's protection changes planned from its protected item's ``protectionState``, its backup now's
expiry and request bodies, and reading a soft-deleted item: pure logic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.errors import InvalidRequestError, NotPossibleError
from shared.lifecycle.backup import expiry_text, policy_daily_retention, share_backup_expiry
from shared.lifecycle.changes import Change, plan_change, share_resume_policy
from shared.lifecycle.request import parse_backup
from shared.protection.kinds import BackupService
from shared.protection.rules import load_rules
from shared.restore.share_steps import facts_of, item_state
from shared.services import recoveryservices as rs

RS = BackupService.RECOVERY_SERVICES
SUB = "/subscriptions/11111111-1111-1111-1111-111111111111"
ACCOUNT = f"{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stfiles"
SHARE = f"{ACCOUNT}/fileServices/default/shares/orders"
VAULT = f"{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv"
ITEM = f"{VAULT}/backupFabrics/Azure/protectionContainers/StorageContainer;Storage;rg-data;stfiles/protectedItems/AzureFileShare;orders"  # noqa: E501
POLICY = f"{VAULT}/backupPolicies/daily"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CONFIGURED = {"Protected", "IRPending"}


@pytest.mark.parametrize(
    ("change", "state", "call", "expected"),
    [
        (Change.STOP, "Protected", ("PUT", "ProtectionStopped"), {"ProtectionStopped"}),
        (Change.STOP, "IRPending", ("PUT", "ProtectionStopped"), {"ProtectionStopped"}),
        (Change.STOP, "BackupsSuspended", ("PUT", "ProtectionStopped"), {"ProtectionStopped"}),
        (Change.STOP, "ProtectionError", ("PUT", "ProtectionStopped"), {"ProtectionStopped"}),
        (Change.STOP, "ProtectionStopped", (None, None), {"ProtectionStopped"}),
        (Change.SUSPEND, "Protected", ("PUT", "BackupsSuspended"), {"BackupsSuspended"}),
        (Change.SUSPEND, "BackupsSuspended", (None, None), {"BackupsSuspended"}),
        (Change.RESUME, "ProtectionStopped", ("PUT", None), CONFIGURED),
        (Change.RESUME, "BackupsSuspended", ("PUT", None), CONFIGURED),
        (Change.RESUME, "Protected", (None, None), CONFIGURED),
        (Change.RESUME, "IRPending", (None, None), CONFIGURED),
        (Change.DELETE, "ProtectionStopped", ("DELETE", None), {"Deleted", "SoftDeleted"}),
        (Change.DELETE, "Protected", ("DELETE", None), {"Deleted", "SoftDeleted"}),
        (Change.DELETE, "SoftDeleted", (None, None), {"SoftDeleted"}),
    ],
)
def test_a_share_change_is_one_put_or_delete_of_its_item_and_none_when_made_already(
    change: Change, state: str, call: tuple[str | None, str | None], expected: set[str]
) -> None:
    plan = plan_change(change, state, RS)

    assert plan.refusal is None
    assert (plan.method, plan.action) == call
    assert plan.unchanged is (call == (None, None))
    assert plan.expected_states == expected


@pytest.mark.parametrize(
    ("change", "state", "says"),
    [
        (Change.SUSPEND, "ProtectionStopped", "resume first"),
        (Change.STOP, "SoftDeleted", "undelete it first"),
        (Change.RESUME, "SoftDeleted", "isRehydrate"),
        (Change.RESUME, "ProtectionError", "cannot resume"),
        (Change.STOP, "Invalid", "wait until its protection has settled"),
        (Change.SUSPEND, None, "state Unknown"),
    ],
)
def test_a_share_change_that_does_not_apply_is_refused_with_what_to_do(
    change: Change, state: str | None, says: str
) -> None:
    plan = plan_change(change, state, RS)

    assert plan.method is None and plan.refusal is not None and says in plan.refusal


def test_the_states_of_one_service_mean_nothing_to_the_other() -> None:
    assert plan_change(Change.STOP, "Protected").refusal is not None  # not a Backup vault state
    assert plan_change(Change.STOP, "ProtectionConfigured", RS).refusal is not None


def test_the_change_bodies_stop_without_a_policy_suspend_and_resume_with_one() -> None:
    stop = rs.protection_change_body(ACCOUNT, POLICY, rs.STOPPED)
    suspend = rs.protection_change_body(ACCOUNT, POLICY, rs.SUSPENDED)
    resume = rs.protection_change_body(ACCOUNT, POLICY, None)

    base = {"protectedItemType": "AzureFileShareProtectedItem", "sourceResourceId": ACCOUNT}
    assert stop == {"properties": {**base, "policyId": "", "protectionState": "ProtectionStopped"}}
    assert suspend == {"properties": {**base, "policyId": POLICY, "protectionState": "BackupsSuspended"}}
    assert resume == {"properties": {**base, "policyId": POLICY}}


def _policy(retention: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {"backupManagementType": "AzureStorage", "retentionPolicy": retention}}


def test_a_share_backup_is_kept_for_its_policy_s_daily_retention_unless_the_request_says_until_when() -> None:
    daily = _policy(
        {
            "retentionPolicyType": "LongTermRetentionPolicy",
            "dailySchedule": {"retentionDuration": {"count": 45, "durationType": "Days"}},
        }
    )
    weeks = _policy(
        {
            "retentionPolicyType": "SimpleRetentionPolicy",
            "retentionDuration": {"count": 2, "durationType": "Weeks"},
        }
    )

    assert share_backup_expiry(daily, None, NOW) == NOW + timedelta(days=45)
    assert policy_daily_retention(weeks) == timedelta(days=14)
    assert share_backup_expiry({}, None, NOW) == NOW + timedelta(days=30)  # the policy names none
    asked = NOW + timedelta(days=400)
    assert share_backup_expiry(daily, asked, NOW) == asked
    assert expiry_text(datetime(2020, 3, 7, 18, 29, 59, tzinfo=UTC)) == "2020-03-07T18:29:59.000Z"


@pytest.mark.parametrize("asked", [NOW - timedelta(minutes=1), NOW, NOW + timedelta(days=3651)])
def test_a_retention_in_the_past_or_beyond_ten_years_is_refused_naming_the_field(asked: datetime) -> None:
    with pytest.raises(NotPossibleError) as refused:
        share_backup_expiry({}, asked, NOW)
    assert refused.value.errors[0]["field"] == "retainUntil"


def test_retain_until_is_parsed_as_a_utc_instant_or_refused() -> None:
    parsed = parse_backup({"resourceId": SHARE, "retainUntil": "2026-04-01T10:00:00Z"})
    assert parsed.retain_until == datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
    assert parse_backup({"resourceId": SHARE}).retain_until is None
    with pytest.raises(InvalidRequestError) as bad:
        parse_backup({"resourceId": SHARE, "retainUntil": "next tuesday"})
    assert bad.value.field == "retainUntil"


def _item(**props: Any) -> dict[str, Any]:
    base = {
        "protectedItemType": "AzureFileShareProtectedItem",
        "friendlyName": "orders",
        "sourceResourceId": ACCOUNT,
        "policyId": POLICY,
        "protectionState": "Protected",
    }
    return {"id": ITEM, "name": "AzureFileShare;orders", "properties": {**base, **props}}


def test_a_protected_item_s_facts_carry_its_state_and_policy_and_soft_delete_reads_as_soft_deleted() -> None:
    facts = facts_of(_item())
    assert (facts.current_state, facts.policy_id, facts.datasource_id) == ("Protected", POLICY, SHARE)

    kept = _item(
        protectionState="ProtectionStopped",
        policyId="",
        isScheduledForDeferredDelete=True,
        deferredDeleteTimeInUTC="2026-03-01T12:00:00.1234567Z",
        softDeleteRetentionPeriodInDays=14,
    )
    assert item_state(kept) == "SoftDeleted"
    assert rs.soft_deleted(kept) == (True, "2026-03-15T12:00:00Z")
    no_days = _item(isScheduledForDeferredDelete=True, deferredDeleteTimeInUTC="2026-03-01T00:00:00Z")
    assert rs.soft_deleted(no_days) == (True, "2026-03-15T00:00:00Z")  # 14 days unless the item says
    assert rs.soft_deleted(_item()) == (False, None)


DEMO_RULES = load_rules(str(Path(__file__).resolve().parents[3] / "local" / "demo" / "rules.yaml"))
PROD_RG = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data-weu"
DEMO_SHARE = f"{PROD_RG}/providers/Microsoft.Storage/storageAccounts/stfiles/fileServices/default/shares/docs"
RSV_WEU = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup-weu/providers/Microsoft.RecoveryServices/vaults/rsv-weu"  # noqa: E501


def _decision(share: str, location: str) -> Any:
    return DEMO_RULES.evaluate(resource_id=share, resource_type=rs.SHARE_TYPE, location=location, tags={})


def test_a_stopped_share_resumes_with_its_rule_s_policy_in_its_own_vault_only() -> None:
    assert (
        share_resume_policy(_decision(DEMO_SHARE, "westeurope"), RSV_WEU)
        == f"{RSV_WEU}/backupPolicies/daily-shares"
    )

    with pytest.raises(NotPossibleError) as moved:  # the rule now names rsv-neu: backups are never moved
        share_resume_policy(_decision(DEMO_SHARE, "northeurope"), RSV_WEU)
    assert "never moved" in moved.value.detail and "rsv-neu" in moved.value.detail
    elsewhere = DEMO_SHARE.replace(
        "11111111-1111-1111-1111-111111111111", "33333333-3333-3333-3333-333333333333"
    )
    with pytest.raises(NotPossibleError) as uncovered:
        share_resume_policy(_decision(elsewhere, "westeurope"), RSV_WEU)
    assert "no rule does" in uncovered.value.detail
