"""DurableEngine: storage, background workers, and the client operations behind the HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from starlette.routing import BaseRoute

from local.app_loader import LoadedApp
from local.durable import sdk_speedups
from local.durable.actions import new_instance, start_message
from local.durable.binding import client_binding_json
from local.durable.clock import Clock, ScaledClock
from local.durable.errors import (
    ConcurrencyConflict,
    DurableError,
    InstanceExists,
    InstanceFinished,
    InstanceNotFound,
    OrchestrationNotFound,
)
from local.durable.history import EventType, event, parse_time
from local.durable.messages import ControlMessage
from local.durable.orchestrations import VISIBILITY_SECONDS, OrchestrationWorker, poll_control_queue
from local.durable.recovery import pending_work
from local.durable.rpc import LocalRpcListener
from local.durable.state import ACTIVE, InstanceState
from local.durable.store import DurableStore, InstanceSummary

log = logging.getLogger("local.durable")

CLIENT_MESSAGE_HIDDEN_SECONDS = VISIBILITY_SECONDS


@dataclass
class InstanceQuery:
    created_from: datetime | None = None
    created_to: datetime | None = None
    statuses: set[str] | None = None
    prefix: str | None = None


def _report_stopped(task: asyncio.Task[None]) -> None:
    """A background worker that ends other than by cancellation is an outage: say so in the log."""
    if not task.cancelled() and task.exception() is not None:
        log.error("durable worker %s stopped: %r", task.get_name(), task.exception())


class DurableEngine:
    """The local Durable Functions backend for one app and one task hub."""

    def __init__(
        self,
        app: LoadedApp,
        *,
        storage_connection_string: str,
        hub_name: str,
        base_url: str,
        clock: Clock | None = None,
        system_key: str | None = None,
        max_concurrent_activities: int = 16,
        max_concurrent_orchestrations: int = 16,
        worker: tuple[int, int] = (0, 1),
    ) -> None:
        """``worker`` (k, n): this process is worker k of n sharing the task hub, as the instances of a
        scaled-out app share it; it runs the instances of the control partitions p with p % n == k."""
        sdk_speedups.install()
        self.app = app
        self.hub_name = hub_name
        self.base_url = base_url.rstrip("/")
        self.system_key = system_key  # what the public routes require; it goes into every management URL
        self.clock: Clock = clock or ScaledClock()
        self.store = DurableStore(storage_connection_string, hub_name)
        index, count = worker
        if not 0 <= index < count <= self.store.partitions:
            raise DurableError(
                f"worker {index} of {count}: a task hub of {self.store.partitions} control partitions is "
                f"shared by 1 to {self.store.partitions} workers, numbered from 0"
            )
        self.worker = worker
        owned = frozenset(p for p in range(self.store.partitions) if p % count == index)
        self.orchestrations = OrchestrationWorker(
            app, self.store, self.clock, max_concurrent_orchestrations, max_concurrent_activities, owned
        )
        self.activities = self.orchestrations.activities
        self.rpc = LocalRpcListener(self.routes(public_origin=self.base_url))
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Create queues/containers, go on with the hub's clock timeline, resume every unfinished instance
        from its blob, start the workers and the local RPC endpoint the SDK's client calls."""
        await self.store.create()
        previous = await self.store.load_clock()
        if previous is not None:
            self.clock.resume(previous)
        await self.store.save_clock(self.clock.anchor())
        self._tasks = [asyncio.create_task(self.activities.run(), name="durable-activities")]
        resumed = await self._recover()
        self._tasks += [
            asyncio.create_task(
                poll_control_queue(self.orchestrations, self.store, queue), name=f"durable-control-{i}"
            )
            for i, queue in enumerate(self.store.control_queues)
            if i in self.orchestrations.owned
        ]
        for task in self._tasks:
            task.add_done_callback(_report_stopped)
        await self.rpc.start()
        log.info(
            "durable engine started for hub %s (worker %d of %d, control partitions %s of %d, %d instances "
            "resumed, RPC at %s)",
            self.hub_name,
            self.worker[0],
            self.worker[1],
            sorted(self.orchestrations.owned),
            self.store.partitions,
            resumed,
            self.rpc.base_url,
        )

    async def _recover(self) -> int:
        """Re-dispatch what every unfinished instance's saved history says is still outstanding."""
        ids = [
            s.instance_id
            async for s in self.store.list_summaries()
            if s.status in ACTIVE and self.orchestrations.owns(s.instance_id)
        ]
        limit = asyncio.Semaphore(16)

        async def resume(instance_id: str) -> None:
            async with limit:
                loaded = await self.store.load(instance_id)
            if loaded is None or loaded[0].is_terminal:
                return
            self.orchestrations.remember_state(*loaded)
            self.orchestrations.dispatch(pending_work(loaded[0], self.clock.now()))

        await asyncio.gather(*(resume(i) for i in ids))
        return len(ids)

    async def stop(self) -> None:
        await self.rpc.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        self.orchestrations.close()
        await self.store.close()

    def client_binding_json(self, origin: str | None = None) -> str:
        return client_binding_json(origin or self.base_url, self.hub_name, self.rpc.base_url, self.system_key)

    def routes(self, public_origin: str | None = None) -> list[BaseRoute]:
        """The HTTP API; the links it answers with point at ``public_origin`` (default: the request's)."""
        from local.durable.http_api import build_routes

        return build_routes(self, public_origin)

    # ---- client operations (the HTTP API calls these) ----
    async def start_new(self, name: str, instance_id: str | None, input_text: str | None) -> str:
        spec = self.app.functions.get(name)
        if spec is None or spec.trigger_type != "orchestrationTrigger":
            raise OrchestrationNotFound(
                f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator"
            )
        instance_id = instance_id or uuid.uuid4().hex
        state = new_instance(instance_id, name, input_text, uuid.uuid4().hex, self.clock.now())
        try:  # create-only first: a new id costs one request, no read
            etag = await self.store.save(state, None)
        except ConcurrencyConflict:
            existing = await self.store.load(instance_id)
            if existing is not None and existing[0].status in ACTIVE:
                raise InstanceExists(
                    f"An Orchestration instance with the status {existing[0].status} already exists."
                ) from None
            try:
                etag = await self.store.save(state, existing[1] if existing else None)
            except ConcurrencyConflict:
                raise InstanceExists(f"An Orchestration instance {instance_id} was just created.") from None
        # the Pending blob is the durable record of the start: recovery starts it if we crash before that
        self.orchestrations.forget(instance_id)
        self.orchestrations.remember_state(state, etag)
        self.orchestrations.deliver(start_message(state, self.clock.now()))
        return instance_id

    async def get_state(self, instance_id: str) -> InstanceState | None:
        loaded = await self.store.load(instance_id)
        return loaded[0] if loaded else None

    async def raise_event(self, instance_id: str, event_name: str, data_text: str | None) -> None:
        state = await self._require(instance_id)
        if state.is_terminal:
            raise InstanceFinished(f"instance {instance_id} is {state.status}")
        raised = event(EventType.EVENT_RAISED, self.clock.now(), -1, Name=event_name, Input=data_text)
        await self._send(ControlMessage(instance_id, None, raised))

    async def terminate(self, instance_id: str, reason: str | None) -> None:
        state = await self._require(instance_id)
        if state.is_terminal:
            raise InstanceFinished(f"instance {instance_id} is {state.status}")
        terminated = event(EventType.EXECUTION_TERMINATED, self.clock.now(), -1, Input=reason)
        await self._send(ControlMessage(instance_id, None, terminated))

    async def purge(self, instance_id: str) -> int:
        self.orchestrations.forget(instance_id)
        return 1 if await self.store.delete(instance_id) else 0

    async def purge_by(self, query: InstanceQuery) -> int:
        """Delete every instance the query matches (the extension purges finished ones only by default)."""
        ids = [s.instance_id async for s in self._matching(query)]
        deleted = await asyncio.gather(*(self.purge(i) for i in ids))
        return sum(deleted)

    async def query(self, query: InstanceQuery) -> list[InstanceState]:
        ids = [s.instance_id async for s in self._matching(query)]
        states = await asyncio.gather(*(self.get_state(i) for i in ids))
        return [s for s in states if s is not None]

    async def _matching(self, query: InstanceQuery) -> AsyncIterator[InstanceSummary]:
        async for summary in self.store.list_summaries(query.prefix):
            if query.statuses and summary.status not in query.statuses:
                continue
            if summary.created_time and (query.created_from or query.created_to):
                created = parse_time(summary.created_time)
                if query.created_from and created < query.created_from:
                    continue
                if query.created_to and created > query.created_to:
                    continue
            yield summary

    async def _require(self, instance_id: str) -> InstanceState:
        state = await self.get_state(instance_id)
        if state is None:
            raise InstanceNotFound(f"No instance with ID '{instance_id}' found.")
        return state

    async def _send(self, message: ControlMessage) -> None:
        """Enqueue durably (hidden), then deliver in memory; the queue copy is deleted once it is applied.
        An instance another worker runs gets it on its control queue, visible at once.

        After a crash the hidden copy reappears and the control-queue poller delivers it.
        """
        queue = self.store.control_queue_for(message.instance_id)
        if not self.orchestrations.owns(message.instance_id):  # its worker's poller takes it from there
            await self.store.send(queue, message.encode())
            return
        sent = await self.store.send(queue, message.encode(), CLIENT_MESSAGE_HIDDEN_SECONDS)
        self.orchestrations.deliver(message, (queue, sent))

    async def _simulate_crash(self) -> None:
        """Tests only: cancel the workers mid-flight, no draining, no cleanup of in-flight messages."""
        await self.rpc.stop()  # the process would be gone, its port with it
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self.orchestrations.close()
        await self.store.close()
