"""Lifecycle activities: stateless, one ARM call each (backup POST, change, state read) + the event; the
``rs_`` ones for a file share's protected item in a Recovery Services vault."""

from __future__ import annotations

from functions import runtime
from functions.lifecycle.blueprint import bp
from functions.tracking import start_operation
from shared.arm.client import correlation
from shared.arm.steps import OperationStarted, read_resource
from shared.events import lifecycle_event
from shared.lifecycle.messages import InstanceCall, InstanceState, StateRead
from shared.lifecycle.status import LifecycleStatus
from shared.restore import share_steps
from shared.restore import steps as restore_steps
from shared.restore.steps import RecoveryPoints
from shared.services import dataprotection as dp
from shared.services import recoveryservices as rs


@bp.activity_trigger(input_name="payload")
async def backup_trigger(payload: InstanceCall) -> OperationStarted:
    """POST backup (an on-demand backup); the operation's result carries the backup job id."""
    path = dp.adhoc_backup_path(payload.backup_instance_id)
    # Not idempotent: a second POST starts a second backup. Never re-sent blindly (the orchestrator first
    # looks for the job an earlier attempt may have started: functions.jobs.start_job_once).
    return await start_operation(
        "POST", path, dp.API_VERSION, payload.body, payload.correlation_id, idempotent=False
    )


@bp.activity_trigger(input_name="payload")
async def protection_change_call(payload: InstanceCall) -> OperationStarted:
    """POST stopProtection / suspendBackups / resumeBackups / resumeProtection, or DELETE the instance.

    Each leads to a state, so sending it again after a lost answer does no harm (idempotent retries).
    """
    path = dp.instance_action_path(payload.backup_instance_id, payload.action)
    return await start_operation(payload.method, path, dp.API_VERSION, payload.body, payload.correlation_id)


@bp.activity_trigger(input_name="payload")
async def read_protection_state(payload: StateRead) -> InstanceState:
    """GET the backup instance: its ``currentProtectionState`` (or that it is gone)."""
    with correlation(payload.correlation_id):
        read = await read_resource(runtime.arm(), payload.backup_instance_id, dp.API_VERSION)
    state, _, _ = dp.protection_state(read.resource)
    return InstanceState(found=read.found, state=state, error=read.error)


@bp.activity_trigger(input_name="payload")
async def rs_backup_trigger(payload: InstanceCall) -> OperationStarted:
    """POST {protectedItem}/backup (``AzureFileShareBackupRequest``); the operation's status names the job."""
    path = rs.backup_path(payload.backup_instance_id)
    # Not idempotent (a second POST takes a second snapshot): never re-sent blindly, as for Backup vaults.
    return await start_operation(
        "POST", path, rs.API_VERSION, payload.body, payload.correlation_id, idempotent=False
    )


@bp.activity_trigger(input_name="payload")
async def rs_protection_change_call(payload: InstanceCall) -> OperationStarted:
    """PUT the protected item (stop, suspend, resume: ``body``) or DELETE it; each leads to a state, so it
    may be sent again after a lost answer (idempotent retries)."""
    path = rs.protected_item(payload.backup_instance_id).url_path()
    return await start_operation(payload.method, path, rs.API_VERSION, payload.body, payload.correlation_id)


@bp.activity_trigger(input_name="payload")
async def rs_read_protection_state(payload: StateRead) -> InstanceState:
    """GET the protected item: its ``protectionState``, ``SoftDeleted`` (and the purge time) while the
    vault's soft delete keeps it, or that it is gone."""
    with correlation(payload.correlation_id):
        path = rs.protected_item(payload.backup_instance_id).url_path()
        read = await read_resource(runtime.arm(), path, rs.API_VERSION)
    _, purge = rs.soft_deleted(read.resource)
    state = share_steps.item_state(read.resource) if read.found else None
    return InstanceState(found=read.found, state=state, error=read.error, purge_time=purge)


@bp.activity_trigger(input_name="payload")
async def list_recovery_points(payload: StateRead) -> RecoveryPoints:
    """The backup instance's recovery points (newest first, as the service lists them)."""
    with correlation(payload.correlation_id):
        return await restore_steps.list_recovery_points(runtime.arm(), payload.backup_instance_id)


@bp.activity_trigger(input_name="payload")
async def lifecycle_publish_outcome(payload: LifecycleStatus) -> None:
    """Publish BackupAutopilot.Backup.* / BackupAutopilot.ProtectionChange.* (secrets scrubbed)."""
    await runtime.publisher().publish([lifecycle_event(payload)])
