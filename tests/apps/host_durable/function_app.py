"""Test app for the local host with Durable Functions: an HTTP starter, activities, durable timers (also the
app of the timer-lateness benchmark, ``tests.bench.timer_lateness``)."""

import json
import os
import time
from datetime import timedelta
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _record(name: str, value: str) -> None:
    with open(Path(os.environ["RECORD_DIR"]) / f"{name}.log", "a") as out:
        out.write(value + "\n")


@app.route(route="orchestrators/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = req.get_body()
    payload = json.loads(body) if body else None
    instance_id = await client.start_new(req.route_params["name"], req.params.get("id"), payload)
    return client.create_check_status_response(req, instance_id)


@app.activity_trigger(input_name="item")
def step(item: str) -> str:
    _record("step", item)
    time.sleep(0.2)
    return item.upper()


@app.orchestration_trigger(context_name="context")
def with_long_timer(context: df.DurableOrchestrationContext):
    first = yield context.call_activity("step", "before")
    started = context.current_utc_datetime
    yield context.create_timer(started + timedelta(minutes=10))
    second = yield context.call_activity("step", "after")
    return {
        "steps": [first, second],
        "started": started.isoformat(),
        "woke": context.current_utc_datetime.isoformat(),
    }


@app.orchestration_trigger(context_name="context")
def slow_chain(context: df.DurableOrchestrationContext):
    results = []
    for i in range(context.get_input()):
        results.append((yield context.call_activity("step", f"{context.instance_id}-{i}")))
        yield context.create_timer(context.current_utc_datetime + timedelta(minutes=5))
    return results


@app.activity_trigger(input_name="unused")
def stamp(unused: None) -> float:
    """The real (wall-clock) time the activity ran at."""
    return time.time()


@app.orchestration_trigger(context_name="context")
def timer_then_stamp(context: df.DurableOrchestrationContext):
    """A timer of the input's number of durable seconds; then when it fired, in engine and in real time."""
    fire_at = context.current_utc_datetime + timedelta(seconds=context.get_input())
    yield context.create_timer(fire_at)
    woke = context.current_utc_datetime
    stamped_at = yield context.call_activity("stamp")
    return {"fireAt": fire_at.isoformat(), "woke": woke.isoformat(), "stampedAt": stamped_at}
