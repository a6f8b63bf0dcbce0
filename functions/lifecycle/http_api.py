"""HTTP triggers of the lifecycle API (function-key auth): backups now and protection changes.

- ``POST /api/backups``: an on-demand backup of a protected datasource (202 + status URL)
- ``GET  /api/backups/{backupId}``: its status document, job included
- ``POST /api/protection-changes``: stop (keep the data), suspend, resume, or delete (with the data) the
  protection of a datasource (202 + status URL)
- ``GET  /api/protection-changes/{changeId}``: its status document

Every request acts only inside ``LIFECYCLE_ALLOWED_SCOPES`` (none configured: refused), holds the backup
instance for its duration (one request per instance at a time, shared with restores: 409 otherwise), and
is refused with problem details, starting nothing, when the instance's state or policy says it cannot be
done. Triggers never wait on an asynchronous Azure operation.
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from functions import instances, runtime
from functions.http import from_error, iso, json_body, json_response, origin, problem, status_view, transient
from functions.lifecycle.blueprint import bp
from functions.lifecycle.orchestrator import BACKUP_ORCHESTRATOR, CHANGE_ORCHESTRATOR
from shared import scopes
from shared.arm.ids import parse_resource_id
from shared.arm.steps import read_resource
from shared.errors import ArmError, InvalidRequestError, NotPossibleError, RequestRefusedError
from shared.lifecycle.backup import adhoc_backup_body, vault_backup_rule
from shared.lifecycle.changes import CONFIGURED, plan_change
from shared.lifecycle.messages import BackupStart, ChangeStart
from shared.lifecycle.request import check_confirmation, parse_backup, parse_change
from shared.lifecycle.status import BACKUP, LifecycleProgress
from shared.progress import STARTING
from shared.restore.steps import BackupInstanceFacts
from shared.services import dataprotection as dp

log = logging.getLogger("backup_autopilot.lifecycle")

BACKUP_PREFIX, CHANGE_PREFIX = "backup-", "change-"
_ID_NAMESPACE = uuid.UUID("8d0c6f43-2a5e-4c9b-b1f7-5e3a9d2c7b14")  # fixed: request ids must stay stable
_REQUEST_ID = re.compile(
    r"^(backup|change)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-\d{14}-[0-9a-f]{6}$"
)


def new_request_id(prefix: str, backup_instance_id: str, now: datetime) -> str:
    instance = uuid.uuid5(_ID_NAMESPACE, parse_resource_id(backup_instance_id).key())
    return f"{prefix}{instance}-{now.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"


def _check_scopes(ids: list[str]) -> None:
    allowed = runtime.settings().lifecycle_allowed_scopes
    scopes.check_within(
        ids, allowed, setting="LIFECYCLE_ALLOWED_SCOPES", what="backups and protection changes"
    )


async def _instance(resource_id: str | None, backup_instance_id: str | None) -> BackupInstanceFacts:
    """The backup instance, with the request's resource and the instance's datasource in the scopes."""
    if resource_id is not None:
        _check_scopes([resource_id])
    found = await instances.find_instance(resource_id, backup_instance_id)
    _check_scopes([found.datasource_id])
    return found


async def _start(
    req: func.HttpRequest,
    client: df.DurableOrchestrationClient,
    orchestrator: str,
    progress: LifecycleProgress,
    payload: BackupStart | ChangeStart,
    route: str,
) -> func.HttpResponse:
    await instances.take_lock(client, progress.backup_instance_id, progress.id)
    try:
        await client.start_new(orchestrator, progress.id, payload)
    except Exception:
        await instances.release_lock(progress.backup_instance_id, progress.id)
        raise
    log.info("%s %s started for %s", progress.operation, progress.id, progress.backup_instance_id)
    status_url = f"{origin(req)}/api/{route}/{progress.id}"
    now = iso(datetime.now(UTC))
    body = {**progress.view(), "statusUrl": status_url, "createdTime": now, "lastUpdatedTime": now}
    return json_response(body, 202, {"Location": status_url, "Retry-After": "10"})


def _progress(
    prefix: str, operation: str, found: BackupInstanceFacts, correlation_id: str | None
) -> LifecycleProgress:
    return LifecycleProgress(
        id=new_request_id(prefix, found.backup_instance_id, datetime.now(UTC)),
        operation=operation,
        backup_instance_id=found.backup_instance_id,
        datasource_id=found.datasource_id,
        vault_id=found.vault_id,
        state_before=found.current_state,
        correlation_id=correlation_id,
    )


@bp.route(route="backups", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def backup_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    try:
        submission = parse_backup(json_body(req))
        found = await _instance(submission.resource_id, submission.backup_instance_id)
        if found.current_state != CONFIGURED:
            raise NotPossibleError(
                "an on-demand backup needs a configured protection; the backup instance is "
                f"{found.current_state}",
                errors=[{"field": "resourceId", "reason": "protection is not configured"}],
            )
        policy = await read_resource(runtime.arm(), found.policy_id, dp.API_VERSION)
        if policy.error is not None or not policy.found:
            raise instances.arm_failure(
                policy.error or NotPossibleError("not found"),
                f"reading the backup policy {found.policy_id} failed",
            )
        rule = vault_backup_rule(policy.resource, submission.retention_tag)
        progress = _progress(BACKUP_PREFIX, BACKUP, found, submission.correlation_id)
        progress.rule_name, progress.retention_tag = rule.rule_name, rule.retention_tag
        payload = BackupStart(
            progress, adhoc_backup_body(rule), runtime.settings().restore_polls_per_generation
        )
        return await _start(req, client, BACKUP_ORCHESTRATOR, progress, payload, "backups")
    except (InvalidRequestError, RequestRefusedError) as exc:
        return from_error(exc)
    except ArmError as exc:
        return transient(exc)


@bp.route(route="protection-changes", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def protection_change_start(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    try:
        submission = parse_change(json_body(req))
        found = await _instance(submission.resource_id, submission.backup_instance_id)
        check_confirmation(submission, found.datasource_id)
        plan = plan_change(submission.change, found.current_state)
        if plan.refusal is not None:
            raise NotPossibleError(
                plan.refusal,
                errors=[{"field": "change", "reason": "not possible in the instance's state"}],
                currentProtectionState=found.current_state,
            )
        progress = _progress(CHANGE_PREFIX, submission.change.value, found, submission.correlation_id)
        payload = ChangeStart(progress, plan.method, plan.action, sorted(plan.expected_states))
        return await _start(req, client, CHANGE_ORCHESTRATOR, progress, payload, "protection-changes")
    except (InvalidRequestError, RequestRefusedError) as exc:
        return from_error(exc)
    except ArmError as exc:
        return transient(exc)


async def _status(
    client: df.DurableOrchestrationClient, request_id: str, orchestrator: str
) -> func.HttpResponse:
    missing = problem(404, "Not found", f"no request {request_id[:100]!r}", "not-found")
    if not _REQUEST_ID.match(request_id):
        return missing
    status = await client.get_status(request_id)
    if not status or status.name != orchestrator:
        return missing
    return json_response(status_view(status, what=orchestrator.replace("_", " "), initial=STARTING))


@bp.route(route="backups/{backupId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def backup_status(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    return await _status(client, req.route_params.get("backupId", ""), BACKUP_ORCHESTRATOR)


@bp.route(route="protection-changes/{changeId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def protection_change_status(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    return await _status(client, req.route_params.get("changeId", ""), CHANGE_ORCHESTRATOR)
