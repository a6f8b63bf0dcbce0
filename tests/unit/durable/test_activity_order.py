"""The activity worker serves the oldest instance's work first, then in submission order."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from local.app_loader import LoadedApp
from local.durable.activities import ActivityWorker
from local.durable.clock import ScaledClock
from local.durable.messages import ControlMessage, WorkItem


async def test_oldest_instance_first_then_submission_order() -> None:
    done: list[str] = []
    all_done = asyncio.Event()

    def replied(reply: ControlMessage) -> None:
        done.append(reply.instance_id)
        if len(done) == 4:
            all_done.set()

    app = cast(LoadedApp, SimpleNamespace(functions={}))  # no such activity: each item fails at once
    worker = ActivityWorker(app, ScaledClock(), 1, replied)
    created = {"young": "2026-01-01T00:00:09.000000Z", "old": "2026-01-01T00:00:01.000000Z"}
    for instance, task in (("young", 1), ("old", 1), ("young", 2), ("old", 2)):
        worker.submit(WorkItem(instance, "e", task, "missing", None, created=created[instance]))
    runner: asyncio.Task[Any] = asyncio.create_task(worker.run())
    await asyncio.wait_for(all_done.wait(), timeout=10)
    runner.cancel()
    assert done == ["old", "old", "young", "young"]
