"""One orchestration instance as persisted: status, current execution's history, replay bookkeeping."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from local.durable.history import EventType, HistoryEvent


class RuntimeStatus(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    COMPLETED = "Completed"
    CONTINUED_AS_NEW = "ContinuedAsNew"
    FAILED = "Failed"
    TERMINATED = "Terminated"


TERMINAL = {RuntimeStatus.COMPLETED, RuntimeStatus.FAILED, RuntimeStatus.TERMINATED}
ACTIVE = {RuntimeStatus.PENDING, RuntimeStatus.RUNNING, RuntimeStatus.CONTINUED_AS_NEW}


@dataclass
class ParentRef:
    instance_id: str
    execution_id: str
    task_scheduled_id: int


@dataclass
class RetryState:
    """Host-driven retry bookkeeping for one ``*_with_retry`` call (keyed by its current EventId)."""

    kind: str  # "activity" | "suborchestration"
    name: str
    input: str | None
    options: dict[str, Any]
    attempt: int = 1
    sub_instance_id: str | None = None
    waiting_timer: bool = False  # True when keyed by the retry timer's EventId


@dataclass
class InstanceState:
    instance_id: str
    name: str
    execution_id: str
    status: RuntimeStatus
    input: str | None
    created_time: str
    last_updated_time: str
    output: Any = None
    custom_status: Any = None
    parent: ParentRef | None = None
    history: list[HistoryEvent] = field(default_factory=list)
    next_event_id: int = 0
    actions_consumed: int = 0
    retries: dict[str, RetryState] = field(default_factory=dict)
    seen_message_ids: list[str] = field(default_factory=list)
    episodes: int = 0

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def scheduled(self, event_id: int, kind: EventType) -> HistoryEvent | None:
        for ev in self.history:
            if ev["EventType"] == kind and ev["EventId"] == event_id:
                return ev
        return None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (shallow: the history events are shared, not copied; dump it, don't keep it)."""
        return {
            "instance_id": self.instance_id,
            "name": self.name,
            "execution_id": self.execution_id,
            "status": str(self.status),
            "input": self.input,
            "created_time": self.created_time,
            "last_updated_time": self.last_updated_time,
            "output": self.output,
            "custom_status": self.custom_status,
            "parent": asdict(self.parent) if self.parent else None,
            "history": self.history,
            "next_event_id": self.next_event_id,
            "actions_consumed": self.actions_consumed,
            "retries": {key: asdict(value) for key, value in self.retries.items()},
            "seen_message_ids": self.seen_message_ids,
            "episodes": self.episodes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InstanceState:
        parent = data.get("parent")
        return cls(
            instance_id=data["instance_id"],
            name=data["name"],
            execution_id=data["execution_id"],
            status=RuntimeStatus(data["status"]),
            input=data.get("input"),
            created_time=data["created_time"],
            last_updated_time=data["last_updated_time"],
            output=data.get("output"),
            custom_status=data.get("custom_status"),
            parent=ParentRef(**parent) if parent else None,
            history=list(data.get("history", [])),
            next_event_id=int(data.get("next_event_id", 0)),
            actions_consumed=int(data.get("actions_consumed", 0)),
            retries={k: RetryState(**v) for k, v in data.get("retries", {}).items()},
            seen_message_ids=list(data.get("seen_message_ids", [])),
            episodes=int(data.get("episodes", 0)),
        )
