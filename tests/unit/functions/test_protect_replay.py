"""``protect_datasource`` replayed by the Durable SDK (``Orchestrator.create``) over histories of ours.

The first tests replay a hand-built history and pin the one task the orchestrator schedules next; the
others play the whole orchestration (every episode replayed from the start, as the host does) and pin the
path taken and the outcome published.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from azure.durable_functions.models.actions.ActionType import ActionType
from azure.durable_functions.models.history.HistoryEventType import HistoryEventType as Event

from functions.protection.activities import BackupInstanceState
from functions.protection.flows import dataprotection as dp_flow
from functions.tracking import TRANSIENT_RETRY, PollRequest
from shared.arm.operations import AsyncOperation
from shared.arm.steps import OperationPoll, OperationStarted, ResourceRead
from shared.errors import ArmError, BackupAutopilotError
from shared.lifecycle.messages import InstanceState
from shared.protection.holder import Holder
from shared.protection.messages import (
    BackupInstanceRequest,
    ProtectionOutcome,
    ProtectionRequest,
    ProtectionStart,
    ReadRequest,
    RoleGrant,
)
from shared.protection.plan import PlannedRead, PlanRead, plan_protection
from shared.services import dataprotection as dp
from tests.unit.functions.history import Call, History, Played, Timer, play
from tests.unit.functions.protection_cloud import (
    ACCOUNT,
    DATASOURCE,
    HAPPY,
    OPERATIONAL_POLICY,
    ROLE,
    RULE,
    RULES,
    STORAGE,
    SUBSCRIPTION,
    TRANSIENT,
    VALIDATE_URL,
    VAULT,
    VAULTED_POLICY,
    Cloud,
    already_protected,
    missing_permissions,
    protect_fn,
    start,
)

API = "2023-05-01"  # the storage account api-version the blob kind reads with
NAME = "protect_datasource"


def _play(begin: ProtectionStart, cloud: Cloud) -> Played:
    return play(protect_fn(), History(NAME, begin), cloud.for_replay)


def _published(played: Played) -> dict[str, Any]:
    """The outcome given to the publish activity (decoded as the activity receives it), as JSON."""
    (outcome,) = played.inputs("publish_protection_outcome")
    assert isinstance(outcome, ProtectionOutcome)
    return outcome.to_json()


def _until_validation_started(begin: ProtectionStart, retry_after: float) -> History:
    history = History(NAME, begin)
    plan = plan_protection(begin.request, ACCOUNT, RULES)
    history.completed("read_and_plan", PlannedRead(ResourceRead(found=True, resource=ACCOUNT), plan))
    history.completed("read_resource", ResourceRead(found=True, resource=OPERATIONAL_POLICY))
    operation = AsyncOperation(VALIDATE_URL, None, retry_after)
    return history.completed("validate_for_backup", OperationStarted(202, operation=operation))


# -- single steps, over hand-built histories ---------------------------------------------------------


def test_the_first_episode_reads_the_datasource_with_the_transient_retry_options() -> None:
    begin = start()
    replay = History(NAME, begin).replay(protect_fn())

    assert replay.done is False
    (first,) = replay.steps
    assert isinstance(first, Call)
    assert first.action_type == ActionType.CALL_ACTIVITY_WITH_RETRY
    assert (first.name, first.input) == ("read_and_plan", PlanRead(begin.request, DATASOURCE, "2023-05-01"))
    assert first.retry == TRANSIENT_RETRY.to_json()
    assert replay.custom_status == {"phase": "reading", "datasourceId": DATASOURCE}


@pytest.mark.parametrize("retry_after", [5.0, 45.0, 600.0])
def test_the_validation_poll_timer_fires_at_now_plus_the_retry_after(retry_after: float) -> None:
    begin = start()
    history = _until_validation_started(begin, retry_after)

    replay = history.replay(protect_fn())

    assert replay.done is False
    assert [getattr(s, "name", "timer") for s in replay.steps] == [
        "read_and_plan",
        "read_resource",
        "validate_for_backup",
        "timer",
    ]
    read_and_plan, validate = replay.steps[0], replay.steps[2]
    assert isinstance(read_and_plan, Call) and read_and_plan.input == PlanRead(begin.request, DATASOURCE, API)
    assert isinstance(validate, Call) and isinstance(validate.input, BackupInstanceRequest)
    assert (validate.input.vault_id, validate.input.correlation_id) == (VAULT, "c-1")
    assert replay.steps[-1] == Timer(history.now + timedelta(seconds=retry_after))
    assert replay.custom_status == {"phase": "validating", "datasourceId": DATASOURCE, "attempt": 1}


def test_a_running_operation_is_polled_again_after_the_retry_after_of_the_last_poll() -> None:
    history = _until_validation_started(start(), retry_after=30.0)
    history.timer_fired(history.now + timedelta(seconds=30))
    moved = AsyncOperation(None, "http://arm.local/location/2", 12.0)  # a Location that moved
    history.completed("poll_operation", OperationPoll(done=False, retry_after_seconds=12.0, operation=moved))

    replay = history.replay(protect_fn())
    assert replay.steps[-1] == Timer(history.now + timedelta(seconds=12))

    history.timer_fired(history.now + timedelta(seconds=12))
    poll = history.replay(protect_fn()).steps[-1]
    assert isinstance(poll, Call) and poll.name == "poll_operation"
    assert poll.input == PollRequest(moved, "c-1")


def test_a_database_without_location_reads_its_parent_server() -> None:
    server = f"{SUBSCRIPTION}/resourceGroups/rg-pg/providers/Microsoft.DBforPostgreSQL/servers/pg1"
    database = f"{server}/databases/db1"
    begin = start(datasource=database, resource_type="Microsoft.DBforPostgreSQL/servers/databases")
    history = History(NAME, begin)
    read = ResourceRead(found=True, resource={"id": database, "properties": {}})
    history.completed("read_and_plan", PlannedRead(read))  # no location: no plan yet

    step = history.replay(protect_fn()).steps[-1]

    assert isinstance(step, Call) and step.name == "read_and_plan"
    assert step.input == PlanRead(begin.request, server, "2017-12-01", read.resource)


def test_a_transient_activity_failure_is_retried_and_the_run_goes_on() -> None:
    begin = start()
    history = History(NAME, begin)
    history.failed("read_and_plan", "Activity function 'read_and_plan' failed: 503", attempts=1)
    plan = plan_protection(begin.request, ACCOUNT, RULES)
    history.completed("read_and_plan", PlannedRead(ResourceRead(found=True, resource=ACCOUNT), plan))

    replay = history.replay(protect_fn())

    assert len(history.of_type(Event.TASK_FAILED)) == 1
    assert replay.done is False
    assert [getattr(s, "name", None) for s in replay.steps] == ["read_and_plan", "read_resource"]
    status = {"phase": "reading_policy", "datasourceId": DATASOURCE, "policyId": plan.policy_id}
    assert replay.custom_status == status


# -- whole runs --------------------------------------------------------------------------------------


def test_a_protected_datasource_is_validated_created_confirmed_and_published() -> None:
    played = _play(start(), Cloud())

    assert played.names == HAPPY
    assert played.output["kind"] == "protected"
    assert played.output["reason"] == f"protected by rule {RULE} (protection status ProtectionConfigured)"
    assert played.output["rule"] == RULE
    assert played.output["vault_id"] == VAULT
    assert played.output["correlation_id"] == "c-1"
    assert played.output["started_at"] == "2025-03-01T12:00:00Z"
    assert _published(played) == played.output
    create = played.calls("create_backup_instance")[0].input
    assert create.name == dp.backup_instance_name(DATASOURCE)
    phases = [s["phase"] for s in played.statuses]
    assert phases == [
        "reading",
        "reading_policy",
        "validating",
        "validating",
        "validating",
        "creating_backup_instance",
        "creating_backup_instance",
        "creating_backup_instance",
        "creating_backup_instance",
        "publishing",
        "done",
    ]
    assert played.statuses[-1] == {"phase": "done", "datasourceId": DATASOURCE, "outcome": "protected"}


def test_every_poll_timer_waits_the_retry_after_of_its_operation() -> None:
    played = _play(start(), Cloud(retry_after=20.0, create_retry_after=50.0))

    assert played.waits() == [timedelta(seconds=20), timedelta(seconds=50)]


def test_every_activity_call_carries_the_transient_retry_options() -> None:
    played = _play(start(grant=True), Cloud(validations=[missing_permissions(), None]))

    calls = played.calls()
    assert {c.name for c in calls} == {
        "read_and_plan",
        "read_resource",
        "validate_for_backup",
        "poll_operation",
        "read_vault_principal",
        "assign_role",
        "create_backup_instance",
        "read_backup_instance",
        "publish_protection_outcome",
    }
    assert all(c.action_type == ActionType.CALL_ACTIVITY_WITH_RETRY for c in calls)
    assert all(
        c.retry == {"firstRetryIntervalInMilliseconds": 10_000, "maxNumberOfAttempts": 8} for c in calls
    )


def test_granted_roles_wait_the_role_propagation_seconds_then_validate_again() -> None:
    played = _play(start(grant=True, propagation=90.0), Cloud(validations=[missing_permissions(), None]))

    assert (
        played.names
        == [
            "read_and_plan",
            "read_resource",
            "validate_for_backup",
            "timer",
            "poll_operation",
            "read_vault_principal",
            "assign_role",
            "timer",  # role propagation
            "validate_for_backup",
            "timer",
            "poll_operation",
            *HAPPY[5:],
        ]
    )
    assert played.waits() == [timedelta(seconds=s) for s in (30, 90, 30, 30)]
    assert played.inputs("read_vault_principal") == [ReadRequest(VAULT, dp.API_VERSION, "c-1")]
    assert played.inputs("assign_role") == [
        RoleGrant(DATASOURCE, ROLE["roleName"], ROLE["roleDefinitionGuid"], "p-1", "c-1")
    ]
    waiting = {"phase": "waiting_for_role_propagation", "datasourceId": DATASOURCE, "seconds": 90.0}
    assert waiting in played.statuses
    assert played.output["kind"] == "protected"
    assert played.output["roles_granted"] == [ROLE]


def test_permissions_still_missing_wait_again_without_a_second_grant_then_fail() -> None:
    played = _play(start(grant=True, propagation=75.0), Cloud(validations=[missing_permissions()] * 10))

    assert played.names.count("validate_for_backup") == dp_flow.MAX_VALIDATIONS
    assert played.names.count("assign_role") == 1
    propagation = [w for w in played.waits() if w == timedelta(seconds=75)]
    assert len(propagation) == dp_flow.MAX_VALIDATIONS - 1  # no wait after the last validation
    assert played.output["kind"] == "failed"
    assert played.output["reason"] == (
        "permissions were still missing after granting the roles: "
        "Appropriate permissions to perform the operation is missing."
    )
    assert played.output["roles_granted"] == [ROLE]
    assert "create_backup_instance" not in played.names


def test_missing_roles_without_grant_fail_naming_them_and_grant_nothing() -> None:
    error = missing_permissions()
    played = _play(start(grant=False), Cloud(validations=[error]))

    assert played.names == [*HAPPY[:5], "publish_protection_outcome"]
    assert played.output["kind"] == "failed"
    assert played.output["reason"] == (
        f"the vault identity is missing required roles (Storage Account Backup Contributor on {DATASOURCE}); "
        "grant them, or set PROTECTION_GRANT_ROLES=true to let Backup Autopilot assign them"
    )
    assert played.output["error"] == error.to_dict()
    assert played.output["roles_granted"] == []


def test_a_refused_role_assignment_fails_naming_the_role() -> None:
    refused = ArmError(status=403, code="AuthorizationFailed", message="no roleAssignments/write")
    played = _play(start(grant=True), Cloud(validations=[missing_permissions()], assign_error=refused))

    assert played.names == [*HAPPY[:5], "read_vault_principal", "assign_role", "publish_protection_outcome"]
    assert played.output["kind"] == "failed"
    assert (
        played.output["reason"]
        == "assigning Storage Account Backup Contributor failed: no roleAssignments/write"
    )
    assert played.output["error"] == refused.to_dict()


def test_already_protected_at_validation_ends_without_create() -> None:
    error = already_protected()
    played = _play(start(), Cloud(validations=[error]))

    assert played.names == [*HAPPY[:5], "find_protection_holder", "publish_protection_outcome"]
    assert played.output["kind"] == "already_protected"
    assert played.output["reason"] == error.message
    assert played.output["error"] == error.to_dict()
    assert _published(played) == played.output


@pytest.mark.parametrize("where", ["create request", "create operation"])
def test_already_protected_at_create_is_a_success(where: str) -> None:
    error = already_protected()
    cloud = Cloud(create_error=error) if where == "create request" else Cloud(create_poll_error=error)
    played = _play(start(), cloud)

    assert "read_backup_instance" not in played.names
    assert played.output["kind"] == "already_protected"
    assert played.output["reason"] == error.message


def _storage(datasource: str, **changes: Any) -> dict[str, Any]:
    return {**ACCOUNT, "id": datasource, **changes}


OTHER_SUBSCRIPTION = DATASOURCE.replace(
    "11111111-1111-1111-1111-111111111111", "33333333-3333-3333-3333-333333333333"
)


@pytest.mark.parametrize(
    ("datasource", "resource_type", "read", "reason", "names"),
    [
        pytest.param(
            DATASOURCE,
            STORAGE,
            ResourceRead(found=False, reason="ResourceNotFound"),
            "the resource no longer exists",
            ["read_and_plan", "publish_protection_outcome"],
            id="deleted",
        ),
        pytest.param(
            DATASOURCE.replace("Microsoft.Storage/storageAccounts", "Microsoft.Web/sites"),
            "Microsoft.Web/sites",
            None,
            "resource type Microsoft.Web/sites is not supported",
            ["publish_protection_outcome"],
            id="unsupported-type",
        ),
        pytest.param(
            DATASOURCE,
            STORAGE,
            ResourceRead(found=True, resource=_storage(DATASOURCE, tags={"backup": "off"})),
            None,
            ["read_and_plan", "publish_protection_outcome"],
            id="excluded-by-tag",
        ),
        pytest.param(
            OTHER_SUBSCRIPTION,
            STORAGE,
            ResourceRead(found=True, resource=_storage(OTHER_SUBSCRIPTION)),
            None,
            ["read_and_plan", "publish_protection_outcome"],
            id="no-rule-matches",
        ),
    ],
)
def test_skipped_datasources_are_published_as_skipped(
    datasource: str, resource_type: str, read: ResourceRead | None, reason: str | None, names: list[str]
) -> None:
    begin = start(datasource=datasource, resource_type=resource_type)
    played = _play(begin, Cloud(read=read))

    assert played.names == names
    assert played.output["kind"] == "skipped"
    if reason is None:  # the plan's own reason, verbatim
        assert read is not None and read.resource is not None
        planned = plan_protection(begin.request, read.resource, RULES)
        assert planned.action == "skip" and planned.reason
        reason = planned.reason
    assert played.output["reason"] == reason
    assert _published(played) == played.output


def test_a_dry_run_plans_then_publishes_what_it_would_do() -> None:
    begin = start(dry_run=True)
    played = _play(begin, Cloud())

    assert played.names == ["read_and_plan", "publish_protection_outcome"]
    assert played.inputs("read_and_plan") == [PlanRead(begin.request, DATASOURCE, API, dry_run=True)]
    assert played.output["kind"] == "dry_run"
    assert played.output["reason"].startswith(f"would protect in {VAULT} (")
    assert played.output["backup_instance_id"] == dp.backup_instance_id(
        VAULT, dp.backup_instance_name(DATASOURCE)
    )


def _arm(code: str, message: str) -> ArmError:
    return ArmError(
        status=400,
        code=code,
        message=message,
        details=[{"code": "InnerCode", "message": "inner"}],
        recommended_action=["Do the thing."],
        request_id="req-1",
    )


@pytest.mark.parametrize(
    ("stage", "context"),
    [
        ("read", "reading the resource failed"),
        ("validation", "validation failed"),
        ("create request", "creating the backup instance failed"),
        ("create operation", "creating the backup instance failed"),
        ("confirmation", "reading the backup instance failed"),
    ],
)
def test_arm_errors_fail_the_protection_with_the_error_verbatim(stage: str, context: str) -> None:
    error: BackupAutopilotError = _arm(
        "UserErrorSomethingWrong", "The datasource cannot be protected: reason."
    )
    cloud = {
        "read": lambda: Cloud(read=ResourceRead(error=error)),
        "validation": lambda: Cloud(validations=[error]),
        "create request": lambda: Cloud(create_error=error),
        "create operation": lambda: Cloud(create_poll_error=error),
        "confirmation": lambda: Cloud(instance=BackupInstanceState(error=error)),
    }[stage]()
    played = _play(start(), cloud)

    assert played.output["kind"] == "failed"
    assert played.output["reason"] == f"{context}: The datasource cannot be protected: reason."
    assert played.output["error"] == error.to_dict()
    assert _published(played) == played.output
    assert played.statuses[-1]["outcome"] == "failed"


def test_a_failed_protection_status_after_create_fails() -> None:
    played = _play(start(), Cloud(protection_status="ConfiguringProtectionFailed"))

    assert played.names == HAPPY
    assert played.output["kind"] == "failed"
    assert played.output["reason"] == "protection status is ConfiguringProtectionFailed"
    assert played.output["error"]["code"] == "ConfiguringProtectionFailed"


@pytest.mark.parametrize(
    "activity",
    [
        "read_and_plan",
        "read_resource",  # the policy
        "validate_for_backup",
        "poll_operation",
        "create_backup_instance",
        "read_backup_instance",
        "read_vault_principal",
    ],
)
def test_an_activity_failing_after_its_retries_still_publishes_a_failed_outcome(activity: str) -> None:
    cloud = Cloud(validations=[missing_permissions(), None], flaky={activity})
    played = _play(start(grant=True), cloud)

    failures = played.history.of_type(Event.TASK_FAILED)
    assert len(failures) == TRANSIENT_RETRY.max_number_of_attempts
    assert {f["Reason"] for f in failures} == {f"Activity function '{activity}' failed: {TRANSIENT}"}
    assert played.names[-1] == "publish_protection_outcome"
    assert played.names[-2] == activity
    assert played.output["kind"] == "failed"
    assert played.output["error"]["code"] == "TransientFailuresExhausted"
    assert played.output["reason"].startswith(
        f"gave up after repeated transient failures: Activity function '{activity}' failed: {TRANSIENT}"
    )
    assert _published(played) == played.output
    assert played.statuses[-1] == {"phase": "done", "datasourceId": DATASOURCE, "outcome": "failed"}


def test_a_backup_instance_not_found_after_create_is_not_protected() -> None:
    played = _play(start(), Cloud(instance=BackupInstanceState(found=False)))

    assert played.names == HAPPY
    assert played.output["kind"] == "failed", played.output["reason"]
    assert played.output["error"]["code"] == "BackupInstanceNotFound"


def test_the_input_request_travels_unchanged_into_the_plan() -> None:
    request = ProtectionRequest(
        DATASOURCE, STORAGE, source_event_id="ev-1", correlation_id="c-9", origin="sweep"
    )
    begin = ProtectionStart(request, start().options)
    played = _play(begin, Cloud())

    (plan_input,) = played.inputs("read_and_plan")
    assert plan_input.request == request
    assert played.output["correlation_id"] == "c-9"
    assert all(
        getattr(c.input, "correlation_id", "c-9") == "c-9"
        for c in played.calls()
        if c.name != "read_and_plan"
    )


# -- protected only when the instance says so ----------------------------------------------------------


def _state(state: str, details: dict[str, Any] | None = None) -> BackupInstanceState:
    return BackupInstanceState(
        found=True, protection_status=state, current_protection_state=state, error_details=details
    )


def test_protected_only_once_configuring_protection_has_settled() -> None:
    configuring = _state("ConfiguringProtection")
    played = _play(start(), Cloud(instances=[configuring, configuring, _state("ProtectionConfigured")]))

    assert played.names.count("read_backup_instance") == 3
    settle_waits = played.waits()[-2:]
    assert settle_waits == [timedelta(seconds=dp_flow.SETTLE_SECONDS)] * 2
    assert played.output["kind"] == "protected"
    assert any(s.get("phase") == "configuring_protection" for s in played.statuses)


def test_a_create_that_succeeds_into_protection_error_fails_with_the_error_details_verbatim() -> None:
    details = {
        "code": "UserErrorMissingRequiredPermissions",
        "message": "Appropriate permissions to perform the operation is missing.",
        "recommendedAction": ["Grant the vault's identity its role, then retry."],
        "isRetryable": False,
        "isUserError": True,
    }
    played = _play(start(), Cloud(instance=_state("ProtectionError", details)))

    output = played.output
    assert output["kind"] == "failed"
    assert output["error"]["code"] == details["code"] and output["error"]["message"] == details["message"]
    assert output["error"]["recommendedAction"] == details["recommendedAction"]
    assert output["reason"] == f"protection status is ProtectionError: {details['message']}"


def test_protection_that_never_settles_ends_failed_saying_so() -> None:
    played = _play(start(), Cloud(instance=_state("ConfiguringProtection")))

    assert played.names.count("read_backup_instance") == dp_flow.MAX_SETTLE_CHECKS
    assert played.output["kind"] == "failed"
    assert played.output["error"]["code"] == "ProtectionNotSettled"
    assert "ConfiguringProtection" in played.output["reason"]


def test_a_status_get_that_fails_to_read_is_read_again_not_taken_as_a_failed_operation() -> None:
    unreadable = OperationPoll(read_error=ArmError(status=403, code="AuthorizationFailed", message="denied"))
    done = OperationPoll(done=True, succeeded=True)
    played = _play(start(), Cloud(create_polls=[unreadable, done]))

    assert played.output["kind"] == "protected"
    assert played.names.count("create_backup_instance") == 1


def test_an_operation_the_service_no_longer_knows_is_a_distinct_outcome() -> None:
    gone = OperationPoll(read_error=ArmError(status=404, code="NotFound", message="no such operation"))
    played = _play(start(), Cloud(create_polls=[gone]))

    assert played.output["kind"] == "failed"
    assert played.output["error"]["code"] == "OperationExpired"


def test_a_failed_operation_marked_retryable_is_created_again() -> None:
    retryable = ArmError(status=200, code="InternalError", message="try again", is_retryable=True)
    failed_once = OperationPoll(done=True, error=retryable)
    played = _play(start(), Cloud(create_polls=[failed_once, OperationPoll(done=True, succeeded=True)]))

    assert played.names.count("create_backup_instance") == 2
    assert timedelta(seconds=dp_flow.RETRY_CREATE_SECONDS) in played.waits()
    assert played.output["kind"] == "protected"


def test_a_failed_operation_that_is_not_retryable_is_not_created_again() -> None:
    refused = ArmError(status=200, code="UserErrorInvalidPolicy", message="the policy does not fit")
    played = _play(start(), Cloud(create_polls=[OperationPoll(done=True, error=refused)]))

    assert played.names.count("create_backup_instance") == 1
    assert played.output["kind"] == "failed" and played.output["error"]["code"] == "UserErrorInvalidPolicy"


def test_already_protected_in_the_rules_vault_and_policy_is_a_success() -> None:
    plan = plan_protection(ProtectionRequest(DATASOURCE, STORAGE), ACCOUNT, RULES)
    holder = Holder(True, f"{plan.vault_id}/backupInstances/bi-x", plan.vault_id, plan.policy_id)
    played = _play(start(), Cloud(validations=[already_protected()], holder=holder))

    assert played.output["kind"] == "already_protected"
    (lookup,) = played.inputs("find_protection_holder")
    assert lookup.resource_id == DATASOURCE


def test_an_instance_a_person_stopped_is_skipped_saying_how_to_resume_never_re_created() -> None:
    plan = plan_protection(ProtectionRequest(DATASOURCE, STORAGE), ACCOUNT, RULES)
    instance = f"{plan.vault_id}/backupInstances/bi-x"
    holder = Holder(True, instance, plan.vault_id, plan.policy_id, state="ProtectionStopped")
    played = _play(start(), Cloud(validations=[already_protected()], holder=holder))

    assert "create_backup_instance" not in played.names
    assert played.output["kind"] == "skipped"
    assert played.output["reason"].startswith(f"{instance} in {plan.vault_id} is ProtectionStopped: ")
    assert "POST /api/protection-changes (change resume)" in played.output["reason"]


def test_already_protected_elsewhere_is_drift_naming_both_and_nothing_moves() -> None:
    legacy = DATASOURCE.split("/resourceGroups/")[0] + (
        "/resourceGroups/rg-old/providers/Microsoft.DataProtection/backupVaults/bv-legacy"
    )
    holder = Holder(True, f"{legacy}/backupInstances/bi-x", legacy, f"{legacy}/backupPolicies/old")
    played = _play(start(), Cloud(validations=[already_protected()], holder=holder))

    output = played.output
    assert output["kind"] == "drift"
    assert "bv-legacy" in output["reason"] and "bv-weu" in output["reason"]
    assert output["vault_id"] == legacy and output["policy_id"].endswith("/old")
    assert "create_backup_instance" not in played.names


KNOWN = (
    f"{DATASOURCE.split('/resourceGroups/')[0]}/resourceGroups/rg-backup-weu/providers/"
    "Microsoft.DataProtection/backupVaults/bv-weu/backupInstances/bi-known"
)


def test_a_write_of_a_settled_datasource_reads_its_instance_once_and_publishes_nothing_when_unchanged() -> (
    None
):
    begin = replace(start(), known_backup_instance_id=KNOWN)
    played = _play(begin, Cloud(instance=_state("ProtectionConfigured")))

    assert played.names == ["read_backup_instance"]
    (read,) = played.inputs("read_backup_instance")
    assert read.resource_id == KNOWN
    assert played.output["kind"] == "unchanged" and played.output["backup_instance_id"] == KNOWN


@pytest.mark.parametrize("found", [BackupInstanceState(found=False), _state("ProtectionStopped")])
def test_a_write_of_a_settled_datasource_whose_instance_is_gone_or_unconfigured_protects_again(
    found: BackupInstanceState,
) -> None:
    begin = replace(start(), known_backup_instance_id=KNOWN)
    played = _play(begin, Cloud(instances=[found]))

    assert played.names[0] == "read_backup_instance" and played.names[1:] == HAPPY
    assert played.output["kind"] == "protected"


def test_a_create_refused_because_the_instance_is_soft_deleted_says_so_with_what_to_do() -> None:
    refused = _arm("UserErrorBackupInstanceSoftDeleted", "The datasource has a soft deleted backup instance.")
    kept = InstanceState(found=True, state="SoftDeleted", purge_time="2025-03-15T12:00:00Z")
    played = _play(start(), Cloud(create_error=refused, soft_deleted=kept))

    assert played.names.count("read_deleted_instance") == 1
    out = played.output
    assert out["kind"] == "failed"
    assert "is soft-deleted in" in out["reason"] and "purged on 2025-03-15T12:00:00Z" in out["reason"]
    assert out["error"]["code"] == "UserErrorBackupInstanceSoftDeleted"
    actions = out["error"]["recommendedAction"]
    assert actions[0].startswith("Undelete it (POST ") and "/deletedBackupInstances/" in actions[0]
    assert any("another vault" in a for a in actions)


def test_a_refused_create_with_nothing_soft_deleted_stays_the_service_refusal() -> None:
    refused = _arm("UserErrorSomethingWrong", "No.")
    played = _play(start(), Cloud(create_error=refused))
    assert played.names.count("read_deleted_instance") == 1
    assert played.output["reason"] == "creating the backup instance failed: No."


def test_a_vaulted_blob_policy_backs_up_the_account_s_containers() -> None:
    played = _play(start(), Cloud(policy=VAULTED_POLICY, containers=["reports", "invoices"]))

    assert played.names[:3] == ["read_and_plan", "read_resource", "list_blob_containers"]
    for name in ("validate_for_backup", "create_backup_instance"):
        (sent,) = played.inputs(name)
        assert dp.blob_containers_of(sent.instance) == ["invoices", "reports"], name
    assert played.output["kind"] == "protected"


def test_a_vaulted_blob_policy_and_no_container_yet_is_skipped_until_one_is_written() -> None:
    played = _play(start(), Cloud(policy=VAULTED_POLICY, containers=[]))

    assert "validate_for_backup" not in played.names and "create_backup_instance" not in played.names
    assert played.output["kind"] == "skipped"
    assert "no container matches every container yet" in played.output["reason"]


def test_a_written_container_joins_a_settled_vaulted_backup_with_the_same_put_and_no_validation() -> None:
    begin = replace(start(), known_backup_instance_id=KNOWN)
    settled = BackupInstanceState(
        found=True, current_protection_state="ProtectionConfigured", containers=["invoices"]
    )
    cloud = Cloud(instances=[settled], policy=VAULTED_POLICY, containers=["invoices", "reports"])
    played = _play(begin, cloud)

    assert "validate_for_backup" not in played.names
    (sent,) = played.inputs("create_backup_instance")
    assert dp.blob_containers_of(sent.instance) == ["invoices", "reports"]
    assert played.output["kind"] == "protected"
    assert "containers updated (added reports): invoices, reports" in played.output["reason"]

    same = _play(begin, Cloud(instances=[settled], policy=VAULTED_POLICY, containers=["invoices"]))
    assert "create_backup_instance" not in same.names and "publish_protection_outcome" not in same.names
    assert same.output["kind"] == "unchanged"


def _orphan_cloud(state: str = "ProtectionConfigured", lock_holder: str | None = None) -> Cloud:
    holder = Holder(
        found=True, backup_instance_id=KNOWN, vault_id=VAULT, policy_id=f"{VAULT}/backupPolicies/p"
    )
    return Cloud(holder=holder, protection_state=state, lock_holder=lock_holder)


def test_a_deleted_datasource_is_orphaned_and_its_backup_left_alone_by_default() -> None:
    played = _play(start(origin="delete"), _orphan_cloud())

    assert played.names == ["find_protection_holder", "publish_protection_outcome"]
    assert played.output["kind"] == "orphaned" and played.output["backup_instance_id"] == KNOWN


def test_with_stop_orphans_a_deleted_datasource_s_protection_is_stopped_keeping_its_data() -> None:
    played = _play(start(origin="delete", stop_orphans=True), _orphan_cloud())

    assert played.names == [
        "find_protection_holder",
        "read_protection_state",
        "take_instance_lock",  # as every change of a backup instance, one at a time
        "protection_change_call",
        "timer",
        "poll_operation",
        "release_instance_lock",
        "publish_protection_outcome",
    ]
    (taken,) = played.inputs("take_instance_lock")
    assert taken.backup_instance_id == KNOWN and played.inputs("release_instance_lock") == [taken]
    assert played.output["kind"] == "orphaned"
    assert played.output["reason"].endswith(
        "protection stopped (PROTECTION_STOP_ORPHANS), backup data retained"
    )

    stopped = _play(start(origin="delete", stop_orphans=True), _orphan_cloud("ProtectionStopped"))
    assert "protection_change_call" not in stopped.names
    assert stopped.output["reason"].endswith("its protection was stopped already")


def test_an_orphan_whose_instance_a_request_holds_is_not_stopped_under_it() -> None:
    played = _play(start(origin="delete", stop_orphans=True), _orphan_cloud(lock_holder="restore-abc"))

    assert "protection_change_call" not in played.names and "release_instance_lock" not in played.names
    assert played.output["kind"] == "orphaned"
    assert played.output["reason"].endswith("protection not stopped: request restore-abc is running")


def _first_backup_start() -> ProtectionStart:
    begin = start()
    return replace(begin, options=replace(begin.options, first_backup=True))


def test_with_first_backup_a_vaulted_protection_is_backed_up_and_names_its_recovery_point() -> None:
    played = _play(_first_backup_start(), Cloud(policy=VAULTED_POLICY, containers=["invoices"]))

    after_protection = played.names[played.names.index("read_backup_instance") + 1 :]
    assert after_protection == [
        "list_backup_jobs",
        "backup_trigger",
        "timer",
        "poll_operation",
        "timer",
        "read_backup_job",
        "list_recovery_points",
        "publish_protection_outcome",
    ]
    (sent,) = played.inputs("backup_trigger")
    assert sent.body == {
        "backupRuleOptions": {"ruleName": "BackupDaily", "triggerOption": {"retentionTagOverride": "Default"}}
    }
    out = played.output
    assert out["kind"] == "protected" and out["reason"].endswith(
        "first backup taken: recovery point rp-first"
    )
    assert out["first_recovery_point"]["id"] == "rp-first"


def test_with_first_backup_an_operational_policy_has_nothing_to_prove() -> None:
    played = _play(_first_backup_start(), Cloud())

    assert "backup_trigger" not in played.names
    assert played.names.count("read_resource") == 1  # the policy: read once
    assert played.output["reason"].endswith("no first backup: the policy backs up operationally")
    assert played.output["first_recovery_point"] is None
