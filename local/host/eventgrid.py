"""The Event Grid webhook ``POST /runtime/webhooks/eventgrid?functionName=NAME&code=SYSTEMKEY``.

``aeg-event-type``: SubscriptionValidation -> 200 ``{"validationResponse": code}``; Notification -> every
event dispatched in order, any failure -> 500 (Event Grid resends the batch) else 202; Unsubscribe -> 202;
anything else -> 400. CloudEvents 1.0 content types are taken as notifications (no ``aeg-event-type``);
``OPTIONS`` answers the CloudEvents abuse-protection handshake (``WebHook-Allowed-Origin``).
Events are built by the worker's own converter, so Event Grid schema gives ``func.EventGridEvent`` and a body
with ``specversion`` gives ``func.CloudEvent``, exactly as the Python worker decodes them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local.app_loader import LoadedApp
from local.host.auth import system_key_ok
from local.host.dispatcher import Dispatcher
from local.host.settings import Settings

log = logging.getLogger("local.host.eventgrid")
CLOUDEVENT_TYPES = ("application/cloudevents+json", "application/cloudevents-batch+json")


def to_event(event: dict[str, Any]) -> Any:
    return EventGridEventInConverter.decode(
        meta.Datum(type="json", value=json.dumps(event)), trigger_metadata={}
    )


class EventGridWebhook:
    def __init__(self, app: LoadedApp, settings: Settings, dispatcher: Dispatcher) -> None:
        self.functions = {spec.name.lower(): spec for spec in app.by_trigger("eventGridTrigger")}
        self.settings = settings
        self.dispatcher = dispatcher

    async def handshake(self, request: Request) -> Response:
        """CloudEvents webhook abuse protection (HTTP OPTIONS): allow the requesting origin."""
        if not system_key_ok(request, self.settings.eventgrid_key, self.settings):
            return Response(status_code=401)
        origin = request.headers.get("webhook-request-origin")
        if not origin:
            return Response("missing WebHook-Request-Origin", status_code=400)
        return Response(status_code=200, headers={"WebHook-Allowed-Origin": origin, "Allow": "POST"})

    async def handle(self, request: Request) -> Response:
        if not system_key_ok(request, self.settings.eventgrid_key, self.settings):
            return Response(status_code=401)
        name = request.query_params.get("functionName", "")
        spec = self.functions.get(name.lower())
        if spec is None:
            return Response(f"cannot find function named '{name}'", status_code=404)
        try:
            payload = json.loads(await request.body())
        except json.JSONDecodeError:
            return Response("request body is not JSON", status_code=400)
        events = payload if isinstance(payload, list) else [payload]
        if not all(isinstance(e, dict) for e in events):
            return Response("events must be JSON objects", status_code=400)
        event_type = request.headers.get("aeg-event-type", "")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if not event_type and (content_type in CLOUDEVENT_TYPES or all("specversion" in e for e in events)):
            event_type = "Notification"
        if event_type == "SubscriptionValidation":
            code = (events[0].get("data") or {}).get("validationCode") if events else None
            if not code:
                return Response("validation event has no data.validationCode", status_code=400)
            return JSONResponse({"validationResponse": code})
        if event_type == "Unsubscribe":
            return Response(status_code=202)
        if event_type != "Notification":
            return Response(f"unsupported aeg-event-type '{event_type}'", status_code=400)
        failed = 0
        for event in events:
            try:
                value = to_event(event)
            except Exception as exc:
                log.error("event %s of %s cannot be decoded: %s", event.get("id"), spec.name, exc)
                failed += 1
                continue
            try:
                await self.dispatcher.run(spec, value)
            except Exception:
                failed += 1
        if failed:
            return Response(f"{failed} of {len(events)} event(s) failed", status_code=500)
        return Response(status_code=202)
