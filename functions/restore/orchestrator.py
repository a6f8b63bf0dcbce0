"""``restore_backup_instance``: validateRestore -> restore -> job id -> poll the job -> completion event.

The backup's service picks the activities (``ACTIVITIES``): a Backup vault validates, then restores; a
Recovery Services vault (file shares) has no validation and restores a recovery point of the protected item.

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

from functions.restore.blueprint import bp
from functions.tracking import call, track_operation, wait
from shared.arm.operations import JobPhase
from shared.arm.steps import OperationPoll, OperationStarted
from shared.errors import ArmError, BackupAutopilotError
from shared.protection.kinds import BackupService
from shared.restore.messages import (
    JobReadRequest,
    LockRelease,
    RestoreCall,
    RestoreJobsRequest,
    RestoreStart,
)
from shared.restore.status import (
    FAILED,
    RUNNING,
    STARTING,
    SUCCEEDED,
    VALIDATING,
    error_view,
    job_error,
)
from shared.restore.steps import JobRead, RestoreJobs

ORCHESTRATOR = "restore_backup_instance"
MAX_TRIGGER_ATTEMPTS = 3
UNKNOWN_OUTCOME_WAIT_SECONDS = (
    30.0  # before looking for the job an attempt of unknown outcome may have started
)
DONE, CONTINUED = "done", "continued"


@dataclass(frozen=True)
class RestoreActivities:
    """The activities of one service's restore (``validate`` None: the service has no validation)."""

    validate: str | None
    trigger: str
    list_jobs: str
    read_job: str


ACTIVITIES = {
    BackupService.DATA_PROTECTION.value: RestoreActivities(
        "restore_validate", "restore_trigger", "restore_list_jobs", "restore_read_job"
    ),
    BackupService.RECOVERY_SERVICES.value: RestoreActivities(
        None, "rs_restore_trigger", "rs_restore_list_jobs", "rs_restore_read_job"
    ),
}
Flow = Generator[Any, Any, Any]


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

    def trigger(self) -> Generator[Any, Any, OperationPoll]:
        """POST restore; after an attempt of unknown outcome, find the job it started before asking again.

        The POST is not idempotent (a second one starts a second job), so it is never retried blindly: the
        Restore jobs the instance already had are listed first, and when an attempt times out, loses its
        connection or gets a 5xx, a job that was not there before is that attempt's job.
        """
        r, correlation_id = self.request, self.progress.correlation_id
        jobs = RestoreJobsRequest(r.vault_id, r.backup_instance_id, correlation_id, r.datasource_id)
        before: RestoreJobs = yield call(self.context, self.activities.list_jobs, jobs)
        if before.error is not None:
            return OperationPoll(done=True, error=before.error)
        known = set(before.job_ids)
        request = self.call_input()
        for _ in range(MAX_TRIGGER_ATTEMPTS):
            try:
                started: OperationStarted = yield self.context.call_activity(self.activities.trigger, request)
            except Exception:  # the request may have reached Azure: look before asking again
                yield wait(self.context, UNKNOWN_OUTCOME_WAIT_SECONDS)
                after: RestoreJobs = yield call(self.context, self.activities.list_jobs, jobs)
                if after.error is not None:
                    return OperationPoll(done=True, error=after.error)
                new = sorted(set(after.job_ids) - known)
                if new:
                    return OperationPoll(done=True, succeeded=True, job_id=new[0])
                continue
            return (yield from track_operation(self.context, started, correlation_id))
        unknown = ArmError(
            status=0,
            code="RestoreNotStarted",
            message=f"{MAX_TRIGGER_ATTEMPTS} attempts failed and none of them started a restore job",
        )
        return OperationPoll(done=True, error=unknown)

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
        started = yield from self.trigger()
        if started.error is not None:
            return self.fail(started.error, "triggering the restore failed")
        job_id = started.job_id or (started.body or {}).get("jobId")
        if not job_id:
            missing = ArmError(
                status=0, code="RestoreJobIdMissing", message="the operation reported no job id"
            )
            return self.fail(missing, "triggering the restore failed")
        p.job_id = str(job_id)
        p.phase = RUNNING
        p.next_delay_seconds = started.retry_after_seconds if started.operation else None
        self.publish()
        return None

    def follow_job(self) -> Generator[Any, Any, str]:
        p = self.progress
        for _ in range(self.request.polls_per_generation):
            yield wait(self.context, float(p.next_delay_seconds or 60.0))
            assert p.job_id is not None
            read: JobRead = yield call(
                self.context,
                self.activities.read_job,
                JobReadRequest(self.request.vault_id, p.job_id, p.next_delay_seconds, p.correlation_id),
            )
            p.polls += 1
            if read.error is not None or read.job is None:
                return self.fail(read.error, "reading the restore job failed")
            job = read.job
            p.job_status = job.status
            p.job_start_time = job.start_time or p.job_start_time
            p.job_end_time = job.end_time
            p.percent_complete = read.percent_complete
            if job.done:
                succeeded = job.phase in (JobPhase.SUCCEEDED, JobPhase.SUCCEEDED_WITH_WARNINGS)
                p.phase = SUCCEEDED if succeeded else FAILED
                p.error = None if succeeded else job_error(job)
                return DONE
            p.next_delay_seconds = read.next_delay_seconds
            self.publish()
        return CONTINUED

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
    yield call(context, "restore_release_lock", LockRelease(p.backup_instance_id, p.id))
    yield call(context, "restore_publish_outcome", p.event_status())
    return p.view()
