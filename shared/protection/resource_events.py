"""From an Event Grid ``ResourceWriteSuccess`` event to a protection request, or a rejection with its reason.

Pure: no I/O, no ARM. The trigger that calls it never waits on Azure; the orchestration re-reads the
resource from ARM rather than trusting the event payload (the event only tells us *which* resource).
Both schemas are accepted: Event Grid (``id``, ``eventType``, ``subject``, ``eventTime``, ``data``) and
CloudEvents 1.0 (``specversion``, ``id``, ``source``, ``type``, ``time``, ``subject``, ``data``). Subjects
and ids differ in casing between deliveries; ids are canonicalised by
:func:`shared.arm.ids.parse_resource_id`.

:func:`request_from_event_json` takes one event exactly as delivered (its JSON text) and never raises: any
event whose fields cannot be used (not JSON, a missing or mistyped attribute, an ``eventTime`` that is not an
RFC 3339 instant, text that is not well-formed, a correlation id that cannot be sent as a header) is a
:class:`Rejection` naming the field, so one bad event of a batch is recorded and never blocks the others.
A request it returns is one :meth:`ProtectionRequest.from_dict` accepts (checked), so it starts an
orchestration rather than landing on the poison queue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from shared.arm.ids import parse_resource_id
from shared.errors import BackupAutopilotError, InvalidRequestError
from shared.protection.kinds import kind_for_type, owner_of_member
from shared.protection.messages import ProtectionRequest, check_text, parse_json

RESOURCE_WRITE_SUCCESS = "Microsoft.Resources.ResourceWriteSuccess"
RESOURCE_DELETE_SUCCESS = "Microsoft.Resources.ResourceDeleteSuccess"
HANDLED_EVENT_TYPES = (RESOURCE_WRITE_SUCCESS, RESOURCE_DELETE_SUCCESS)
CLOUDEVENTS_VERSION = "1.0"
MAX_ID_LENGTH = 200  # ProtectionRequest.source_event_id and correlation_id
MAX_REASON_LENGTH = 1000

# RFC 3339 date-time with ASCII digits only (``\d`` also takes superscript and Arabic-Indic digits); any
# fraction length.
_INSTANT = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ](?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})(?P<fraction>\.[0-9]+)?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


@dataclass(frozen=True)
class Rejection:
    """An event we will not act on, and why. It is recorded where people can see it, never dropped."""

    reason: str
    event_id: str | None
    event_type: str | None
    subject: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "subject": self.subject,
        }


def _text(value: object, limit: int = 2048) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value[:limit]


def parse_event_time(value: str) -> datetime:
    """An RFC 3339 instant (what Event Grid's ``eventTime`` and a CloudEvent's ``time`` are) as aware UTC;
    ``ValueError`` saying why when it is not one, or names no instant Python can hold in UTC."""
    match = _INSTANT.fullmatch(value)
    if match is None:
        raise ValueError("is not an RFC 3339 timestamp")
    fraction = (match["fraction"] or ".0")[1:7].ljust(6, "0")
    try:
        local = datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}")
        offset = match["offset"].upper()
        if offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            if minutes > 59:
                raise ValueError("offset minutes out of range")
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        else:
            tz = UTC
        return local.replace(tzinfo=tz).astimezone(UTC)
    except ValueError:
        raise ValueError("is not a valid date and time") from None
    except OverflowError:
        raise ValueError("is outside the range of representable instants") from None


def _envelope_problem(event: Mapping[str, Any]) -> str | None:
    """Why the event's envelope (its attributes, not its data) cannot be used, or None."""
    cloud = "specversion" in event
    type_field, time_field = ("type", "time") if cloud else ("eventType", "eventTime")
    if cloud and event.get("specversion") != CLOUDEVENTS_VERSION:
        return f"specversion must be {CLOUDEVENTS_VERSION!r} (CloudEvents 1.0)"
    for field in ("id", type_field, *(("source",) if cloud else ())):
        value = event.get(field)
        if not isinstance(value, str) or not value:
            return f"{field} must be a non-empty string"
    try:
        check_text(event["id"], "id", max_len=MAX_ID_LENGTH)
        check_text(event[type_field], type_field, max_len=MAX_ID_LENGTH)
    except InvalidRequestError as exc:
        return exc.message
    subject = event.get("subject")
    if subject is not None and not isinstance(subject, str):
        return "subject must be a string"
    moment = event.get(time_field)
    if moment is None and cloud:
        return None  # "time" is optional in CloudEvents 1.0; Event Grid always sets eventTime
    if not isinstance(moment, str):
        return f"{time_field} must be an RFC 3339 timestamp string"
    try:
        parse_event_time(moment)
    except ValueError as exc:
        return f"{time_field} {moment[:64]!r} {exc}"
    return None


