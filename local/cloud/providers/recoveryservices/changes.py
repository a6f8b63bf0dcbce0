"""Changing a file share's protection, as ``ProtectedItems_CreateOrUpdate`` on an item that exists and
``ProtectedItems_Delete`` do (bms.json 2025-08-01; the examples' "Stop Protection with retain data"):

- ``protectionState: ProtectionStopped`` with no policy: stop protection, keep the recovery points
  (a ``DisableBackup`` job);
- ``protectionState: BackupsSuspended`` with the policy: no more scheduled backups, retention as per the
  policy (``DisableBackup``);
- a policy and no state (or ``Protected``): protect again / change the policy (``ConfigureBackup``);
  ``IRPending`` until the item has a recovery point, then ``Protected``;
- ``isRehydrate: true`` on a soft-deleted item: undelete it into ``ProtectionStopped`` (``Undelete``);
- DELETE: stop protection and delete the data (``DeleteBackupData``). With the vault's soft delete on
  (``properties.securitySettings.softDeleteSettings.softDeleteState`` ``Enabled``/``AlwaysON``, Azure's
  default for a Recovery Services vault when absent), the item stays, ``ProtectionStopped``,
  ``isScheduledForDeferredDelete: true``, ``deferredDeleteTimeInUTC`` the time of the delete and
  ``softDeleteRetentionPeriodInDays`` (default 14) until its purge, which, as for Backup vaults' deleted
  instances, the emulator never performs (a snapshot's ``scheduler.flush()`` would run it at once).

Each is asynchronous like enabling protection: 202 with ``Location`` and ``Azure-AsyncOperation``. A change
of a soft-deleted item other than undelete is refused (400; the service's code for it is not captured:
``BMSUserErrorSoftDeletedItemOperationNotAllowed`` here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...core import Cloud, CloudError, RequestContext, Resource, Response, iso
from . import lifecycle
from .lifecycle import POLL_API_VERSION, state
from .state import ProtectedItem

STOPPED, SUSPENDED, PROTECTED, PENDING = "ProtectionStopped", "BackupsSuspended", "Protected", "IRPending"
SOFT_DELETE_ON = frozenset({"enabled", "alwayson"})
DEFAULT_SOFT_DELETE_DAYS = 14


def _invalid(field: str) -> CloudError:
    return CloudError(400, "BMSUserErrorInvalidInput", f"Input provided for the call is invalid: {field}.")


def soft_delete_days(vault: Resource) -> int | None:
    """The vault's soft-delete retention in days, or None when its soft delete is off."""
    settings = (vault.properties.get("securitySettings") or {}).get("softDeleteSettings") or {}
    if str(settings.get("softDeleteState", "Enabled")).lower() not in SOFT_DELETE_ON:
        return None
    days = settings.get("softDeleteRetentionPeriodInDays")
    valid = isinstance(days, int) and not isinstance(days, bool) and days > 0
    return days if valid else DEFAULT_SOFT_DELETE_DAYS


def deferred_delete_fields(item: ProtectedItem) -> dict[str, Any]:
    """The ``ProtectedItem`` soft-delete properties of an item the vault keeps after its delete."""
    if item.deferred_delete_time is None:
        return {}
    return {
        "isScheduledForDeferredDelete": True,
        "deferredDeleteTimeInUTC": item.deferred_delete_time,
        "softDeleteRetentionPeriodInDays": item.soft_delete_days,
    }


def _job(cloud: Cloud, item: ProtectedItem, operation: str) -> str:
    return lifecycle.start_job(
        cloud,
        item.vault_id,
        operation=operation,
        entity=item.share_name,
        account_name=item.account_id.rsplit("/", 1)[-1],
        duration=0,
    )


Save = Callable[[ProtectedItem], None]  # writes the item's resource body to the store


def update_item(
    ctx: RequestContext, item: ProtectedItem, props: dict[str, Any], policy: Resource | None, save: Save
) -> Response:
    """A PUT of an existing item: stop, suspend, protect again (``policy``: the body's, checked by the
    caller when the body names one) or undelete."""
    cloud = ctx.cloud
    asked = props.get("protectionState")
    if item.deferred_delete_time is not None:
        if props.get("isRehydrate") is not True:
            raise CloudError(
                400,
                "BMSUserErrorSoftDeletedItemOperationNotAllowed",
                "The operation is not allowed on a soft-deleted item. Undelete it first.",
            )
        new_state, new_policy, job = STOPPED, "", "Undelete"
    elif asked == STOPPED:
        if props.get("policyId"):
            raise _invalid("policyId")  # stop protection keeps no policy
        new_state, new_policy, job = STOPPED, "", "DisableBackup"
    elif asked in (SUSPENDED, PROTECTED, PENDING, None):
        if policy is None:
            raise _invalid("policyId")
        resumed = PROTECTED if item.recovery_points else PENDING
        new_state = SUSPENDED if asked == SUSPENDED else resumed
        new_policy, job = policy.id, "DisableBackup" if asked == SUSPENDED else "ConfigureBackup"
    else:
        raise _invalid("protectionState")
    fail = cloud.faults.operation_failure("ProtectedItems_CreateOrUpdate", ctx.subscription_id)

    def finish(op: Any) -> None:
        if job == "Undelete":
            item.deferred_delete_time = None
        item.protection_state, item.policy_id = new_state, new_policy
        save(item)
        op.result_id = item.id
        op.job_id = _job(cloud, item, job)

    duration = cloud.config.durations.get("rs.protect", 2.0)
    op = lifecycle.start_operation(cloud, item.vault_id, duration, finish, fail)
    return lifecycle.accepted(ctx, op, item.id, async_header=True, api=POLL_API_VERSION)


def delete_item(ctx: RequestContext, key: tuple[str, str, str], item: ProtectedItem, save: Save) -> Response:
    """DELETE: stop protection and delete the data (kept ``softDeleteRetentionPeriodInDays`` when the
    vault's soft delete is on)."""
    cloud = ctx.cloud
    days = soft_delete_days(cloud.require(item.vault_id))

    def finish(op: Any) -> None:
        if item.deferred_delete_time is not None:
            return  # soft-deleted already: nothing more to delete until the purge
        op.job_id = _job(cloud, item, "DeleteBackupData")
        if days is None:
            state(cloud).items.pop(key, None)
            cloud.store.delete(item.id)
            return
        item.deferred_delete_time = iso(cloud.clock.now())
        item.soft_delete_days = days
        item.protection_state, item.policy_id = STOPPED, ""
        save(item)

    duration = cloud.config.durations.get("rs.delete", 2.0)
    op = lifecycle.start_operation(cloud, item.vault_id, duration, finish)
    return lifecycle.accepted(ctx, op, item.id, async_header=True, api=POLL_API_VERSION)
