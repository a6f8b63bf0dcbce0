"""Host lifecycle: Azurite started and stopped by the host, graceful stop, lease renewal (in-process)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from pathlib import Path

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue.aio import QueueClient

from local import azurite
from local.app_loader import load_app
from local.host.process import HostProcess
from local.host.server import Host
from local.host.settings import Settings
from tests.integration.host.helpers import APPS, records

pytestmark = pytest.mark.integration


def test_host_starts_azurite_when_storage_is_unreachable_and_stops_it() -> None:
    blob, queue, table = azurite.free_ports(3)
    conn = azurite.connection_string(blob, queue, table)
    assert not azurite.is_reachable(conn)
    host = HostProcess(APPS / "host_queues_plain", env={"AzureWebJobsStorage": conn})
    try:
        assert azurite.is_reachable(conn)
    finally:
        assert host.stop() == 0  # graceful SIGTERM: listeners and Azurite stopped, exit 0
        shutil.rmtree(azurite.STATE_DIR / "azurite" / f"host-{blob}", ignore_errors=True)
    assert not azurite.is_reachable(conn)


async def test_long_running_message_keeps_its_lease(
    azurite_connection_string: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEASE_RECORD_DIR", str(tmp_path))
    app = load_app(APPS / "host_lease", module_name="host_lease_function_app")
    settings = Settings.load(app.app_dir, {"AzureWebJobsStorage": azurite_connection_string})
    host = Host(app, settings, base_url="http://127.0.0.1:1", lease_seconds=2)
    queue = QueueClient.from_connection_string(azurite_connection_string, "lease-in")
    with contextlib.suppress(ResourceExistsError):
        await queue.create_queue()
    await host.start()
    try:
        await queue.send_message("4.5")  # runs 4.5 s with a 2 s lease renewed every second
        for _ in range(80):
            await asyncio.sleep(0.1)
            if (await queue.get_queue_properties()).approximate_message_count == 0:
                break
        runs = records(tmp_path, "slow")
        assert len(runs) == 1 and runs[0]["dequeue_count"] == 1  # never redelivered while running
        assert (await queue.get_queue_properties()).approximate_message_count == 0  # deleted on success
    finally:
        await host.stop()
        await queue.close()
