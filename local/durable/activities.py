"""Activity invocation the way the Functions worker does it, and the work-item queue worker that drives it."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import traceback
import uuid
from dataclasses import dataclass
from typing import Any

from azure.functions._durable_functions import df_dumps, df_loads
from azure.storage.queue import QueueMessage

from local.app_loader import FunctionSpec, LoadedApp
from local.durable.clock import Clock
from local.durable.history import EventType, event
from local.durable.messages import ControlMessage, WorkItem, decode
from local.durable.store import DurableStore

log = logging.getLogger("local.durable")

VISIBILITY_SECONDS = 10
RECEIVE_BATCH = 32


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
    """Pulls work items, runs up to ``max_concurrent`` activities, reports TaskCompleted/TaskFailed."""

    def __init__(self, app: LoadedApp, store: DurableStore, clock: Clock, max_concurrent: int) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        self.max_concurrent = max_concurrent
        self.executed = 0

    async def run(self) -> None:
        inflight: set[asyncio.Task[None]] = set()
        idle = 0.01
        try:
            while True:
                capacity = self.max_concurrent - len(inflight)
                if capacity <= 0:
                    _, inflight = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                messages = await self.store.receive(
                    self.store.work_queue, min(RECEIVE_BATCH, capacity), VISIBILITY_SECONDS
                )
                if not messages:
                    await asyncio.sleep(idle)
                    idle = min(0.25, idle * 2)
                    continue
                idle = 0.01
                for message in messages:
                    task = asyncio.create_task(self._handle(message))
                    inflight.add(task)
                    task.add_done_callback(inflight.discard)
        finally:
            for task in inflight:
                task.cancel()

    async def _renew(self, message: QueueMessage, receipt: list[str]) -> None:
        while True:
            await asyncio.sleep(VISIBILITY_SECONDS / 2)
            updated = await self.store.work_queue.update_message(
                message, pop_receipt=receipt[0], visibility_timeout=VISIBILITY_SECONDS
            )
            receipt[0] = str(updated.pop_receipt)

    async def _handle(self, message: QueueMessage) -> None:
        try:
            item = decode(message.content)
        except (ValueError, KeyError, TypeError):
            log.warning("dropping malformed work item %s", message.id)
            await self.store.delete_message(self.store.work_queue, message)
            return
        if not isinstance(item, WorkItem):
            await self.store.delete_message(self.store.work_queue, message)
            return
        receipt = [str(message.pop_receipt)]
        renew = asyncio.create_task(self._renew(message, receipt))
        try:
            reply = await self._execute(item)
            await self.store.send(self.store.control_queue_for(item.instance_id), reply.encode())
        finally:
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await renew
        with contextlib.suppress(Exception):
            await self.store.work_queue.delete_message(message.id, receipt[0])

    async def _execute(self, item: WorkItem) -> ControlMessage:
        invocation_id = str(uuid.uuid4())
        extra = {"function": item.name, "invocation_id": invocation_id, "instance_id": item.instance_id}
        spec = self.app.functions.get(item.name)
        now = self.clock.now()
        if spec is None or spec.trigger_type != "activityTrigger":
            log.error("activity %s not found", item.name, extra=extra)
            result = ActivityResult(False, reason=f"The function '{item.name}' doesn't exist.", details=None)
        else:
            log.info("executing activity %s (task %d)", item.name, item.task_scheduled_id, extra=extra)
            result = await invoke_activity(spec, item.input)
            self.executed += 1
            if result.succeeded:
                log.info("activity %s succeeded", item.name, extra=extra)
            else:
                log.warning("activity %s failed: %s", item.name, result.reason, extra=extra)
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
