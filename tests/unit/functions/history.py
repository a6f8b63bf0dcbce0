"""Orchestration histories of ours, replayed through the Durable SDK's own executor.

Modelled on the SDK's test ``ContextBuilder`` (azure-functions-durable-python, ``tests/test_utils``): a
history is built event by event in the shape the Durable extension sends to the Python worker (PascalCase
fields, the SDK's integer ``HistoryEventType``, episodes delimited by OrchestratorStarted /
OrchestratorCompleted), with every payload (orchestration input, activity results) serialised by
``df_dumps`` exactly as the host serialises typed records. :meth:`History.replay` hands the JSON to
``azure.durable_functions.Orchestrator.create(fn)`` and reads back what the extension would receive: every
action (replayed ones included), ``isDone``, the output and the custom status.

Two ways to use it:

- build a history by hand (:meth:`History.completed`, :meth:`~History.failed`, :meth:`~History.timer_fired`,
  :meth:`~History.all_completed`) and :meth:`~History.replay` it: pins what the orchestrator schedules at one
  precise point of its life;
- :func:`play`: replay, answer the one new task from a script (an activity result, a :class:`Failed` or
  :class:`Flaky` activity, a timer that fires at its ``fireAt``), append those events, replay again, until
  the orchestration is done. Every replay must reproduce the actions of the previous one (determinism).

Task ids follow the SDK's sequence numbers: one per yielded activity call or timer, in yield order; a call
with retry options that fails takes one more for its retry timer and one more for each re-scheduled
attempt. ``continue_as_new`` starts a *new* history (:meth:`History.continue_as_new`): DTFx discards the
old generation and starts the next one with the action's input, verbatim.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.actions.ActionType import ActionType
from azure.durable_functions.models.history.HistoryEventType import HistoryEventType as Event
from azure.functions._durable_functions import df_dumps, df_loads

from functions.tracking import TRANSIENT_RETRY

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
INSTANCE_ID = "replay-instance"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # the SDK's DATETIME_STRING_FORMAT
# What the extension announces (as the local host does): protocol V2, upgraded to V3 when the SDK has it.
UPPER_SCHEMA_VERSION = 1
UPPER_SCHEMA_VERSION_NEW = 2
ACTIVITY_STEP = timedelta(seconds=1)  # how long an activity takes, in history time

OrchestratorFn = Callable[[df.DurableOrchestrationContext], Generator[Any, Any, Any]]


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC)


# -- what a replay answers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """An activity call as the SDK sends it: name, ``df_dumps``-ed input, retry options (None: no retry)."""

    name: str
    input_json: str
    retry: dict[str, int] | None
    action_type: int

    @property
    def input(self) -> Any:
        """The input as the activity receives it (records rebuilt by ``df_loads``)."""
        return df_loads(self.input_json)

    def retry_options(self) -> df.RetryOptions | None:
        if self.retry is None:
            return None
        return df.RetryOptions(
            first_retry_interval_in_milliseconds=self.retry["firstRetryIntervalInMilliseconds"],
            max_number_of_attempts=self.retry["maxNumberOfAttempts"],
        )


@dataclass(frozen=True)
class Timer:
    fire_at: datetime


@dataclass(frozen=True)
class FanOut:
    """``task_all`` over activity calls."""

    calls: tuple[Call, ...]


@dataclass(frozen=True)
class ContinueAsNew:
    input_json: str

    @property
    def input(self) -> Any:
        return df_loads(self.input_json)


Step = Call | Timer | FanOut | ContinueAsNew


def _call(action: dict[str, Any]) -> Call:
    kind = action["actionType"]
    if kind == ActionType.WHEN_ALL and len(action["compoundActions"]) == 1:
        # The SDK wraps a call with retry options in a one-child WhenAll (its retry bookkeeping task).
        inner = action["compoundActions"][0]
        if inner["actionType"] == ActionType.CALL_ACTIVITY_WITH_RETRY:
            return _call(inner)
    if kind not in (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY):
        raise AssertionError(f"not an activity call: {action}")
    return Call(action["functionName"], action["input"], action.get("retryOptions"), kind)


def _step(action: dict[str, Any]) -> Step:
    kind = action["actionType"]
    if kind == ActionType.CREATE_TIMER:
        return Timer(parse_time(action["fireAt"]))
    if kind == ActionType.CONTINUE_AS_NEW:
        return ContinueAsNew(action["input"])
    if kind == ActionType.WHEN_ALL:
        children = action["compoundActions"]
        if len(children) == 1 and children[0]["actionType"] == ActionType.CALL_ACTIVITY_WITH_RETRY:
            return _call(action)
        return FanOut(tuple(_call(child) for child in children))
    return _call(action)


@dataclass(frozen=True)
class Replay:
    """The orchestrator state one replay returned (the JSON the extension receives), and its steps."""

    state: dict[str, Any]
    steps: tuple[Step, ...]

    @classmethod
    def of(cls, text: str) -> Replay:
        state = json.loads(text)
        return cls(state, tuple(_step(a) for group in state["actions"] for a in group))

    @property
    def done(self) -> bool:
        return bool(self.state["isDone"])

    @property
    def output(self) -> Any:
        return self.state.get("output")

    @property
    def custom_status(self) -> Any:
        return self.state.get("customStatus")

    @property
    def continued_as_new(self) -> ContinueAsNew:
        found = [s for s in self.steps if isinstance(s, ContinueAsNew)]
        assert len(found) == 1, f"expected one continue_as_new action, got {self.steps}"
        return found[0]


# -- the history ------------------------------------------------------------------------------------


class History:
    """One execution's history, built episode by episode (what the orchestrator saw so far)."""

    def __init__(
        self,
        name: str,
        input_: Any = None,
        *,
        start: datetime = T0,
        input_json: str | None = None,
        instance_id: str = INSTANCE_ID,
    ) -> None:
        self.name = name
        self.instance_id = instance_id
        self.input_json = input_json if input_json is not None else df_dumps(input_)
        self.now = start  # the current episode's OrchestratorStarted: the orchestrator's clock
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._add(Event.ORCHESTRATOR_STARTED)
        self._add(Event.EXECUTION_STARTED, Name=name, Version="", Input=self.input_json)

    # -- events -------------------------------------------------------------------------------------

    def _add(self, kind: Event, event_id: int = -1, **fields: Any) -> None:
        self.events.append(
            {"EventType": int(kind), "EventId": event_id, "Timestamp": format_time(self.now), **fields}
        )

    def _take_id(self) -> int:
        task_id, self._next_id = self._next_id, self._next_id + 1
        return task_id

    def _next_episode(self, at: datetime) -> None:
        """The episode ends (its scheduled work is recorded); a new one starts at ``at``."""
        self._add(Event.ORCHESTRATOR_COMPLETED)
        self.now = max(self.now, at)
        self._add(Event.ORCHESTRATOR_STARTED)

    def _scheduled(self, name: str, input_json: str | None) -> int:
        task_id = self._take_id()
        fields: dict[str, Any] = {"Name": name, "Version": ""}
        if input_json is not None:
            fields["Input"] = input_json
        self._add(Event.TASK_SCHEDULED, task_id, **fields)
        return task_id

    def completed(
        self, name: str, result: Any, *, input_json: str | None = None, took: timedelta = ACTIVITY_STEP
    ) -> History:
        """The next activity call ran and returned ``result`` (serialised as the worker does)."""
        task_id = self._scheduled(name, input_json)
        self._next_episode(self.now + took)
        self._add(Event.TASK_COMPLETED, TaskScheduledId=task_id, Result=df_dumps(result))
        return self

    def all_completed(
        self, results: Iterable[tuple[str, Any]], *, took: timedelta = ACTIVITY_STEP
    ) -> History:
        """A ``task_all`` of activity calls: all scheduled in one episode, all completed in the next."""
        ids = [(self._scheduled(name, None), result) for name, result in results]
        self._next_episode(self.now + took)
        for task_id, result in ids:
            self._add(Event.TASK_COMPLETED, TaskScheduledId=task_id, Result=df_dumps(result))
        return self

    def failed(
        self,
        name: str,
        reason: str,
        details: str = "",
        *,
        retry: df.RetryOptions | None = TRANSIENT_RETRY,
        attempts: int | None = None,
        input_json: str | None = None,
        took: timedelta = ACTIVITY_STEP,
    ) -> History:
        """The next activity call raised, ``attempts`` times (None: every attempt ``retry`` allows).

        With retry options each failure is followed by the retry timer (first retry interval later), as
        the extension records it; after the last allowed attempt that timer fires too, then the task fails.
        With fewer failures than allowed, the next :meth:`completed` is the attempt that succeeded.
        """
        allowed = retry.max_number_of_attempts if retry is not None else 1
        count = allowed if attempts is None else attempts
        assert 1 <= count <= allowed, f"{count} failures, but the call allows {allowed} attempts"
        for _ in range(count):
            task_id = self._scheduled(name, input_json)
            self._next_episode(self.now + took)
            self._add(Event.TASK_FAILED, TaskScheduledId=task_id, Reason=reason, Details=details)
            if retry is None:
                continue
            fire_at = self.now + timedelta(milliseconds=retry.first_retry_interval_in_milliseconds)
            timer_id = self._take_id()
            self._add(Event.TIMER_CREATED, timer_id, FireAt=format_time(fire_at))
            self._next_episode(fire_at)
            self._add(Event.TIMER_FIRED, TimerId=timer_id, FireAt=format_time(fire_at))
        return self

    def timer_fired(self, fire_at: datetime) -> History:
        """The next durable timer was created for ``fire_at`` and fired then (the clock jumps to it)."""
        timer_id = self._take_id()
        self._add(Event.TIMER_CREATED, timer_id, FireAt=format_time(fire_at))
        self._next_episode(fire_at)
        self._add(Event.TIMER_FIRED, TimerId=timer_id, FireAt=format_time(fire_at))
        return self

    def continue_as_new(self, step: ContinueAsNew, *, after: timedelta = ACTIVITY_STEP) -> History:
        """The next generation: a fresh history whose input is the action's input, verbatim."""
        return History(
            self.name, start=self.now + after, input_json=step.input_json, instance_id=self.instance_id
        )

    def of_type(self, kind: Event) -> list[dict[str, Any]]:
        return [e for e in self.events if e["EventType"] == int(kind)]

    # -- replay ---------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The orchestration trigger's body; events before the current episode are marked played."""
        current = max(i for i, e in enumerate(self.events) if e["EventType"] == Event.ORCHESTRATOR_STARTED)
        history = [{**e, "IsPlayed": i < current} for i, e in enumerate(self.events)]
        return {
            "history": history,
            "input": self.input_json,
            "instanceId": self.instance_id,
            "isReplaying": current > 0,
            "parentInstanceId": None,
            "upperSchemaVersion": UPPER_SCHEMA_VERSION,
            "upperSchemaVersionNew": UPPER_SCHEMA_VERSION_NEW,
        }

    def replay(self, orchestrator: OrchestratorFn) -> Replay:
        """Run the orchestrator over this history with the SDK's own executor (``Orchestrator.create``)."""
        handle = df.Orchestrator.create(orchestrator)
        return Replay.of(handle(json.dumps(self.to_json())))


