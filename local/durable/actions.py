"""Turn the SDK's action list into history scheduling events and outgoing messages.

The SDK re-sends every action so far on each episode (V1: one inner list per yield; V2/V3: a single inner
list, compound ``WhenAll``/``WhenAny`` wrapping their children). Flattened in order, the actions are exactly
the tasks in the order the SDK numbered them, so the first ``actions_consumed`` are already in history and the
rest are new. ``WaitForExternalEvent`` takes no task id and produces no event.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from local.durable.errors import UnsupportedAction
from local.durable.history import EventType, HistoryEvent, event, format_time, parse_time
from local.durable.messages import ControlMessage, Outgoing, StartChild, WorkItem
from local.durable.state import InstanceState, ParentRef, RetryState, RuntimeStatus


class ActionType:
    CALL_ACTIVITY = 0
    CALL_ACTIVITY_WITH_RETRY = 1
    CALL_SUB_ORCHESTRATOR = 2
    CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
    CONTINUE_AS_NEW = 4
    CREATE_TIMER = 5
    WAIT_FOR_EXTERNAL_EVENT = 6
    CALL_ENTITY = 7
    CALL_HTTP = 8
    SIGNAL_ENTITY = 9
    WHEN_ANY = 11
    WHEN_ALL = 12


def flatten(actions: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []

    def walk(action: dict[str, Any]) -> None:
        if action.get("actionType") in (ActionType.WHEN_ALL, ActionType.WHEN_ANY):
            for child in action.get("compoundActions", []):
                walk(child)
        else:
            flat.append(action)

    for group in actions:
        for action in group:
            walk(action)
    return flat


def child_instance_id(parent_id: str, event_id: int, requested: str | None) -> str:
    return requested or f"{parent_id}:{event_id:04X}"


def schedule_activity(
    state: InstanceState, event_id: int, name: str, input_: str | None, now: datetime
) -> tuple[HistoryEvent, Outgoing]:
    scheduled = event(EventType.TASK_SCHEDULED, now, event_id, Name=name, Version="", Input=input_)
    return scheduled, WorkItem(
        state.instance_id, state.execution_id, event_id, name, input_, created=state.created_time
    )


def schedule_sub_orchestration(
    state: InstanceState, event_id: int, name: str, input_: str | None, instance_id: str, now: datetime
) -> tuple[HistoryEvent, Outgoing]:
    created = event(
        EventType.SUB_ORCHESTRATION_CREATED,
        now,
        event_id,
        Name=name,
        Version="",
        InstanceId=instance_id,
        Input=input_,
    )
    execution_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{state.instance_id}/{state.execution_id}/{event_id}").hex
    child = new_instance(instance_id, name, input_, execution_id, now)
    child.parent = ParentRef(state.instance_id, state.execution_id, event_id)
    return created, StartChild(child, start_message(child, now))


def schedule_timer(
    state: InstanceState, event_id: int, fire_at: datetime, now: datetime
) -> tuple[HistoryEvent, Outgoing]:
    fire_text = format_time(fire_at)
    created = event(EventType.TIMER_CREATED, now, event_id, FireAt=fire_text)
    fired = event(EventType.TIMER_FIRED, now, -1, TimerId=event_id, FireAt=fire_text)
    return created, ControlMessage(state.instance_id, state.execution_id, fired, fire_at=fire_text)


def new_instance(
    instance_id: str, name: str, input_: str | None, execution_id: str, now: datetime
) -> InstanceState:
    stamp = format_time(now)
    return InstanceState(
        instance_id=instance_id,
        name=name,
        execution_id=execution_id,
        status=RuntimeStatus.PENDING,
        input=input_,
        created_time=stamp,
        last_updated_time=stamp,
    )


def start_message(state: InstanceState, now: datetime) -> ControlMessage:
    parent = None
    if state.parent is not None:
        parent = {
            "OrchestrationInstance": {
                "InstanceId": state.parent.instance_id,
                "ExecutionId": state.parent.execution_id,
            },
            "TaskScheduleId": state.parent.task_scheduled_id,
        }
    started = event(
        EventType.EXECUTION_STARTED,
        now,
        -1,
        Name=state.name,
        Version="",
        Input=state.input,
        OrchestrationInstance={"InstanceId": state.instance_id, "ExecutionId": state.execution_id},
        ParentInstance=parent,
        Tags=None,
    )
    return ControlMessage(state.instance_id, state.execution_id, started)


def translate_new_actions(
    state: InstanceState, flat: list[dict[str, Any]], now: datetime
) -> tuple[list[HistoryEvent], list[Outgoing], str | None]:
    """Events + messages for ``flat[state.actions_consumed:]``; returns the ContinueAsNew input if asked.

    Advances ``state.next_event_id``/``actions_consumed`` and records retry bookkeeping.
    """
    events: list[HistoryEvent] = []
    outgoing: list[Outgoing] = []
    continue_input: str | None = None
    for action in flat[state.actions_consumed :]:
        kind = action.get("actionType")
        if kind == ActionType.WAIT_FOR_EXTERNAL_EVENT:
            continue
        event_id = state.next_event_id
        state.next_event_id += 1
        if kind in (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY):
            ev, out = schedule_activity(state, event_id, action["functionName"], action.get("input"), now)
            if kind == ActionType.CALL_ACTIVITY_WITH_RETRY:
                state.retries[str(event_id)] = RetryState(
                    "activity",
                    action["functionName"],
                    action.get("input"),
                    dict(action.get("retryOptions", {})),
                )
        elif kind in (ActionType.CALL_SUB_ORCHESTRATOR, ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY):
            requested = action.get("instanceId")
            sub_id = child_instance_id(state.instance_id, event_id, requested)
            ev, out = schedule_sub_orchestration(
                state, event_id, action["functionName"], action.get("input"), sub_id, now
            )
            if kind == ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY:
                state.retries[str(event_id)] = RetryState(
                    "suborchestration",
                    action["functionName"],
                    action.get("input"),
                    dict(action.get("retryOptions", {})),
                    sub_instance_id=requested,
                )
        elif kind == ActionType.CREATE_TIMER:
            ev, out = schedule_timer(state, event_id, parse_time(action["fireAt"]), now)
        elif kind == ActionType.CONTINUE_AS_NEW:
            continue_input = action.get("input")
            continue
        else:
            raise UnsupportedAction(f"action type {kind} (entities / durable HTTP) is not supported locally")
        events.append(ev)
        outgoing.append(out)
    state.actions_consumed = len(flat)
    return events, outgoing, continue_input


def retry_delay(options: dict[str, Any], attempt: int) -> timedelta:
    """DTFx RetryOptions: first interval x backoff^(attempt-1), capped by maxRetryInterval."""
    first_ms = float(options.get("firstRetryIntervalInMilliseconds", 0))
    backoff = float(options.get("backoffCoefficient", 1.0) or 1.0)
    delay_ms = first_ms * backoff ** max(0, attempt - 1)
    cap = options.get("maxRetryIntervalInMilliseconds")
    if cap:
        delay_ms = min(delay_ms, float(cap))
    return timedelta(milliseconds=delay_ms)
