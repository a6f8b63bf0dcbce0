"""``restore_backup_instance``: validateRestore -> restore -> job id -> poll the job -> completion event.

The restore POST is started once (:func:`functions.jobs.start_job_once`: never re-sent blindly) and its job
followed by :func:`functions.jobs.follow_job`. The backup's service picks the activities (``ACTIVITIES``): a
Backup vault validates, then restores; a Recovery Services vault (file shares) has no validation and
restores a recovery point of the protected item.

Input: :class:`~shared.restore.messages.RestoreStart`. The job poll loop
runs at most ``POLLS_PER_GENERATION`` polls per execution, then ``continue_as_new`` carries ``progress``
forward: the history of one execution stays bounded whatever the job's length (a six-hour job costs per poll
what a one-minute job costs). Every wait is a durable timer honouring Retry-After; every ARM call an activity.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import azure.durable_functions as df

from functions.instances import RELEASE_LOCK
from functions.jobs import follow_job, job_id_of, start_job_once
from functions.restore.blueprint import bp
from functions.tracking import call, track_operation
from shared.arm.operations import JobPhase
from shared.arm.steps import OperationPoll, OperationStarted
from shared.errors import ArmError, BackupAutopilotError
from shared.jobs import JobCategory, JobsRequest, job_error
from shared.locks import LockOwner
from shared.progress import FAILED, RUNNING, STARTING, SUCCEEDED, VALIDATING, error_view
from shared.protection.kinds import BackupService
from shared.restore.messages import RestoreCall, RestoreStart

ORCHESTRATOR = "restore_backup_instance"
DONE, CONTINUED = "done", "continued"
Flow = Generator[Any, Any, Any]


@dataclass(frozen=True)
class RestoreActivities:
    """The activities of one service's restore (``validate`` None: the service has no validation)."""

    validate: str | None
    trigger: str


ACTIVITIES = {
    BackupService.DATA_PROTECTION: RestoreActivities("restore_validate", "restore_trigger"),
    BackupService.RECOVERY_SERVICES: RestoreActivities(None, "rs_restore_trigger"),
}


class _Restore:
    def __init__(self, context: df.DurableOrchestrationContext) -> None:
        self.context = context
        start: RestoreStart = context.get_input(expected_type=RestoreStart)
        self.request = start.request
        self.progress = start.progress
        self.activities = ACTIVITIES[self.request.service]

    def call_input(self) -> RestoreCall:
        r = self.request
        return RestoreCall(r.backup_instance_id, r.body, self.progress.correlation_id, r.recovery_point_id)

    def now(self) -> str:
        return self.context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ")

    def publish(self) -> None:
        self.context.set_custom_status(self.progress.view())

    def fail(self, error: BackupAutopilotError | None, what: str) -> str:
        view = error_view(error.to_dict() if error else None) or {
            "code": "Unknown",
            "message": what,
            "recommendedAction": [],
        }
        view["message"] = f"{what}: {view['message']}"
        self.progress.phase = FAILED
        self.progress.error = view
        return DONE

    def start_and_track(self, activity: str) -> Generator[Any, Any, OperationPoll]:
        """Run a starting activity and follow its operation to its end."""
        started: OperationStarted = yield call(self.context, activity, self.call_input())
        return (yield from track_operation(self.context, started, self.progress.correlation_id))

    def validate_and_start(self) -> Generator[Any, Any, str | None]:
        p = self.progress
        p.phase = VALIDATING
        self.publish()
        if self.activities.validate is not None:
            validated = yield from self.start_and_track(self.activities.validate)
            if validated.error is not None:
                return self.fail(validated.error, "validateRestore refused the restore")
        p.phase = STARTING
        self.publish()
        r = self.request
        listing = JobsRequest(
            r.vault_id,
            r.backup_instance_id,
            JobCategory.RESTORE,
            p.correlation_id,
            r.service,
            r.datasource_id,
        )
        started = yield from start_job_once(self.context, self.activities.trigger, self.call_input(), listing)
        if started.error is not None:
            return self.fail(started.error, "triggering the restore failed")
        job_id = job_id_of(started)
        if not job_id:
            missing = ArmError(
                status=0, code="RestoreJobIdMissing", message="the operation reported no job id"
            )
            return self.fail(missing, "triggering the restore failed")
        p.job_id = job_id
        p.phase = RUNNING
        p.next_delay_seconds = started.retry_after_seconds if started.operation else None
        self.publish()
        return None

    def follow_job(self) -> Generator[Any, Any, str]:
        p, r = self.progress, self.request
        read = yield from follow_job(
            self.context, p, r.vault_id, p.correlation_id, r.polls_per_generation, self.publish, r.service
        )
        if read is None:
            return CONTINUED
        if read.job is None or read.error is not None:
            return self.fail(read.error, "reading the restore job failed")
        succeeded = read.job.phase in (JobPhase.SUCCEEDED, JobPhase.SUCCEEDED_WITH_WARNINGS)
        p.phase = SUCCEEDED if succeeded else FAILED
        p.error = None if succeeded else job_error(read.job, JobCategory.RESTORE)
        return DONE

    def run(self) -> Flow:
        if self.progress.phase in (VALIDATING, STARTING):
            self.progress.started_at = self.progress.started_at or self.now()
            ended = yield from self.validate_and_start()
            if ended is not None:
                return ended
        self.publish()
        return (yield from self.follow_job())


@bp.orchestration_trigger(context_name="context")
def restore_backup_instance(context: df.DurableOrchestrationContext) -> Flow:
    restore = _Restore(context)
    try:
        ended = yield from restore.run()
    except Exception as exc:  # an activity failed after its transient retries: still an outcome
        error = ArmError(status=0, code="TransientFailuresExhausted", message=str(exc)[:2000])
        ended = restore.fail(error, "gave up after repeated failures")
    p = restore.progress
    if ended == CONTINUED:
        p.generation += 1
        restore.publish()
        context.continue_as_new(RestoreStart(restore.request, p))
        return None
    p.finished_at = restore.now()
    restore.publish()
    yield call(context, RELEASE_LOCK, LockOwner(p.backup_instance_id, p.id))
    yield call(context, "restore_publish_outcome", p.event_status())
    return p.view()
