"""The Backup vault (Microsoft.DataProtection) flow: blobs and PostgreSQL.

[blobs: read the policy; when it backs up to the vault, list the account's containers and back up those the
rule selects] -> validateForBackup + track -> [grant roles, wait for propagation, validate again] -> create
the backup instance + track -> read it until ``ProtectionConfigured``. A settled vaulted blob backup whose
selection now covers other containers (one was created) is updated with the same PUT, not validated again.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from typing import Any

from functions.instances import READ_DELETED, RELEASE_LOCK, TAKE_LOCK
from functions.jobs import follow_job, job_id_of, start_job_once
from functions.protection.activities import BackupInstanceState, ContainerNames
from functions.protection.run import ProtectionRun, missing_permissions, unknown
from shared.arm.operations import JobPhase
from shared.arm.steps import ResourceRead
from shared.errors import ArmError, BackupAutopilotError, Classification, NotPossibleError, parse_error_object
from shared.jobs import JobCategory, JobProgress, JobsRequest
from shared.lifecycle.backup import adhoc_backup_body, vault_backup_rule
from shared.lifecycle.changes import Change, plan_change
from shared.lifecycle.messages import InstanceCall, InstanceState, StateRead
from shared.locks import LockOwner
from shared.protection.containers import describe, select_containers
from shared.protection.holder import Holder
from shared.protection.kinds import BLOB
from shared.protection.messages import BackupInstanceRequest, OutcomeKind, ProtectionOutcome
from shared.restore.steps import RecoveryPoints
from shared.services import dataprotection as dp
from shared.services import resourcegraph as rg

MAX_VALIDATIONS = 4  # first validation + re-validations while granted roles propagate
MAX_CREATES = 3  # the create, and re-creates after failures the service marks retryable
RETRY_CREATE_SECONDS = 60.0
FIRST_BACKUP_POLLS = 60  # job polls of a first backup (growing back-off up to the policy maximum)
MAX_SETTLE_CHECKS = 20  # reads of the instance until ProtectionConfigured (the first right after create)
SETTLE_SECONDS = 30.0
HOLDER_ACTIVITY = "find_protection_holder"
_CONFIGURING = frozenset({"configuringprotection", "updatingprotection"})
_PROTECTION_FAILED = frozenset({"protectionerror", "configuringprotectionfailed"})


def protect(run: ProtectionRun) -> Generator[Any, Any, ProtectionOutcome]:
    if run.kind is BLOB:
        chosen = yield from vaulted_containers(run)
        if isinstance(chosen, ProtectionOutcome):
            return chosen
        if chosen is not None and run.known_containers is not None:
            return (yield from update_containers(run, chosen))
    validated = yield from validate(run)
    if validated is not None:
        return validated
    outcome = yield from create(run)
    if outcome.kind is OutcomeKind.PROTECTED and run.options.first_backup:
        return (yield from first_backup(run, outcome))
    return outcome


def first_backup(run: ProtectionRun, outcome: ProtectionOutcome) -> Generator[Any, Any, ProtectionOutcome]:
    """``PROTECTION_FIRST_BACKUP``: back up now (a vault-tier policy), follow the job, and name the recovery
    point it made, so the protection is proven to restore from. Operational policies have nothing to prove."""
    plan = run.plan
    assert plan is not None and plan.policy_id and plan.vault_id and plan.backup_instance_id
    read = run.read_request(plan.policy_id, dp.API_VERSION)
    policy: ResourceRead = run.policy if run.policy is not None else (yield run.call("read_resource", read))
    try:
        rule = vault_backup_rule(policy.resource, None)
    except NotPossibleError:
        return replace(
            outcome, reason=f"{outcome.reason}; no first backup: the policy backs up operationally"
        )
    run.phase("first_backup", backupInstanceId=plan.backup_instance_id)
    instance, corr = plan.backup_instance_id, run.correlation_id
    request = InstanceCall(instance, "POST", None, adhoc_backup_body(rule), corr)
    listing = JobsRequest(plan.vault_id, instance, JobCategory.BACKUP, corr)
    started = yield from start_job_once(run.context, "backup_trigger", request, listing)
    job = JobProgress(job_id=job_id_of(started) if started.error is None else None)
    if job.job_id is None:
        why = started.error.message if started.error else "the operation named no job"
        return replace(outcome, reason=f"{outcome.reason}; the first backup did not start: {why}")
    read_job = yield from follow_job(
        run.context, job, plan.vault_id, corr, FIRST_BACKUP_POLLS, lambda: run.phase("first_backup")
    )
    if read_job is None or read_job.job is None or read_job.job.phase is not JobPhase.SUCCEEDED:
        state = job.job_status or "not finished"
        return replace(outcome, reason=f"{outcome.reason}; the first backup ended {state} (job {job.job_id})")
    points: RecoveryPoints = yield run.call("list_recovery_points", StateRead(instance, corr))
    first = points.points[0] if points.points else {}
    point = {"id": first.get("id"), "time": first.get("time"), "jobId": job.job_id}
    reason = f"{outcome.reason}; first backup taken: recovery point {point['id']}"
    return replace(outcome, reason=reason, first_recovery_point=point)


def vaulted_containers(run: ProtectionRun) -> Generator[Any, Any, ProtectionOutcome | list[str] | None]:
    """Blobs: None for an operational policy; for a vaulted one the containers to back up (the plan's
    instance then names them), or an outcome when they cannot be known or there are none yet."""
    plan = run.plan
    assert plan is not None and plan.policy_id is not None and plan.instance is not None
    run.phase("reading_policy", policyId=plan.policy_id)
    policy: ResourceRead = yield run.call("read_resource", run.read_request(plan.policy_id, dp.API_VERSION))
    if policy.error is not None or not policy.found:
        missing = ArmError(status=404, code="BackupPolicyNotFound", message=policy.reason or "not found")
        return run.failed(policy.error or missing, "reading the backup policy failed")
    run.policy = policy
    if not dp.is_vaulted_policy(policy.resource):
        return None
    listed: ContainerNames = yield run.call(
        "list_blob_containers", run.read_request(run.datasource_id, BLOB.resource_api_version)
    )
    if listed.error is not None:
        return run.failed(listed.error, "listing the blob containers failed")
    chosen = select_containers(listed.names, plan.containers)
    if not chosen:
        return run.outcome(
            OutcomeKind.SKIPPED,
            f"the policy backs up to the vault and no container matches {describe(plan.containers)} yet: "
            "the write of a matching container protects the account",
        )
    run.plan = replace(plan, instance=dp.with_blob_containers(plan.instance, chosen))
    return chosen


def update_containers(run: ProtectionRun, chosen: list[str]) -> Generator[Any, Any, ProtectionOutcome]:
    """A settled vaulted blob backup: unchanged, or the same PUT with the containers the rule now covers."""
    known = sorted(run.known_containers or [])
    if known == chosen:
        return run.outcome(OutcomeKind.UNCHANGED, f"re-checked: still backing up {', '.join(known)}")
    outcome = yield from create(run)
    if outcome.kind is not OutcomeKind.PROTECTED:
        return outcome
    added, removed = sorted(set(chosen) - set(known)), sorted(set(known) - set(chosen))
    change = "; ".join(
        part
        for part in (
            f"added {', '.join(added)}" if added else "",
            f"removed {', '.join(removed)}" if removed else "",
        )
        if part
    )
    return replace(outcome, reason=f"{outcome.reason}; containers updated ({change}): {', '.join(chosen)}")


def validate(run: ProtectionRun) -> Generator[Any, Any, ProtectionOutcome | None]:
    plan = run.plan
    assert plan is not None and plan.vault_id is not None and plan.instance is not None
    error: BackupAutopilotError | None = None
    for attempt in range(1, MAX_VALIDATIONS + 1):
        run.phase("validating", attempt=attempt)
        request = BackupInstanceRequest(plan.vault_id, plan.instance, correlation_id=run.correlation_id)
        result = yield from run.start_and_track("validate_for_backup", request)
        error = result.error
        if error is None:
            return None
        if error.classification is Classification.ALREADY_PROTECTED:
            return (yield from already_protected(run, error))
        if error.classification is Classification.TRANSIENT and attempt < MAX_VALIDATIONS:
            # A validation operation the service failed but marks retryable (InternalError...): again.
            run.phase("retrying_validation", attempt=attempt)
            yield run.wait(RETRY_CREATE_SECONDS)
            continue
        if not missing_permissions(error):
            return run.failed(error, "validation failed")
        refused = yield from run.after_missing_permissions(error, attempt, MAX_VALIDATIONS, dp.API_VERSION)
        if refused is not None:
            return refused
    return run.failed(
        error or unknown("validation failed"), "permissions were still missing after granting the roles"
    )


def create(run: ProtectionRun) -> Generator[Any, Any, ProtectionOutcome]:
    plan = run.plan
    assert plan is not None and plan.vault_id is not None and plan.instance is not None
    assert plan.backup_instance_name is not None
    run.phase("creating_backup_instance")
    request = BackupInstanceRequest(
        plan.vault_id, plan.instance, plan.backup_instance_name, run.correlation_id
    )
    for attempt in range(1, MAX_CREATES + 1):
        result = yield from run.start_and_track("create_backup_instance", request)
        error = result.error
        if error is None:
            return (yield from settle(run))
        if error.classification is Classification.ALREADY_PROTECTED:
            return (yield from already_protected(run, error))
        if error.classification is not Classification.TRANSIENT or attempt == MAX_CREATES:
            soft_deleted = yield from kept_by_soft_delete(run, error)
            return soft_deleted or run.failed(error, "creating the backup instance failed")
        # The service says the failure is worth retrying (isRetryable, InternalError...): the PUT is
        # idempotent (same name, same body), so configuring protection is asked for again.
        run.phase(
            "retrying_create",
            attempt=attempt,
            code=error.kind if not isinstance(error, ArmError) else error.code,
        )
        yield run.wait(RETRY_CREATE_SECONDS)
    raise AssertionError("unreachable: the loop returns")


def kept_by_soft_delete(
    run: ProtectionRun, error: BackupAutopilotError
) -> Generator[Any, Any, ProtectionOutcome | None]:
    """After a refused create: is the datasource's instance soft-deleted in this vault (one read)?

    The service does not protect a datasource again in a vault that keeps its deleted backup instance
    (whatever code it refuses with), so the outcome says so, with what to do, rather than only the refusal.
    """
    plan = run.plan
    assert plan is not None and plan.backup_instance_id is not None
    if error.classification is Classification.TRANSIENT:
        return None
    kept: InstanceState = yield run.call(READ_DELETED, StateRead(plan.backup_instance_id, run.correlation_id))
    if not kept.found:
        return None
    vault, name = plan.backup_instance_id.rsplit("/backupInstances/", 1)
    purge = f" (purged on {kept.purge_time})" if kept.purge_time else ""
    reason = (
        f"the datasource's backup instance {name} is soft-deleted in {vault}{purge}: Azure does not protect "
        "the datasource again in this vault until that instance is undeleted or purged"
    )
    soft = ArmError(
        status=getattr(error, "status", 409),
        code=getattr(error, "code", "") or "BackupInstanceSoftDeleted",
        message=error.message,
        recommended_action=[
            f"Undelete it (POST {vault}/deletedBackupInstances/{name}/undelete), then resume its "
            "protection (POST /api/protection-changes with change resume).",
            "Or protect the datasource in another vault (a rule naming another Backup vault).",
            f"Or wait until the vault purges it{purge}; the next write event then protects it.",
        ],
    )
    return run.outcome(OutcomeKind.FAILED, reason, soft)


def already_protected(
    run: ProtectionRun, error: BackupAutopilotError
) -> Generator[Any, Any, ProtectionOutcome]:
    """Who holds it, from Resource Graph: the rule's vault and policy (success) or drift."""
    holder: Holder = yield run.call(HOLDER_ACTIVITY, run.read_request(run.datasource_id, rg.API_VERSION))
    return run.held_by(holder, error, error.message)


