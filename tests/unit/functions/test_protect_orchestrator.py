"""``protect_datasource`` driven step by step: the exact activities and timers for each path."""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from functions.protection import orchestrator
from shared.protection.messages import ProtectionRequest
from shared.protection.plan import plan_protection
from shared.protection.rules import load_rules
from tests.unit.functions.driver import Activity, Raise, drive

RULES = load_rules(str(Path(__file__).resolve().parents[3] / "local" / "demo" / "rules.yaml"))
DATASOURCE = (
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data-weu/providers/"
    "Microsoft.Storage/storageAccounts/stunit"
)
ACCOUNT = {
    "id": DATASOURCE,
    "location": "westeurope",
    "kind": "StorageV2",
    "sku": {"name": "Standard_LRS"},
    "tags": {},
    "properties": {"isHnsEnabled": False},
}
OPERATION = {"status_url": "http://arm.local/op/1", "result_url": None, "retry_after_seconds": 30.0}
MISSING = {
    "kind": "ArmError",
    "status": 400,
    "code": "UserErrorMissingRequiredPermissions",
    "message": "Appropriate permissions to perform the operation is missing.",
}
ALREADY = {
    "kind": "ArmError",
    "status": 400,
    "code": "UserErrorDppDatasourceAlreadyProtected",
    "message": "Datasource is already protected under the Backup vault bv.",
}


def _orchestrator() -> Callable[[Any], Generator[Any, Any, Any]]:
    return orchestrator.protect_datasource._function._func.orchestrator_function  # type: ignore[no-any-return,unused-ignore]


def _request() -> dict[str, Any]:
    return ProtectionRequest(DATASOURCE, "Microsoft.Storage/storageAccounts", correlation_id="c-1").to_dict()


class Cloud:
    """Scripted activity answers; ``validations`` is the sequence of validation results (None = passes)."""

    def __init__(
        self,
        *,
        validations: list[dict[str, Any] | None] | None = None,
        grant: bool = False,
        dry_run: bool = False,
        create_error: dict[str, Any] | None = None,
        flaky: set[str] | None = None,
    ) -> None:
        self.validations = list(validations or [None])
        self.grant = grant
        self.dry_run = dry_run
        self.create_error = create_error
        self.flaky = flaky or set()

    def __call__(self, task: Activity) -> Any:
        if task.name in self.flaky:
            return Raise(f"{task.name}: 503 ServiceUnavailable after 8 attempts")
        match task.name:
            case "read_resource":
                return {"found": True, "resource": ACCOUNT}
            case "plan_protection":
                request = ProtectionRequest.from_dict(task.payload["request"])
                plan = plan_protection(request, task.payload["resource"], RULES, dry_run=self.dry_run)
                return {"plan": plan.to_dict(), "grant_roles": self.grant, "role_propagation_seconds": 60.0}
            case "validate_for_backup":
                return {"status": 202, "operation": OPERATION, "body": None}
            case "poll_operation":
                if task.payload.get("kind") == "create":
                    return {"done": True, "succeeded": True, "error": None}
                error = self.validations.pop(0) if self.validations else None
                return {"done": True, "succeeded": error is None, "error": error}
            case "create_backup_instance":
                if self.create_error:
                    return {"error": self.create_error}
                return {"status": 201, "operation": {**OPERATION, "kind": "create"}, "body": None}
            case "read_backup_instance":
                return {"found": True, "protection_status": "ProtectionConfigured"}
            case "read_vault_principal":
                return {"found": True, "principal_id": "p-1"}
            case "assign_role":
                return {"assigned": True, "existing": False}
            case "publish_protection_outcome":
                return {"published": True}
        raise AssertionError(f"unexpected activity {task.name}")


def test_happy_path_validates_creates_confirms_and_publishes() -> None:
    run = drive(_orchestrator(), _request(), Cloud())

    assert run.activities == [
        "read_resource",
        "plan_protection",
        "validate_for_backup",
        "timer",
        "poll_operation",
        "create_backup_instance",
        "timer",
        "poll_operation",
        "read_backup_instance",
        "publish_protection_outcome",
    ]
    assert run.output["kind"] == "protected"
    assert run.output["rule"] == "prod-blobs-westeurope"
    assert run.output["correlation_id"] == "c-1"
    assert run.payloads("publish_protection_outcome") == [run.output]
    assert run.context.statuses[-1] == {"phase": "done", "datasourceId": DATASOURCE, "outcome": "protected"}


