"""History events in the shape the Durable SDK replays (PascalCase, integer EventType), and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

HistoryEvent = dict[str, Any]


class EventType(IntEnum):
    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_CREATED = 7
    SUB_ORCHESTRATION_COMPLETED = 8
    SUB_ORCHESTRATION_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16


SCHEDULING_TYPES = {EventType.TASK_SCHEDULED, EventType.SUB_ORCHESTRATION_CREATED, EventType.TIMER_CREATED}
# completion type -> (key naming the task it completes, the scheduling type it must match)
COMPLETION_KEYS: dict[int, tuple[str, EventType]] = {
    EventType.TASK_COMPLETED: ("TaskScheduledId", EventType.TASK_SCHEDULED),
    EventType.TASK_FAILED: ("TaskScheduledId", EventType.TASK_SCHEDULED),
    EventType.SUB_ORCHESTRATION_COMPLETED: ("TaskScheduledId", EventType.SUB_ORCHESTRATION_CREATED),
    EventType.SUB_ORCHESTRATION_FAILED: ("TaskScheduledId", EventType.SUB_ORCHESTRATION_CREATED),
    EventType.TIMER_FIRED: ("TimerId", EventType.TIMER_CREATED),
}


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_time(value: str) -> datetime:
    text = value.rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{(frac + '000000')[:6]}"
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def event(kind: EventType, when: datetime, event_id: int = -1, **fields: Any) -> HistoryEvent:
    """A new (not yet played) history event."""
    return {
        "EventType": int(kind),
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": format_time(when),
        **fields,
    }


def completion_target(ev: HistoryEvent) -> tuple[int, EventType] | None:
    """For a completion event, the EventId of the scheduling event it completes and that event's type."""
    keyed = COMPLETION_KEYS.get(int(ev["EventType"]))
    if keyed is None:
        return None
    return int(ev[keyed[0]]), keyed[1]
