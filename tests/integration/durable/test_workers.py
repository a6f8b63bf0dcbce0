"""Two durable engines sharing one task hub, as the instances of a scaled-out app share it: worker (0, 2) and
worker (1, 2) in one event loop, each with its own SDK client, on a real Azurite."""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import azure.durable_functions as df
import pytest
from azure.storage.queue.aio import QueueClient

from local.app_loader import LoadedApp
from local.durable import DurableEngine, DurableError
from local.durable.episode import EpisodeOutcome
from local.durable.history import HistoryEvent
from local.durable.messages import Outgoing
from local.durable.state import InstanceState
from tests.integration.durable.conftest import BASE_URL, eventually, running_engine, unique, wait_done

pytestmark = pytest.mark.integration

Pair = tuple[DurableEngine, df.DurableOrchestrationClient]
TIMEOUT = 60.0  # two cores, a benchmark beside us


@asynccontextmanager
async def two_workers(app: LoadedApp, connection_string: str, hub: str) -> AsyncIterator[tuple[Pair, Pair]]:
    async with (
        running_engine(app, connection_string, hub, worker=(0, 2)) as first,
        running_engine(app, connection_string, hub, worker=(1, 2)) as second,
    ):
        yield first, second


def record_episodes(engine: DurableEngine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The instance id of every episode ``engine`` runs from now on, in order."""
    ran: list[str] = []
    original = engine.orchestrations._episode

    async def recording(state: InstanceState, new_events: list[HistoryEvent]) -> EpisodeOutcome:
        ran.append(state.instance_id)
        return await original(state, new_events)

    monkeypatch.setattr(engine.orchestrations, "_episode", recording)
    return ran


def owned_id(engine: DurableEngine, prefix: str) -> str:
    """A fresh instance id whose control partition ``engine`` owns."""
    return next(i for i in (unique(prefix) for _ in itertools.count()) if engine.orchestrations.owns(i))


async def control_queue_length(connection_string: str, engine: DurableEngine, instance_id: str) -> int:
    """Messages on the instance's control queue, hidden ones included (read with the SDK's own client)."""
    name = engine.store.control_queue_for(instance_id).queue_name
    async with QueueClient.from_connection_string(connection_string, name) as queue:
        properties = await queue.get_queue_properties()
    return int(properties.approximate_message_count or 0)


async def wait_for_approval(client: df.DurableOrchestrationClient, instance_id: str) -> None:
    async def waiting() -> bool:
        status = await client.get_status(instance_id)
        return bool(status) and status.custom_status == "waiting for approval"

    await eventually(waiting, timeout=TIMEOUT)


async def test_chains_started_on_one_worker_run_on_their_owners(
    durable_app: LoadedApp, azurite_connection_string: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_workers(durable_app, azurite_connection_string, unique("Workers")) as (
        (w0, c0),
        (w1, _),
    ):
        ran0, ran1 = record_episodes(w0, monkeypatch), record_episodes(w1, monkeypatch)
        before0, before1 = w0.orchestrations.episodes, w1.orchestrations.episodes
        prefix = unique("chain")
        candidates = [f"{prefix}-{i}" for i in range(200)]
        for candidate in candidates:  # every partition has exactly one owner
            assert w0.orchestrations.owns(candidate) != w1.orchestrations.owns(candidate)
        ids0 = [i for i in candidates if w0.orchestrations.owns(i)][:10]
        ids1 = [i for i in candidates if w1.orchestrations.owns(i)][:10]
        assert len(ids0) == len(ids1) == 10
        assert {w0.store.partition_of(i) % 2 for i in ids0} == {0}
        assert {w1.store.partition_of(i) % 2 for i in ids1} == {1}
        ids = [i for pair in zip(ids0, ids1, strict=True) for i in pair]
        for n, instance_id in enumerate(ids):
            assert await c0.start_new("chain", instance_id, [f"n{n}", "x"]) == instance_id
        for n, instance_id in enumerate(ids):
            status = await wait_done(c0, instance_id, timeout=TIMEOUT)
            assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
            assert status.output == [f"Hello n{n}!", "Hello x!"]
        # a two-step chain is three episodes: the start and one per activity result
        assert w0.orchestrations.episodes - before0 == 30
        assert w1.orchestrations.episodes - before1 == 30
        assert sorted(ran0) == sorted(ids0 * 3)
        assert sorted(ran1) == sorted(ids1 * 3)


@pytest.mark.parametrize("owner", [0, 1])
async def test_parent_started_through_the_worker_that_does_not_own_it(
    durable_app: LoadedApp, azurite_connection_string: str, monkeypatch: pytest.MonkeyPatch, owner: int
) -> None:
    async with two_workers(durable_app, azurite_connection_string, unique("Workers")) as pairs:
        (runner, _), (other, other_client) = pairs[owner], pairs[1 - owner]
        ran_runner, ran_other = record_episodes(runner, monkeypatch), record_episodes(other, monkeypatch)
        # the parent on its owner, its chain child on the other worker: every hand-off crosses over
        instance_id = next(
            i
            for i in (unique("parent") for _ in itertools.count())
            if runner.orchestrations.owns(i) and other.orchestrations.owns(f"{i}-child")
        )
        await other_client.start_new("parent", instance_id, None)
        status = await wait_done(other_client, instance_id, timeout=TIMEOUT)
        assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
        assert status.output == {"child": ["Hello A!", "Hello B!"], "sum": 12}
        child = await other_client.get_status(f"{instance_id}-child")
        assert child.runtime_status == df.OrchestrationRuntimeStatus.Completed
        assert child.output == ["Hello A!", "Hello B!"]
        assert instance_id in ran_runner and instance_id not in ran_other
        assert f"{instance_id}-child" in ran_other and f"{instance_id}-child" not in ran_runner
        for ran, engine in ((ran_runner, runner), (ran_other, other)):
            assert all(engine.orchestrations.owns(i) for i in ran), ran


async def test_raise_event_and_terminate_through_the_other_worker(
    durable_app: LoadedApp, azurite_connection_string: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_workers(durable_app, azurite_connection_string, unique("Workers")) as (
        (w0, c0),
        (w1, _),
    ):
        ran0, ran1 = record_episodes(w0, monkeypatch), record_episodes(w1, monkeypatch)
        approved, stopped = owned_id(w1, "approve"), owned_id(w1, "stop")
        assert not w0.orchestrations.owns(approved) and not w0.orchestrations.owns(stopped)
        for instance_id in (approved, stopped):
            await c0.start_new("approval", instance_id, None)
        for instance_id in (approved, stopped):
            await wait_for_approval(c0, instance_id)

        await c0.raise_event(approved, "approve", {"by": "alice"})
        status = await wait_done(c0, approved, timeout=TIMEOUT)
        assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
        assert status.output == {"decision": {"by": "alice"}}
        assert status.custom_status == {"decided": True}

        await c0.terminate(stopped, "no longer needed")
        status = await wait_done(c0, stopped, timeout=TIMEOUT)
        assert status.runtime_status == df.OrchestrationRuntimeStatus.Terminated
        assert status.output == "no longer needed"

        assert ran0 == []
        assert set(ran1) == {approved, stopped}
        # the forwarded start, event and termination were taken off worker 1's control queues
        for instance_id in (approved, stopped):
            await eventually(
                functools.partial(_queue_empty, azurite_connection_string, w1, instance_id), timeout=TIMEOUT
            )


async def _queue_empty(connection_string: str, engine: DurableEngine, instance_id: str) -> bool:
    return await control_queue_length(connection_string, engine, instance_id) == 0


@pytest.mark.parametrize("recovery", [True, False], ids=["with-recovery", "queue-only"])
async def test_start_for_an_absent_worker_waits_on_its_control_queue(
    durable_app: LoadedApp,
    azurite_connection_string: str,
    monkeypatch: pytest.MonkeyPatch,
    recovery: bool,
) -> None:
    hub = unique("Workers")
    async with running_engine(durable_app, azurite_connection_string, hub, worker=(0, 2)) as (w0, c0):
        instance_id = next(
            i for i in (unique("late") for _ in itertools.count()) if w0.store.partition_of(i) % 2 == 1
        )
        assert not w0.orchestrations.owns(instance_id)
        await c0.start_new("chain", instance_id, ["late"])

        async def forwarded() -> bool:
            return await control_queue_length(azurite_connection_string, w0, instance_id) == 1

        await eventually(forwarded, timeout=TIMEOUT)
        status = await c0.get_status(instance_id)
        assert status.runtime_status == df.OrchestrationRuntimeStatus.Pending
        assert w0.orchestrations.episodes == 0

        if not recovery:  # only the forwarded start on the control queue can start it now

            def nothing_pending(state: InstanceState, now: datetime) -> list[Outgoing]:
                return []

            monkeypatch.setattr("local.durable.engine.pending_work", nothing_pending)
        async with running_engine(durable_app, azurite_connection_string, hub, worker=(1, 2)) as (w1, _):
            assert w1.orchestrations.owns(instance_id)
            status = await wait_done(c0, instance_id, timeout=TIMEOUT)
            assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
            assert status.output == ["Hello late!"]
            assert w1.orchestrations.episodes == 2
            assert w0.orchestrations.episodes == 0

            async def consumed() -> bool:
                return await control_queue_length(azurite_connection_string, w1, instance_id) == 0

            await eventually(consumed, timeout=TIMEOUT)


@pytest.mark.parametrize("worker", [(2, 2), (0, 5), (-1, 2), (1, 1), (0, 0)])
async def test_worker_outside_the_hub_partitions_is_refused(
    durable_app: LoadedApp, azurite_connection_string: str, worker: tuple[int, int]
) -> None:
    with pytest.raises(DurableError, match=rf"worker {worker[0]} of {worker[1]}: .*4 control partitions"):
        DurableEngine(
            durable_app,
            storage_connection_string=azurite_connection_string,
            hub_name=unique("Workers"),
            base_url=BASE_URL,
            worker=worker,
        )


@pytest.mark.parametrize(
    ("worker", "owned"),
    [((0, 1), {0, 1, 2, 3}), ((0, 2), {0, 2}), ((1, 2), {1, 3}), ((3, 4), {3}), ((1, 3), {1})],
)
async def test_worker_owns_the_partitions_p_mod_n_equal_k(
    durable_app: LoadedApp, azurite_connection_string: str, worker: tuple[int, int], owned: set[int]
) -> None:
    engine = DurableEngine(
        durable_app,
        storage_connection_string=azurite_connection_string,
        hub_name=unique("Workers"),
        base_url=BASE_URL,
        worker=worker,
    )
    try:
        assert engine.worker == worker
        assert engine.orchestrations.owned == owned
        ids = [f"id-{i}" for i in range(64)]
        assert {engine.store.partition_of(i) for i in ids if engine.orchestrations.owns(i)} == owned
    finally:
        engine.orchestrations.close()
        await engine.store.close()
