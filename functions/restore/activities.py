"""Restore activities: stateless, one ARM call each (validateRestore, restore; ``rs_restore_trigger`` for a
file share's Recovery Services vault) + the completion event.

The job is listed and read by the shared job activities of :mod:`functions.jobs` (per service); the backup
instance's lock is released by :func:`functions.instances.release_instance_lock`.
"""

from __future__ import annotations

from functions import runtime
from functions.restore.blueprint import bp
from functions.tracking import start_operation
from shared.arm.steps import OperationStarted
from shared.events import restore_event
from shared.restore.bodies import validate_restore_body
from shared.restore.messages import RestoreCall
from shared.restore.status import RestoreStatus
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
    # for the job an earlier attempt may have started: functions.jobs.start_job_once).
    return await start_operation(
        "POST", path, dp.API_VERSION, payload.body, payload.correlation_id, idempotent=False
    )


@bp.activity_trigger(input_name="payload")
async def restore_publish_outcome(payload: RestoreStatus) -> None:
    """Publish BackupAutopilot.Restore.Succeeded / Failed as a CloudEvent (secrets scrubbed)."""
    await runtime.publisher().publish([restore_event(payload)])


@bp.activity_trigger(input_name="payload")
async def rs_restore_trigger(payload: RestoreCall) -> OperationStarted:
    """POST {protectedItem}/recoveryPoints/{point}/restore; the operation's status carries the job id."""
    assert payload.recovery_point_id is not None
    path = rs.restore_path(payload.backup_instance_id, payload.recovery_point_id)
    # Not idempotent (a second POST starts a second job): never re-sent blindly, as for Backup vaults.
    return await start_operation(
        "POST", path, rs.API_VERSION, payload.body, payload.correlation_id, idempotent=False
    )
