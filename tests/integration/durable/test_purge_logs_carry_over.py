"""Bulk purge by query, the durable instance id in the log scope, raised events surviving continue-as-new."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import azure.durable_functions as df
import pytest

from local.app_loader import LoadedApp
from local.durable import DurableEngine
from local.durable.history import EventType, event
from local.durable.messages import ControlMessage
from local.host.logs import InvocationContextFilter
from tests.integration.durable.conftest import eventually, running_engine, unique, wait_done

pytestmark = pytest.mark.integration

Pair = tuple[DurableEngine, df.DurableOrchestrationClient]


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []
        self.addFilter(InvocationContextFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def durable_logs() -> Iterator[Collect]:
    logger = logging.getLogger("local.durable")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_purge_by_created_time_and_status(
    durable_app: LoadedApp, azurite_connection_string: str
) -> None:
    async with running_engine(durable_app, azurite_connection_string, "PurgeHub") as (_, client):
        before = datetime.now(UTC) - timedelta(seconds=1)
        done = [await client.start_new("chain", unique("purge"), ["p"]) for _ in range(3)]
        waiting = await client.start_new("approval", unique("keep"), None)
        for instance_id in done:
            await wait_done(client, instance_id)
        result = await client.purge_instance_history_by(
            created_time_from=before, runtime_status=[df.OrchestrationRuntimeStatus.Completed]
        )
        assert result.instances_deleted == 3
        for instance_id in done:
            assert not await client.get_status(instance_id)
        kept = await client.get_status(waiting)
        assert kept.runtime_status == df.OrchestrationRuntimeStatus.Running
        again = await client.purge_instance_history_by(
            created_time_from=before, runtime_status=[df.OrchestrationRuntimeStatus.Completed]
        )
        assert again.instances_deleted == 0
        await client.terminate(waiting, "test over")


async def test_episode_and_activity_logs_carry_the_instance_id(durable: Pair, durable_logs: Collect) -> None:
    _, client = durable
    instance_id = await client.start_new("chain", unique("logs"), ["L"])
    await wait_done(client, instance_id)
    mine = [r for r in durable_logs.records if getattr(r, "instanceId", None) == instance_id]
    activity = [r for r in mine if r.getMessage().startswith("executing activity hello")]
    episodes = [r for r in mine if r.getMessage().startswith("orchestrator chain episode")]
    assert len(activity) == 1 and activity[0].functionName == "hello"  # type: ignore[attr-defined]
    assert len(episodes) == 2 and {r.functionName for r in episodes} == {"chain"}  # type: ignore[attr-defined]
    invocations = {r.invocationId for r in [*activity, *episodes]}  # type: ignore[attr-defined]
    assert len(invocations) == 3 and None not in invocations


async def test_raised_events_in_the_batch_of_a_continue_as_new_carry_over(durable: Pair) -> None:
    engine, client = durable
    instance_id = await client.start_new("collector", unique("carry"), [])

    async def waiting() -> bool:
        state = await engine.get_state(instance_id)
        return state is not None and state.status == "Running"

    await eventually(waiting)
    # three events queued before the instance runs again: one batch, whose first episode continues as new
    for n in (1, 2, 3):
        raised = event(EventType.EVENT_RAISED, engine.clock.now(), -1, Name="item", Input=json.dumps(n))
        engine.orchestrations.deliver(ControlMessage(instance_id, None, raised))
    status = await wait_done(client, instance_id)
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
    assert status.output == [1, 2, 3]


async def test_raised_events_through_the_client_survive_continue_as_new(durable: Pair) -> None:
    _, client = durable
    instance_id = await client.start_new("collector", unique("carry-client"), [])
    for n in (1, 2, 3):
        await client.raise_event(instance_id, "item", n)
    status = await wait_done(client, instance_id)
    assert status.output == [1, 2, 3]
