"""End-to-end: the SDK's DurableOrchestrationClient against the engine's HTTP API, on a real Azurite."""

from __future__ import annotations

from pathlib import Path

import azure.durable_functions as df
import pytest

from local.durable import DurableEngine
from tests.integration.durable.conftest import unique, wait_done

pytestmark = pytest.mark.integration

Pair = tuple[DurableEngine, df.DurableOrchestrationClient]


async def test_activity_chain(durable: Pair) -> None:
    _, client = durable
    instance_id = await client.start_new("chain", None, ["Tokyo", "Seattle"])
    status = await wait_done(client, instance_id)
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed
    assert status.output == ["Hello Tokyo!", "Hello Seattle!"]
    assert status.input_ == ["Tokyo", "Seattle"]


async def test_fan_out_fan_in(durable: Pair) -> None:
    _, client = durable
    instance_id = await client.start_new("fan_out", None, 20)
    status = await wait_done(client, instance_id)
    assert status.output == sum(i * 2 for i in range(20))


async def test_retry_is_host_driven_and_gives_up(durable: Pair, side_channel: Path) -> None:
    _, client = durable
    key = unique("retry")
    instance_id = await client.start_new("with_retry", None, key)
    status = await wait_done(client, instance_id)
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
    first, second = status.output
    assert first == "ok after 3"
    assert second.startswith("gave up: Activity function 'flaky' failed: flaky attempt 2")
    calls = (side_channel / "flaky.log").read_text().splitlines()
    assert calls.count(key) == 3
    assert calls.count(f"{key}-never") == 2
    history = (await client.get_status(instance_id, show_history=True)).historyEvents
    kinds = [e["EventType"] for e in history]
    assert kinds.count("TaskFailed") == 4
    assert kinds.count("TimerCreated") == 4  # one per failure, including the extra one after the last attempt


async def test_external_event_and_custom_status(durable: Pair) -> None:
    _, client = durable
    instance_id = await client.start_new("approval", None, None)

    async def waiting() -> bool:
        status = await client.get_status(instance_id)
        return bool(status) and status.custom_status == "waiting for approval"

    from tests.integration.durable.conftest import eventually

    await eventually(waiting)
    await client.raise_event(instance_id, "approve", {"by": "alice"})
    status = await wait_done(client, instance_id)
    assert status.output == {"decision": {"by": "alice"}}
    assert status.custom_status == {"decided": True}
    with pytest.raises(Exception, match="is gone: either completed or failed"):
        await client.raise_event(instance_id, "approve", "late")


async def test_raise_event_unknown_instance_is_404(durable: Pair) -> None:
    _, client = durable
    with pytest.raises(Exception, match="No instance with ID"):
        await client.raise_event(unique("nobody"), "approve", 1)


async def test_sub_orchestrations(durable: Pair) -> None:
    _, client = durable
    instance_id = unique("parent")
    await client.start_new("parent", instance_id, None)
    status = await wait_done(client, instance_id)
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
    assert status.output == {"child": ["Hello A!", "Hello B!"], "sum": 12}
    child = await client.get_status(f"{instance_id}-child")
    assert child.runtime_status == df.OrchestrationRuntimeStatus.Completed
    assert child.output == ["Hello A!", "Hello B!"]


async def test_continue_as_new_keeps_history_bounded(durable: Pair) -> None:
    engine, client = durable
    instance_id = await client.start_new("counter", None, 0)
    status = await wait_done(client, instance_id)
    assert status.output == "done at 5"
    state = await engine.get_state(instance_id)
    assert state is not None
    started = [e for e in state.history if e["EventType"] == 0]
    assert len(started) == 1 and started[0]["Input"] == "5"
    assert len(state.history) < 12


async def test_orchestrator_failure_surfaces_in_status(durable: Pair) -> None:
    _, client = durable
    instance_id = await client.start_new("failing", None, None)
    status = await wait_done(client, instance_id)
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Failed
    assert "boom in orchestrator" in status.output
    assert "$OutOfProcData$" not in status.output


async def test_unhandled_activity_failure_fails_orchestration(durable: Pair) -> None:
    _, client = durable
    instance_id = await client.start_new("activity_failure", None, unique("fail"))
    status = await wait_done(client, instance_id)
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Failed
    assert "Activity function 'flaky' failed: flaky attempt 1" in status.output


async def test_start_existing_running_id_is_refused(durable: Pair) -> None:
    engine, client = durable
    instance_id = unique("dup")
    await client.start_new("approval", instance_id, None)
    with pytest.raises(Exception, match="already exists"):
        await client.start_new("approval", instance_id, None)
    await client.terminate(instance_id, "test over")
    status = await wait_done(client, instance_id)
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Terminated
    assert status.output == "test over"
    state = await engine.get_state(instance_id)
    assert state is not None and sum(1 for e in state.history if e["EventType"] == 0) == 1
    # a finished instance may be replaced
    await client.start_new("chain", instance_id, ["again"])
    status = await wait_done(client, instance_id)
    assert status.output == ["Hello again!"]


async def test_unknown_orchestrator_is_400(durable: Pair) -> None:
    _, client = durable
    with pytest.raises(Exception, match="doesn't exist"):
        await client.start_new("no_such_orchestrator", None, None)


async def test_query_and_purge(durable: Pair) -> None:
    _, client = durable
    prefix = unique("q")
    ids = [await client.start_new("chain", f"{prefix}-{i}", ["x"]) for i in range(3)]
    for instance_id in ids:
        await wait_done(client, instance_id)
    found = await client.get_status_by(runtime_status=[df.OrchestrationRuntimeStatus.Completed])
    assert set(ids) <= {s.instance_id for s in found}
    running = await client.get_status_by(runtime_status=[df.OrchestrationRuntimeStatus.Running])
    assert not set(ids) & {s.instance_id for s in running}
    result = await client.purge_instance_history(ids[0])
    assert result.instances_deleted == 1
    assert not await client.get_status(ids[0])
    again = await client.purge_instance_history(ids[0])
    assert again.instances_deleted == 0


async def test_status_history_and_management_payload(durable: Pair) -> None:
    engine, client = durable
    instance_id = await client.start_new("chain", None, ["H"])
    await wait_done(client, instance_id)
    status = await client.get_status(
        instance_id, show_history=True, show_history_output=True, show_input=True
    )
    kinds = [e["EventType"] for e in status.historyEvents]
    assert kinds[0] == "ExecutionStarted" and "TaskScheduled" in kinds and kinds[-1] == "ExecutionCompleted"
    links = client.get_client_response_links(None, instance_id)
    assert links["statusQueryGetUri"].startswith(
        f"{engine.base_url}/runtime/webhooks/durabletask/instances/{instance_id}"
    )
