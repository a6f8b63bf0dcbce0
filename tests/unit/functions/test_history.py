"""The history builder itself, over toy orchestrators: ids, retries, fan-out, timers, continue-as-new."""

from __future__ import annotations

import itertools
from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df
import pytest

from functions.tracking import TRANSIENT_RETRY
from tests.unit.functions.history import T0, Call, ContinueAsNew, FanOut, History, Timer, play


def _mixed(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    first = yield context.call_activity_with_retry("first", TRANSIENT_RETRY, {"n": context.get_input()})
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=30))
    both = yield context.task_all(
        [context.call_activity_with_retry(name, TRANSIENT_RETRY, first) for name in ("left", "right")]
    )
    return {"first": first, "both": both, "at": context.current_utc_datetime.isoformat()}


def test_task_ids_follow_the_sdk_sequence_through_retries_timers_and_fan_out() -> None:
    history = History("mixed", 7)
    history.failed("first", "boom", attempts=2)
    history.completed("first", "one")
    history.timer_fired(history.now + timedelta(seconds=30))
    history.all_completed([("left", "L"), ("right", "R")])

    replay = history.replay(_mixed)

    assert replay.done is True
    assert replay.output == {"first": "one", "both": ["L", "R"], "at": history.now.isoformat()}
    first, timer, fan_out = replay.steps
    assert isinstance(first, Call) and (first.name, first.input) == ("first", {"n": 7})
    assert isinstance(timer, Timer) and isinstance(fan_out, FanOut)
    assert [c.name for c in fan_out.calls] == ["left", "right"]


def _catching(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    try:
        yield context.call_activity_with_retry("flaky", TRANSIENT_RETRY, None)
    except Exception as exc:
        return str(exc)
    return "no failure"


def test_a_call_failing_every_allowed_attempt_raises_the_reason_and_details() -> None:
    history = History("catching", None).failed("flaky", "Activity failed: 503", "trace")

    assert history.replay(_catching).output == "Activity failed: 503 \n trace"


def test_a_call_failing_fewer_times_than_allowed_is_still_pending() -> None:
    history = History("catching", None).failed("flaky", "Activity failed: 503", attempts=7)

    assert history.replay(_catching).done is False


_counter = itertools.count()


def _non_deterministic(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    yield context.call_activity_with_retry("a", TRANSIENT_RETRY, next(_counter))
    yield context.call_activity_with_retry("b", TRANSIENT_RETRY, None)
    return None


def test_play_refuses_an_orchestrator_whose_replay_differs() -> None:
    with pytest.raises(AssertionError, match="did not reproduce"):
        play(_non_deterministic, History("nd", None), lambda call: None)


def _generations(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    n = context.get_input()
    yield context.call_activity_with_retry("work", TRANSIENT_RETRY, n)
    if n < 2:
        context.continue_as_new(n + 1)
        return None
    return n


def test_continue_as_new_starts_a_fresh_history_with_the_action_input_verbatim() -> None:
    played = play(_generations, History("gen", 0), lambda call: None)
    step = played.last.continued_as_new
    assert isinstance(step, ContinueAsNew) and step.input == 1

    following = played.history.continue_as_new(step)
    assert following.input_json == step.input_json
    assert following.now > T0 and len(following.events) == 2

    again = play(_generations, following, lambda call: None)
    last = play(_generations, again.history.continue_as_new(again.last.continued_as_new), lambda call: None)
    assert last.output == 2