def settle(run: ProtectionRun) -> Generator[Any, Any, ProtectionOutcome]:
    """Protected only once the instance says ``ProtectionConfigured``; followed with durable timers."""
    plan = run.plan
    assert plan is not None and plan.backup_instance_id is not None
    state = ""
    for check_number in range(1, MAX_SETTLE_CHECKS + 1):
        check: BackupInstanceState = yield run.call(
            "read_backup_instance", run.read_request(plan.backup_instance_id, dp.API_VERSION)
        )
        if check.error is not None:
            return run.failed(check.error, "reading the backup instance failed")
        if not check.found:
            missing = ArmError(status=404, code="BackupInstanceNotFound", message="not found after create")
            return run.failed(missing, "reading the backup instance failed")
        state = check.current_protection_state or check.protection_status or "Unknown"
        lowered = state.lower()
        if lowered == "protectionconfigured":
            reason = f"protected by rule {plan.rule} (protection status {state})"
            return run.outcome(OutcomeKind.PROTECTED, reason)
        if lowered in _PROTECTION_FAILED:
            reason = f"protection status is {state}"
            error = ArmError(status=200, **parse_error_object(check.error_details or {}))
            if not error.code:  # no details: the state is all the service said
                return run.outcome(
                    OutcomeKind.FAILED, reason, ArmError(status=200, code=state, message=reason)
                )
            return run.outcome(OutcomeKind.FAILED, f"{reason}: {error.message}", error)
        if lowered not in _CONFIGURING:
            error = ArmError(status=200, code=state, message=f"the backup instance is {state}")
            return run.outcome(OutcomeKind.FAILED, f"protection state is {state}", error)
        run.phase("configuring_protection", state=state, checks=check_number)
        if check_number < MAX_SETTLE_CHECKS:
            yield run.wait(SETTLE_SECONDS)
    minutes = (MAX_SETTLE_CHECKS - 1) * SETTLE_SECONDS / 60
    error = ArmError(
        status=200, code="ProtectionNotSettled", message=f"still {state} after {minutes:g} minutes"
    )
    return run.outcome(
        OutcomeKind.FAILED, f"protection had not settled: still {state} after {minutes:g} minutes", error
    )


