"""Event Grid -> protection request queue. Thin: parse, decide, enqueue; never calls ARM or waits on Azure.

Events arrive either pushed by Event Grid to ``on_resource_written`` (the public option) or delivered by
Event Grid into the ``resource-events`` storage queue with the topic's identity and read by
``on_resource_event_queued`` (the private-network option: no public endpoint on the app). Both end the same
way: a protection request, or a rejection with its reason on ``protection-rejects``.

The trigger takes the event as its JSON text (``str``: the Python worker's generic binding), not as
``func.EventGridEvent``: the worker's converter parses ``eventTime`` itself and fails the invocation on a
value it cannot read, before any code of ours runs, so one such event would fail its whole batch (the host
answers 500 and Event Grid redelivers every event of it) and be recorded nowhere. Read as text, every event,
whatever its fields, ends either as a protection request or on ``protection-rejects`` with its reason
(:func:`shared.protection.resource_events.request_from_event_json` never raises), and the batch is accepted.
"""

from __future__ import annotations

import json
import logging

import azure.functions as func

from functions.protection.blueprint import bp
from functions.protection.queues import (
    PROTECTION_REJECTS,
    PROTECTION_REQUESTS,
    RESOURCE_EVENTS,
    STORAGE_CONNECTION,
)
from shared.protection.messages import printable
from shared.protection.resource_events import Rejection, request_from_event_json

log = logging.getLogger("backup_autopilot.resource_events")


def route_event(event: str | bytes, requests: func.Out[str], rejects: func.Out[str]) -> None:
    """One resource event (Event Grid schema or CloudEvents 1.0, as JSON text) -> a protection request, or a
    rejection with its reason."""
    outcome = request_from_event_json(event)
    if isinstance(outcome, Rejection):
        log.warning(
            "event %s not acted on: %s (subject %s)",
            printable(outcome.event_id),
            printable(outcome.reason, 1000),
            printable(outcome.subject, 300),
        )
        rejects.set(json.dumps(outcome.to_dict()))
        return
    log.info("event %s: protection requested for %s", outcome.source_event_id, outcome.datasource_id)
    requests.set(outcome.to_message())


@bp.event_grid_trigger(arg_name="event", data_type=func.DataType.STRING)
@bp.queue_output(arg_name="requests", queue_name=PROTECTION_REQUESTS, connection=STORAGE_CONNECTION)
@bp.queue_output(arg_name="rejects", queue_name=PROTECTION_REJECTS, connection=STORAGE_CONNECTION)
def on_resource_written(event: str, requests: func.Out[str], rejects: func.Out[str]) -> None:
    """A resource event pushed by Event Grid (the public option)."""
    route_event(event, requests, rejects)


@bp.queue_trigger(arg_name="msg", queue_name=RESOURCE_EVENTS, connection=STORAGE_CONNECTION)
@bp.queue_output(arg_name="requests", queue_name=PROTECTION_REQUESTS, connection=STORAGE_CONNECTION)
@bp.queue_output(arg_name="rejects", queue_name=PROTECTION_REJECTS, connection=STORAGE_CONNECTION)
def on_resource_event_queued(msg: func.QueueMessage, requests: func.Out[str], rejects: func.Out[str]) -> None:
    """A resource event Event Grid delivered to the ``resource-events`` queue (the private-network option).

    Never raises on an event it cannot use (that is a rejection with its reason), so nothing is retried into
    the poison queue for a bad event; a failure to write the outputs is retried by the host.
    """
    route_event(msg.get_body(), requests, rejects)
