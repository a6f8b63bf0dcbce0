"""The task hub in a storage account of its own (``durableTask.storageProvider.connectionName``, here set by
the ``AzureFunctionsJobHost__`` app-setting override): the orchestration's instance lives there, and the
app's own storage holds no task hub."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from local import azurite
from local.durable.store import DurableStore
from local.host.process import HostProcess
from tests.integration.host.test_durable import APP, TIME_FACTOR, host_env, start, wait_completed

pytestmark = pytest.mark.integration
HUB = "HostDurable"  # the test app's host.json hubName
OVERRIDE = "AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionName"


@pytest.fixture()
def hub_storage() -> Iterator[str]:
    process = azurite.start(f"hub-{uuid.uuid4().hex[:8]}", fresh=True, in_memory=True)
    try:
        yield process.connection_string
    finally:
        process.stop()
        shutil.rmtree(process.location, ignore_errors=True)


def test_the_instances_live_in_the_task_hubs_own_storage(
    azurite_connection_string: str, hub_storage: str, tmp_path: Path
) -> None:
    hub = f"own{uuid.uuid4().hex[:8]}"
    env = {
        **host_env(azurite_connection_string, tmp_path, hub),
        "HubStorage": hub_storage,
        OVERRIDE: "HubStorage",
    }
    with HostProcess(APP, env=env, time_factor=TIME_FACTOR) as host:
        management = start(host, "with_long_timer")
        body = wait_completed(host, management["id"])
    assert body["output"]["steps"] == ["BEFORE", "AFTER"]
    assert asyncio.run(_load(hub_storage, HUB, management["id"])) == "Completed"
    assert asyncio.run(_load(azurite_connection_string, HUB, management["id"])) is None


async def _load(connection_string: str, hub: str, instance_id: str) -> str | None:
    store = DurableStore(connection_string, hub)
    try:
        loaded = await store.load(instance_id)
    finally:
        await store.close()
    return str(loaded[0].status) if loaded else None
