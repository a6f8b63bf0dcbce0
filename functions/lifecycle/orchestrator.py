"""``backup_now`` and ``change_protection``: one request on a protected datasource, tracked to its end.

``backup_now``: ``POST .../backup`` started once (not re-sent blindly: :func:`functions.jobs.start_job_once`)
-> its operation -> the backup job followed on durable timers, at most ``polls_per_generation`` polls per
execution before ``continue_as_new`` -> completion event.

``change_protection``: the planned call (:mod:`shared.lifecycle.changes`; none when the instance is in the
asked-for state already) -> its operation tracked -> the instance's state read until it is the expected one
(bounded) -> completion event. After a delete, a vault with soft delete keeps the instance as
``deletedBackupInstances/{name}``: the state is then ``SoftDeleted`` (protecting the datasource again in that
vault is refused by the service until it is undeleted or purged).

Both release the backup instance's lock before publishing. The backup's service picks the activities
(``BACKUP_TRIGGERS``, ``CHANGE_ACTIVITIES``): a file share's protected item in a Recovery Services vault is
backed up by ``POST .../backup`` (an ``AzureFileShareBackupRequest``), its jobs are the vault's jobs of the
share, and its changes are PUTs of the item (or its DELETE) whose state is read from the item itself (a
soft-deleted item stays there, ``isScheduledForDeferredDelete``).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import azure.durable_functions as df

from functions.instances import READ_DELETED, RELEASE_LOCK
from functions.jobs import follow_job, job_id_of, start_job_once
from functions.lifecycle.blueprint import bp
from functions.tracking import call, track_operation, wait
from shared.arm.operations import JobPhase
from shared.arm.steps import OperationStarted
from shared.errors import ArmError, BackupAutopilotError
from shared.jobs import JobCategory, JobsRequest, job_error
from shared.lifecycle.changes import DELETED
from shared.lifecycle.messages import BackupStart, ChangeStart, InstanceCall, InstanceState, StateRead
from shared.lifecycle.status import LifecycleProgress
from shared.locks import LockOwner
from shared.progress import FAILED, RUNNING, SUCCEEDED, error_view
from shared.protection.kinds import BackupService

BACKUP_ORCHESTRATOR = "backup_now"
CHANGE_ORCHESTRATOR = "change_protection"
SETTLE_READS = 6  # state reads after the change's operation before it counts as not settled
SETTLE_WAIT_SECONDS = 10.0
Flow = Generator[Any, Any, Any]


@dataclass(frozen=True)
class ChangeActivities:
    """One service's protection-change activities (``read_deleted`` None: the state read sees soft delete)."""

    call: str
    read_state: str
    read_deleted: str | None


BACKUP_TRIGGERS = {
    BackupService.DATA_PROTECTION: "backup_trigger",
    BackupService.RECOVERY_SERVICES: "rs_backup_trigger",
}
CHANGE_ACTIVITIES = {
    BackupService.DATA_PROTECTION: ChangeActivities(
        "protection_change_call", "read_protection_state", READ_DELETED
    ),
    BackupService.RECOVERY_SERVICES: ChangeActivities(
        "rs_protection_change_call", "rs_read_protection_state", None
    ),
}


def _now(context: df.DurableOrchestrationContext) -> str:
    return context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ")


def _fail(progress: LifecycleProgress, error: BackupAutopilotError | None, what: str) -> None:
    view = error_view(error.to_dict() if error else None) or {
        "code": "Unknown",
        "message": what,
        "recommendedAction": [],
    }
    view["message"] = f"{what}: {view['message']}"
    progress.phase = FAILED
    progress.error = view


def _finish(context: df.DurableOrchestrationContext, progress: LifecycleProgress) -> Flow:
    progress.finished_at = _now(context)
    context.set_custom_status(progress.view())
    yield call(context, RELEASE_LOCK, LockOwner(progress.backup_instance_id, progress.id))
    yield call(context, "lifecycle_publish_outcome", progress.event_status())
    return progress.view()


