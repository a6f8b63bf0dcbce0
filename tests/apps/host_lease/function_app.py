"""Test app for the local host: a queue function that outlives the message lease (the host must renew it)."""

import json
import os
import time
from pathlib import Path

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="lease-in", connection="AzureWebJobsStorage")
def slow(msg: func.QueueMessage) -> None:
    with open(Path(os.environ["LEASE_RECORD_DIR"]) / "slow.jsonl", "a") as out:
        out.write(json.dumps({"id": msg.id, "dequeue_count": msg.dequeue_count}) + "\n")
    time.sleep(float(msg.get_body().decode()))
