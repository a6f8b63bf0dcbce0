"""A control-queue poller fetches no more than its worker has room for (the extension's
controlQueueBufferThreshold): with the buffer full it leaves every message on the queue, visible; with room
again it takes them all."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest
from azure.storage.queue.aio import QueueClient

from local.app_loader import LoadedApp
from local.durable import ScaledClock
from local.durable.history import EventType, event
from local.durable.messages import ControlMessage
from local.durable.orchestrations import CONTROL_QUEUE_BUFFER, OrchestrationWorker, poll_control_queue
from local.durable.store import DurableStore
from tests.integration.durable.conftest import eventually

pytestmark = pytest.mark.integration
MESSAGES = 20


async def visible(connection_string: str, queue_name: str) -> int:
    async with QueueClient.from_connection_string(connection_string, queue_name) as queue:
        return len(await queue.peek_messages(max_messages=32))


async def test_a_full_buffer_stops_the_poller_and_room_lets_it_go_on(
    durable_app: LoadedApp, store: DurableStore, azurite_connection_string: str
) -> None:
    queue = store.control_queues[0]
    ids = (f"absent-{n}" for n in itertools.count())
    for instance_id in itertools.islice((i for i in ids if store.partition_of(i) == 0), MESSAGES):
        raised = event(EventType.EVENT_RAISED, datetime.now(UTC), -1, Name="go", Input=None)
        await store.send(queue, ControlMessage(instance_id, None, raised).encode())
    worker = OrchestrationWorker(durable_app, store, ScaledClock(), 4, 4)
    worker.buffered[queue.queue_name] = CONTROL_QUEUE_BUFFER  # as if that many were fetched and waiting
    poller = asyncio.create_task(poll_control_queue(worker, store, queue))
    try:
        await asyncio.sleep(1.0)
        assert await visible(azurite_connection_string, queue.queue_name) == MESSAGES
        assert store.transactions["queue.get"] == 0

        worker.buffered[queue.queue_name] = 0  # room again: the messages (no instance) are taken, dropped

        async def drained() -> bool:
            return await visible(azurite_connection_string, queue.queue_name) == 0

        await eventually(drained, timeout=15.0)
        await eventually(lambda: _settled(worker, queue.queue_name), timeout=15.0)
    finally:
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
        worker.close()


async def _settled(worker: OrchestrationWorker, queue_name: str) -> bool:
    return worker.buffered[queue_name] == 0


async def test_a_poller_outlives_a_storage_error_and_goes_on(
    durable_app: LoadedApp,
    store: DurableStore,
    azurite_connection_string: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = store.control_queues[1]
    async with QueueClient.from_connection_string(azurite_connection_string, queue.queue_name) as sdk:
        await sdk.delete_queue()  # the poller's next request fails: the queue is not there
        worker = OrchestrationWorker(durable_app, store, ScaledClock(), 4, 4)
        poller = asyncio.create_task(poll_control_queue(worker, store, queue))
        try:
            await eventually(lambda: _warned(caplog, queue.queue_name), timeout=10.0)
            assert not poller.done()
            await sdk.create_queue()
            instance_id = next(
                i for i in (f"back-{n}" for n in itertools.count()) if store.partition_of(i) == 1
            )
            raised = event(EventType.EVENT_RAISED, datetime.now(UTC), -1, Name="go", Input=None)
            await store.send(queue, ControlMessage(instance_id, None, raised).encode())

            async def drained() -> bool:
                return await visible(azurite_connection_string, queue.queue_name) == 0

            await eventually(drained, timeout=15.0)  # taken (and dropped: no such instance) once it is back
            assert not poller.done()
        finally:
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
            worker.close()


async def _warned(caplog: pytest.LogCaptureFixture, queue_name: str) -> bool:
    return any(f"polling control queue {queue_name} failed" in r.getMessage() for r in caplog.records)
