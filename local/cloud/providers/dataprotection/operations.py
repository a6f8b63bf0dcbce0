"""DataProtection long-running operations: 202/201 headers, operationStatus, operationResults, jobs."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ...core import AsyncOperation, Cloud, CloudError, RequestContext, Resource, ResourceId, Response, iso
from .state import DataProtectionState

NS = "/providers/Microsoft.DataProtection"
SUB = "/subscriptions/{subscriptionId}"
VAULT = SUB + "/resourceGroups/{resourceGroupName}" + NS + "/backupVaults/{vaultName}"


def start(
    ctx: RequestContext,
    *,
    target: str,
    operation_id: str,
    location: str,
    duration_key: str,
    complete: Callable[[], dict[str, Any] | None],
    vault_id: str,
) -> tuple[AsyncOperation, dict[str, str]]:
    """Start an operation and build the headers the service sends (Azure-AsyncOperation, Location,
    Retry-After as a string). Poll URLs alternate between the vault-scoped and the location-scoped
    forms when ``config.job_id_style`` is "alternate", so clients meet both."""
    cloud = ctx.cloud
    sub = ctx.params["subscriptionId"]
    op = cloud.operations.start(
        target_id=target,
        operation_id=operation_id,
        subscription_id=sub,
        location=location,
        duration=cloud.config.duration(duration_key),
        complete=complete,
        fail_with=cloud.faults.operation_failure(operation_id, sub),
        data={"vault_id": vault_id},
    )
    state = cloud.state(DataProtectionState)
    state.sequence += 1
    loc = location.replace(" ", "").lower()
    if cloud.config.job_id_style == "alternate" and state.sequence % 2 == 0:
        status = f"{vault_id}/operationStatus/{op.id}"
    else:
        status = f"/subscriptions/{sub}{NS}/locations/{loc}/operationStatus/{op.id}"
    result = f"/subscriptions/{sub}{NS}/locations/{loc}/operationResults/{op.id}"
    headers = {
        "Azure-AsyncOperation": ctx.url(status),
        "Location": ctx.url(result),
        "Retry-After": str(cloud.config.retry_after_seconds),
    }
    return op, headers


def job_id_value(cloud: Cloud, vault_id: str, job_id: str) -> str:
    """OperationJobExtendedInfo.jobId: a bare GUID or the full ARM id ("Name or Arm Id of the job")."""
    style = cloud.config.job_id_style
    state = cloud.state(DataProtectionState)
    full = style == "arm_id" or (style == "alternate" and state.sequence % 2 == 1)
    return f"{vault_id}/backupJobs/{job_id}" if full else job_id


def job_body(
    *,
    vault: Resource,
    instance: Resource,
    operation: str,
    job_id: str,
    started: datetime,
    is_user_triggered: bool = True,
    extended: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An ``AzureBackupJob`` resource for ``operation`` on ``instance``, status Started."""
    props = instance.properties
    ds = props.get("dataSourceInfo") or {}
    ds_set = props.get("dataSourceSetInfo") or {}
    policy_id = str((props.get("policyInfo") or {}).get("policyId", ""))
    sub = ResourceId.parse(vault.id).subscription or ""
    ds_id = str(ds.get("resourceID", ""))
    parsed_ds = ResourceId.parse(ds_id)
    activity = str(uuid.uuid4())
    return {
        "id": f"{vault.id}/backupJobs/{job_id}",
        "name": job_id,
        "type": "Microsoft.DataProtection/backupVaults/backupJobs",
        "properties": {
            "activityID": activity,
            "backupInstanceFriendlyName": props.get("friendlyName") or instance.name,
            "backupInstanceId": instance.id,
            "dataSourceId": ds_id,
            "dataSourceLocation": ds.get("resourceLocation", ""),
            "dataSourceName": ds.get("resourceName", ""),
            "dataSourceSetName": ds_set.get("resourceName", ds.get("resourceName", "")),
            "dataSourceType": ds.get("datasourceType", ""),
            "duration": "00:00:00",
            "extendedInfo": {
                **(extended or {}),
                "additionalDetails": {"TaskId": activity, **(extended or {}).get("additionalDetails", {})},
                "subTasks": [{"taskId": 1, "taskName": f"Trigger {operation}", "taskStatus": "Started"}],
            },
            "isUserTriggered": is_user_triggered,
            "operation": operation,
            "operationCategory": operation,
            "policyId": policy_id,
            "policyName": policy_id.rstrip("/").split("/")[-1],
            "progressEnabled": False,
            "sourceResourceGroup": parsed_ds.resource_group or "",
            "sourceSubscriptionID": parsed_ds.subscription or "",
            "startTime": iso(started),
            "status": "Started",
            "subscriptionId": sub,
            "supportedActions": [],
            "vaultName": vault.name,
        },
    }


