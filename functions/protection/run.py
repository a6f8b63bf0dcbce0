"""One run of ``protect_datasource``: what every service's flow shares.

Reading the datasource (and the resource it is located by), planning, granting the vault identity its roles
after a "missing permissions" answer, the already-protected / drift decision, the deleted-datasource record
and the outcome. The service-specific steps live in :mod:`functions.protection.flows`, one module per
service; the orchestrator picks the flow from the datasource kind's service.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from typing import Any

import azure.durable_functions as df

from functions.protection.activities import VaultPrincipal
from functions.tracking import call, track_operation, wait
from shared.arm.ids import parse_resource_id
from shared.arm.steps import OperationPoll, OperationStarted, ResourceRead, RoleAssigned
from shared.errors import MISSING_PERMISSIONS_CODE, ArmError, BackupAutopilotError
from shared.protection.holder import Holder
from shared.protection.kinds import DatasourceKind
from shared.protection.messages import OutcomeKind, ProtectionOutcome, ProtectionStart, ReadRequest, RoleGrant
from shared.protection.plan import PlannedRead, PlanRead, ProtectionPlan, located_by_to_read
from shared.services import resourcegraph as rg

READ_AND_PLAN_ACTIVITY = "read_and_plan"


def missing_permissions(error: BackupAutopilotError | None) -> bool:
    return isinstance(error, ArmError) and error.has_code(MISSING_PERMISSIONS_CODE)


def unknown(message: str) -> BackupAutopilotError:
    return BackupAutopilotError(message)


class ProtectionRun:
    """The state of one orchestration; ``outcome`` builds the result with what is known so far."""

    def __init__(self, context: df.DurableOrchestrationContext, kind: DatasourceKind | None) -> None:
        self.context = context
        start: ProtectionStart = context.get_input(expected_type=ProtectionStart)
        self.kind = kind
        self.request = start.request
        self.options = start.options
        self.known_backup_instance_id = start.known_backup_instance_id
        self.datasource_id: str = self.request.datasource_id
        self.correlation_id = self.request.correlation_id
        self.started_at = context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.plan: ProtectionPlan | None = None
        self.roles_granted: list[dict[str, str]] = []
        #: A settled vaulted blob backup's containersList, when the re-check found one (its list may grow).
        self.known_containers: list[str] | None = None
        self.policy: ResourceRead | None = None  # the backup policy, once a flow has read it

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

    def call(self, activity: str, payload: Any) -> Any:
        return call(self.context, activity, payload)

    def wait(self, seconds: float) -> Any:
        return wait(self.context, seconds)

    def start_and_track(self, activity: str, request: Any) -> Generator[Any, Any, OperationPoll]:
        """The activity that starts an operation, then its polls (durable timers between them)."""
        started: OperationStarted = yield self.call(activity, request)
        return (yield from track_operation(self.context, started, self.correlation_id))

    # -- shared steps ---------------------------------------------------------------------------

    def read_and_plan(self) -> Generator[Any, Any, ProtectionOutcome | ProtectionPlan]:
        """The plan, over the datasource as ARM has it (the event payload is never trusted) and the resource
        it is located by when it carries no location of its own (a database's server, a share's storage
        account); each read plans as soon as it completes the plan's inputs (``read_and_plan``)."""
        kind = self.kind
        if kind is None:
            rtype = parse_resource_id(self.datasource_id).type
            return self.outcome(OutcomeKind.SKIPPED, f"resource type {rtype} is not supported")
        self.phase("reading")
        api, dry_run = kind.resource_api_version, self.options.dry_run
        planned: PlannedRead = yield self.call(
            READ_AND_PLAN_ACTIVITY, PlanRead(self.request, self.datasource_id, api, dry_run=dry_run)
        )
        read = planned.read
        if read.error is not None:
            return self.failed(read.error, "reading the resource failed")
        if not read.found:
            return self.outcome(OutcomeKind.SKIPPED, "the resource no longer exists")
        located_by = located_by_to_read(kind, self.datasource_id, read.resource or {})
        if planned.plan is None and located_by is not None:
            parent_read = PlanRead(self.request, located_by, api, read.resource or {}, dry_run)
            planned = yield self.call(READ_AND_PLAN_ACTIVITY, parent_read)
            if planned.read.error is not None:
                return self.failed(planned.read.error, "reading the parent resource failed")
        if planned.plan is None:
            return self.failed(unknown("no plan was made"), "planning the protection failed")
        self.plan = planned.plan
        return self.plan

    def after_missing_permissions(
        self, error: BackupAutopilotError, attempt: int, max_attempts: int, vault_api_version: str
    ) -> Generator[Any, Any, ProtectionOutcome | None]:
        """A step was refused for missing permissions: an outcome, or None once the roles are granted and
        the propagation wait is over (the caller tries the step again; ``attempt`` of ``max_attempts``)."""
        plan = self.plan
        assert plan is not None
        if not self.options.grant_roles:
            missing = ", ".join(f"{r['roleName']} on {r['scopeId']}" for r in plan.roles)
            reason = (
                f"the vault identity is missing required roles ({missing}); grant them, or set "
                f"PROTECTION_GRANT_ROLES=true to let Backup Autopilot assign them"
            )
            return self.outcome(OutcomeKind.FAILED, reason, error)
        if not self.roles_granted:
            granted = yield from self.grant_roles(vault_api_version)
            if granted is not None:
                return granted
        if attempt >= max_attempts:
            return self.failed(error, "permissions were still missing after granting the roles")
        seconds = self.options.role_propagation_seconds
        self.phase("waiting_for_role_propagation", seconds=seconds)
        yield self.wait(seconds)
        return None

    def grant_roles(self, vault_api_version: str) -> Generator[Any, Any, ProtectionOutcome | None]:
        plan = self.plan
        assert plan is not None and plan.vault_id is not None
        self.phase("granting_roles")
        vault: VaultPrincipal = yield self.call(
            "read_vault_principal", self.read_request(plan.vault_id, vault_api_version)
        )
        if vault.error is not None or not vault.principal_id:
            return self.failed(
                vault.error or unknown("the vault has no system-assigned identity"),
                "reading the vault identity failed",
            )
        tasks = [
            self.call(
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

    def held_by(self, holder: Holder, error: BackupAutopilotError | None, reason: str) -> ProtectionOutcome:
        """Already protected: a success when the rule's vault and policy hold it; drift (reported, never
        moved) when another vault or policy does; skipped, saying so, when a person stopped or suspended
        its protection (a stopped item has no policy left: never drift)."""
        plan = self.plan
        assert plan is not None
        if holder.found and holder.paused():
            paused = (
                f"{holder.backup_instance_id} in {holder.vault_id} is {holder.state}: its protection was "
                "changed on purpose and is not resumed automatically; resume it with POST "
                "/api/protection-changes (change resume)"
            )
            return self.holder_outcome(self.outcome(OutcomeKind.SKIPPED, paused, error), holder)
        same_vault = (holder.vault_id or "").lower() == (plan.vault_id or "").lower()
        same_policy = (holder.policy_id or "").lower() == (plan.policy_id or "").lower()
        if holder.found and not (same_vault and same_policy):
            drift = (
                f"already protected by {holder.policy_id} in {holder.vault_id}, but rule {plan.rule} names "
                f"{plan.policy_id} in {plan.vault_id}; backups are not moved automatically"
            )
            return self.holder_outcome(self.outcome(OutcomeKind.DRIFT, drift, error), holder)
        return self.outcome(OutcomeKind.ALREADY_PROTECTED, reason, error)

    @staticmethod
    def holder_outcome(outcome: ProtectionOutcome, holder: Holder) -> ProtectionOutcome:
        return replace(
            outcome,
            backup_instance_id=holder.backup_instance_id,
            vault_id=holder.vault_id,
            policy_id=holder.policy_id,
        )

    def deleted(self, holder_activity: str) -> Generator[Any, Any, ProtectionOutcome]:
        """The datasource was deleted: which backup keeps its data (a person decides its fate)."""
        self.phase("recording_deletion")
        holder: Holder = yield self.call(
            holder_activity, self.read_request(self.datasource_id, rg.API_VERSION)
        )
        if not holder.found:
            return self.outcome(
                OutcomeKind.SKIPPED, "the resource was deleted; no backup instance protected it"
            )
        reason = (
            f"the resource was deleted; backup instance {holder.backup_instance_id} keeps its backup data "
            "(never deleted automatically: stop protection and retain or delete the data in the vault)"
        )
        return self.holder_outcome(self.outcome(OutcomeKind.ORPHANED, reason), holder)
