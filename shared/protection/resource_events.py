"""From an Event Grid ``ResourceWriteSuccess`` event to a protection request, or a rejection with its reason.

Pure: no I/O, no ARM. The trigger that calls it never waits on Azure; the orchestration re-reads the
resource from ARM rather than trusting the event payload (the event only tells us *which* resource).
Both schemas are accepted: Event Grid (``eventType``, ``subject``, ``data``) and CloudEvents 1.0
(``type``, ``subject``, ``data``). Subjects and ids differ in casing between deliveries; ids are
canonicalised by :func:`shared.arm.ids.parse_resource_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.arm.ids import parse_resource_id
from shared.errors import BackupAutopilotError
from shared.protection.kinds import kind_for_type
from shared.protection.messages import ProtectionRequest

RESOURCE_WRITE_SUCCESS = "Microsoft.Resources.ResourceWriteSuccess"


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


def protection_request_from_event(
    event_id: str | None,
    event_type: str | None,
    subject: str | None,
    data: Any,
    *,
    correlation_id: str | None = None,
) -> ProtectionRequest | Rejection:
    """Decide what one event means: a :class:`ProtectionRequest`, or a :class:`Rejection` with a reason."""
    event_id, event_type, subject = _text(event_id, 200), _text(event_type, 200), _text(subject)

    def reject(reason: str) -> Rejection:
        return Rejection(reason, event_id, event_type, subject)

    if event_type != RESOURCE_WRITE_SUCCESS:
        return reject(f"unexpected event type {event_type!r}: only {RESOURCE_WRITE_SUCCESS} is handled")
    if not isinstance(data, Mapping):
        return reject("event data must be a JSON object")
    status = data.get("status")
    if isinstance(status, str) and status.lower() != "succeeded":
        return reject(f"the write did not succeed (status {status!r})")
    raw_id = data.get("resourceUri") or subject
    if not isinstance(raw_id, str) or not raw_id:
        return reject("the event names no resource (data.resourceUri and subject are empty)")
    try:
        resource_id = parse_resource_id(raw_id)
    except BackupAutopilotError as exc:
        return reject(f"invalid resource id: {exc.message}")
    operation = data.get("operationName")
    if isinstance(operation, str) and operation and not operation.lower().endswith("/write"):
        return reject(f"operation {operation!r} is not a write")
    if kind_for_type(resource_id.type) is None:
        return reject(f"resource type {resource_id.type} is not a datasource Backup Autopilot protects")
    correlation = _text(data.get("correlationId"), 200) or correlation_id
    return ProtectionRequest(
        datasource_id=resource_id.canonical(),
        resource_type=resource_id.type,
        source_event_id=event_id,
        correlation_id=correlation,
        origin="event",
    )
