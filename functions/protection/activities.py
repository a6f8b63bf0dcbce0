"""Protection activities: stateless, idempotent, one ARM call each (see :mod:`shared.arm.steps`).

Inputs and results are typed records; every ARM call carries the request's correlation id
(``x-ms-correlation-request-id``), so one id follows a resource from its event to its outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from functions import runtime
from functions.protection.blueprint import bp
from functions.tracking import start_operation
from shared.arm import steps as arm_steps
from shared.arm.client import correlation
from shared.arm.ids import parse_resource_id
from shared.arm.steps import OperationStarted, ResourceRead, RoleAssigned
from shared.errors import ArmError, BackupAutopilotError, Classification
from shared.events import protection_event
from shared.protection.holder import Holder, find_holder
from shared.protection.messages import BackupInstanceRequest, ProtectionOutcome, ReadRequest, RoleGrant
from shared.protection.plan import PlannedRead, PlanRead, plan_after_read
from shared.records import Record
from shared.services import dataprotection as dp


@dataclass(frozen=True)
class BackupInstanceState(Record):
    """A backup instance as read: its protection state (``CurrentProtectionState``) and status, and the
    service's error details when protection failed."""

    found: bool = False
    protection_status: str | None = None
    provisioning_state: str | None = None
    current_protection_state: str | None = None
    error_details: dict[str, Any] | None = None
    error: BackupAutopilotError | None = None
    containers: list[str] | None = None  # a vaulted blob backup's containersList


@dataclass(frozen=True)
class VaultPrincipal(Record):
    principal_id: str | None = None
    error: BackupAutopilotError | None = None


@bp.activity_trigger(input_name="payload")
async def read_resource(payload: ReadRequest) -> ResourceRead:
    """GET the datasource (or its parent) from ARM: the event payload is never trusted."""
    with correlation(payload.correlation_id):
        return await arm_steps.read_resource(runtime.arm(), payload.resource_id, payload.api_version)


@bp.activity_trigger(input_name="payload")
async def read_and_plan(payload: PlanRead) -> PlannedRead:
    """GET the datasource (or the resource it is located by) and plan over it (:func:`plan_after_read`):
    the plan is pure, so it rides on the read that completes its inputs rather than costing an activity and
    an episode of its own. One ARM call, as every activity."""
    with correlation(payload.request.correlation_id):
        read = await arm_steps.read_resource(runtime.arm(), payload.resource_id, payload.api_version)
    return plan_after_read(payload, read, runtime.rules())


@bp.activity_trigger(input_name="payload")
async def validate_for_backup(payload: BackupInstanceRequest) -> OperationStarted:
    path, body = dp.validate_for_backup_path(payload.vault_id), dp.validate_for_backup_body(payload.instance)
    return await start_operation("POST", path, dp.API_VERSION, body, payload.correlation_id)


@bp.activity_trigger(input_name="payload")
async def create_backup_instance(payload: BackupInstanceRequest) -> OperationStarted:
    path = dp.backup_instance_path(payload.vault_id, payload.name)
    body = dp.backup_instance_resource_body(payload.instance)
    return await start_operation("PUT", path, dp.API_VERSION, body, payload.correlation_id)


@dataclass(frozen=True)
class ContainerNames(Record):
    names: list[str] = field(default_factory=list)
    error: BackupAutopilotError | None = None


MAX_CONTAINER_PAGES = 50


@bp.activity_trigger(input_name="payload")
async def list_blob_containers(payload: ReadRequest) -> ContainerNames:
    """The blob containers of a storage account (``payload.resource_id``), every page (bounded)."""
    path = f"{parse_resource_id(payload.resource_id).url_path()}/blobServices/default/containers"
    try:
        with correlation(payload.correlation_id):
            pages = arm_steps.list_pages(runtime.arm(), path, payload.api_version, MAX_CONTAINER_PAGES)
            names = [str(item.get("name")) async for item in pages if item.get("name")]
    except ArmError as exc:
        if exc.classification is Classification.TRANSIENT:
            raise
        return ContainerNames(error=exc)
    return ContainerNames(names)


@bp.activity_trigger(input_name="payload")
async def find_protection_holder(payload: ReadRequest) -> Holder:
    """The backup instance (vault, policy) that already protects the datasource, from Resource Graph."""
    with correlation(payload.correlation_id):
        return await find_holder(runtime.arm(), payload.resource_id)


@bp.activity_trigger(input_name="payload")
async def read_backup_instance(payload: ReadRequest) -> BackupInstanceState:
    with correlation(payload.correlation_id):
        read = await arm_steps.read_resource(runtime.arm(), payload.resource_id, payload.api_version)
    if not read.found:
        return BackupInstanceState(error=read.error)
    state, status, details = dp.protection_state(read.resource)
    _, provisioning = dp.protection_status(read.resource)
    return BackupInstanceState(
        found=True,
        protection_status=status,
        provisioning_state=provisioning,
        current_protection_state=state,
        error_details=details if isinstance(details, dict) else None,
        containers=dp.blob_containers_of(read.resource),
    )


@bp.activity_trigger(input_name="payload")
async def read_vault_principal(payload: ReadRequest) -> VaultPrincipal:
    """The vault's system-assigned identity (the principal that needs the datasource roles)."""
    with correlation(payload.correlation_id):
        read = await arm_steps.read_resource(runtime.arm(), payload.resource_id, payload.api_version)
    identity = (read.resource or {}).get("identity") or {}
    principal = identity.get("principalId") if isinstance(identity, dict) else None
    return VaultPrincipal(principal_id=principal if isinstance(principal, str) else None, error=read.error)


@bp.activity_trigger(input_name="payload")
async def assign_role(payload: RoleGrant) -> RoleAssigned:
    subscription = payload.scope_id.split("/")[2]
    role_definition_id = (
        f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{payload.role_definition_guid}"
    )
    with correlation(payload.correlation_id):
        return await arm_steps.assign_role(
            runtime.arm(),
            payload.scope_id,
            role_definition_id,
            payload.role_definition_guid,
            payload.principal_id,
        )


@bp.activity_trigger(input_name="payload")
async def publish_protection_outcome(payload: ProtectionOutcome) -> None:
    """Publish the outcome as a CloudEvent to the configured topic (secrets scrubbed by the builder)."""
    await runtime.publisher().publish([protection_event(payload)])
