"""Activity invocation the way the Functions worker does it, and the in-memory worker pool that drives it."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import logging
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.functions._durable_functions import df_dumps, df_loads

from local.app_loader import FunctionSpec, LoadedApp
from local.durable.clock import Clock
from local.durable.history import EventType, event
from local.durable.messages import ControlMessage, WorkItem
from local.host.logs import invocation_scope

log = logging.getLogger("local.durable")


@dataclass
class ActivityResult:
    succeeded: bool
    result: str | None = None
    reason: str | None = None
    details: str | None = None


def decode_input(text: str | None) -> Any:
    """The activityTrigger converter: df_loads the JSON text, falling back to the raw string."""
    if text is None:
        return None
    try:
        return df_loads(text)
    except json.JSONDecodeError:
        return text


async def invoke_activity(spec: FunctionSpec, input_text: str | None) -> ActivityResult:
    """Call the user function with its activityTrigger binding name as the keyword (sync code in a thread)."""
    kwargs = {str(spec.trigger["name"]): decode_input(input_text)}
    try:
        fn = spec.user_function
        if inspect.iscoroutinefunction(fn):
            value = await fn(**kwargs)
        else:
            value = await asyncio.to_thread(fn, **kwargs)
            if inspect.isawaitable(value):
                value = await value
        return ActivityResult(True, result=df_dumps(value))
    except Exception as exc:
        return ActivityResult(
            False,
            reason=f"Activity function '{spec.name}' failed: {exc}",
            details="".join(traceback.format_exception(exc)),
        )


class ActivityWorker:
    """Runs activities from an in-memory queue on ``max_concurrent`` workers; replies via ``on_result``.

    The queue serves the oldest instance's work first (by creation time, then submission order): under a
    burst every instance would otherwise advance one step before any finishes, and the first outcomes would
    wait for the whole burst's first steps.

    The work item's durable record is its TaskScheduled event in the (already saved) instance blob: after a
    crash, recovery re-submits every scheduled task that has no completion (activities are at-least-once).
    """

    def __init__(
        self, app: LoadedApp, clock: Clock, max_concurrent: int, on_result: Callable[[ControlMessage], None]
    ) -> None:
        self.app = app
        self.clock = clock
        self.max_concurrent = max(1, max_concurrent)
        self.on_result = on_result
        self.executed = 0
        self.executed_by_name: Counter[str] = Counter()  # for the host's stats (GET /admin/host/stats)
        self._queue: asyncio.PriorityQueue[tuple[str, int, WorkItem]] = asyncio.PriorityQueue()
        self._submitted = itertools.count()

    def submit(self, item: WorkItem) -> None:
        self._queue.put_nowait((item.created, next(self._submitted), item))

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    async def run(self) -> None:
        workers = [asyncio.create_task(self._work()) for _ in range(self.max_concurrent)]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()

    async def _work(self) -> None:
        while True:
            _, _, item = await self._queue.get()
            try:
                reply = await self._execute(item)
            except Exception:  # a bug here must not kill the worker; recovery re-runs the task on restart
                log.exception("activity %s of %s could not be run", item.name, item.instance_id)
                continue
            self.on_result(reply)

    async def _execute(self, item: WorkItem) -> ControlMessage:
        invocation_id = str(uuid.uuid4())
        with invocation_scope(item.name, invocation_id, item.instance_id):
            spec = self.app.functions.get(item.name)
            now = self.clock.now()
            if spec is None or spec.trigger_type != "activityTrigger":
                log.error("activity %s not found", item.name)
                result = ActivityResult(
                    False, reason=f"The function '{item.name}' doesn't exist.", details=None
                )
            else:
                log.info("executing activity %s (task %d)", item.name, item.task_scheduled_id)
                result = await invoke_activity(spec, item.input)
                self.executed += 1
                self.executed_by_name[item.name] += 1
                if not result.succeeded:
                    log.warning("activity %s failed: %s", item.name, result.reason)
        if result.succeeded:
            ev = event(
                EventType.TASK_COMPLETED,
                now,
                -1,
                TaskScheduledId=item.task_scheduled_id,
                Result=result.result,
            )
        else:
            ev = event(
                EventType.TASK_FAILED,
                now,
                -1,
                TaskScheduledId=item.task_scheduled_id,
                Reason=result.reason,
                Details=result.details,
            )
        return ControlMessage(item.instance_id, item.execution_id, ev, scheduled_name=item.name)
