"""``protect_datasource``: the protection state machine for one datasource.

read the resource -> plan (rules, eligibility, request) -> validateForBackup + track -> [grant roles, wait for
propagation, validate again] -> create the backup instance + track -> confirm -> publish the outcome.
Every wait is a durable timer; every ARM call is an activity; the outcome is the orchestration's output.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from functions.protection.blueprint import bp
from functions.tracking import call, track_operation, wait
from shared.arm.ids import parse_resource_id
from shared.errors import ArmError, Classification, error_from_dict
from shared.protection.kinds import kind_for_type
from shared.protection.messages import OutcomeKind, ProtectionOutcome
from shared.protection.plan import DRY_RUN, SKIP, ProtectionPlan

MISSING_PERMISSIONS = "UserErrorMissingRequiredPermissions"
MAX_VALIDATIONS = 4  # first validation + re-validations while granted roles propagate
Flow = Generator[Any, Any, dict[str, Any]]


def _error_message(error: dict[str, Any]) -> str:
    return str(error.get("message") or error.get("code") or "unknown error")


def _arm_error(error: dict[str, Any]) -> ArmError | None:
    parsed = error_from_dict(error)
    return parsed if isinstance(parsed, ArmError) else None


class _Protection:
    """One run of the state machine; ``outcome`` builds the result with what is known so far."""

    def __init__(self, context: df.DurableOrchestrationContext) -> None:
        self.context = context
        self.request: dict[str, Any] = context.get_input()
        self.datasource_id: str = self.request["datasource_id"]
        self.started_at = context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.plan: ProtectionPlan | None = None
        self.roles_granted: list[dict[str, str]] = []

    def phase(self, name: str, **extra: Any) -> None:
        self.context.set_custom_status({"phase": name, "datasourceId": self.datasource_id, **extra})

    def outcome(
        self, kind: OutcomeKind, reason: str, error: dict[str, Any] | None = None
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
            correlation_id=self.request.get("correlation_id"),
            started_at=self.started_at,
            finished_at=self.context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )

    def failed(self, error: dict[str, Any], context_text: str) -> ProtectionOutcome:
        return self.outcome(OutcomeKind.FAILED, f"{context_text}: {_error_message(error)}", error)

    # -- steps ------------------------------------------------------------------------------------

    def read(self) -> Generator[Any, Any, ProtectionOutcome | tuple[dict[str, Any], dict[str, Any] | None]]:
        rid = parse_resource_id(self.datasource_id)
        kind = kind_for_type(rid.type)
        if kind is None:
            return self.outcome(OutcomeKind.SKIPPED, f"resource type {rid.type} is not supported")
        self.phase("reading")
        read = yield call(
            self.context,
            "read_resource",
            {"resource_id": self.datasource_id, "api_version": kind.resource_api_version},
        )
        if read.get("error"):
            return self.failed(read["error"], "reading the resource failed")
        if not read.get("found"):
            return self.outcome(OutcomeKind.SKIPPED, "the resource no longer exists")
        resource = read["resource"] or {}
        parent = None
        if not resource.get("location") and rid.parent is not None:
            # A PostgreSQL single-server database carries no location or tags: its server does.
            read_parent = yield call(
                self.context,
                "read_resource",
                {"resource_id": rid.parent.canonical(), "api_version": kind.resource_api_version},
            )
            if read_parent.get("error"):
                return self.failed(read_parent["error"], "reading the parent resource failed")
            parent = read_parent.get("resource")
        return resource, parent

    def validate(
        self, grant_roles: bool, propagation_seconds: float
    ) -> Generator[Any, Any, ProtectionOutcome | None]:
        plan = self.plan
        assert plan is not None
        for attempt in range(1, MAX_VALIDATIONS + 1):
            self.phase("validating", attempt=attempt)
            started = yield call(
                self.context, "validate_for_backup", {"vault_id": plan.vault_id, "instance": plan.instance}
            )
            error = started.get("error")
            if error is None and started.get("operation"):
                result = yield from track_operation(self.context, started["operation"])
                error = result.get("error")
            if error is None:
                return None
            arm_error = _arm_error(error)
            if arm_error and arm_error.classification is Classification.ALREADY_PROTECTED:
                return self.outcome(OutcomeKind.ALREADY_PROTECTED, _error_message(error), error)
            if not (arm_error and arm_error.has_code(MISSING_PERMISSIONS)):
                return self.failed(error, "validation failed")
            if not grant_roles:
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
                self.phase("waiting_for_role_propagation", seconds=propagation_seconds)
                yield wait(self.context, propagation_seconds)
        return self.failed(error or {}, "permissions were still missing after granting the roles")

    def grant_roles(self) -> Generator[Any, Any, ProtectionOutcome | None]:
        plan = self.plan
        assert plan is not None
        self.phase("granting_roles")
        vault = yield call(self.context, "read_vault_principal", {"vault_id": plan.vault_id})
        if vault.get("error") or not vault.get("principal_id"):
            return self.failed(
                vault.get("error") or {"message": "the vault has no system-assigned identity"},
                "reading the vault identity failed",
            )
        tasks = [
            call(self.context, "assign_role", {**need, "principalId": vault["principal_id"]})
            for need in plan.roles
        ]
        results = yield self.context.task_all(tasks)
        for need, result in zip(plan.roles, results, strict=True):
            if result.get("error"):
                return self.failed(result["error"], f"assigning {need['roleName']} failed")
        self.roles_granted = list(plan.roles)
        return None

    def create(self) -> Generator[Any, Any, ProtectionOutcome]:
        plan = self.plan
        assert plan is not None
        self.phase("creating_backup_instance")
        started = yield call(
            self.context,
            "create_backup_instance",
            {"vault_id": plan.vault_id, "name": plan.backup_instance_name, "instance": plan.instance},
        )
        error = started.get("error")
        if error is None and started.get("operation"):
            self.phase("configuring_protection")
            result = yield from track_operation(self.context, started["operation"])
            error = result.get("error")
        if error is not None:
            arm_error = _arm_error(error)
            if arm_error and arm_error.classification is Classification.ALREADY_PROTECTED:
                return self.outcome(OutcomeKind.ALREADY_PROTECTED, _error_message(error), error)
            return self.failed(error, "creating the backup instance failed")
        check = yield call(
            self.context, "read_backup_instance", {"backup_instance_id": plan.backup_instance_id}
        )
        if check.get("error"):
            return self.failed(check["error"], "reading the backup instance failed")
        status = check.get("protection_status")
        if status and "failed" in str(status).lower():
            return self.outcome(
                OutcomeKind.FAILED,
                f"protection status is {status}",
                {"code": status, "message": f"protection status is {status}"},
            )
        return self.outcome(
            OutcomeKind.PROTECTED, f"protected by rule {plan.rule} (protection status {status})"
        )

    def run(self) -> Generator[Any, Any, ProtectionOutcome]:
        read = yield from self.read()
        if isinstance(read, ProtectionOutcome):
            return read
        resource, parent = read
        self.phase("planning")
        planned = yield call(
            self.context, "plan_protection", {"request": self.request, "resource": resource, "parent": parent}
        )
        self.plan = ProtectionPlan.from_dict(planned["plan"])
        if self.plan.action == SKIP:
            return self.outcome(OutcomeKind.SKIPPED, self.plan.reason)
        if self.plan.action == DRY_RUN:
            return self.outcome(
                OutcomeKind.DRY_RUN, f"would protect in {self.plan.vault_id} ({self.plan.reason})"
            )
        validated = yield from self.validate(
            bool(planned["grant_roles"]), float(planned["role_propagation_seconds"])
        )
        if validated is not None:
            return validated
        return (yield from self.create())


@bp.orchestration_trigger(context_name="context")
def protect_datasource(context: df.DurableOrchestrationContext) -> Flow:
    protection = _Protection(context)
    try:
        outcome = yield from protection.run()
    except Exception as exc:  # an activity failed after its transient retries: still an outcome, never lost
        outcome = protection.outcome(
            OutcomeKind.FAILED,
            f"gave up after repeated transient failures: {exc}".strip(),
            {"code": "TransientFailuresExhausted", "message": str(exc)[:2000]},
        )
    protection.phase("publishing", outcome=outcome.kind.value)
    yield call(context, "publish_protection_outcome", outcome.to_dict())
    protection.phase("done", outcome=outcome.kind.value)
    return outcome.to_dict()
