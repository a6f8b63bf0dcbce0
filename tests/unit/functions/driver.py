"""Drive an orchestrator generator with a fake context: record each activity/timer, answer from a script.

Only the context methods the protection orchestrator uses exist here, so a new one shows up as an
``AttributeError`` in the tests rather than silently passing. Inputs and answers are the typed records
themselves (no serialisation: the replay tests in ``history.py`` cover the wire format).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df


@dataclass(frozen=True)
class Activity:
    name: str
    payload: Any
    retry: df.RetryOptions | None = None


@dataclass(frozen=True)
class Timer:
    fire_at: datetime


@dataclass(frozen=True)
class All:
    tasks: list[Activity]


class Raise:
    """An answer that makes the task fail (an activity that failed after its retries)."""

    def __init__(self, message: str) -> None:
        self.message = message


Answer = Callable[[Activity], Any]


@dataclass
class FakeContext:
    input: Any
    now: datetime = field(default_factory=lambda: datetime(2025, 1, 1, tzinfo=UTC))
    statuses: list[Any] = field(default_factory=list)

    def get_input(self, expected_type: type | None = None) -> Any:
        assert expected_type is None or isinstance(self.input, expected_type), (self.input, expected_type)
        return self.input

    @property
    def current_utc_datetime(self) -> datetime:
        return self.now

    def set_custom_status(self, status: Any) -> None:
        self.statuses.append(status)

    def call_activity_with_retry(
        self, name: str, retry_options: df.RetryOptions, input_: Any = None
    ) -> Activity:
        return Activity(name, input_, retry_options)

    def call_activity(self, name: str, input_: Any = None) -> Activity:
        return Activity(name, input_)

    def create_timer(self, fire_at: datetime) -> Timer:
        return Timer(fire_at)

    def task_all(self, tasks: list[Activity]) -> All:
        return All(list(tasks))


@dataclass
class Run:
    steps: list[Activity | Timer | All]
    output: Any
    context: FakeContext

    @property
    def activities(self) -> list[str]:
        names: list[str] = []
        for step in self.steps:
            if isinstance(step, Activity):
                names.append(step.name)
            elif isinstance(step, All):
                names.extend(t.name for t in step.tasks)
            else:
                names.append("timer")
        return names

    def timers(self) -> list[Timer]:
        return [s for s in self.steps if isinstance(s, Timer)]

    def calls(self) -> list[Activity]:
        """Every activity call, a fan-out's calls included."""
        calls: list[Activity] = []
        for step in self.steps:
            if isinstance(step, Activity):
                calls.append(step)
            elif isinstance(step, All):
                calls.extend(step.tasks)
        return calls

    def payloads(self, name: str) -> list[Any]:
        return [c.payload for c in self.calls() if c.name == name]


def drive(
    orchestrator: Callable[[Any], Generator[Any, Any, Any]],
    input_: Any,
    answer: Answer,
    *,
    max_steps: int = 200,
) -> Run:
    """Run the orchestrator to completion; timers fire at once (the clock jumps to their fireAt)."""
    context = FakeContext(input_)
    generator = orchestrator(context)
    steps: list[Activity | Timer | All] = []
    to_send: Any = None
    to_throw: Exception | None = None
    for _ in range(max_steps):
        try:
            task = generator.throw(to_throw) if to_throw else generator.send(to_send)
        except StopIteration as stop:
            return Run(steps, stop.value, context)
        steps.append(task)
        to_send, to_throw = None, None
        if isinstance(task, Timer):
            context.now = max(context.now, task.fire_at)
        elif isinstance(task, All):
            results = [answer(t) for t in task.tasks]
            failed = [r for r in results if isinstance(r, Raise)]
            if failed:
                to_throw = Exception(failed[0].message)
            else:
                to_send = results
        else:
            result = answer(task)
            if isinstance(result, Raise):
                to_throw = Exception(result.message)
            else:
                to_send = result
    raise AssertionError(f"the orchestrator did not finish in {max_steps} steps: {steps[-5:]}")
