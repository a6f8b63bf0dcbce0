"""``protect_datasource`` driven step by step: the exact activities and timers for each path."""

from __future__ import annotations

from datetime import timedelta

import pytest

from functions.protection.flows import dataprotection as dp_flow
from functions.tracking import TRANSIENT_RETRY
from shared.protection.messages import ProtectionOutcome, RoleGrant
from tests.unit.functions.driver import drive
from tests.unit.functions.protection_cloud import (
    DATASOURCE,
    HAPPY,
    ROLE,
    RULE,
    Cloud,
    already_protected,
    missing_permissions,
    protect_fn,
    start,
)


def test_happy_path_validates_creates_confirms_and_publishes() -> None:
    cloud = Cloud()
    run = drive(protect_fn(), start(), cloud.for_driver)

    assert run.activities == HAPPY
    assert run.output["kind"] == "protected"
    assert run.output["rule"] == RULE
    assert run.output["correlation_id"] == "c-1"
    published = run.payloads("publish_protection_outcome")
    assert len(published) == 1 and isinstance(published[0], ProtectionOutcome)
    assert published[0].to_json() == run.output
    assert run.context.statuses[-1] == {"phase": "done", "datasourceId": DATASOURCE, "outcome": "protected"}


def test_timers_honour_the_retry_after_of_the_operation() -> None:
    run = drive(protect_fn(), start(), Cloud(retry_after=30.0, create_retry_after=45.0).for_driver)

    origin = run.timers()[0].fire_at - timedelta(seconds=30)
    assert [t.fire_at - origin for t in run.timers()] == [timedelta(seconds=30), timedelta(seconds=75)]


def test_already_protected_at_validation_is_a_success_without_create() -> None:
    error = already_protected()
    run = drive(protect_fn(), start(), Cloud(validations=[error]).for_driver)

    assert run.output["kind"] == "already_protected"
    assert run.output["reason"] == error.message
    assert "create_backup_instance" not in run.activities
    assert run.activities[-1] == "publish_protection_outcome"


def test_already_protected_at_create_is_a_success() -> None:
    run = drive(protect_fn(), start(), Cloud(create_error=already_protected()).for_driver)

    assert run.output["kind"] == "already_protected"
    assert "read_backup_instance" not in run.activities


def test_missing_permissions_without_grant_fails_naming_the_role() -> None:
    run = drive(protect_fn(), start(), Cloud(validations=[missing_permissions()]).for_driver)

    assert run.output["kind"] == "failed"
    assert f"Storage Account Backup Contributor on {DATASOURCE}" in run.output["reason"]
    assert run.output["error"]["code"] == "UserErrorMissingRequiredPermissions"
    assert "assign_role" not in run.activities
    assert "create_backup_instance" not in run.activities


def test_missing_permissions_with_grant_assigns_waits_and_validates_again() -> None:
    cloud = Cloud(validations=[missing_permissions(), missing_permissions(), None])
    run = drive(protect_fn(), start(grant=True), cloud.for_driver)

    assert (
        run.activities
        == [
            "read_and_plan",
            "read_resource",  # the policy
            "validate_for_backup",
            "timer",
            "poll_operation",
            "read_vault_principal",
            "assign_role",
            "timer",  # propagation
            "validate_for_backup",
            "timer",
            "poll_operation",
            "timer",  # still missing: wait again, no second grant
            "validate_for_backup",
            "timer",
            "poll_operation",
            *HAPPY[5:],  # create, track, confirm, publish
        ]
    )
    assert run.payloads("assign_role") == [
        RoleGrant(
            scope_id=DATASOURCE,
            role_name="Storage Account Backup Contributor",
            role_definition_guid="e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1",
            principal_id="p-1",
            correlation_id="c-1",
        )
    ]
    assert run.output["kind"] == "protected"
    assert run.output["roles_granted"] == [ROLE]


def test_permissions_that_never_propagate_end_failed_after_bounded_validations() -> None:
    cloud = Cloud(validations=[missing_permissions()] * 10)
    run = drive(protect_fn(), start(grant=True), cloud.for_driver)

    assert run.output["kind"] == "failed"
    assert run.activities.count("validate_for_backup") == dp_flow.MAX_VALIDATIONS
    assert run.activities.count("assign_role") == 1
    assert "still missing after granting" in run.output["reason"]


def test_dry_run_stops_after_planning() -> None:
    run = drive(protect_fn(), start(dry_run=True), Cloud().for_driver)

    assert run.activities == ["read_and_plan", "publish_protection_outcome"]
    assert run.output["kind"] == "dry_run"


@pytest.mark.parametrize(
    "flaky", ["read_and_plan", "read_resource", "validate_for_backup", "create_backup_instance"]
)
def test_transient_exhaustion_still_publishes_a_failed_outcome(flaky: str) -> None:
    run = drive(protect_fn(), start(), Cloud(flaky={flaky}).for_driver)

    assert run.output["kind"] == "failed"
    assert run.output["error"]["code"] == "TransientFailuresExhausted"
    assert "503 ServiceUnavailable" in run.output["reason"]
    assert run.activities[-1] == "publish_protection_outcome"
    assert [p.to_json() for p in run.payloads("publish_protection_outcome")] == [run.output]


def test_every_activity_call_carries_the_transient_retry_policy() -> None:
    cloud = Cloud(validations=[missing_permissions(), None])
    run = drive(protect_fn(), start(grant=True), cloud.for_driver)

    calls = run.calls()
    assert "assign_role" in [c.name for c in calls]  # the fan-out's calls are among them
    assert calls and all(c.retry is TRANSIENT_RETRY for c in calls)
    assert TRANSIENT_RETRY.max_number_of_attempts == 8
