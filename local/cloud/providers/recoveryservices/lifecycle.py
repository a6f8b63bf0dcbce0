"""Operations and jobs with Recovery Services' vocabulary and URLs.

Operation ids are GUIDs; status ``InProgress`` -> ``Succeeded``/``Failed`` with ``endTime``
``0001-01-01T00:00:00.00000Z`` while running (``ProtectedItem_Delete_OperationStatus.json``). Jobs are
``AzureStorageJob`` resources: ``InProgress`` -> ``Completed``/``Failed`` with duration and extendedInfo.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ...core import Cloud, CloudError, RequestContext, Response, iso
from .state import RecoveryServicesState, RsOperation

NOT_ENDED = "0001-01-01T00:00:00.00000Z"
JOB_TYPE = "Microsoft.RecoveryServices/vaults/backupJobs"
#: api-versions the real service writes into its poll URLs (see docs-fileshare captures).
POLL_API_VERSION = "2016-12-01"
RESTORE_POLL_API_VERSION = "2019-05-13"


def state(cloud: Cloud) -> RecoveryServicesState:
    return cloud.state(RecoveryServicesState)


def start_operation(
    cloud: Cloud,
    vault_id: str,
    duration: float,
    finish: Callable[[RsOperation], None] | None = None,
    fail_with: CloudError | None = None,
) -> RsOperation:
    """An operation that ends after ``duration`` emulated seconds; ``finish`` may set job/result ids or
    raise ``CloudError`` to fail it."""
    op = RsOperation(str(uuid.uuid4()), vault_id, "InProgress", iso(cloud.clock.now()))
    state(cloud).operations[op.id] = op

    def done() -> None:
        try:
            if fail_with is not None:
                raise fail_with
            if finish is not None:
                finish(op)
            op.status = "Succeeded"
        except CloudError as exc:
            op.status, op.error, op.http_status = "Failed", exc.error_object(), exc.status
        op.end_time = iso(cloud.clock.now())

    if duration <= 0:
        done()
    else:
        cloud.scheduler.call_later(duration, done)
    return op


def accepted(
    ctx: RequestContext, op: RsOperation, target_path: str, *, async_header: bool, api: str
) -> Response:
    """202 with ``Location`` (``.../operationResults/{id}``) and, when the real service sends it,
    ``Azure-AsyncOperation`` (``.../operationsStatus/{id}``, with an s)."""
    path = (
        "/Subscriptions/" + target_path.split("/", 2)[2]
        if target_path.lower().startswith("/subscriptions/")
        else target_path
    )
    headers = {
        "Location": ctx.url(f"{path}/operationResults/{op.id}", api),
        "Retry-After": str(ctx.cloud.config.retry_after_seconds),
    }
    if async_header:
        headers["Azure-AsyncOperation"] = ctx.url(f"{path}/operationsStatus/{op.id}", api)
    return Response(202, None, headers)


def operation(cloud: Cloud, vault_id: str, op_id: str) -> RsOperation:
    op = state(cloud).operations.get(op_id)
    if op is None or op.vault_id.lower() != vault_id.lower():
        raise CloudError(404, "BMSUserErrorOperationNotFound", f"Operation '{op_id}' was not found.")
    return op


def status_body(op: RsOperation) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": op.id,
        "name": op.id,
        "status": op.status,
        "startTime": op.start_time,
        "endTime": op.end_time or NOT_ENDED,
    }
    if op.status == "Succeeded" and op.job_id:
        body["properties"] = {"objectType": "OperationStatusJobExtendedInfo", "jobId": op.job_id}
    if op.error is not None:
        body["error"] = op.error
    return body


def location_result(ctx: RequestContext, op: RsOperation, location_path: str) -> Response:
    """A Location poll: 202 while running, then 200 + resource or 204, or the operation's error."""
    if op.status == "InProgress":
        return Response(
            202,
            None,
            {"Location": ctx.url(location_path), "Retry-After": str(ctx.cloud.config.retry_after_seconds)},
        )
    if op.status == "Failed":
        raise CloudError(
            op.http_status, str((op.error or {}).get("code")), str((op.error or {}).get("message"))
        )
    if op.result_id:
        resource = ctx.cloud.store.get(op.result_id)
        if resource is not None:
            return Response(200, resource.view())
    return Response(204)


def _duration(start: datetime, end: datetime) -> str:
    return f"PT{max((end - start).total_seconds(), 0.0):.7f}S"


def job_body(
    vault_id: str,
    job_id: str,
    operation: str,
    entity: str,
    account_name: str,
    started: datetime,
    property_bag: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An ``AzureStorageJob`` resource, InProgress (``_started`` is private: ``job_view`` strips it)."""
    vault_rg = vault_id.split("/")[4] if vault_id.count("/") >= 4 else ""
    return {
        "id": f"{vault_id}/backupJobs/{job_id}",
        "name": job_id,
        "type": JOB_TYPE,
        "resourceGroup": vault_rg,
        "properties": {
            "jobType": "AzureStorageJob",
            "actionsInfo": ["Cancellable"],
            "activityId": str(uuid.uuid4()),
            "backupManagementType": "AzureStorage",
            "duration": "PT0S",
            "entityFriendlyName": entity,
            "errorDetails": None,
            "extendedInfo": {
                "dynamicErrorMessage": None,
                "propertyBag": dict(property_bag or {}),
                "tasksList": [],
            },
            "operation": operation,
            "startTime": iso(started),
            "status": "InProgress",
            "storageAccountName": account_name,
            "storageAccountVersion": "Storage",
        },
        "_started": started,
    }


def start_job(
    cloud: Cloud,
    vault_id: str,
    *,
    operation: str,
    entity: str,
    account_name: str,
    duration: float,
    property_bag: dict[str, str] | None = None,
    fail_with: CloudError | None = None,
    on_complete: Callable[[dict[str, Any]], None] | None = None,
) -> str:
    """An AzureStorageJob: InProgress, then Completed (running ``on_complete``) or Failed."""
    job_id = str(uuid.uuid4())
    started = cloud.clock.now()
    job = job_body(vault_id, job_id, operation, entity, account_name, started, property_bag)
    state(cloud).jobs[job_id] = job

    def finish() -> None:
        props = job["properties"]
        ended = cloud.clock.now()
        if fail_with is not None:
            props["status"] = "Failed"
            props["errorDetails"] = [
                {"errorCode": 400, "errorString": fail_with.message, "recommendations": [fail_with.code]}
            ]
            props["extendedInfo"]["dynamicErrorMessage"] = fail_with.message
        else:
            props["status"] = "Completed"
            if on_complete is not None:
                on_complete(job)
        props["endTime"] = iso(ended)
        props["duration"] = _duration(started, ended)
        props["actionsInfo"] = []

    if duration <= 0:
        finish()
    else:
        cloud.scheduler.call_later(duration, finish)
    return job_id


def job_view(cloud: Cloud, job: dict[str, Any]) -> dict[str, Any]:
    import copy

    body = copy.deepcopy({k: v for k, v in job.items() if not k.startswith("_")})
    props = body["properties"]
    if props["status"] == "InProgress":
        props["duration"] = _duration(job["_started"], cloud.clock.now())
    return body
