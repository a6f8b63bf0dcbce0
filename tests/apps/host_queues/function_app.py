"""Test app for the local host: queue triggers (metadata, retries, poison), queue output, timers."""

import json
import os
from pathlib import Path

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _record(name: str, entry: dict) -> None:
    with open(Path(os.environ["RECORD_DIR"]) / f"{name}.jsonl", "a") as out:
        out.write(json.dumps(entry, default=str) + "\n")


@app.queue_trigger(arg_name="msg", queue_name="host-in", connection="AzureWebJobsStorage")
def on_message(msg: func.QueueMessage) -> None:
    _record(
        "on_message",
        {
            "id": msg.id,
            "body": msg.get_body().decode(),
            "dequeue_count": msg.dequeue_count,
            "insertion_time": msg.insertion_time,
            "expiration_time": msg.expiration_time,
            "next_visible": msg.time_next_visible,
            "pop_receipt": msg.pop_receipt,
        },
    )


@app.queue_trigger(arg_name="msg", queue_name="%FAIL_QUEUE%", connection="AzureWebJobsStorage")
def always_fails(msg: func.QueueMessage) -> None:
    _record("always_fails", {"body": msg.get_body().decode(), "dequeue_count": msg.dequeue_count})
    raise RuntimeError("always fails")


@app.queue_trigger(arg_name="msg", queue_name="host-forward", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="out", queue_name="host-forwarded", connection="AzureWebJobsStorage")
async def forward(msg: func.QueueMessage, out: func.Out[str]) -> None:
    out.set(msg.get_body().decode().upper())


@app.route(route="enqueue", methods=["POST"])
@app.queue_output(arg_name="out", queue_name="host-from-http", connection="AzureWebJobsStorage")
def enqueue(req: func.HttpRequest, out: func.Out[str]) -> func.HttpResponse:
    out.set(req.get_body().decode())
    return func.HttpResponse("queued", status_code=202)


@app.timer_trigger(schedule="* * * * * *", arg_name="timer")
def every_second(timer: func.TimerRequest) -> None:
    _record("every_second", {"past_due": timer.past_due, "status": getattr(timer, "schedule_status", None)})


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=True, use_monitor=False)
def on_startup(timer: func.TimerRequest) -> None:
    _record("on_startup", {"past_due": timer.past_due})


@app.timer_trigger(schedule="0 0 * * * *", arg_name="timer")
def hourly(timer: func.TimerRequest) -> None:
    _record("hourly", {"past_due": timer.past_due, "status": getattr(timer, "schedule_status", None)})