def recheck(run: ProtectionRun, known: str) -> Generator[Any, Any, ProtectionOutcome | None]:
    """One read of the backup instance a settled protection left: unchanged, or None (protect again).

    A vaulted blob backup goes on (None) with its containers known: a written container may join it.
    """
    check: BackupInstanceState = yield run.call(
        "read_backup_instance", run.read_request(known, dp.API_VERSION)
    )
    state = check.current_protection_state or check.protection_status or ""
    configured = check.error is None and check.found and state.lower() == "protectionconfigured"
    if configured and check.containers is not None:
        run.known_containers = check.containers
        return None
    if configured:
        outcome = run.outcome(OutcomeKind.UNCHANGED, f"re-checked: {known} is still {state}")
        return replace(outcome, backup_instance_id=known)
    return None


def stop_orphan(run: ProtectionRun, orphaned: ProtectionOutcome) -> Generator[Any, Any, ProtectionOutcome]:
    """``PROTECTION_STOP_ORPHANS``: stop the deleted datasource's protection, keeping its backup data (one
    state read, then, holding the backup instance's lock as every change does, stopProtection tracked unless
    stopped already); the outcome says what happened."""
    instance = orphaned.backup_instance_id
    assert instance is not None
    read = StateRead(instance, run.correlation_id)
    state: InstanceState = yield run.call("read_protection_state", read)
    plan = plan_change(Change.STOP, state.state)
    if state.error is not None or plan.refusal is not None:
        why = state.error.message if state.error is not None else plan.refusal
        return replace(orphaned, reason=f"{orphaned.reason}; protection not stopped: {why}")
    if plan.unchanged:
        return replace(orphaned, reason=f"{orphaned.reason}; its protection was stopped already")
    owner = LockOwner(instance, run.context.instance_id)
    running: str | None = yield run.call(TAKE_LOCK, owner)  # one request per backup instance, as over HTTP
    if running is not None:
        return replace(
            orphaned, reason=f"{orphaned.reason}; protection not stopped: request {running} is running"
        )
    run.phase("stopping_orphan_protection", backupInstanceId=instance)
    call = InstanceCall(instance, "POST", plan.action, None, run.correlation_id)
    done = yield from run.start_and_track("protection_change_call", call)
    yield run.call(RELEASE_LOCK, owner)
    if done.error is not None:
        return replace(
            orphaned, reason=f"{orphaned.reason}; stopping its protection failed: {done.error.message}"
        )
    return replace(
        orphaned,
        reason=f"{orphaned.reason}; protection stopped (PROTECTION_STOP_ORPHANS), backup data retained",
    )