# -- playing an orchestration to its end ------------------------------------------------------------


@dataclass(frozen=True)
class Failed:
    """An answer: the activity raised on every attempt its retry options allow."""

    reason: str
    details: str = ""


@dataclass(frozen=True)
class Flaky:
    """An answer: the activity raised ``failures`` times, then returned ``result`` (a transient failure)."""

    failures: int
    result: Any
    reason: str = "transient failure"


Answer = Callable[[Call], Any]


@dataclass
class Played:
    """A whole run: the final history, every replay, and when (orchestrator clock) each step was scheduled."""

    history: History
    replays: list[Replay]
    scheduled_at: list[datetime] = field(default_factory=list)

    @property
    def last(self) -> Replay:
        return self.replays[-1]

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.last.steps

    @property
    def output(self) -> Any:
        return self.last.output

    @property
    def statuses(self) -> list[Any]:
        """The custom status after each episode."""
        return [r.custom_status for r in self.replays]

    @property
    def names(self) -> list[str]:
        """Activity names and ``timer``, in schedule order (a fan-out's calls in their order)."""
        out: list[str] = []
        for step in self.steps:
            if isinstance(step, Call):
                out.append(step.name)
            elif isinstance(step, FanOut):
                out.extend(c.name for c in step.calls)
            elif isinstance(step, Timer):
                out.append("timer")
            else:
                out.append("continue_as_new")
        return out

    def calls(self, name: str | None = None) -> list[Call]:
        out: list[Call] = []
        for step in self.steps:
            if isinstance(step, Call):
                out.append(step)
            elif isinstance(step, FanOut):
                out.extend(step.calls)
        return [c for c in out if name is None or c.name == name]

    def inputs(self, name: str) -> list[Any]:
        return [c.input for c in self.calls(name)]

    def timers(self) -> list[tuple[datetime, Timer]]:
        """Each timer with the orchestrator's clock when it was created."""
        return [(at, s) for at, s in zip(self.scheduled_at, self.steps, strict=True) if isinstance(s, Timer)]

    def waits(self) -> list[timedelta]:
        """How long each timer waits: its ``fireAt`` minus the orchestrator's clock when it was created."""
        return [timer.fire_at - at for at, timer in self.timers()]