def test_timers_honour_the_retry_after_of_the_operation() -> None:
    run = drive(_orchestrator(), _request(), Cloud())

    start = run.timers()[0].fire_at - timedelta(seconds=30)
    assert [t.fire_at - start for t in run.timers()] == [timedelta(seconds=30), timedelta(seconds=60)]


def test_already_protected_at_validation_is_a_success_without_create() -> None:
    run = drive(_orchestrator(), _request(), Cloud(validations=[ALREADY]))

    assert run.output["kind"] == "already_protected"
    assert run.output["reason"] == ALREADY["message"]
    assert "create_backup_instance" not in run.activities
    assert run.activities[-1] == "publish_protection_outcome"


def test_already_protected_at_create_is_a_success() -> None:
    run = drive(_orchestrator(), _request(), Cloud(create_error=ALREADY))

    assert run.output["kind"] == "already_protected"


def test_missing_permissions_without_grant_fails_naming_the_role() -> None:
    run = drive(_orchestrator(), _request(), Cloud(validations=[MISSING]))

    assert run.output["kind"] == "failed"
    assert f"Storage Account Backup Contributor on {DATASOURCE}" in run.output["reason"]
    assert run.output["error"]["code"] == "UserErrorMissingRequiredPermissions"
    assert "assign_role" not in run.activities
    assert "create_backup_instance" not in run.activities


def test_missing_permissions_with_grant_assigns_waits_and_validates_again() -> None:
    run = drive(_orchestrator(), _request(), Cloud(validations=[MISSING, MISSING, None], grant=True))

    assert run.activities == [
        "read_resource",
        "plan_protection",
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
        "create_backup_instance",
        "timer",
        "poll_operation",
        "read_backup_instance",
        "publish_protection_outcome",
    ]
    assert run.payloads("assign_role") == [
        {
            "roleName": "Storage Account Backup Contributor",
            "roleDefinitionGuid": "e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1",
            "scopeId": DATASOURCE,
            "principalId": "p-1",
        }
    ]
    assert run.output["kind"] == "protected"
    assert run.output["roles_granted"] == [
        {k: v for k, v in run.payloads("assign_role")[0].items() if k != "principalId"}
    ]


def test_permissions_that_never_propagate_end_failed_after_bounded_validations() -> None:
    run = drive(_orchestrator(), _request(), Cloud(validations=[MISSING] * 10, grant=True))

    assert run.output["kind"] == "failed"
    assert run.activities.count("validate_for_backup") == orchestrator.MAX_VALIDATIONS
    assert run.activities.count("assign_role") == 1
    assert "still missing after granting" in run.output["reason"]


def test_dry_run_stops_after_planning() -> None:
    run = drive(_orchestrator(), _request(), Cloud(dry_run=True))

    assert run.activities == ["read_resource", "plan_protection", "publish_protection_outcome"]
    assert run.output["kind"] == "dry_run"


@pytest.mark.parametrize("flaky", ["read_resource", "validate_for_backup", "create_backup_instance"])
def test_transient_exhaustion_still_publishes_a_failed_outcome(flaky: str) -> None:
    run = drive(_orchestrator(), _request(), Cloud(flaky={flaky}))

    assert run.output["kind"] == "failed"
    assert run.output["error"]["code"] == "TransientFailuresExhausted"
    assert "503 ServiceUnavailable" in run.output["reason"]
    assert run.activities[-1] == "publish_protection_outcome"
    assert run.payloads("publish_protection_outcome") == [run.output]


def test_every_activity_call_carries_the_transient_retry_policy() -> None:
    run = drive(_orchestrator(), _request(), Cloud(validations=[MISSING, None], grant=True))

    calls = [s for s in run.steps if isinstance(s, Activity)]
    assert calls and all(c.retry is not None and c.retry.max_number_of_attempts == 8 for c in calls)
