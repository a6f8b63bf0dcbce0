"""HTTP triggers of the restore API (function-key auth; the OpenAPI document is public).

- ``GET  /api/restore-points?resourceId=|backupInstanceId=``: restorable time ranges / recovery points
- ``POST /api/restores[?dryRun=true]``: check, then start ``restore_backup_instance`` (202 + status URL)
- ``GET  /api/restores/{restoreId}``: our status document
- ``GET  /api/restores?phase=&resourceId=&backupInstanceId=&since=&top=``: recent restores
- the OpenAPI 3.1 description of all of the above: ``GET /api/openapi.json`` (:mod:`functions.openapi`)

Triggers are thin: they parse, check (see :mod:`functions.restore.checks`) and start; they never wait on an
asynchronous Azure operation. Every refusal is problem details with a 4xx status and starts nothing.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from functions import instances, runtime
from functions.http import (
    from_error,
    iso,
    json_body,
    json_response,
    origin,
    problem,
    status_view,
    transient,
)
from functions.restore import checks
from functions.restore.blueprint import bp
from functions.restore.orchestrator import ORCHESTRATOR
from shared.arm.ids import parse_resource_id
from shared.errors import ArmError, InvalidRequestError, RequestRefusedError
from shared.progress import PHASES
from shared.restore import share_steps
from shared.restore import steps as restore_steps
from shared.restore.messages import RestoreJobRequest, RestoreStart
from shared.restore.request import check_scopes, parse_submission
from shared.restore.status import RestoreProgress
from shared.restore.steps import RestorableRanges
from shared.services import dataprotection as dp

log = logging.getLogger("backup_autopilot.restore")

MAX_TOP = 200
_ASCII_DIGITS = re.compile(r"[0-9]{1,4}")  # str.isdigit also takes superscripts and other scripts
_RESTORE_ID = re.compile(
    r"^restore-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-\d{14}-[0-9a-f]{6}$"
)


def new_restore_id(backup_instance_id: str, now: datetime) -> str:
    return (
        f"{checks.instance_prefix(backup_instance_id)}{now.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"
    )


@bp.route(route="restores", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def restore_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    try:
        submission = parse_submission(json_body(req), dry_run_query=req.params.get("dryRun"))
        checked = await checks.check_restore(submission, client)
    except (InvalidRequestError, RequestRefusedError) as exc:
        return from_error(exc)
    except ArmError as exc:
        return transient(exc)
    instance = checked.instance
    summary = {
        "kind": submission.kind.value,
        "backupInstanceId": instance.backup_instance_id,
        "datasourceId": instance.datasource_id,
        "restorePoint": checked.restore_point,
        "destination": checked.destination,
    }
    if submission.dry_run:
        return json_response({"dryRun": True, "valid": True, **summary, "restoreRequest": checked.body})
    now = datetime.now(UTC)
    restore_id = new_restore_id(instance.backup_instance_id, now)
    progress = RestoreProgress(
        id=restore_id,
        kind=submission.kind.value,
        backup_instance_id=instance.backup_instance_id,
        datasource_id=instance.datasource_id,
        restore_point=checked.restore_point,
        destination=checked.destination,
        correlation_id=submission.correlation_id,
    )
    request = RestoreJobRequest(
        instance.backup_instance_id,
        instance.vault_id,
        checked.body,
        runtime.settings().restore_polls_per_generation,
        service=checked.service,
        recovery_point_id=checked.recovery_point_id,
        datasource_id=instance.datasource_id,
    )
    try:
        await instances.take_lock(client, instance.backup_instance_id, restore_id)
    except RequestRefusedError as exc:
        return from_error(exc)
    try:
        await client.start_new(ORCHESTRATOR, restore_id, RestoreStart(request, progress))
    except Exception:
        await instances.release_lock(instance.backup_instance_id, restore_id)
        raise
    log.info("restore %s started for %s", restore_id, instance.backup_instance_id)
    status_url = f"{origin(req)}/api/restores/{restore_id}"
    body = {
        **progress.view(),
        "statusUrl": status_url,
        "createdTime": iso(now),
        "lastUpdatedTime": iso(now),
    }
    return json_response(body, 202, {"Location": status_url, "Retry-After": "10"})


def _document(status: df.DurableOrchestrationStatus) -> dict[str, Any]:
    return status_view(status, what="restore")


@bp.route(route="restores/{restoreId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def restore_status(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    restore_id = req.route_params.get("restoreId", "")
    missing = problem(404, "Not found", f"no restore {restore_id[:100]!r}", "not-found")
    if not _RESTORE_ID.match(restore_id):
        return missing
    status = await client.get_status(restore_id)
    if not status or status.name != ORCHESTRATOR:
        return missing
    return json_response(_document(status))


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequestError("since", "must be an ISO 8601 timestamp") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if not 1970 <= when.year <= 9000:
        raise InvalidRequestError("since", "must be between 1970 and 9000")
    return when.astimezone(UTC)


def _top(value: str | None) -> int:
    if not value:
        return 50
    if not _ASCII_DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_TOP:
        raise InvalidRequestError("top", f"must be an integer from 1 to {MAX_TOP}")
    return int(value)


@bp.route(route="restores", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def restore_list(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    params = req.params
    try:
        phase = params.get("phase") or None
        if phase is not None and phase not in PHASES:
            raise InvalidRequestError("phase", "must be one of " + ", ".join(PHASES))
        since, top = _since(params.get("since")), _top(params.get("top"))
        prefix = checks.RESTORE_PREFIX
        if params.get("backupInstanceId"):
            prefix = checks.instance_prefix(params["backupInstanceId"])
        resource = parse_resource_id(params["resourceId"]).key() if params.get("resourceId") else None
    except InvalidRequestError as exc:
        return from_error(exc)
    found = await client.get_status_by(created_time_from=since, instance_id_prefix=prefix)
    documents = [_document(s) for s in found if s.name == ORCHESTRATOR]
    if phase:
        documents = [d for d in documents if d.get("phase") == phase]
    if resource:
        documents = [d for d in documents if str(d.get("datasourceId") or "").lower() == resource]
    documents.sort(key=lambda d: str(d.get("createdTime") or ""), reverse=True)
    return json_response({"value": documents[:top], "count": min(len(documents), top)})


@bp.route(route="restore-points", methods=["GET"])
async def restore_points(req: func.HttpRequest) -> func.HttpResponse:
    params = req.params
    try:
        reference = {k: params[k] for k in ("resourceId", "backupInstanceId") if params.get(k)}
        resource_id, backup_instance_id = dp.instance_reference(reference)
        scopes = runtime.settings().restore_allowed_scopes
        if resource_id is not None:
            check_scopes([resource_id], scopes)
        share = instances.is_share(resource_id, backup_instance_id)
        resolve = instances.find_share if share else checks.resolve_instance
        instance = await resolve(resource_id, backup_instance_id)
        check_scopes([instance.datasource_id], scopes)  # nothing of a resource outside the scopes is shown
        arm = runtime.arm()
        list_points = share_steps.list_recovery_points if share else restore_steps.list_recovery_points
        points = await list_points(arm, instance.backup_instance_id)
        ranges = RestorableRanges()
        if not share and instance.datasource_type.lower().startswith("microsoft.storage/"):
            ranges = await restore_steps.find_restorable_time_ranges(arm, instance.backup_instance_id)
        for error in (points.error, ranges.error):
            if error is not None:
                raise instances.arm_failure(error, "reading restore points failed")
    except (InvalidRequestError, RequestRefusedError) as exc:
        return from_error(exc)
    except ArmError as exc:
        return transient(exc)
    return json_response(
        {
            "backupInstanceId": instance.backup_instance_id,
            "datasourceId": instance.datasource_id,
            "datasourceType": instance.datasource_type,
            "restorableTimeRanges": ranges.ranges,
            "recoveryPoints": points.points,
        }
    )
