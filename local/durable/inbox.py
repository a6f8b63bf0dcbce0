"""Decide what to do with each control message for an instance, and group the accepted ones into episodes.

At-least-once delivery means duplicates arrive: a completion for a task already completed, a timer already
fired, an ExecutionStarted already applied, a raised event already seen (by message id). Those are dropped.
A message that refers to something not yet in the persisted history (possible only after a crash between
sending messages and saving state) is deferred: left on the queue to come back after its visibility timeout.
"""

from __future__ import annotations

from enum import Enum

from local.durable.episode import is_retry_event
from local.durable.history import EventType, HistoryEvent, completion_target
from local.durable.messages import ControlMessage
from local.durable.state import InstanceState, RuntimeStatus

MAX_SEEN_IDS = 2000


class Verdict(Enum):
    APPLY = "apply"
    DROP = "drop"
    DEFER = "defer"


def _completed_ids(history: list[HistoryEvent]) -> set[tuple[int, int]]:
    done: set[tuple[int, int]] = set()
    for ev in history:
        target = completion_target(ev)
        if target is not None:
            done.add((target[0], int(target[1])))
    return done


def classify(state: InstanceState | None, msg: ControlMessage, pending: list[HistoryEvent]) -> Verdict:
    """``pending``: events already accepted from this same batch (not yet in ``state.history``)."""
    kind = msg.event["EventType"]
    if state is None:
        return Verdict.DROP
    if msg.execution_id is not None and msg.execution_id != state.execution_id:
        return Verdict.DROP
    if kind == EventType.EXECUTION_STARTED:
        started = bool(state.history) or any(e["EventType"] == EventType.EXECUTION_STARTED for e in pending)
        return Verdict.DROP if started or state.status != RuntimeStatus.PENDING else Verdict.APPLY
    if state.is_terminal:
        return Verdict.DROP
    if kind == EventType.EXECUTION_TERMINATED:
        return Verdict.APPLY
    if not state.history and not any(e["EventType"] == EventType.EXECUTION_STARTED for e in pending):
        return Verdict.DEFER
    if kind == EventType.EVENT_RAISED:
        return Verdict.DROP if msg.id in state.seen_message_ids else Verdict.APPLY
    target = completion_target(msg.event)
    if target is None:
        return Verdict.DROP
    event_id, scheduling_type = target
    if (event_id, int(scheduling_type)) in _completed_ids([*state.history, *pending]):
        return Verdict.DROP
    scheduled = state.scheduled(event_id, scheduling_type)
    if scheduled is None:
        return Verdict.DEFER
    if msg.scheduled_name is not None and scheduled.get("Name") != msg.scheduled_name:
        return Verdict.DROP
    return Verdict.APPLY


def split_episodes(state: InstanceState, events: list[HistoryEvent]) -> list[list[HistoryEvent]]:
    """Group accepted events into episodes so that a retry-driving event is always first in its episode."""
    episodes: list[list[HistoryEvent]] = []
    current: list[HistoryEvent] = []
    for ev in events:
        if current and is_retry_event(state, ev):
            episodes.append(current)
            current = []
        current.append(ev)
    if current:
        episodes.append(current)
    return episodes


def remember(state: InstanceState, message_id: str) -> None:
    state.seen_message_ids.append(message_id)
    del state.seen_message_ids[:-MAX_SEEN_IDS]