def create_job(
    cloud: Cloud,
    *,
    vault: Resource,
    instance: Resource,
    operation: str,
    duration_key: str,
    operation_id: str,
    extended: dict[str, Any] | None = None,
    on_complete: Callable[[], None] | None = None,
) -> str:
    """Create a backup/restore job resource whose status moves Started/InProgress -> Completed/Failed."""
    sub = ResourceId.parse(vault.id).subscription or ""
    fail = cloud.faults.job_failure(operation_id, sub)
    job_id = str(uuid.uuid4())
    body = job_body(
        vault=vault,
        instance=instance,
        operation=operation,
        job_id=job_id,
        started=cloud.clock.now(),
        extended=extended,
    )
    cloud.state(DataProtectionState).jobs[job_id] = (vault.id, body)
    started = cloud.clock.seconds()

    def finish() -> None:
        p = body["properties"]
        elapsed = cloud.clock.seconds() - started
        p["endTime"] = iso(cloud.clock.now())
        p["duration"] = f"PT{elapsed:.7f}S"
        if fail is not None:
            p["status"] = "Failed"
            p["errorDetails"] = [{"code": fail.code, "message": fail.message}]
            p["extendedInfo"]["subTasks"][0]["taskStatus"] = "Failed"
        else:
            p["status"] = "Completed"
            p["extendedInfo"]["subTasks"][0]["taskStatus"] = "Completed"
            if on_complete is not None:
                on_complete()

    def running() -> None:
        body["properties"]["status"] = "InProgress"

    duration = cloud.config.duration(duration_key)
    cloud.scheduler.call_later(min(duration / 4, 1.0), running)
    cloud.scheduler.call_later(duration, finish)
    return job_id


def all_jobs(cloud: Cloud) -> list[dict[str, Any]]:
    """Every job body of every vault (what Resource Graph indexes as ``.../backupvaults/backupjobs``)."""
    return [body for _, body in cloud.state(DataProtectionState).jobs.values()]


def register_operation_routes(cloud: Cloud) -> None:
    r = cloud.router

    def lookup(ctx: RequestContext) -> AsyncOperation:
        op = cloud.operations.get(ctx.params["operationId"])
        if op is None or op.subscription_id.lower() != ctx.params["subscriptionId"].lower():
            raise CloudError(
                404, "ResourceNotFound", f"Operation '{ctx.params['operationId']}' was not found."
            )
        return op

    async def status(ctx: RequestContext) -> Response:
        op = lookup(ctx)
        return Response(200, op.status_body(ctx.path))

    async def result(ctx: RequestContext) -> Response:
        op = lookup(ctx)
        if not op.done:
            headers = {"Location": ctx.url(ctx.path), "Retry-After": str(cloud.config.retry_after_seconds)}
            return Response(202, None, headers)
        if op.status == "Failed":
            err = op.error or {}
            raise CloudError(
                int(op.data.get("http_status", 400)),
                str(err.get("code", "Failed")),
                str(err.get("message", "")),
                extra={k: v for k, v in err.items() if k not in {"code", "message"}},
            )
        final = op.data.get("final")
        if final == "resource":
            found = cloud.store.get(op.target_id)
            return Response(200, found.view() if found else None)
        if op.properties:
            return Response(200, op.properties)
        return Response(204)

    async def get_job(ctx: RequestContext) -> Response:
        vault_id = _vault_id(ctx)
        found = cloud.state(DataProtectionState).jobs.get(ctx.params["jobId"].lower())
        if found is None or found[0].lower() != vault_id.lower():
            raise CloudError(
                404, "ResourceNotFound", f"Job '{ctx.params['jobId']}' was not found in the vault."
            )
        return Response(200, copy.deepcopy(found[1]))

    async def list_jobs(ctx: RequestContext) -> Response:
        vault_id = _vault_id(ctx)
        cloud.require(vault_id)
        jobs = [
            copy.deepcopy(b)
            for v, b in cloud.state(DataProtectionState).jobs.values()
            if v.lower() == vault_id.lower()
        ]
        return Response(200, {"value": jobs})

    loc = SUB + NS + "/locations/{location}"
    r.add("GET", loc + "/operationStatus/{operationId}", "OperationStatus_Get", status)
    r.add("GET", loc + "/operationResults/{operationId}", "OperationResult_Get", result)
    r.add("GET", VAULT + "/operationStatus/{operationId}", "OperationStatusBackupVaultContext_Get", status)
    r.add("GET", VAULT + "/operationResults/{operationId}", "BackupVaultOperationResults_Get", result)
    r.add(
        "GET",
        SUB + "/resourceGroups/{resourceGroupName}" + NS + "/operationStatus/{operationId}",
        "OperationStatusResourceGroupContext_Get",
        status,
    )
    r.add(
        "GET",
        VAULT + "/backupInstances/{backupInstanceName}/operationResults/{operationId}",
        "BackupInstances_GetBackupInstanceOperationResult",
        result,
    )
    r.add("GET", VAULT + "/backupJobs/{jobId}", "Jobs_Get", get_job)
    r.add("GET", VAULT + "/backupJobs", "Jobs_List", list_jobs)


def _vault_id(ctx: RequestContext) -> str:
    p = ctx.params
    group = f"/subscriptions/{p['subscriptionId']}/resourceGroups/{p['resourceGroupName']}"
    return f"{group}{NS}/backupVaults/{p['vaultName']}"


def vault_id_of(ctx: RequestContext) -> str:
    return _vault_id(ctx)