def _data_problem(data: Mapping[str, Any]) -> str | None:
    """Why a field of the event's data we read cannot be used, or None."""
    for field in ("resourceUri", "status", "operationName", "correlationId"):
        value = data.get(field)
        if value is not None and not isinstance(value, str):
            return f"data.{field} must be a string"
    correlation = data.get("correlationId")
    try:
        if correlation:
            check_text(correlation, "data.correlationId", max_len=MAX_ID_LENGTH, header=True)
        for field in ("resourceUri", "status", "operationName"):
            if data.get(field):
                check_text(data[field], f"data.{field}")
    except InvalidRequestError as exc:
        return exc.message
    return None


def protection_request_from_event(
    event_id: str | None,
    event_type: str | None,
    subject: str | None,
    data: Any,
    *,
    correlation_id: str | None = None,
) -> ProtectionRequest | Rejection:
    """Decide what one event means: a :class:`ProtectionRequest`, or a :class:`Rejection` with a reason."""
    event_id, event_type, subject = _text(event_id, MAX_ID_LENGTH), _text(event_type, 200), _text(subject)

    def reject(reason: str) -> Rejection:
        return Rejection(reason[:MAX_REASON_LENGTH], event_id, event_type, subject)

    if event_type not in HANDLED_EVENT_TYPES:
        return reject(f"unexpected event type {event_type!r}: only {' and '.join(HANDLED_EVENT_TYPES)}")
    deleted = event_type == RESOURCE_DELETE_SUCCESS
    if not isinstance(data, Mapping):
        return reject("event data must be a JSON object")
    problem = _data_problem(data)
    if problem:
        return reject(problem)
    status = data.get("status")
    if isinstance(status, str) and status.lower() != "succeeded":
        return reject(f"the write did not succeed (status {status[:100]!r})")
    raw_id = data.get("resourceUri") or subject
    if not isinstance(raw_id, str) or not raw_id:
        return reject("the event names no resource (data.resourceUri and subject are empty)")
    try:
        check_text(raw_id, "data.resourceUri" if data.get("resourceUri") else "subject")
        resource_id = parse_resource_id(raw_id)
    except BackupAutopilotError as exc:
        return reject(f"invalid resource id: {exc.message}")
    operation = data.get("operationName")
    verb = "/delete" if deleted else "/write"
    if isinstance(operation, str) and operation and not operation.lower().endswith(verb):
        return reject(f"operation {operation[:200]!r} is not a {verb[1:]}")
    datasource_id, datasource_type = resource_id.canonical(), resource_id.type
    if kind_for_type(resource_id.type) is None:
        owner = None if deleted else owner_of_member(resource_id.canonical())
        if owner is None:
            return reject(f"resource type {resource_id.type} is not a datasource Backup Autopilot protects")
        # A new blob container: its account is re-checked (a vaulted backup's container list may grow).
        kind, datasource_id = owner
        datasource_type = kind.resource_types[0]
    correlation = _text(data.get("correlationId"), MAX_ID_LENGTH) or correlation_id
    request = ProtectionRequest(
        datasource_id=datasource_id,
        resource_type=datasource_type,
        source_event_id=event_id,
        correlation_id=correlation,
        origin="delete" if deleted else "event",
    )
    try:
        return ProtectionRequest.from_dict(request.to_dict())  # what start_protection will accept
    except BackupAutopilotError as exc:
        return reject(f"the protection request would be invalid: {exc.message}")


def request_from_event(event: object) -> ProtectionRequest | Rejection:
    """One delivered event (a parsed JSON value, either schema): a request, or a rejection naming why."""
    if not isinstance(event, Mapping):
        return Rejection(f"the event is not a JSON object but {_json_kind(event)}", None, None, None)
    cloud = "specversion" in event
    event_type = event.get("type" if cloud else "eventType")
    problem = _envelope_problem(event)
    if problem:
        return Rejection(
            problem[:MAX_REASON_LENGTH],
            _text(event.get("id"), MAX_ID_LENGTH),
            _text(event_type, 200),
            _text(event.get("subject")),
        )
    return protection_request_from_event(event["id"], event_type, event.get("subject"), event.get("data"))


def request_from_event_json(text: str | bytes) -> ProtectionRequest | Rejection:
    """One event as the trigger receives it (its JSON text): a request, or a rejection; never raises."""
    try:
        event = parse_json(text, "event")
    except InvalidRequestError as exc:
        return Rejection(exc.message[:MAX_REASON_LENGTH], None, None, None)
    return request_from_event(event)


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"
