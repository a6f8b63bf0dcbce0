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

A file share (or its Recovery Services protected item) is found as the restore API finds it
(:func:`functions.instances.find_share`): its backup now keeps the recovery point until ``retainUntil``
(default: its policy's daily retention), and a resume of a stopped share protects it with the policy the
protection rules give it now (in the item's vault only: backups are never moved).
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

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
from shared.lifecycle.backup import (
    BackupRule,
    adhoc_backup_body,
    expiry_text,
    share_backup_expiry,
    vault_backup_rule,
)
from shared.lifecycle.changes import (
    CONFIGURED,
    SHARE_CONFIGURED,
    ChangePlan,
    plan_change,
    share_resume_policy,
)
from shared.lifecycle.messages import BackupStart, ChangeStart
from shared.lifecycle.request import BackupSubmission, check_confirmation, parse_backup, parse_change
from shared.lifecycle.status import BACKUP, LifecycleProgress
from shared.progress import STARTING
from shared.protection.kinds import FILE_SHARE, BackupService
from shared.restore.steps import BackupInstanceFacts
from shared.services import dataprotection as dp
from shared.services import recoveryservices as rs

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


async def _instance(
    resource_id: str | None, backup_instance_id: str | None, service: BackupService
) -> BackupInstanceFacts:
    """The backup instance (a share's protected item), with the request's resource and the instance's
    datasource in the scopes."""
    if resource_id is not None:
        _check_scopes([resource_id])
    find = instances.find_share if service is BackupService.RECOVERY_SERVICES else instances.find_instance
    found = await find(resource_id, backup_instance_id)
    _check_scopes([found.datasource_id])
    return found


async def _read_policy(policy_id: str, api_version: str) -> dict[str, Any]:
    policy = await read_resource(runtime.arm(), policy_id, api_version)
    if policy.error is not None or not policy.found:
        raise instances.arm_failure(
            policy.error or NotPossibleError("not found"), f"reading the backup policy {policy_id} failed"
        )
    return policy.resource or {}


async def _share_backup(
    found: BackupInstanceFacts, submission: BackupSubmission
) -> tuple[str, dict[str, Any]]:
    """(expiry, ``BackupRequestResource``) of a file share's backup now, or a refusal."""
    if found.current_state not in SHARE_CONFIGURED:
        raise NotPossibleError(
            "an on-demand backup needs a configured protection; the file share's protected item is "
            f"{found.current_state}",
            errors=[{"field": "resourceId", "reason": "protection is not configured"}],
        )
    if submission.retention_tag is not None:
        raise NotPossibleError(
            "a file share's on-demand backup has no retention tags: it is kept until retainUntil",
            errors=[{"field": "retentionTag", "reason": "not for a Recovery Services protected item"}],
        )
    policy = await _read_policy(found.policy_id, rs.API_VERSION)
    expiry = share_backup_expiry(policy, submission.retain_until, datetime.now(UTC))
    return expiry.strftime("%Y-%m-%dT%H:%M:%SZ"), rs.backup_request_body(expiry_text(expiry))


async def _vault_backup(found: BackupInstanceFacts, submission: BackupSubmission) -> BackupRule:
    """The rule and retention tag of a Backup vault instance's backup now, or a refusal."""
    if submission.retain_until is not None:
        raise NotPossibleError(
            "retainUntil is for file shares; a Backup vault keeps an on-demand backup as its policy's "
            "retention tag says (retentionTag)",
            errors=[{"field": "retainUntil", "reason": "not for a Backup vault instance"}],
        )
    if found.current_state != CONFIGURED:
        raise NotPossibleError(
            "an on-demand backup needs a configured protection; the backup instance is "
            f"{found.current_state}",
            errors=[{"field": "resourceId", "reason": "protection is not configured"}],
        )
    return vault_backup_rule(await _read_policy(found.policy_id, dp.API_VERSION), submission.retention_tag)


async def _backup_start(
    found: BackupInstanceFacts, submission: BackupSubmission, service: BackupService
) -> BackupStart:
    """The input of ``backup_now`` for the instance's service (decided before anything is sent)."""
    progress = _progress(BACKUP_PREFIX, BACKUP, found, submission.correlation_id)
    polls = runtime.settings().restore_polls_per_generation
    if service is BackupService.RECOVERY_SERVICES:
        progress.retain_until, body = await _share_backup(found, submission)
        return BackupStart(progress, body, polls, service)
    rule = await _vault_backup(found, submission)
    progress.rule_name, progress.retention_tag = rule.rule_name, rule.retention_tag
    return BackupStart(progress, adhoc_backup_body(rule), polls)


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
        service = instances.service_of(submission.resource_id, submission.backup_instance_id)
        found = await _instance(submission.resource_id, submission.backup_instance_id, service)
        payload = await _backup_start(found, submission, service)
        progress = payload.progress
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
        service = instances.service_of(submission.resource_id, submission.backup_instance_id)
        found = await _instance(submission.resource_id, submission.backup_instance_id, service)
        check_confirmation(submission, found.datasource_id)
        plan = plan_change(submission.change, found.current_state, service)
        if plan.refusal is not None:
            raise NotPossibleError(
                plan.refusal,
                errors=[{"field": "change", "reason": "not possible in the instance's state"}],
                currentProtectionState=found.current_state,
            )
        progress = _progress(CHANGE_PREFIX, submission.change.value, found, submission.correlation_id)
        body = await _share_change_body(found, plan) if plan.method == "PUT" else None
        expected = sorted(plan.expected_states)
        payload = ChangeStart(progress, plan.method, plan.action, expected, service, body)
        return await _start(req, client, CHANGE_ORCHESTRATOR, progress, payload, "protection-changes")
    except (InvalidRequestError, RequestRefusedError) as exc:
        return from_error(exc)
    except ArmError as exc:
        return transient(exc)


async def _rule_policy(found: BackupInstanceFacts) -> str:
    """The policy the protection rules give the share now (read: its storage account's location and tags),
    refused when no rule covers it or its rule names another vault than the item's."""
    account_id, _ = rs.share_location(found.datasource_id)
    account = await read_resource(runtime.arm(), account_id, FILE_SHARE.resource_api_version)
    if account.error is not None or not account.found:
        raise instances.arm_failure(
            account.error or NotPossibleError("not found"), f"reading the storage account {account_id} failed"
        )
    resource = account.resource or {}
    tags = resource.get("tags") if isinstance(resource.get("tags"), dict) else {}
    decision = runtime.rules().evaluate(
        resource_id=found.datasource_id,
        resource_type=rs.SHARE_TYPE,
        location=resource.get("location"),
        tags={str(k): str(v) for k, v in (tags or {}).items()},
    )
    return share_resume_policy(decision, found.vault_id)


async def _share_change_body(found: BackupInstanceFacts, plan: ChangePlan) -> dict[str, Any]:
    """The protected-item PUT of a share's stop (no policy), suspend (its policy) or resume."""
    account_id, _ = rs.share_location(found.datasource_id)
    if plan.action == rs.STOPPED:
        return rs.protection_change_body(account_id, "", rs.STOPPED)
    policy = found.policy_id or await _rule_policy(found)  # a stopped item has no policy left
    return rs.protection_change_body(account_id, policy, plan.action)


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
