"""Restore activities: stateless, one ARM call each (validateRestore, restore, GET job) + the event; the
Recovery Services ones (``rs_*``) for file shares."""

from __future__ import annotations

from dataclasses import replace

from functions import runtime
from functions.restore.blueprint import bp
from functions.tracking import start_operation
from shared.arm.client import correlation
from shared.arm.steps import OperationStarted
from shared.events import restore_event
from shared.restore import share_steps
from shared.restore import steps as restore_steps
from shared.restore.bodies import validate_restore_body
from shared.restore.lock import lock_key
from shared.restore.messages import JobReadRequest, LockRelease, RestoreCall, RestoreJobsRequest
from shared.restore.status import RestoreStatus, next_poll_delay
from shared.restore.steps import JobRead, RestoreJobs
from shared.services import dataprotection as dp
from shared.services import recoveryservices as rs


@bp.activity_trigger(input_name="payload")
async def restore_validate(payload: RestoreCall) -> OperationStarted:
    """POST validateRestore (asynchronous: the orchestrator tracks the returned operation)."""
    path, body = dp.validate_restore_path(payload.backup_instance_id), validate_restore_body(payload.body)
    return await start_operation("POST", path, dp.API_VERSION, body, payload.correlation_id)


@bp.activity_trigger(input_name="payload")
async def restore_trigger(payload: RestoreCall) -> OperationStarted:
    """POST restore; the operation's result carries the restore job id."""
    path = dp.restore_path(payload.backup_instance_id)
    # Not idempotent: a second POST starts a second job. Never re-sent blindly (the orchestrator first looks
    # for the job an earlier attempt may have started: restore_list_jobs).
    return await start_operation(
        "POST", path, dp.API_VERSION, payload.body, payload.correlation_id, idempotent=False
    )


@bp.activity_trigger(input_name="payload")
async def restore_list_jobs(payload: RestoreJobsRequest) -> RestoreJobs:
    """The backup instance's Restore jobs: before the POST, and after an attempt of unknown outcome."""
    with correlation(payload.correlation_id):
        return await restore_steps.list_restore_jobs(
            runtime.arm(), payload.vault_id, payload.backup_instance_id
        )


@bp.activity_trigger(input_name="payload")
async def restore_read_job(payload: JobReadRequest) -> JobRead:
    """GET the restore job once; ``next_delay_seconds``: Retry-After if given, else a growing back-off."""
    policy = runtime.poll_policy()
    with correlation(payload.correlation_id):
        read = await restore_steps.read_job(runtime.arm(), payload.vault_id, payload.job_id, policy)
    if read.error is not None:
        return read
    delay = next_poll_delay(payload.previous_delay_seconds, read.retry_after_seconds, policy)
    return replace(read, next_delay_seconds=delay)


@bp.activity_trigger(input_name="payload")
async def restore_release_lock(payload: LockRelease) -> bool:
    """The job has ended: the next restore of this backup instance may start (storage only, no ARM)."""
    return await runtime.restore_locks().release(lock_key(payload.backup_instance_id), payload.restore_id)


@bp.activity_trigger(input_name="payload")
async def restore_publish_outcome(payload: RestoreStatus) -> None:
    """Publish BackupAutopilot.Restore.Succeeded / Failed as a CloudEvent (secrets scrubbed)."""
    await runtime.publisher().publish([restore_event(payload)])


# -- Recovery Services (file shares) ---------------------------------------------------------------------


@bp.activity_trigger(input_name="payload")
async def rs_restore_trigger(payload: RestoreCall) -> OperationStarted:
    """POST {protectedItem}/recoveryPoints/{point}/restore; the operation's status carries the job id."""
    assert payload.recovery_point_id is not None
    path = rs.restore_path(payload.backup_instance_id, payload.recovery_point_id)
    # Not idempotent (a second POST starts a second job): never re-sent blindly, as for Backup vaults.
    return await start_operation(
        "POST", path, rs.API_VERSION, payload.body, payload.correlation_id, idempotent=False
    )


@bp.activity_trigger(input_name="payload")
async def rs_restore_list_jobs(payload: RestoreJobsRequest) -> RestoreJobs:
    """The vault's Restore jobs of the share: before the POST, and after an attempt of unknown outcome."""
    with correlation(payload.correlation_id):
        return await share_steps.list_restore_jobs(runtime.arm(), payload.vault_id, payload.datasource_id)


@bp.activity_trigger(input_name="payload")
async def rs_restore_read_job(payload: JobReadRequest) -> JobRead:
    """GET the Recovery Services restore job once; the next wait as for Backup vault jobs."""
    policy = runtime.poll_policy()
    with correlation(payload.correlation_id):
        read = await share_steps.read_job(runtime.arm(), payload.vault_id, payload.job_id, policy)
    if read.error is not None:
        return read
    delay = next_poll_delay(payload.previous_delay_seconds, read.retry_after_seconds, policy)
    return replace(read, next_delay_seconds=delay)
