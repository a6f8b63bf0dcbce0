"""The Event Grid webhook ``POST /runtime/webhooks/eventgrid?functionName=NAME&code=SYSTEMKEY``.

``aeg-event-type``: SubscriptionValidation -> 200 ``{"validationResponse": code}``; Notification -> every
event of the batch dispatched on its own, in order, whatever happened to the others; any failed invocation
-> 500 (Event Grid resends the batch), else 202; Unsubscribe -> 202; anything else -> 400. CloudEvents 1.0
content types are taken as notifications (no ``aeg-event-type``); ``OPTIONS`` answers the CloudEvents
abuse-protection handshake (``WebHook-Allowed-Origin``).

The body is read the way the extension reads it (``HttpRequestProcessor`` of
Microsoft.Azure.WebJobs.Extensions.EventGrid): ``HttpContent.ReadAsStringAsync`` (a UTF-8 byte order mark is
dropped, ill-formed UTF-8 becomes U+FFFD, it never fails), then one ``JToken.Load`` with Json.NET's reader,
whose ``MaxDepth`` is 64 since Json.NET 13.0.1; an object is a batch of one, an array a batch. A body that
reader cannot read (not JSON, nested deeper than :data:`MAX_DEPTH`, a JSON scalar) is answered 400 with the
reason here. The real extension lets that exception escape and the host's ``ExceptionMiddleware`` answers
500; Event Grid itself never sends such a body, and 400 (no retry, dead-letter) is what the request deserves.

Each event goes to the function as the worker's binding makes it: a ``str`` (or ``bytes``) parameter gets the
event's JSON text (the worker's generic binding; the app decides what it can use), otherwise the worker's
own converter builds ``func.EventGridEvent`` (Event Grid schema) or ``func.CloudEvent`` (a body with
``specversion``), exactly as the Python worker decodes them; when that converter raises (an unparsable
``eventTime``, a field of the wrong type), the invocation fails, as it does in the worker.
"""

from __future__ import annotations

import json
import logging
import typing
from typing import Any

from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from local.app_loader import FunctionSpec, LoadedApp
from local.host.auth import system_key_ok
from local.host.dispatcher import Dispatcher
from local.host.errors import HostError
from local.host.settings import Settings

log = logging.getLogger("local.host.eventgrid")
CLOUDEVENT_TYPES = ("application/cloudevents+json", "application/cloudevents-batch+json")
MAX_DEPTH = 64  # Json.NET 13's JsonReader.MaxDepth default: the extension cannot read a deeper body


class EventGridBodyError(HostError):
    """The request body is not one the Event Grid extension can read; the message says why."""


def _depth(value: Any) -> int:
    """How many arrays and objects are nested in ``value`` (a scalar: 0), without recursion."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        pending.extend((child, level + 1) for child in children)
    return deepest


def read_events(body: bytes) -> list[Any]:
    """The events of a request body as the extension reads them; :class:`EventGridBodyError` otherwise."""
    text = body.decode("utf-8-sig", errors="replace")
    try:
        payload = json.loads(text)
    except RecursionError:
        raise EventGridBodyError(f"request body is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise EventGridBodyError(f"request body is not JSON: {str(exc)[:200]}") from None
    if _depth(payload) > MAX_DEPTH:
        raise EventGridBodyError(f"request body is nested deeper than {MAX_DEPTH} levels")
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        return [payload]
    raise EventGridBodyError(f"request body must be a JSON object or array, not {type(payload).__name__}")


def to_event(event: Any) -> Any:
    """``func.EventGridEvent`` or ``func.CloudEvent`` from one event, by the worker's converter."""
    return EventGridEventInConverter.decode(
        meta.Datum(type="json", value=json.dumps(event)), trigger_metadata={}
    )


def takes_text(spec: FunctionSpec) -> bool:
    """The worker's rule: a trigger parameter annotated ``str`` or ``bytes`` is bound by the generic binding
    (the raw JSON text), anything else by the Event Grid converter."""
    name = str(spec.trigger.get("name"))
    try:
        hints = typing.get_type_hints(spec.user_function)
    except Exception:  # unresolvable annotations: the worker would refuse the function; be lenient here
        hints = getattr(spec.user_function, "__annotations__", {})
    return hints.get(name) in (str, bytes, "str", "bytes")


def _event_id(event: Any) -> str:
    value = event.get("id") if isinstance(event, dict) else None
    text = (value if isinstance(value, str) else repr(value))[:200]
    return text.encode("utf-8", "backslashreplace").decode()


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
            return Response(f"cannot find function named '{name[:200]}'", status_code=404)
        try:
            events = read_events(await request.body())
        except EventGridBodyError as exc:
            log.warning("event grid request to %s refused: %s", spec.name, exc)
            return Response(str(exc), status_code=400)
        event_type = request.headers.get("aeg-event-type", "")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        cloud_events = all(isinstance(e, dict) and "specversion" in e for e in events)
        if not event_type and (content_type in CLOUDEVENT_TYPES or cloud_events):
            event_type = "Notification"
        if event_type == "SubscriptionValidation":
            first = events[0] if events and isinstance(events[0], dict) else {}
            data = first.get("data")
            code = data.get("validationCode") if isinstance(data, dict) else None
            if not isinstance(code, str) or not code:
                return Response("validation event has no data.validationCode", status_code=400)
            return JSONResponse({"validationResponse": code})
        if event_type == "Unsubscribe":
            return Response(status_code=202)
        if event_type != "Notification":
            return Response(f"unsupported aeg-event-type '{event_type[:100]}'", status_code=400)
        return await self._notify(spec, events)

    async def _notify(self, spec: FunctionSpec, events: list[Any]) -> Response:
        """Invoke the function once per event (single dispatch); one failure never stops the others."""
        text = takes_text(spec)
        failed = 0
        for event in events:
            try:
                value = json.dumps(event) if text else to_event(event)
            except Exception as exc:
                log.error("event %s of %s cannot be decoded: %s", _event_id(event), spec.name, str(exc)[:500])
                failed += 1
                continue
            try:
                await self.dispatcher.run(spec, value)
            except Exception:
                failed += 1  # the invocation logged its failure
        if failed:
            return Response(f"{failed} of {len(events)} event(s) failed", status_code=500)
        return Response(status_code=202)
