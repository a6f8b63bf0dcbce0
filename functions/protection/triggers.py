"""``start_protection``: protection request queue -> one orchestration per datasource (idempotent start)."""

from __future__ import annotations

import json
import logging

import azure.durable_functions as df
import azure.functions as func

from functions import runtime
from functions.protection.blueprint import bp
from functions.protection.queues import PROTECTION_REQUESTS, PROTECTION_REQUESTS_POISON, STORAGE_CONNECTION
from shared.errors import InvalidRequestError
from shared.protection.messages import OutcomeKind, ProtectionOptions, ProtectionRequest, ProtectionStart

log = logging.getLogger("backup_autopilot.protection")

ORCHESTRATOR = "protect_datasource"
ACTIVE = frozenset(
    {
        df.OrchestrationRuntimeStatus.Running,
        df.OrchestrationRuntimeStatus.Pending,
        df.OrchestrationRuntimeStatus.ContinuedAsNew,
    }
)
SETTLED_OUTCOMES = frozenset({OutcomeKind.PROTECTED.value, OutcomeKind.ALREADY_PROTECTED.value})


def _settled(status: df.DurableOrchestrationStatus) -> bool:
    """A finished protection whose outcome needs no redo on the next write event of the same resource."""
    output = status.output if isinstance(status.output, dict) else {}
    return (
        status.runtime_status == df.OrchestrationRuntimeStatus.Completed
        and output.get("kind") in SETTLED_OUTCOMES
    )


def _options() -> ProtectionOptions:
    settings = runtime.settings()
    return ProtectionOptions(
        grant_roles=settings.grant_roles,
        role_propagation_seconds=settings.role_propagation_seconds,
        dry_run=settings.dry_run,
    )


@bp.queue_trigger(arg_name="msg", queue_name=PROTECTION_REQUESTS, connection=STORAGE_CONNECTION)
@bp.queue_output(arg_name="poison", queue_name=PROTECTION_REQUESTS_POISON, connection=STORAGE_CONNECTION)
@bp.durable_client_input(client_name="client")
async def start_protection(
    msg: func.QueueMessage, poison: func.Out[str], client: df.DurableOrchestrationClient
) -> None:
    """Start ``protect_datasource`` under an id derived from the datasource, unless it runs or is settled.

    Event Grid delivers at least once and fires on every update, so duplicates are normal: a request for a
    datasource whose orchestration is running joins it; one whose protection is settled is a no-op (a
    compliance sweep, ``origin == "sweep"``, always re-checks). A malformed message can never succeed, so it
    goes straight to the poison queue wrapped with its reason instead of being retried.
    """
    body = msg.get_body().decode("utf-8", errors="replace")
    try:
        request = ProtectionRequest.from_dict(body)
    except InvalidRequestError as exc:
        log.error("malformed protection request %s: %s", msg.id, exc.message)
        poison.set(json.dumps({"reason": exc.message, "messageId": msg.id, "message": body[:16_000]}))
        return
    instance_id = request.instance_id()
    existing = await client.get_status(instance_id)
    if existing and existing.runtime_status in ACTIVE:
        log.info("%s: protection %s already running; joining it", request.datasource_id, instance_id)
        return
    if existing and request.origin == "event" and _settled(existing):
        log.info("%s: already settled by %s; nothing to do", request.datasource_id, instance_id)
        return
    try:
        await client.start_new(ORCHESTRATOR, instance_id, ProtectionStart(request, _options()))
    except Exception as exc:
        # Two duplicates raced past get_status: the extension refuses the second start of a running id.
        if "already exists" in str(exc):
            log.info("%s: protection %s started concurrently; joining it", request.datasource_id, instance_id)
            return
        raise
    log.info(
        "%s: protection %s started (event %s)", request.datasource_id, instance_id, request.source_event_id
    )
