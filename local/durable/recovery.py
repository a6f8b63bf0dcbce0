"""Re-derive in-flight work from a persisted instance: the instance blob is the only durable record of it.

After each episode the engine saves the instance and only then hands its outgoing messages (activity work
items, timers, sub-orchestration starts, completions for a parent) to in-memory workers. A crash loses those
hand-offs, never the history that implies them: on start, every unfinished instance is scanned and whatever
its history scheduled but never saw completed is dispatched again. Duplicates this may create (an activity
result that did arrive, a timer that did fire) are dropped by the inbox.
"""

from __future__ import annotations

import json
from datetime import datetime

from local.durable.actions import schedule_sub_orchestration, start_message
from local.durable.history import EventType, HistoryEvent, completion_target, event, parse_time
from local.durable.messages import ControlMessage, Outgoing, WorkItem
from local.durable.state import InstanceState, RuntimeStatus


def _completed(history: list[HistoryEvent]) -> set[tuple[int, int]]:
    done: set[tuple[int, int]] = set()
    for ev in history:
        target = completion_target(ev)
        if target is not None:
            done.add((target[0], int(target[1])))
    return done


def pending_work(state: InstanceState, now: datetime) -> list[Outgoing]:
    """The messages an unfinished instance is waiting on, rebuilt from its history."""
    if state.is_terminal:
        return []
    if not state.history:
        return [start_message(state, now)]
    done = _completed(state.history)
    out: list[Outgoing] = []
    for ev in state.history:
        kind = int(ev["EventType"])
        event_id = int(ev["EventId"])
        if (
            kind
            not in (
                EventType.TASK_SCHEDULED,
                EventType.TIMER_CREATED,
                EventType.SUB_ORCHESTRATION_CREATED,
            )
            or (event_id, kind) in done
        ):
            continue
        if kind == EventType.TASK_SCHEDULED:
            out.append(
                WorkItem(
                    state.instance_id,
                    state.execution_id,
                    event_id,
                    ev["Name"],
                    ev.get("Input"),
                    created=state.created_time,
                )
            )
        elif kind == EventType.TIMER_CREATED:
            fired = event(
                EventType.TIMER_FIRED, parse_time(ev["FireAt"]), -1, TimerId=event_id, FireAt=ev["FireAt"]
            )
            out.append(ControlMessage(state.instance_id, state.execution_id, fired, fire_at=ev["FireAt"]))
        else:
            _, start = schedule_sub_orchestration(
                state, event_id, ev["Name"], ev.get("Input"), ev["InstanceId"], now
            )
            out.append(start)
    return out


def parent_notice(child: InstanceState, now: datetime) -> ControlMessage | None:
    """The SubOrchestrationCompleted/Failed a finished child owes its parent (None: no parent, unfinished)."""
    if child.parent is None or not child.is_terminal:
        return None
    if child.status == RuntimeStatus.COMPLETED:
        done = event(
            EventType.SUB_ORCHESTRATION_COMPLETED,
            now,
            -1,
            TaskScheduledId=child.parent.task_scheduled_id,
            Result=json.dumps(child.output),
        )
    else:
        reason = (
            f"Sub-orchestration '{child.instance_id}' was terminated: {child.output}"
            if child.status == RuntimeStatus.TERMINATED
            else str(child.output)
        )
        done = event(
            EventType.SUB_ORCHESTRATION_FAILED,
            now,
            -1,
            TaskScheduledId=child.parent.task_scheduled_id,
            Reason=reason,
            Details=None,
        )
    return ControlMessage(
        child.parent.instance_id, child.parent.execution_id, done, scheduled_name=child.name
    )
