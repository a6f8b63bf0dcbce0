"""Protection lifecycle of a backup instance: stopProtection, suspendBackups, resumeBackups, resumeProtection
(soft delete: :mod:`.softdelete`), and the vault's deleted backup instances.

Each action is ``POST .../backupInstances/{name}/{action}`` answering 202 with ``Azure-AsyncOperation`` and
``Location`` (the swagger: ``x-ms-long-running-operation``, ``final-state-via: location``); the state moves
when the operation completes. ``currentProtectionState`` and ``protectionStatus.status`` follow the
swagger's ``CurrentProtectionState`` and ``Status`` enums:

=================  ============================  ==============================
action             allowed from                   ends in (state / status)
=================  ============================  ==============================
stopProtection     configured, suspended, error  ProtectionStopped / ProtectionStopped
suspendBackups     configured, error             BackupSchedulesSuspended / ProtectionStopped
resumeBackups      suspended                     ProtectionConfigured / ProtectionConfigured
resumeProtection   stopped                       ProtectionConfigured / ProtectionConfigured
=================  ============================  ==============================

An action from another state is refused with 400 ``UserErrorInvalidOperationForCurrentState`` (nearest real
behaviour, code not captured).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core import Cloud, CloudError, RequestContext, Response
from .instances import INSTANCE, require_instance
from .operations import VAULT, start, vault_id_of
from .softdelete import DELETED_TYPE

CONFIGURED, STOPPED, SUSPENDED, ERROR = (
    "ProtectionConfigured",
    "ProtectionStopped",
    "BackupSchedulesSuspended",
    "ProtectionError",
)


@dataclass(frozen=True)
class Transition:
    action: str
    operation_id: str
    allowed_from: frozenset[str]
    state: str
    status: str


TRANSITIONS = (
    Transition(
        "stopProtection",
        "BackupInstances_StopProtection",
        frozenset({CONFIGURED, SUSPENDED, ERROR}),
        STOPPED,
        STOPPED,
    ),
    Transition(
        "suspendBackups", "BackupInstances_SuspendBackups", frozenset({CONFIGURED, ERROR}), SUSPENDED, STOPPED
    ),
    Transition(
        "resumeBackups", "BackupInstances_ResumeBackups", frozenset({SUSPENDED}), CONFIGURED, CONFIGURED
    ),
    Transition(
        "resumeProtection", "BackupInstances_ResumeProtection", frozenset({STOPPED}), CONFIGURED, CONFIGURED
    ),
)


def register_lifecycle_routes(cloud: Cloud) -> None:
    r = cloud.router

    def route(transition: Transition) -> Any:
        async def act(ctx: RequestContext) -> Response:
            instance = require_instance(ctx)
            vault = cloud.require(vault_id_of(ctx))
            current = str(instance.properties.get("currentProtectionState", ""))
            if current not in transition.allowed_from:
                raise CloudError(
                    400,
                    "UserErrorInvalidOperationForCurrentState",
                    f"Operation '{transition.action}' is not allowed when the backup instance is in "
                    f"'{current}' state.",
                )

            def complete() -> dict[str, Any] | None:
                instance.properties["currentProtectionState"] = transition.state
                instance.properties["protectionStatus"] = {"status": transition.status}
                cloud.emit_write_for(ctx, instance)
                return None

            _, headers = start(
                ctx,
                target=instance.id,
                operation_id=transition.operation_id,
                location=vault.location or "",
                duration_key="backup_instance.lifecycle",
                complete=complete,
                vault_id=vault.id,
            )
            return Response(202, None, headers)

        return act

    for transition in TRANSITIONS:
        r.add(
            "POST",
            f"{INSTANCE}/{transition.action}",
            transition.operation_id,
            route(transition),
            kind="action",
        )

    async def get_deleted(ctx: RequestContext) -> Response:
        deleted_id = f"{vault_id_of(ctx)}/deletedBackupInstances/{ctx.params['backupInstanceName']}"
        found = cloud.store.get(deleted_id)
        if found is None:
            raise CloudError(
                404,
                "ResourceNotFound",
                f"Deleted backup instance '{ctx.params['backupInstanceName']}' not found.",
            )
        return Response(200, found.view())

    async def list_deleted(ctx: RequestContext) -> Response:
        vault = cloud.require(vault_id_of(ctx))
        items = cloud.store.list_children(vault.id, DELETED_TYPE)
        return Response(200, {"value": [i.view() for i in items]})

    r.add(
        "GET",
        VAULT + "/deletedBackupInstances/{backupInstanceName}",
        "DeletedBackupInstances_Get",
        get_deleted,
    )
    r.add("GET", VAULT + "/deletedBackupInstances", "DeletedBackupInstances_List", list_deleted)
