"""Recovery Services activities for file shares (seeds/004): one ARM call each, typed inputs and results.

Lists are read once and reduced to what the flow needs (a name the service gave, a protected item's state),
so no list crosses the Durable boundary. Container and item names are the service's, percent-encoded into
the paths by :mod:`shared.services.recoveryservices`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions import runtime
from functions.protection.blueprint import bp
from functions.tracking import start_operation
from shared.arm import steps as arm_steps
from shared.arm.client import correlation
from shared.arm.ids import parse_resource_id
from shared.arm.steps import OperationStarted
from shared.errors import BackupAutopilotError
from shared.protection.holder import Holder
from shared.protection.holder import find_share_holder as find_holder_of_share
from shared.protection.messages import ReadRequest
from shared.records import Record
from shared.restore import share_steps
from shared.services import recoveryservices as rs


@dataclass(frozen=True)
class VaultCall(Record):
    """A call on a vault about one storage account (and share): refresh, container and item look-ups."""

    vault_id: str
    account_id: str
    share_name: str = ""
    correlation_id: str | None = None


@dataclass(frozen=True)
class ContainerCall(Record):
    """A call on one protection container (register, inquire) or one of its items (protect)."""

    vault_id: str
    container_name: str
    item_name: str = ""
    body: dict[str, Any] | None = None
    correlation_id: str | None = None


@dataclass(frozen=True)
class Found(Record):
    """A name the service gave (container, or container and item), or None when the list did not hold it."""

    container_name: str | None = None
    item_name: str | None = None
    error: BackupAutopilotError | None = None


@dataclass(frozen=True)
class ProtectedShare(Record):
    """A protected item as read (``found=False``: the vault does not protect the share)."""

    found: bool = False
    item_id: str | None = None
    policy_id: str | None = None
    protection_state: str | None = None
    error: BackupAutopilotError | None = None


async def _list(path: str, correlation_id: str | None) -> tuple[Any, BackupAutopilotError | None]:
    with correlation(correlation_id):
        read = await arm_steps.read_resource(runtime.arm(), rs.filtered(path), rs.API_VERSION)
    return read.resource, read.error


@bp.activity_trigger(input_name="payload")
async def rs_refresh_containers(payload: VaultCall) -> OperationStarted:
    """POST refreshContainers: the vault discovers the subscription's storage accounts (Location)."""
    path = rs.filtered(rs.refresh_containers_path(payload.vault_id))
    return await start_operation("POST", path, rs.API_VERSION, None, payload.correlation_id)


@bp.activity_trigger(input_name="payload")
async def rs_find_protectable_container(payload: VaultCall) -> Found:
    """GET protectableContainers: the (unregistered) container of the storage account, by its id."""
    body, error = await _list(rs.protectable_containers_path(payload.vault_id), payload.correlation_id)
    return Found(rs.find_protectable_container(body, payload.account_id), error=error)


@bp.activity_trigger(input_name="payload")
async def rs_find_registered_container(payload: VaultCall) -> Found:
    """GET backupProtectionContainers: the storage account's container when it is registered already."""
    body, error = await _list(rs.protection_containers_path(payload.vault_id), payload.correlation_id)
    return Found(rs.find_registered_container(body, payload.account_id), error=error)


@bp.activity_trigger(input_name="payload")
async def rs_register_container(payload: ContainerCall) -> OperationStarted:
    """PUT protectionContainers/{name}: register the storage account with the vault (idempotent PUT)."""
    path = rs.container_path(payload.vault_id, payload.container_name)
    return await start_operation("PUT", path, rs.API_VERSION, payload.body, payload.correlation_id)


@bp.activity_trigger(input_name="payload")
async def rs_inquire(payload: ContainerCall) -> OperationStarted:
    """POST inquire: the vault discovers the container's file shares."""
    path = rs.inquire_path(payload.vault_id, payload.container_name)
    return await start_operation("POST", path, rs.API_VERSION, None, payload.correlation_id)


@bp.activity_trigger(input_name="payload")
async def rs_find_protectable_share(payload: VaultCall) -> Found:
    """GET backupProtectableItems: the share by its name and parent container (names from the answer)."""
    body, error = await _list(rs.protectable_items_path(payload.vault_id), payload.correlation_id)
    container, item = rs.find_protectable_share(body, payload.account_id, payload.share_name) or (None, None)
    return Found(container, item, error)


@bp.activity_trigger(input_name="payload")
async def rs_find_protected_share(payload: VaultCall) -> ProtectedShare:
    """GET backupProtectedItems: the share's protected item in this vault, if it has one."""
    body, error = await _list(rs.protected_items_path(payload.vault_id), payload.correlation_id)
    item = rs.find_protected_share(body, payload.account_id, payload.share_name)
    if item is None:
        return ProtectedShare(error=error)
    _, policy = rs.protected_item_state(item)
    item_id = item.get("id")
    return ProtectedShare(
        True, item_id if isinstance(item_id, str) else None, policy, share_steps.item_state(item)
    )


@bp.activity_trigger(input_name="payload")
async def rs_protect_share(payload: ContainerCall) -> OperationStarted:
    """PUT protectedItems/{name}: enable protection (``AzureFileShareProtectedItem``; idempotent PUT)."""
    path = rs.protected_item_path(payload.vault_id, payload.container_name, payload.item_name)
    return await start_operation("PUT", path, rs.API_VERSION, payload.body, payload.correlation_id)


@bp.activity_trigger(input_name="payload")
async def rs_read_protected_item(payload: ReadRequest) -> ProtectedShare:
    """GET one protected item by its id (its names percent-encoded): its protection state and policy."""
    path = parse_resource_id(payload.resource_id).url_path()
    with correlation(payload.correlation_id):
        read = await arm_steps.read_resource(runtime.arm(), path, payload.api_version)
    if not read.found:
        return ProtectedShare(error=read.error)
    _, policy = rs.protected_item_state(read.resource)
    return ProtectedShare(True, payload.resource_id, policy, share_steps.item_state(read.resource))


@bp.activity_trigger(input_name="payload")
async def find_share_holder(payload: ReadRequest) -> Holder:
    """The protected item (vault, policy) that holds a file share, whatever vault, from Resource Graph."""
    with correlation(payload.correlation_id):
        return await find_holder_of_share(runtime.arm(), payload.resource_id)
