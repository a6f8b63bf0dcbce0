"""``protect_datasource``: the protection state machine for one datasource.

read the resource -> plan (rules, eligibility, request) -> validateForBackup + track -> [grant roles, wait for
propagation, validate again] -> create the backup instance + track -> confirm -> publish the outcome.
Every wait is a durable timer; every ARM call is an activity; the outcome is the orchestration's output.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from typing import Any

import azure.durable_functions as df

from functions.protection.activities import BackupInstanceState, VaultPrincipal
from functions.protection.blueprint import bp
from functions.tracking import call, track_operation, wait
from shared.arm.ids import parse_resource_id
from shared.arm.steps import OperationPoll, OperationStarted, ResourceRead, RoleAssigned
from shared.errors import (
    MISSING_PERMISSIONS_CODE,
    ArmError,
    BackupAutopilotError,
    Classification,
    parse_error_object,
)
from shared.protection.holder import Holder
from shared.protection.kinds import kind_for_type
from shared.protection.messages import (
    BackupInstanceRequest,
    OutcomeKind,
    PlanRequest,
    ProtectionOutcome,
    ProtectionStart,
    ReadRequest,
    RoleGrant,
)
from shared.protection.plan import DRY_RUN, SKIP, ProtectionPlan
from shared.services import dataprotection as dp
from shared.services import resourcegraph as rg

MAX_VALIDATIONS = 4  # first validation + re-validations while granted roles propagate
MAX_CREATES = 3  # the create, and re-creates after failures the service marks retryable
RETRY_CREATE_SECONDS = 60.0
MAX_SETTLE_CHECKS = 20  # reads of the instance until ProtectionConfigured (the first right after create)
SETTLE_SECONDS = 30.0
_CONFIGURING = frozenset({"configuringprotection", "updatingprotection"})
_PROTECTION_FAILED = frozenset({"protectionerror", "configuringprotectionfailed"})
Flow = Generator[Any, Any, dict[str, Any]]


def _missing_permissions(error: BackupAutopilotError) -> bool:
    return isinstance(error, ArmError) and error.has_code(MISSING_PERMISSIONS_CODE)


def _unknown(message: str) -> BackupAutopilotError:
    return BackupAutopilotError(message)


class _Protection:
    """One run of the state machine; ``outcome`` builds the result with what is known so far."""

    def __init__(self, context: df.DurableOrchestrationContext) -> None:
        self.context = context
        start: ProtectionStart = context.get_input(expected_type=ProtectionStart)
        self.request = start.request
        self.options = start.options
        self.known_backup_instance_id = start.known_backup_instance_id
        self.datasource_id: str = self.request.datasource_id
        self.correlation_id = self.request.correlation_id
        self.started_at = context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.plan: ProtectionPlan | None = None
        self.roles_granted: list[dict[str, str]] = []

    def phase(self, name: str, **extra: Any) -> None:
        self.context.set_custom_status({"phase": name, "datasourceId": self.datasource_id, **extra})

    def outcome(
        self, kind: OutcomeKind, reason: str, error: BackupAutopilotError | None = None
    ) -> ProtectionOutcome:
        plan = self.plan
        return ProtectionOutcome(
            kind=kind,
            datasource_id=self.datasource_id,
            reason=reason,
            error=error,
            backup_instance_id=plan.backup_instance_id if plan else None,
            vault_id=plan.vault_id if plan else None,
            policy_id=plan.policy_id if plan else None,
            rule=plan.rule if plan else None,
            roles_granted=self.roles_granted,
            correlation_id=self.correlation_id,
            started_at=self.started_at,
            finished_at=self.context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )

    def failed(self, error: BackupAutopilotError, context_text: str) -> ProtectionOutcome:
        return self.outcome(OutcomeKind.FAILED, f"{context_text}: {error.message or 'unknown error'}", error)

    def read_request(self, resource_id: str, api_version: str) -> ReadRequest:
        return ReadRequest(resource_id, api_version, self.correlation_id)

    # -- steps ------------------------------------------------------------------------------------

    def read(self) -> Generator[Any, Any, ProtectionOutcome | tuple[dict[str, Any], dict[str, Any] | None]]:
        rid = parse_resource_id(self.datasource_id)
        kind = kind_for_type(rid.type)
        if kind is None:
            return self.outcome(OutcomeKind.SKIPPED, f"resource type {rid.type} is not supported")
        self.phase("reading")
        read: ResourceRead = yield call(
            self.context, "read_resource", self.read_request(self.datasource_id, kind.resource_api_version)
        )
        if read.error is not None:
            return self.failed(read.error, "reading the resource failed")
        if not read.found:
            return self.outcome(OutcomeKind.SKIPPED, "the resource no longer exists")
        resource = read.resource or {}
        parent = None
        if not resource.get("location") and rid.parent is not None:
            # A PostgreSQL single-server database carries no location or tags: its server does.
            read_parent: ResourceRead = yield call(
                self.context,
                "read_resource",
                self.read_request(rid.parent.canonical(), kind.resource_api_version),
            )
            if read_parent.error is not None:
                return self.failed(read_parent.error, "reading the parent resource failed")
            parent = read_parent.resource
        return resource, parent

    def start_and_track(
        self, activity: str, request: BackupInstanceRequest
    ) -> Generator[Any, Any, OperationPoll]:
        started: OperationStarted = yield call(self.context, activity, request)
        return (yield from track_operation(self.context, started, self.correlation_id))

    def validate(self) -> Generator[Any, Any, ProtectionOutcome | None]:
        plan = self.plan
        assert plan is not None and plan.vault_id is not None and plan.instance is not None
        error: BackupAutopilotError | None = None
        for attempt in range(1, MAX_VALIDATIONS + 1):
            self.phase("validating", attempt=attempt)
            request = BackupInstanceRequest(plan.vault_id, plan.instance, correlation_id=self.correlation_id)
            result = yield from self.start_and_track("validate_for_backup", request)
            error = result.error
            if error is None:
                return None
            if error.classification is Classification.ALREADY_PROTECTED:
                return (yield from self.already_protected(error))
            if error.classification is Classification.TRANSIENT and attempt < MAX_VALIDATIONS:
                # A validation operation the service failed but marks retryable (InternalError...): again.
                self.phase("retrying_validation", attempt=attempt)
                yield wait(self.context, RETRY_CREATE_SECONDS)
                continue
            if not _missing_permissions(error):
                return self.failed(error, "validation failed")
            if not self.options.grant_roles:
                missing = ", ".join(f"{r['roleName']} on {r['scopeId']}" for r in plan.roles)
                reason = (
                    f"the vault identity is missing required roles ({missing}); grant them, or set "
                    f"PROTECTION_GRANT_ROLES=true to let Backup Autopilot assign them"
                )
                return self.outcome(OutcomeKind.FAILED, reason, error)
            if not self.roles_granted:
                granted = yield from self.grant_roles()
                if granted is not None:
                    return granted
            if attempt < MAX_VALIDATIONS:
                seconds = self.options.role_propagation_seconds
                self.phase("waiting_for_role_propagation", seconds=seconds)
                yield wait(self.context, seconds)
        return self.failed(
            error or _unknown("validation failed"), "permissions were still missing after granting the roles"
        )

    def grant_roles(self) -> Generator[Any, Any, ProtectionOutcome | None]:
        plan = self.plan
        assert plan is not None and plan.vault_id is not None
        self.phase("granting_roles")
        vault: VaultPrincipal = yield call(
            self.context, "read_vault_principal", self.read_request(plan.vault_id, dp.API_VERSION)
        )
        if vault.error is not None or not vault.principal_id:
            return self.failed(
                vault.error or _unknown("the vault has no system-assigned identity"),
                "reading the vault identity failed",
            )
        tasks = [
            call(
                self.context,
                "assign_role",
                RoleGrant(
                    need["scopeId"],
                    need["roleName"],
                    need["roleDefinitionGuid"],
                    vault.principal_id,
                    self.correlation_id,
                ),
            )
            for need in plan.roles
        ]
        results: list[RoleAssigned] = yield self.context.task_all(tasks)
        for need, result in zip(plan.roles, results, strict=True):
            if result.error is not None:
                return self.failed(result.error, f"assigning {need['roleName']} failed")
        self.roles_granted = list(plan.roles)
        return None

    def create(self) -> Generator[Any, Any, ProtectionOutcome]:
        plan = self.plan
        assert plan is not None and plan.vault_id is not None and plan.instance is not None
        assert plan.backup_instance_name is not None
        self.phase("creating_backup_instance")
        request = BackupInstanceRequest(
            plan.vault_id, plan.instance, plan.backup_instance_name, self.correlation_id
        )
        for attempt in range(1, MAX_CREATES + 1):
            result = yield from self.start_and_track("create_backup_instance", request)
            error = result.error
            if error is None:
                return (yield from self.settle())
            if error.classification is Classification.ALREADY_PROTECTED:
                return (yield from self.already_protected(error))
            if error.classification is not Classification.TRANSIENT or attempt == MAX_CREATES:
                return self.failed(error, "creating the backup instance failed")
            # The service says the failure is worth retrying (isRetryable, InternalError...): the PUT is
            # idempotent (same name, same body), so configuring protection is asked for again.
            self.phase(
                "retrying_create",
                attempt=attempt,
                code=error.kind if not isinstance(error, ArmError) else error.code,
            )
            yield wait(self.context, RETRY_CREATE_SECONDS)
        raise AssertionError("unreachable: the loop returns")

    def already_protected(self, error: BackupAutopilotError) -> Generator[Any, Any, ProtectionOutcome]:
        """A success when the rule's vault and policy hold it; drift (reported, never moved) otherwise."""
        plan = self.plan
        assert plan is not None
        holder: Holder = yield call(
            self.context, "find_protection_holder", self.read_request(self.datasource_id, rg.API_VERSION)
        )
        same_vault = (holder.vault_id or "").lower() == (plan.vault_id or "").lower()
        same_policy = (holder.policy_id or "").lower() == (plan.policy_id or "").lower()
        if holder.found and not (same_vault and same_policy):
            reason = (
                f"already protected by {holder.policy_id} in {holder.vault_id}, but rule {plan.rule} names "
                f"{plan.policy_id} in {plan.vault_id}; backups are not moved automatically"
            )
            outcome = self.outcome(OutcomeKind.DRIFT, reason, error)
            return replace(
                outcome,
                backup_instance_id=holder.backup_instance_id,
                vault_id=holder.vault_id,
                policy_id=holder.policy_id,
            )
        return self.outcome(OutcomeKind.ALREADY_PROTECTED, error.message, error)

    def settle(self) -> Generator[Any, Any, ProtectionOutcome]:
        """Protected only once the instance says ``ProtectionConfigured``; followed with durable timers."""
        plan = self.plan
        assert plan is not None and plan.backup_instance_id is not None
        state = ""
        for check_number in range(1, MAX_SETTLE_CHECKS + 1):
            check: BackupInstanceState = yield call(
                self.context,
                "read_backup_instance",
                self.read_request(plan.backup_instance_id, dp.API_VERSION),
            )
            if check.error is not None:
                return self.failed(check.error, "reading the backup instance failed")
            if not check.found:
                missing = ArmError(
                    status=404, code="BackupInstanceNotFound", message="not found after create"
                )
                return self.failed(missing, "reading the backup instance failed")
            state = check.current_protection_state or check.protection_status or "Unknown"
            lowered = state.lower()
            if lowered == "protectionconfigured":
                reason = f"protected by rule {plan.rule} (protection status {state})"
                return self.outcome(OutcomeKind.PROTECTED, reason)
            if lowered in _PROTECTION_FAILED:
                reason = f"protection status is {state}"
                error = ArmError(status=200, **parse_error_object(check.error_details or {}))
                if not error.code:  # no details: the state is all the service said
                    return self.outcome(
                        OutcomeKind.FAILED, reason, ArmError(status=200, code=state, message=reason)
                    )
                return self.outcome(OutcomeKind.FAILED, f"{reason}: {error.message}", error)
            if lowered not in _CONFIGURING:
                error = ArmError(status=200, code=state, message=f"the backup instance is {state}")
                return self.outcome(OutcomeKind.FAILED, f"protection state is {state}", error)
            self.phase("configuring_protection", state=state, checks=check_number)
            if check_number < MAX_SETTLE_CHECKS:
                yield wait(self.context, SETTLE_SECONDS)
        minutes = (MAX_SETTLE_CHECKS - 1) * SETTLE_SECONDS / 60
        error = ArmError(
            status=200, code="ProtectionNotSettled", message=f"still {state} after {minutes:g} minutes"
        )
        return self.outcome(
            OutcomeKind.FAILED, f"protection had not settled: still {state} after {minutes:g} minutes", error
        )

    def recheck(self) -> Generator[Any, Any, ProtectionOutcome | None]:
        """One read of the backup instance a settled protection left: unchanged, or None (protect again)."""
        known = self.known_backup_instance_id
        assert known is not None
        self.phase("rechecking", backupInstanceId=known)
        check: BackupInstanceState = yield call(
            self.context, "read_backup_instance", self.read_request(known, dp.API_VERSION)
        )
        state = check.current_protection_state or check.protection_status or ""
        if check.error is None and check.found and state.lower() == "protectionconfigured":
            outcome = self.outcome(OutcomeKind.UNCHANGED, f"re-checked: {known} is still {state}")
            return replace(outcome, backup_instance_id=known)
        return None

    def deleted(self) -> Generator[Any, Any, ProtectionOutcome]:
        """The datasource was deleted: which backup instance keeps its data (a person decides its fate)."""
        self.phase("recording_deletion")
        holder: Holder = yield call(
            self.context, "find_protection_holder", self.read_request(self.datasource_id, rg.API_VERSION)
        )
        if not holder.found:
            return self.outcome(
                OutcomeKind.SKIPPED, "the resource was deleted; no backup instance protected it"
            )
        reason = (
            f"the resource was deleted; backup instance {holder.backup_instance_id} keeps its backup data "
            "(never deleted automatically: stop protection and retain or delete the data in the vault)"
        )
        outcome = self.outcome(OutcomeKind.ORPHANED, reason)
        return replace(
            outcome,
            backup_instance_id=holder.backup_instance_id,
            vault_id=holder.vault_id,
            policy_id=holder.policy_id,
        )

    def run(self) -> Generator[Any, Any, ProtectionOutcome]:
        if self.request.origin == "delete":
            return (yield from self.deleted())
        if self.known_backup_instance_id:
            unchanged = yield from self.recheck()
            if unchanged is not None:
                return unchanged
        read = yield from self.read()
        if isinstance(read, ProtectionOutcome):
            return read
        resource, parent = read
        self.phase("planning")
        self.plan = yield call(
            self.context,
            "plan_protection",
            PlanRequest(self.request, resource, parent, dry_run=self.options.dry_run),
        )
        if self.plan.action == SKIP:
            return self.outcome(OutcomeKind.SKIPPED, self.plan.reason)
        if self.plan.action == DRY_RUN:
            return self.outcome(
                OutcomeKind.DRY_RUN, f"would protect in {self.plan.vault_id} ({self.plan.reason})"
            )
        validated = yield from self.validate()
        if validated is not None:
            return validated
        return (yield from self.create())


@bp.orchestration_trigger(context_name="context")
def protect_datasource(context: df.DurableOrchestrationContext) -> Flow:
    protection = _Protection(context)
    try:
        outcome = yield from protection.run()
    except Exception as exc:  # an activity failed after its transient retries: still an outcome, never lost
        error = ArmError(status=0, code="TransientFailuresExhausted", message=str(exc)[:2000])
        outcome = protection.outcome(
            OutcomeKind.FAILED, f"gave up after repeated transient failures: {exc}".strip(), error
        )
    if outcome.kind is not OutcomeKind.UNCHANGED:  # a re-check that changed nothing tells nobody anything new
        protection.phase("publishing", outcome=outcome.kind.value)
        yield call(context, "publish_protection_outcome", outcome)
    protection.phase("done", outcome=outcome.kind.value)
    return outcome.to_json()
