"""One orchestrator episode: replay the history through the SDK's own executor and apply what it decided.

The history passed to the SDK is the persisted one (every event played) plus a fresh OrchestratorStarted
(timestamp from the engine clock: the orchestration's deterministic ``current_utc_datetime``) and the new
events. Task ids are allocated in the order the SDK allocates them: first the host-driven retry bookkeeping of
the first new event (a retried task's failure allocates a timer; that timer firing allocates the rescheduled
task), then the new actions. The inbox makes a retry event always the first new event of its episode.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from local.durable.actions import (
    ActionType,
    child_instance_id,
    flatten,
    retry_delay,
    schedule_activity,
    schedule_sub_orchestration,
    schedule_timer,
    translate_new_actions,
)
from local.durable.errors import UnsupportedAction
from local.durable.history import EventType, HistoryEvent, event, format_time
from local.durable.messages import ControlMessage, Outgoing
from local.durable.recovery import parent_notice
from local.durable.state import InstanceState, RuntimeStatus

OUT_OF_PROC_MARKER = "$OutOfProcData$:"
UPPER_SCHEMA_VERSION = 1
UPPER_SCHEMA_VERSION_NEW = 2

OrchestratorHandle = Callable[[str], str]


@dataclass
class EpisodeOutcome:
    outgoing: list[Outgoing] = field(default_factory=list)
    continue_as_new_input: str | None = None
    continued: bool = False
    finished: bool = False
    carried_over: list[HistoryEvent] = field(default_factory=list)  # raised events for the next execution


def is_retry_event(state: InstanceState, ev: HistoryEvent) -> bool:
    kind = ev["EventType"]
    if kind in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED):
        info = state.retries.get(str(ev["TaskScheduledId"]))
        return info is not None and not info.waiting_timer
    if kind == EventType.TIMER_FIRED:
        info = state.retries.get(str(ev["TimerId"]))
        return info is not None and info.waiting_timer
    return False


def sdk_payload(state: InstanceState, history: list[HistoryEvent]) -> str:
    return orjson.dumps(
        {
            "history": history,
            "input": state.input,
            "instanceId": state.instance_id,
            "isReplaying": False,
            "parentInstanceId": state.parent.instance_id if state.parent else None,
            "upperSchemaVersion": UPPER_SCHEMA_VERSION,
            "upperSchemaVersionNew": UPPER_SCHEMA_VERSION_NEW,
        },
        option=orjson.OPT_NON_STR_KEYS,
    ).decode()


def invoke_sdk(handle: OrchestratorHandle, payload: str) -> tuple[dict[str, Any] | None, str | None]:
    """Run the SDK handle; returns (orchestrator state, error message) the way the extension reads them."""
    try:
        return orjson.loads(handle(payload)), None
    except Exception as exc:
        text = str(exc)
        if OUT_OF_PROC_MARKER in text:
            head, _, data = text.partition(OUT_OF_PROC_MARKER)
            try:
                state = json.loads(data)
            except json.JSONDecodeError:
                return None, head.strip()
            return state, str(state.get("error") or head.strip())
        return None, f"{type(exc).__name__}: {text}"


def _apply_retry(
    state: InstanceState, ev: HistoryEvent, now: datetime
) -> tuple[list[HistoryEvent], list[Outgoing]]:
    kind = ev["EventType"]
    if kind in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED):
        info = state.retries.pop(str(ev["TaskScheduledId"]))
        timer_id = state.next_event_id
        state.next_event_id += 1
        final = info.attempt >= int(info.options.get("maxNumberOfAttempts", 1))
        delay = retry_delay(info.options, info.attempt) if not final else retry_delay({}, 1)
        created, fired = schedule_timer(state, timer_id, now + delay, now)
        info.waiting_timer = True
        state.retries[str(timer_id)] = info
        return [created], [fired]
    info = state.retries.pop(str(ev["TimerId"]))
    if info.attempt >= int(info.options.get("maxNumberOfAttempts", 1)):
        return [], []  # the SDK now fails the task with the last error
    new_id = state.next_event_id
    state.next_event_id += 1
    info.attempt += 1
    info.waiting_timer = False
    state.retries[str(new_id)] = info
    if info.kind == "activity":
        scheduled, out = schedule_activity(state, new_id, info.name, info.input, now)
    else:
        sub_id = child_instance_id(state.instance_id, new_id, info.sub_instance_id)
        scheduled, out = schedule_sub_orchestration(state, new_id, info.name, info.input, sub_id, now)
    return [scheduled], [out]


def _finish(
    state: InstanceState, status: RuntimeStatus, output: Any, now: datetime, outcome: EpisodeOutcome
) -> None:
    state.status = status
    state.output = output
    outcome.finished = True
    if status == RuntimeStatus.COMPLETED:
        state.history.append(
            event(
                EventType.EXECUTION_COMPLETED,
                now,
                -1,
                OrchestrationStatus="Completed",
                Result=json.dumps(output),
            )
        )
    else:
        state.history.append(
            event(EventType.EXECUTION_FAILED, now, -1, OrchestrationStatus="Failed", Reason=output)
        )
    notice = parent_notice(state, now)
    if notice is not None:
        outcome.outgoing.append(notice)


def unconsumed_events(history: list[HistoryEvent], actions: list[dict[str, Any]]) -> list[HistoryEvent]:
    """Raised events no ``wait_for_external_event`` took (first come, first served per name).

    On continue-as-new the extension carries these over to the new execution instead of losing them.
    """
    waits = Counter(
        str(a.get("externalEventName"))
        for a in actions
        if a.get("actionType") == ActionType.WAIT_FOR_EXTERNAL_EVENT
    )
    seen: Counter[str] = Counter()
    left: list[HistoryEvent] = []
    for ev in history:
        if ev["EventType"] != EventType.EVENT_RAISED:
            continue
        name = str(ev.get("Name"))
        seen[name] += 1
        if seen[name] > waits[name]:
            left.append(dict(ev, IsPlayed=False))
    return left


def run_episode(
    state: InstanceState, new_events: list[HistoryEvent], handle: OrchestratorHandle, now: datetime
) -> EpisodeOutcome:
    """Run one episode, mutating ``state`` (history, status, bookkeeping); returns the messages to send."""
    outcome = EpisodeOutcome()
    started = event(EventType.ORCHESTRATOR_STARTED, now)
    history = [*state.history, started, *new_events]
    result, error = invoke_sdk(handle, sdk_payload(state, history))
    state.history = history
    state.episodes += 1
    state.last_updated_time = format_time(now)
    if state.status == RuntimeStatus.PENDING:
        state.status = RuntimeStatus.RUNNING
    if result is not None and "customStatus" in result:
        state.custom_status = result["customStatus"]
    if error is not None or result is None:
        _finish(
            state, RuntimeStatus.FAILED, f"Orchestrator function '{state.name}' failed: {error}", now, outcome
        )
    else:
        try:
            if new_events and is_retry_event(state, new_events[0]):
                events, out = _apply_retry(state, new_events[0], now)
                state.history.extend(events)
                outcome.outgoing.extend(out)
            events, out, can_input = translate_new_actions(state, flatten(result.get("actions", [])), now)
        except UnsupportedAction as exc:
            _finish(
                state,
                RuntimeStatus.FAILED,
                f"Orchestrator function '{state.name}' failed: {exc}",
                now,
                outcome,
            )
        else:
            state.history.extend(events)
            outcome.outgoing.extend(out)
            if result.get("isDone"):
                flat = flatten(result.get("actions", []))
                can = next((a for a in flat if a.get("actionType") == ActionType.CONTINUE_AS_NEW), None)
                if can is not None:
                    can_input = can.get("input", can_input)
                    outcome.continued = True
                    outcome.continue_as_new_input = can_input
                    outcome.carried_over = unconsumed_events(state.history, flat)
                    state.history.append(event(EventType.CONTINUE_AS_NEW, now, -1, Input=can_input))
                else:
                    _finish(state, RuntimeStatus.COMPLETED, result.get("output"), now, outcome)
    state.history.append(event(EventType.ORCHESTRATOR_COMPLETED, now))
    for ev in state.history:
        ev["IsPlayed"] = True
    return outcome


def continue_as_new(
    state: InstanceState, new_input: str | None, execution_id: str, now: datetime
) -> ControlMessage:
    """Reset ``state`` to a fresh execution (history emptied) and return its ExecutionStarted message."""
    from local.durable.actions import start_message

    state.execution_id = execution_id
    state.input = new_input
    state.history = []
    state.next_event_id = 0
    state.actions_consumed = 0
    state.retries = {}
    state.status = RuntimeStatus.RUNNING
    state.output = None
    return start_message(state, now)