def _answer_call(history: History, call: Call, result: Any) -> None:
    retry = call.retry_options()
    if isinstance(result, Failed):
        history.failed(call.name, result.reason, result.details, retry=retry, input_json=call.input_json)
    elif isinstance(result, Flaky):
        history.failed(
            call.name, result.reason, retry=retry, attempts=result.failures, input_json=call.input_json
        )
        history.completed(call.name, result.result, input_json=call.input_json)
    else:
        history.completed(call.name, result, input_json=call.input_json)


def _answer(history: History, step: Step, answer: Answer) -> None:
    if isinstance(step, Call):
        _answer_call(history, step, answer(step))
    elif isinstance(step, Timer):
        history.timer_fired(step.fire_at)
    elif isinstance(step, FanOut):
        results = [answer(c) for c in step.calls]
        assert not any(isinstance(r, Failed | Flaky) for r in results), (
            "failures inside task_all: not modelled"
        )
        history.all_completed((c.name, r) for c, r in zip(step.calls, results, strict=True))
    else:
        raise AssertionError(f"continue_as_new in an orchestration that is not done: {step}")


def play(orchestrator: OrchestratorFn, history: History, answer: Answer, *, max_replays: int = 500) -> Played:
    """Replay, answer the new task, replay again ... until the orchestration is done (or continued)."""
    played = Played(history, [])
    known: Sequence[Step] = ()
    for _ in range(max_replays):
        replay = history.replay(orchestrator)
        assert replay.steps[: len(known)] == tuple(known), (
            f"the replay did not reproduce the previous actions:\n{known}\nthen\n{replay.steps}"
        )
        new = replay.steps[len(known) :]
        played.replays.append(replay)
        played.scheduled_at.extend(history.now for _ in new)
        known = replay.steps
        if replay.done:
            return played
        assert len(new) == 1, f"expected exactly one new task in this episode, got {new}"
        _answer(history, new[0], answer)
    raise AssertionError(f"not done after {max_replays} replays: {known[-5:]}")
