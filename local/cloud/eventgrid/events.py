"""Event shapes: ``Microsoft.Resources.ResourceWriteSuccess`` (Event Grid schema), CloudEvents 1.0 conversion,
and the checks applied to events published on a custom topic.

Shapes follow ``azure-specs/eventgrid/ResourceWrite*_ResourceGroupTopic.json``: the subject and
``resourceUri`` spell ``resourcegroups`` in lower case while ``topic`` keeps ``resourceGroups``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from .errors import MalformedEventsError

WRITE_SUCCESS = "Microsoft.Resources.ResourceWriteSuccess"
DELETE_SUCCESS = "Microsoft.Resources.ResourceDeleteSuccess"
EVENT_GRID_SCHEMA = "EventGridSchema"
CLOUD_EVENT_SCHEMA = "CloudEventSchemaV1_0"


class ResourceWriteLike(Protocol):
    """What the core reports for a write (``local.cloud.core.hooks.ResourceWrite`` satisfies it)."""

    @property
    def resource_id(self) -> str: ...
    @property
    def operation_name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def subscription_id(self) -> str: ...
    @property
    def resource_group(self) -> str | None: ...
    @property
    def principal(self) -> str: ...
    @property
    def correlation_id(self) -> str: ...
    @property
    def http_method(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def time(self) -> datetime: ...


def iso7(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def _lower_rg_segment(resource_id: str) -> str:
    return re.sub(r"/resourceGroups/", "/resourcegroups/", resource_id, flags=re.IGNORECASE)


def system_topics(write: ResourceWriteLike) -> list[str]:
    """The Microsoft.Resources system topics an event is published to: subscription, then resource group."""
    topics = [f"/subscriptions/{write.subscription_id}"]
    if write.resource_group:
        topics.append(f"/subscriptions/{write.subscription_id}/resourceGroups/{write.resource_group}")
    return topics


def resource_write_event(write: ResourceWriteLike, topic: str) -> dict[str, Any]:
    """One Event Grid schema event for a successful resource write or delete, as Azure publishes it."""
    subject = _lower_rg_segment(write.resource_id)
    provider = write.operation_name.split("/", 1)[0]
    data: dict[str, Any] = {
        "authorization": {
            "scope": subject,
            "action": write.operation_name,
            "evidence": {"role": "Subscription Admin"},
        },
        "claims": {
            "aud": "https://management.core.windows.net/",
            "iss": f"https://sts.windows.net/{write.tenant_id}/",
            "appid": write.principal,
            "http://schemas.microsoft.com/identity/claims/objectidentifier": write.principal,
            "http://schemas.microsoft.com/identity/claims/tenantid": write.tenant_id,
            "ver": "1.0",
        },
        "correlationId": write.correlation_id,
        "resourceProvider": provider,
        "resourceUri": subject,
        "operationName": write.operation_name,
        "status": write.status,
        "subscriptionId": write.subscription_id,
        "tenantId": write.tenant_id,
    }
    if write.http_method.upper() == "DELETE":
        data["httpRequest"] = {
            "clientRequestId": write.correlation_id,
            "clientIpAddress": "127.0.0.1",
            "method": "DELETE",
            "url": f"https://management.azure.com{write.resource_id}",
        }
    return {
        "subject": subject,
        "eventType": DELETE_SUCCESS if write.http_method.upper() == "DELETE" else WRITE_SUCCESS,
        "eventTime": iso7(write.time),
        "id": str(uuid.uuid4()),
        "data": data,
        "dataVersion": "2",
        "metadataVersion": "1",
        "topic": topic,
    }


def to_cloud_event(event: dict[str, Any]) -> dict[str, Any]:
    """Event Grid schema -> CloudEvents 1.0 (``topic`` becomes ``source``; the sample's key order)."""
    if "specversion" in event:
        return dict(event)
    return {
        "subject": event.get("subject", ""),
        "source": event.get("topic", ""),
        "type": event["eventType"],
        "time": event["eventTime"],
        "id": event["id"],
        "data": event.get("data"),
        "specversion": "1.0",
    }


def event_type(event: dict[str, Any]) -> str:
    return str(event.get("eventType") or event.get("type") or "")


def validate_event_grid_events(payload: Any, topic_path: str) -> list[dict[str, Any]]:
    """Event Grid schema: a JSON array; id, subject, eventType, eventTime, data, dataVersion required."""
    if not isinstance(payload, list):
        raise MalformedEventsError("The request body must be a JSON array of events.", "InputJsonInvalid")
    events: list[dict[str, Any]] = []
    for index, event in enumerate(payload):
        if not isinstance(event, dict):
            raise MalformedEventsError(f"Event at index {index} is not a JSON object.", "InputJsonInvalid")
        for name in ("id", "subject", "eventType", "eventTime", "dataVersion"):
            if not isinstance(event.get(name), str) or (name != "dataVersion" and not event[name]):
                raise MalformedEventsError(
                    f"The required property '{name}' is missing or invalid in event at index {index}.",
                    "InputJsonInvalid",
                )
        if "data" not in event:
            raise MalformedEventsError(
                f"The required property 'data' is missing in event at index {index}.", "InputJsonInvalid"
            )
        _check_time(event["eventTime"], index)
        events.append({**event, "topic": topic_path, "metadataVersion": "1"})
    return events


def validate_cloud_events(payload: Any) -> list[dict[str, Any]]:
    """CloudEvents 1.0 (structured, single or batch): id, source, specversion 1.0, type are required."""
    items = payload if isinstance(payload, list) else [payload]
    events: list[dict[str, Any]] = []
    for index, event in enumerate(items):
        if not isinstance(event, dict):
            raise MalformedEventsError(f"Event at index {index} is not a JSON object.", "InputJsonInvalid")
        for name in ("id", "source", "specversion", "type"):
            if not isinstance(event.get(name), str) or not event[name]:
                raise MalformedEventsError(
                    f"The required CloudEvents attribute '{name}' is missing in event at index {index}.",
                    "InputJsonInvalid",
                )
        if event["specversion"] != "1.0":
            raise MalformedEventsError(
                f"Unsupported specversion '{event['specversion']}' in event at index {index}.",
                "InputJsonInvalid",
            )
        if "time" in event:
            _check_time(str(event["time"]), index)
        events.append(dict(event))
    return events


def _check_time(value: str, index: int) -> None:
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"\.(\d{6})\d+", r".\1", text)
    try:
        datetime.fromisoformat(text)
    except ValueError as exc:
        raise MalformedEventsError(
            f"The event time '{value}' of event at index {index} is not a valid date-time.",
            "InputJsonInvalid",
        ) from exc
