"""Restore activities: stateless, one ARM call each (validateRestore, restore, GET job) + the event."""

from __future__ import annotations

from typing import Any

from functions import runtime
from functions.restore.blueprint import bp
from shared.arm import steps as arm_steps
from shared.events import restore_event
from shared.protection.messages import RestoreStatus
from shared.restore import steps as restore_steps
from shared.restore.bodies import validate_restore_body
from shared.restore.status import next_poll_delay
from shared.services import dataprotection as dp


@bp.activity_trigger(input_name="payload")
async def restore_validate(payload: dict[str, Any]) -> dict[str, Any]:
    """POST validateRestore (asynchronous: the orchestrator tracks the returned operation)."""
    return await arm_steps.start_operation(
        runtime.arm(),
        "POST",
        dp.validate_restore_path(payload["backup_instance_id"]),
        dp.API_VERSION,
        validate_restore_body(payload["body"]),
        runtime.poll_policy(),
    )


@bp.activity_trigger(input_name="payload")
async def restore_trigger(payload: dict[str, Any]) -> dict[str, Any]:
    """POST restore; the operation's result carries the restore job id."""
    return await arm_steps.start_operation(
        runtime.arm(),
        "POST",
        dp.restore_path(payload["backup_instance_id"]),
        dp.API_VERSION,
        payload["body"],
        runtime.poll_policy(),
    )


@bp.activity_trigger(input_name="payload")
async def restore_read_job(payload: dict[str, Any]) -> dict[str, Any]:
    """GET the restore job once; ``next_delay_seconds``: Retry-After if given, else a growing back-off."""
    policy = runtime.poll_policy()
    read = await restore_steps.read_job(runtime.arm(), payload["vault_id"], payload["job_id"], policy)
    if not read.get("error"):
        previous = payload.get("previous_delay_seconds")
        read["next_delay_seconds"] = next_poll_delay(
            float(previous) if previous is not None else None, read.get("retry_after_seconds"), policy
        )
    return read


@bp.activity_trigger(input_name="payload")
async def restore_publish_outcome(payload: dict[str, Any]) -> dict[str, Any]:
    """Publish BackupAutopilot.Restore.Succeeded / Failed as a CloudEvent (secrets scrubbed)."""
    await runtime.publisher().publish([restore_event(RestoreStatus.from_dict(payload))])
    return {"published": True}
