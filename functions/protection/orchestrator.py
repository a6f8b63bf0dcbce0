"""``protect_datasource``: the protection state machine for one datasource.

[deleted: who keeps its backups] | [a settled protection: re-check it, one read] -> read the resource and
plan over it (rules, eligibility, request; one activity) -> the flow of the kind's backup service
(:mod:`functions.protection.flows`: Backup vault or Recovery Services vault) -> publish the outcome. Every
wait is a durable timer; every ARM call is an activity; the outcome is the orchestration's output.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from typing import Any

import azure.durable_functions as df

from functions.protection.blueprint import bp
from functions.protection.flows import FLOWS, ServiceFlow
from functions.protection.run import ProtectionRun
from shared.arm.ids import parse_resource_id
from shared.errors import ArmError
from shared.protection.kinds import kind_for_type
from shared.protection.messages import OutcomeKind, ProtectionOutcome, ProtectionStart
from shared.protection.plan import DRY_RUN, SKIP

Flow = Generator[Any, Any, dict[str, Any]]


def _run(run: ProtectionRun, flow: ServiceFlow | None) -> Generator[Any, Any, ProtectionOutcome]:
    if flow is not None and run.request.origin == "delete":
        orphaned = yield from run.deleted(flow.holder_activity)
        if orphaned.kind is not OutcomeKind.ORPHANED or not run.options.stop_orphans:
            return orphaned
        if flow.stop_orphan is None:
            return replace(
                orphaned, reason=f"{orphaned.reason}; this service's protection is not stopped here"
            )
        return (yield from flow.stop_orphan(run, orphaned))
    if flow is not None and run.known_backup_instance_id:
        run.phase("rechecking", backupInstanceId=run.known_backup_instance_id)
        unchanged = yield from flow.recheck(run, run.known_backup_instance_id)
        if unchanged is not None:
            return unchanged
    plan = yield from run.read_and_plan()
    if isinstance(plan, ProtectionOutcome):
        return plan
    if plan.action == SKIP:
        return run.outcome(OutcomeKind.SKIPPED, plan.reason)
    if plan.action == DRY_RUN:
        return run.outcome(OutcomeKind.DRY_RUN, f"would protect in {plan.vault_id} ({plan.reason})")
    assert flow is not None  # a plan that protects has a kind, so a service
    return (yield from flow.protect(run))


@bp.orchestration_trigger(context_name="context")
def protect_datasource(context: df.DurableOrchestrationContext) -> Flow:
    start: ProtectionStart = context.get_input(expected_type=ProtectionStart)
    kind = kind_for_type(parse_resource_id(start.request.datasource_id).type)
    run = ProtectionRun(context, kind)
    try:
        outcome = yield from _run(run, FLOWS[kind.service] if kind else None)
    except Exception as exc:  # an activity failed after its transient retries: still an outcome, never lost
        error = ArmError(status=0, code="TransientFailuresExhausted", message=str(exc)[:2000])
        outcome = run.outcome(
            OutcomeKind.FAILED, f"gave up after repeated transient failures: {exc}".strip(), error
        )
    if outcome.kind is not OutcomeKind.UNCHANGED:  # a re-check that changed nothing tells nobody anything new
        run.phase("publishing", outcome=outcome.kind.value)
        yield run.call("publish_protection_outcome", outcome)
    run.phase("done", outcome=outcome.kind.value)
    return outcome.to_json()
