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
