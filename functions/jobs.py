"""Requests that start a backup job (a restore, a backup now): start it once, then follow the job to its end.

``start_job_once`` and ``follow_job`` are generators for ``yield from`` inside an orchestrator; the two
activities they call (list an instance's jobs, read one job) live here, in their own blueprint, because every
capability that starts a job uses them, for a Backup vault's jobs or (file-share restores and backups) a
Recovery Services vault's. Every wait is a durable timer; every ARM call an activity.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import replace
from typing import Any

import azure.durable_functions as df

from functions import runtime
from functions.tracking import call, track_operation, wait
from shared import jobs
from shared.arm.client import correlation
from shared.arm.operations import JobState
from shared.arm.steps import OperationPoll, OperationStarted
from shared.errors import ArmError
from shared.jobs import JobIds, JobProgress, JobRead, JobReadRequest, JobsRequest
from shared.protection.kinds import BackupService
from shared.restore import share_steps

LIST_JOBS = "list_backup_jobs"
READ_JOB = "read_backup_job"
MAX_START_ATTEMPTS = 3
UNKNOWN_OUTCOME_WAIT_SECONDS = (
    30.0  # before looking for the job an attempt of unknown outcome may have started
)
DEFAULT_JOB_POLL_SECONDS = 60.0

bp = df.Blueprint()


@bp.activity_trigger(input_name="payload")
async def list_backup_jobs(payload: JobsRequest) -> JobIds:
    """The backup instance's jobs of one category: before a POST, and after an attempt of unknown outcome."""
    with correlation(payload.correlation_id):
        if payload.service is BackupService.RECOVERY_SERVICES:  # a file share's restores and backups
            return await share_steps.list_jobs(
                runtime.arm(), payload.vault_id, payload.datasource_id, payload.category.value
            )
        return await jobs.list_jobs(runtime.arm(), payload)


@bp.activity_trigger(input_name="payload")
async def read_backup_job(payload: JobReadRequest) -> JobRead:
    """GET the job once; ``next_delay_seconds``: Retry-After if given, else a growing back-off."""
    policy = runtime.poll_policy()
    read_job = share_steps.read_job if payload.service is BackupService.RECOVERY_SERVICES else jobs.read_job
    with correlation(payload.correlation_id):
        read = await read_job(runtime.arm(), payload.vault_id, payload.job_id, policy)
    if read.error is not None:
        return read
    delay = jobs.next_poll_delay(payload.previous_delay_seconds, read.retry_after_seconds, policy)
    return replace(read, next_delay_seconds=delay)


def start_job_once(
    context: df.DurableOrchestrationContext, activity: str, payload: Any, listing: JobsRequest
) -> Generator[Any, Any, OperationPoll]:
    """Run ``activity`` (a POST that starts a job) and follow its operation; the poll that names the job.

    The POST is not idempotent (a second one starts a second job), so it is never retried blindly: the jobs
    the instance already had in ``listing.category`` are listed first, and when an attempt times out, loses
    its connection or gets a 5xx, a job that was not there before is that attempt's job.
    """
    before: JobIds = yield call(context, LIST_JOBS, listing)
    if before.error is not None:
        return OperationPoll(done=True, error=before.error)
    known = set(before.job_ids)
    for _ in range(MAX_START_ATTEMPTS):
        try:
            started: OperationStarted = yield context.call_activity(activity, payload)
        except Exception:  # the request may have reached Azure: look before asking again
            yield wait(context, UNKNOWN_OUTCOME_WAIT_SECONDS)
            after: JobIds = yield call(context, LIST_JOBS, listing)
            if after.error is not None:
                return OperationPoll(done=True, error=after.error)
            new = sorted(set(after.job_ids) - known)
            if new:
                return OperationPoll(done=True, succeeded=True, job_id=new[0])
            continue
        return (yield from track_operation(context, started, listing.correlation_id))
    what = listing.category.value.lower()
    unknown = ArmError(
        status=0,
        code=f"{listing.category.value}NotStarted",
        message=f"{MAX_START_ATTEMPTS} attempts failed and none of them started a {what} job",
    )
    return OperationPoll(done=True, error=unknown)


def job_id_of(started: OperationPoll) -> str | None:
    """The job a finished start operation names (its result's ``jobId``), if any."""
    job_id = started.job_id or (started.body or {}).get("jobId")
    return str(job_id) if job_id else None


def follow_job(
    context: df.DurableOrchestrationContext,
    progress: JobProgress,
    vault_id: str,
    correlation_id: str | None,
    max_polls: int,
    publish: Callable[[], None],
    service: BackupService = BackupService.DATA_PROTECTION,
) -> Generator[Any, Any, JobRead | None]:
    """Poll ``progress.job_id`` at most ``max_polls`` times, calling ``publish`` after each read of a job
    still running: the last read once the job ended or reading failed, ``None`` when the job still runs
    (the caller continues as new with ``progress``)."""
    assert progress.job_id is not None
    for _ in range(max_polls):
        yield wait(context, float(progress.next_delay_seconds or DEFAULT_JOB_POLL_SECONDS))
        request = JobReadRequest(
            vault_id, progress.job_id, progress.next_delay_seconds, correlation_id, service
        )
        read: JobRead = yield call(context, READ_JOB, request)
        job: JobState | None = progress.apply(read)
        if job is None or job.done:
            return read
        publish()
    return None
