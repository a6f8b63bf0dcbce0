"""``start_protection``: protection request queue -> one orchestration per datasource (idempotent start)."""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from functions import runtime
from functions.protection.blueprint import bp
from functions.protection.queues import (
    MAX_DEQUEUE_COUNT,
    MAX_POISON_ENTRY,
    PROTECTION_REQUESTS,
    PROTECTION_REQUESTS_POISON,
    STORAGE_CONNECTION,
)
from shared.errors import InvalidRequestError
from shared.events import scrub
from shared.protection.messages import (
    OutcomeKind,
    ProtectionOptions,
    ProtectionRequest,
    ProtectionStart,
    printable,
)

log = logging.getLogger("backup_autopilot.protection")

ORCHESTRATOR = "protect_datasource"
ACTIVE = frozenset(
    {
        df.OrchestrationRuntimeStatus.Running,
        df.OrchestrationRuntimeStatus.Pending,
        df.OrchestrationRuntimeStatus.ContinuedAsNew,
    }
)
SETTLED_OUTCOMES = frozenset(
    {
        OutcomeKind.PROTECTED.value,
        OutcomeKind.ALREADY_PROTECTED.value,
        OutcomeKind.DRIFT.value,
        OutcomeKind.UNCHANGED.value,
    }
)


def _settled(status: df.DurableOrchestrationStatus) -> bool:
    """A finished protection whose outcome needs no redo on the next write event of the same resource."""
    output = status.output if isinstance(status.output, dict) else {}
    return (
        status.runtime_status == df.OrchestrationRuntimeStatus.Completed
        and output.get("kind") in SETTLED_OUTCOMES
    )


def _same_event(status: df.DurableOrchestrationStatus, request: ProtectionRequest) -> bool:
    """Whether the finished instance was started by this very event (a redelivery, not a new write)."""
    if not request.source_event_id:
        return False
    data: Any = status.input_
    try:
        data = json.loads(data) if isinstance(data, str) else data
    except ValueError:
        return False
    for key in ("__data__", "request", "__data__"):  # ProtectionStart -> its request (records are wrapped)
        data = data.get(key, data) if isinstance(data, dict) else {}
    return isinstance(data, dict) and data.get("source_event_id") == request.source_event_id


def _started_by_another(
    now: df.DurableOrchestrationStatus | None, before: df.DurableOrchestrationStatus | None
) -> bool:
    """After a refused start: another start of the instance happened since ``before`` was read."""
    if not now or not now.runtime_status:
        return False
    if now.runtime_status in ACTIVE:
        return True
    return before is None or not before.runtime_status or now.created_time != before.created_time


def _options() -> ProtectionOptions:
    settings = runtime.settings()
    return ProtectionOptions(
        grant_roles=settings.grant_roles,
        role_propagation_seconds=settings.role_propagation_seconds,
        dry_run=settings.dry_run,
        stop_orphans=settings.stop_orphans,
        first_backup=settings.first_backup,
    )


def poison_entry(reason: str, message_id: str | None, body: str) -> str:
    """The poison queue entry of a message: its reason, its id and its text (cut, and said so, when the entry
    would not fit in a queue message)."""
    entry: dict[str, object] = {"reason": printable(reason, 2000), "messageId": message_id, "message": body}
    text = json.dumps(entry)
    keep = len(body)
    while len(text) > MAX_POISON_ENTRY and keep > 0:
        keep //= 2
        entry.update(message=body[:keep], truncated=True, messageLength=len(body))
        text = json.dumps(entry)
    return text


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
    goes straight to the poison queue wrapped with its reason instead of being retried. Any other failure is
    raised, so the host delivers the message again, until its last delivery (``maxDequeueCount``): then the
    message goes to the poison queue wrapped with the last error, so no poison entry lacks its reason.
    """
    body = msg.get_body().decode("utf-8", errors="replace")
    try:
        request = ProtectionRequest.from_dict(body)
    except InvalidRequestError as exc:
        log.error("malformed protection request %s: %s", msg.id, printable(exc.message, 1000))
        poison.set(poison_entry(exc.message, msg.id, body))
        return
    try:
        await _start(request, client)
    except Exception as exc:
        attempts = msg.dequeue_count or 1
        if attempts < MAX_DEQUEUE_COUNT:
            raise
        reason = scrub(f"failed on each of {attempts} deliveries; last error: {type(exc).__name__}: {exc}")
        log.error("protection request %s given up: %s", msg.id, printable(reason, 1000))
        poison.set(poison_entry(reason, msg.id, body))


async def _start(request: ProtectionRequest, client: df.DurableOrchestrationClient) -> None:
    instance_id = request.instance_id()
    existing = await client.get_status(instance_id, show_input=True)
    if existing and existing.runtime_status in ACTIVE:
        log.info("%s: protection %s already running; joining it", request.datasource_id, instance_id)
        return
    if existing and existing.runtime_status and _same_event(existing, request):
        # The same event delivered again (at least once) after its protection ended: its outcome stands.
        log.info(
            "%s: event %s was handled by %s already",
            request.datasource_id,
            request.source_event_id,
            instance_id,
        )
        return
    known = None
    if existing and request.origin == "event" and _settled(existing):
        # A new write of a settled datasource: the durable record is not Azure. Re-check it cheaply (one
        # read of its backup instance); the orchestration protects again only if it is gone or unconfigured.
        output = existing.output if isinstance(existing.output, dict) else {}
        known = (
            output.get("backup_instance_id") if isinstance(output.get("backup_instance_id"), str) else None
        )
    try:
        await client.start_new(ORCHESTRATOR, instance_id, ProtectionStart(request, _options(), known))
    except Exception:
        # Two duplicates raced past get_status and the other start won (the extension refuses a second start
        # of a running id): that orchestration serves this request too, even if it has already finished.
        if _started_by_another(await client.get_status(instance_id), existing):
            log.info("%s: protection %s started concurrently; joining it", request.datasource_id, instance_id)
            return
        raise
    log.info(
        "%s: protection %s started (event %s)", request.datasource_id, instance_id, request.source_event_id
    )