def _backup(context: df.DurableOrchestrationContext, start: BackupStart) -> Generator[Any, Any, bool]:
    """Run the backup now; True when it has ended, False when its job still runs (continue as new)."""
    p = start.progress
    if p.job_id is None:
        p.started_at = p.started_at or _now(context)
        context.set_custom_status(p.view())
        request = InstanceCall(p.backup_instance_id, "POST", None, start.body, p.correlation_id)
        listing = JobsRequest(
            p.vault_id,
            p.backup_instance_id,
            JobCategory.BACKUP,
            p.correlation_id,
            start.service,
            p.datasource_id if start.service is BackupService.RECOVERY_SERVICES else "",
        )
        started = yield from start_job_once(context, BACKUP_TRIGGERS[start.service], request, listing)
        job_id = job_id_of(started) if started.error is None else None
        if job_id is None:
            missing = ArmError(
                status=0, code="BackupJobIdMissing", message="the operation reported no job id"
            )
            _fail(p, started.error or missing, "triggering the backup failed")
            return True
        p.job_id, p.phase = job_id, RUNNING
        p.next_delay_seconds = started.retry_after_seconds if started.operation else None
    context.set_custom_status(p.view())
    read = yield from follow_job(
        context,
        p,
        p.vault_id,
        p.correlation_id,
        start.polls_per_generation,
        lambda: context.set_custom_status(p.view()),
        start.service,
    )
    if read is None:
        return False
    if read.job is None or read.error is not None:
        _fail(p, read.error, "reading the backup job failed")
        return True
    succeeded = read.job.phase in (JobPhase.SUCCEEDED, JobPhase.SUCCEEDED_WITH_WARNINGS)
    p.phase = SUCCEEDED if succeeded else FAILED
    p.error = None if succeeded else job_error(read.job, JobCategory.BACKUP)
    return True


@bp.orchestration_trigger(context_name="context")
def backup_now(context: df.DurableOrchestrationContext) -> Flow:
    start: BackupStart = context.get_input(expected_type=BackupStart)
    p = start.progress
    try:
        ended = yield from _backup(context, start)
    except Exception as exc:  # an activity failed after its transient retries: still an outcome
        _fail(p, ArmError(status=0, code="TransientFailuresExhausted", message=str(exc)[:2000]), "gave up")
        ended = True
    if not ended:
        p.generation += 1
        context.set_custom_status(p.view())
        context.continue_as_new(BackupStart(p, start.body, start.polls_per_generation, start.service))
        return None
    return (yield from _finish(context, p))


def _settled_state(
    context: df.DurableOrchestrationContext,
    p: LifecycleProgress,
    expected: set[str],
    activities: ChangeActivities,
) -> Generator[Any, Any, InstanceState]:
    """Read the instance's state until it is one of ``expected`` (bounded); the last read."""
    read = StateRead(p.backup_instance_id, p.correlation_id)
    state = InstanceState()
    for attempt in range(SETTLE_READS):
        if attempt:
            yield wait(context, SETTLE_WAIT_SECONDS)
        state = yield call(context, activities.read_state, read)
        if state.error is None and not state.found:
            deleted = InstanceState()
            if activities.read_deleted is not None:
                deleted = yield call(context, activities.read_deleted, read)
            state = deleted if deleted.found or deleted.error else InstanceState(found=False, state=DELETED)
        if state.error is not None or state.state in expected:
            return state
    return state


def _change(context: df.DurableOrchestrationContext, start: ChangeStart) -> Flow:
    p = start.progress
    p.started_at = _now(context)
    p.phase = RUNNING
    context.set_custom_status(p.view())
    p.changed = start.method is not None
    activities = CHANGE_ACTIVITIES[start.service]
    if start.method is not None:
        request = InstanceCall(p.backup_instance_id, start.method, start.action, start.body, p.correlation_id)
        started: OperationStarted = yield call(context, activities.call, request)
        done = yield from track_operation(context, started, p.correlation_id)
        if done.error is not None:
            p.changed = None
            _fail(p, done.error, f"{p.operation} failed")
            return
    state = yield from _settled_state(context, p, set(start.expected_states), activities)
    p.state_after, p.purge_time = state.state, state.purge_time
    if state.error is not None:
        _fail(p, state.error, "reading the backup instance's state failed")
    elif state.state not in start.expected_states:
        expected = " or ".join(sorted(start.expected_states))
        unsettled = ArmError(
            status=0,
            code="ProtectionChangeNotSettled",
            message=f"the backup instance is {state.state}, not {expected}, after {SETTLE_READS} reads",
        )
        _fail(p, unsettled, f"{p.operation} did not settle")
    else:
        p.phase = SUCCEEDED


@bp.orchestration_trigger(context_name="context")
def change_protection(context: df.DurableOrchestrationContext) -> Flow:
    start: ChangeStart = context.get_input(expected_type=ChangeStart)
    p = start.progress
    try:
        yield from _change(context, start)
    except Exception as exc:  # an activity failed after its transient retries: still an outcome
        _fail(p, ArmError(status=0, code="TransientFailuresExhausted", message=str(exc)[:2000]), "gave up")
    return (yield from _finish(context, p))
