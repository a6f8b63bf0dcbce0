"""Test app for the local durable engine: one orchestrator per feature under test."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _record(kind: str, value: str) -> None:
    """Side channel for tests: one line per activity execution in $DURABLE_TEST_DIR/<kind>.log."""
    directory = os.environ.get("DURABLE_TEST_DIR")
    if directory:
        with open(Path(directory) / f"{kind}.log", "a") as fh:
            fh.write(value + "\n")


@app.activity_trigger(input_name="name")
def hello(name: str) -> str:
    _record("hello", name)
    return f"Hello {name}!"


@app.activity_trigger(input_name="payload")
async def double(payload: dict) -> int:
    await asyncio.sleep(0)
    return int(payload["n"]) * 2


@app.activity_trigger(input_name="key")
def flaky(key: str) -> str:
    """Fails the first two times it is called for a key (counted in the side channel)."""
    _record("flaky", key)
    directory = os.environ["DURABLE_TEST_DIR"]
    calls = (Path(directory) / "flaky.log").read_text().splitlines().count(key)
    if calls <= 2:
        raise ValueError(f"flaky attempt {calls}")
    return f"ok after {calls}"


@app.activity_trigger(input_name="item")
def slow_step(item: str) -> str:
    _record("slow_step", item)
    time.sleep(0.3)
    return item.upper()


@app.orchestration_trigger(context_name="context")
def chain(context: df.DurableOrchestrationContext):
    names = context.get_input() or ["Tokyo", "Seattle", "London"]
    results = []
    for name in names:
        results.append((yield context.call_activity("hello", name)))
    return results


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    count = context.get_input()
    tasks = [context.call_activity("double", {"n": i}) for i in range(count)]
    values = yield context.task_all(tasks)
    return sum(values)


@app.orchestration_trigger(context_name="context")
def with_retry(context: df.DurableOrchestrationContext):
    options = df.RetryOptions(first_retry_interval_in_milliseconds=100, max_number_of_attempts=3)
    first = yield context.call_activity_with_retry("flaky", options, context.get_input())
    try:
        yield context.call_activity_with_retry(
            "flaky",
            df.RetryOptions(first_retry_interval_in_milliseconds=50, max_number_of_attempts=2),
            context.get_input() + "-never",
        )
        second = "unexpected success"
    except Exception as exc:
        second = f"gave up: {str(exc).splitlines()[0]}"
    return [first, second]


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    context.set_custom_status("waiting for approval")
    decision = yield context.wait_for_external_event("approve")
    context.set_custom_status({"decided": True})
    return {"decision": decision}


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    child_id = f"{context.instance_id}-child"
    first = yield context.call_sub_orchestrator("chain", ["A", "B"], child_id)
    second = yield context.call_sub_orchestrator("fan_out", 4)
    return {"child": first, "sum": second}


@app.orchestration_trigger(context_name="context")
def counter(context: df.DurableOrchestrationContext):
    n = context.get_input()
    yield context.call_activity("hello", f"round-{n}")
    if n < 5:
        context.continue_as_new(n + 1)
        return None
    return f"done at {n}"


@app.orchestration_trigger(context_name="context")
def failing(context: df.DurableOrchestrationContext):
    yield context.call_activity("hello", "before failure")
    raise RuntimeError("boom in orchestrator")


@app.orchestration_trigger(context_name="context")
def activity_failure(context: df.DurableOrchestrationContext):
    yield context.call_activity("flaky", context.get_input())
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def long_timer(context: df.DurableOrchestrationContext):
    start = context.current_utc_datetime
    yield context.create_timer(start + timedelta(minutes=10))
    return {"started": start.isoformat(), "woke": context.current_utc_datetime.isoformat()}


@app.orchestration_trigger(context_name="context")
def slow_chain(context: df.DurableOrchestrationContext):
    results = []
    for i in range(context.get_input()):
        results.append((yield context.call_activity("slow_step", f"{context.instance_id}-{i}")))
    return results


@app.orchestration_trigger(context_name="context")
def collector(context: df.DurableOrchestrationContext):
    """Takes one "item" event per execution and continues as new until it holds three."""
    items = context.get_input() or []
    items = [*items, (yield context.wait_for_external_event("item"))]
    if len(items) < 3:
        context.continue_as_new(items)
        return None
    return items
