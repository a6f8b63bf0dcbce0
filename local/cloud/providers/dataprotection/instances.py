"""Backup instances: validateForBackup, create (201 + Azure-AsyncOperation), get, list, delete (202)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ...core import Cloud, CloudError, RequestContext, Resource, Response, norm
from ...core.operations import AsyncOperation
from .checks import (
    check_instance,
    instance_properties,
    missing_permissions,
    permissions_error,
    user_facing_info,
)
from .operations import VAULT, start, vault_id_of
from .recovery import start_recovery_points
from .softdelete import refuse_if_soft_deleted, soft_delete, soft_delete_on
from .state import DataProtectionState

BI_TYPE = "Microsoft.DataProtection/backupVaults/backupInstances"
INSTANCES = VAULT + "/backupInstances"
INSTANCE = INSTANCES + "/{backupInstanceName}"


def _vault(ctx: RequestContext) -> Resource:
    return ctx.cloud.require(vault_id_of(ctx))


def instance_id_of(ctx: RequestContext) -> str:
    return f"{vault_id_of(ctx)}/backupInstances/{ctx.params['backupInstanceName']}"


def require_instance(ctx: RequestContext) -> Resource:
    _vault(ctx)
    found = ctx.cloud.store.get(instance_id_of(ctx))
    if found is None:
        name = ctx.params["backupInstanceName"]
        raise CloudError(
            404,
            "ResourceNotFound",
            f"The Resource 'Microsoft.DataProtection/backupVaults/"
            f"{ctx.params['vaultName']}/backupInstances/{name}' under resource group "
            f"'{ctx.params['resourceGroupName']}' was not found.",
        )
    return found


def register_instance_routes(cloud: Cloud) -> None:
    r = cloud.router

    async def validate_for_backup(ctx: RequestContext) -> Response:
        vault = _vault(ctx)
        body = ctx.json_object()
        if not isinstance(body.get("backupInstance"), dict):
            raise CloudError(400, "BadRequest", "The request must contain 'backupInstance'.")
        props = instance_properties(copy.deepcopy(body["backupInstance"]))
        kind, _, _ = check_instance(cloud, vault, props, None, ctx.correlation_id)

        def complete() -> dict[str, Any]:
            missing = missing_permissions(cloud, vault, kind, props)
            if missing:
                raise permissions_error(vault, props, missing, ctx.correlation_id, "Validate for Protection")
            return {"jobId": str(uuid.uuid4()), "objectType": "OperationJobExtendedInfo"}

        _, headers = start(
            ctx,
            target=vault.id,
            operation_id="BackupInstances_ValidateForBackup",
            location=vault.location or "",
            duration_key="validate_for_backup",
            complete=complete,
            vault_id=vault.id,
        )
        return Response(202, None, headers)

    async def put_instance(ctx: RequestContext) -> Response:
        vault = _vault(ctx)
        rid = instance_id_of(ctx)
        props = instance_properties(copy.deepcopy(ctx.json_object()))
        existing = cloud.store.get(rid)
        kind, policy, _ = check_instance(cloud, vault, props, rid, ctx.correlation_id)
        ds = props["dataSourceInfo"]
        props.setdefault("friendlyName", ds.get("resourceName") or ctx.params["backupInstanceName"])
        props["policyInfo"].setdefault("policyVersion", "")
        state = cloud.state(DataProtectionState)
        if existing is None:
            refuse_if_soft_deleted(cloud, vault, str(ds["resourceID"]))
        if existing is not None and existing.properties.get("provisioningState") != "Failed":
            merged = existing.properties
            merged["policyInfo"] = props["policyInfo"]
            if "friendlyName" in props:
                merged["friendlyName"] = props["friendlyName"]
            cloud.emit_write_for(ctx, existing)
            return Response(200, existing.view())
        props["protectionStatus"] = {"status": "ConfiguringProtection"}
        props["currentProtectionState"] = "ConfiguringProtection"
        props["provisioningState"] = "Provisioning"
        body = {"id": rid, "name": ctx.params["backupInstanceName"], "type": BI_TYPE, "properties": props}
        instance, _ = cloud.store.put(rid, BI_TYPE, body, cloud.clock.seconds())
        state.protected[norm(str(ds["resourceID"]))] = instance.id

        def complete() -> dict[str, Any] | None:
            missing = missing_permissions(cloud, vault, kind, props)
            if missing:
                error = permissions_error(vault, props, missing, ctx.correlation_id, "Configure Protection")
                instance.properties["protectionStatus"] = {
                    "status": "ConfiguringProtectionFailed",
                    "errorDetails": error.error_object()["additionalInfo"][0]["info"],
                }
                instance.properties["currentProtectionState"] = "ConfiguringProtectionFailed"
                instance.properties["provisioningState"] = "Failed"
                raise error
            instance.properties["provisioningState"] = "Provisioned"
            protection_error = cloud.faults.protection_error(
                "BackupInstances_CreateOrUpdate", ctx.params["subscriptionId"]
            )

            def settle() -> None:
                if protection_error is not None:
                    details = user_facing_info(
                        protection_error.code,
                        protection_error.message,
                        ["Retry the operation."],
                        str(uuid.uuid4()),
                    )
                    instance.properties["protectionStatus"] = {
                        "status": "ProtectionError",
                        "errorDetails": details,
                    }
                    instance.properties["currentProtectionState"] = "ProtectionError"
                    instance.properties["protectionErrorDetails"] = details
                    return
                instance.properties["protectionStatus"] = {"status": "ProtectionConfigured"}
                instance.properties["currentProtectionState"] = "ProtectionConfigured"
                instance.extra["protected_since"] = cloud.clock.seconds()
                start_recovery_points(cloud, instance, policy, kind)

            settling = cloud.config.duration("backup_instance.settle")
            if settling > 0 or protection_error is not None:  # the service settles the protection later
                cloud.scheduler.call_later(settling, settle)
            else:
                settle()
            return None

        op, headers = start(
            ctx,
            target=rid,
            operation_id="BackupInstances_CreateOrUpdate",
            location=vault.location or "",
            duration_key="backup_instance.create",
            complete=complete,
            vault_id=vault.id,
        )
        op.data["final"] = "resource"
        if op.status == "Failed":
            instance.properties["provisioningState"] = "Failed"
        headers.pop("Location", None)
        cloud.emit_write_for(ctx, instance)
        return Response(201, instance.view(), headers)

    async def get_instance(ctx: RequestContext) -> Response:
        return Response(200, require_instance(ctx).view())

    async def list_instances(ctx: RequestContext) -> Response:
        vault = _vault(ctx)
        items = cloud.store.list_children(vault.id, BI_TYPE)
        return Response(200, {"value": [i.view() for i in items]})

    async def delete_instance(ctx: RequestContext) -> Response:
        vault = _vault(ctx)
        instance = cloud.store.get(instance_id_of(ctx))
        if instance is None:
            return Response(204)
        instance.properties["currentProtectionState"] = "SoftDeleting"
        instance.properties["protectionStatus"] = {"status": "SoftDeleting"}

        def complete() -> dict[str, Any] | None:
            if soft_delete_on(vault):  # kept as deletedBackupInstances/{name} for the retention days
                soft_delete(cloud, instance)
                cloud.emit_write_for(ctx, instance, delete=True)
                return None
            state = cloud.state(DataProtectionState)
            ds_id = norm(str(instance.properties["dataSourceInfo"]["resourceID"]))
            if norm(state.protected.get(ds_id, "")) == norm(instance.id):
                state.protected.pop(ds_id, None)
            state.recovery_points.pop(norm(instance.id), None)
            cloud.store.delete(instance.id)
            cloud.emit_write_for(ctx, instance, delete=True)
            return None

        _, headers = start(
            ctx,
            target=instance.id,
            operation_id="BackupInstances_Delete",
            location=vault.location or "",
            duration_key="backup_instance.delete",
            complete=complete,
            vault_id=vault.id,
        )
        return Response(202, None, headers)

    r.add(
        "POST",
        VAULT + "/validateForBackup",
        "BackupInstances_ValidateForBackup",
        validate_for_backup,
        kind="action",
    )

    def configure_failed(op: AsyncOperation) -> None:
        """A configure that ends Failed leaves the instance ConfiguringProtectionFailed (a PUT retries)."""
        if op.operation_id != "BackupInstances_CreateOrUpdate" or op.status != "Failed":
            return
        instance = cloud.store.get(op.target_id)
        if instance is None or instance.properties.get("currentProtectionState") != "ConfiguringProtection":
            return
        instance.properties["provisioningState"] = "Failed"
        instance.properties["currentProtectionState"] = "ConfiguringProtectionFailed"
        instance.properties["protectionStatus"] = {
            "status": "ConfiguringProtectionFailed",
            "errorDetails": op.error,
        }

    cloud.operations.on_finish(configure_failed)
    r.add("PUT", INSTANCE, "BackupInstances_CreateOrUpdate", put_instance, arm_operation=f"{BI_TYPE}/write")
    r.add("GET", INSTANCE, "BackupInstances_Get", get_instance)
    r.add("GET", INSTANCES, "BackupInstances_List", list_instances)
    r.add("DELETE", INSTANCE, "BackupInstances_Delete", delete_instance, arm_operation=f"{BI_TYPE}/delete")
