"""Protection activities: stateless, idempotent, one ARM call each (see :mod:`shared.arm.steps`)."""

from __future__ import annotations

from typing import Any

from functions import runtime
from functions.protection.blueprint import bp
from shared.arm import steps as arm_steps
from shared.events import protection_event
from shared.protection.messages import ProtectionOutcome, ProtectionRequest
from shared.protection.plan import plan_protection as build_plan
from shared.services import dataprotection as dp


@bp.activity_trigger(input_name="payload")
async def read_resource(payload: dict[str, Any]) -> dict[str, Any]:
    """GET the datasource (or its parent) from ARM: the event payload is never trusted."""
    return await arm_steps.read_resource(runtime.arm(), payload["resource_id"], payload["api_version"])


@bp.activity_trigger(input_name="payload")
def plan_protection(payload: dict[str, Any]) -> dict[str, Any]:
    """Rules + eligibility over the resource as read: the plan, and the settings the orchestrator needs."""
    settings = runtime.settings()
    plan = build_plan(
        ProtectionRequest.from_dict(payload["request"]),
        payload["resource"],
        runtime.rules(),
        parent=payload.get("parent"),
        dry_run=settings.dry_run,
    )
    return {
        "plan": plan.to_dict(),
        "grant_roles": settings.grant_roles,
        "role_propagation_seconds": settings.role_propagation_seconds,
    }


@bp.activity_trigger(input_name="payload")
async def validate_for_backup(payload: dict[str, Any]) -> dict[str, Any]:
    return await arm_steps.start_operation(
        runtime.arm(),
        "POST",
        dp.validate_for_backup_path(payload["vault_id"]),
        dp.API_VERSION,
        dp.validate_for_backup_body(payload["instance"]),
        runtime.poll_policy(),
    )


@bp.activity_trigger(input_name="payload")
async def create_backup_instance(payload: dict[str, Any]) -> dict[str, Any]:
    return await arm_steps.start_operation(
        runtime.arm(),
        "PUT",
        dp.backup_instance_path(payload["vault_id"], payload["name"]),
        dp.API_VERSION,
        dp.backup_instance_resource_body(payload["instance"]),
        runtime.poll_policy(),
    )


@bp.activity_trigger(input_name="payload")
async def poll_operation(payload: dict[str, Any]) -> dict[str, Any]:
    return await arm_steps.poll_operation(runtime.arm(), payload, runtime.poll_policy())


@bp.activity_trigger(input_name="payload")
async def read_backup_instance(payload: dict[str, Any]) -> dict[str, Any]:
    read = await arm_steps.read_resource(runtime.arm(), payload["backup_instance_id"], dp.API_VERSION)
    if read.get("found"):
        status, provisioning = dp.protection_status(read["resource"])
        return {"found": True, "protection_status": status, "provisioning_state": provisioning}
    return read


@bp.activity_trigger(input_name="payload")
async def read_vault_principal(payload: dict[str, Any]) -> dict[str, Any]:
    """The vault's system-assigned identity (the principal that needs the datasource roles)."""
    read = await arm_steps.read_resource(runtime.arm(), payload["vault_id"], dp.API_VERSION)
    if not read.get("found"):
        return read
    identity = (read["resource"] or {}).get("identity") or {}
    return {"found": True, "principal_id": identity.get("principalId")}


@bp.activity_trigger(input_name="payload")
async def assign_role(payload: dict[str, Any]) -> dict[str, Any]:
    scope = payload["scopeId"]
    subscription = scope.split("/")[2]
    role_guid = payload["roleDefinitionGuid"]
    role_definition_id = (
        f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
    )
    return await arm_steps.assign_role(
        runtime.arm(), scope, role_definition_id, role_guid, payload["principalId"]
    )


@bp.activity_trigger(input_name="payload")
async def publish_protection_outcome(payload: dict[str, Any]) -> dict[str, Any]:
    """Publish the outcome as a CloudEvent to the configured topic (secrets scrubbed by the builder)."""
    outcome = ProtectionOutcome.from_dict(payload)
    await runtime.publisher().publish([protection_event(outcome)])
    return {"published": True}
