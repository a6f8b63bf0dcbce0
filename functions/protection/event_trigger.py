"""Event Grid -> protection request queue. Thin: parse, decide, enqueue; never calls ARM or waits on Azure."""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from functions.protection.blueprint import bp
from functions.protection.queues import PROTECTION_REJECTS, PROTECTION_REQUESTS, STORAGE_CONNECTION
from shared.protection.resource_events import Rejection, protection_request_from_event

log = logging.getLogger("backup_autopilot.resource_events")


def _event_fields(event: Any) -> tuple[str | None, str | None, str | None, Any]:
    """(id, type, subject, data) of an Event Grid schema event or a CloudEvent, as the worker gives them."""
    event_type = getattr(event, "event_type", None) or getattr(event, "type", None)
    try:
        data = event.get_json()
    except (ValueError, AttributeError):
        data = None
    return getattr(event, "id", None), event_type, getattr(event, "subject", None), data


@bp.event_grid_trigger(arg_name="event")
@bp.queue_output(arg_name="requests", queue_name=PROTECTION_REQUESTS, connection=STORAGE_CONNECTION)
@bp.queue_output(arg_name="rejects", queue_name=PROTECTION_REJECTS, connection=STORAGE_CONNECTION)
def on_resource_written(event: func.EventGridEvent, requests: func.Out[str], rejects: func.Out[str]) -> None:
    """A ``ResourceWriteSuccess`` event -> a protection request, or a rejection with its reason."""
    event_id, event_type, subject, data = _event_fields(event)
    outcome = protection_request_from_event(event_id, event_type, subject, data)
    if isinstance(outcome, Rejection):
        log.warning("event %s not acted on: %s (subject %s)", event_id, outcome.reason, subject)
        rejects.set(json.dumps(outcome.to_dict()))
        return
    log.info("event %s: protection requested for %s", event_id, outcome.datasource_id)
    requests.set(outcome.to_message())
