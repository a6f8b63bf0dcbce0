"""Queue message bodies: control messages (orchestration events) and activity work items."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from local.durable.history import HistoryEvent
from local.durable.state import InstanceState


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class ControlMessage:
    """An event for one orchestration instance (``execution_id`` None: whichever execution is current)."""

    instance_id: str
    execution_id: str | None
    event: HistoryEvent
    id: str = field(default_factory=new_id)
    fire_at: str | None = None  # TimerFired only: when it may be applied
    scheduled_name: str | None = None  # completions: the name the scheduling event must carry

    def encode(self) -> str:
        return json.dumps({"kind": "control", **asdict(self)})


@dataclass
class WorkItem:
    """One activity invocation answering TaskScheduled ``task_scheduled_id`` of that execution.

    ``created`` is the instance's creation time: the activity worker runs the oldest instance's work first.
    """

    instance_id: str
    execution_id: str
    task_scheduled_id: int
    name: str
    input: str | None
    created: str = ""
    id: str = field(default_factory=new_id)

    def encode(self) -> str:
        return json.dumps({"kind": "work", **asdict(self)})


@dataclass
class StartChild:
    """Create a sub-orchestration instance (idempotently) and send its ExecutionStarted."""

    state: InstanceState
    start: ControlMessage


Outgoing = ControlMessage | WorkItem | StartChild


def decode(text: str) -> ControlMessage | WorkItem:
    data: dict[str, Any] = json.loads(text)
    kind = data.pop("kind")
    if kind == "control":
        return ControlMessage(**data)
    if kind == "work":
        return WorkItem(**data)
    raise ValueError(f"unknown message kind {kind!r}")
