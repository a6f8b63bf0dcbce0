"""A DurableEngine on the session Azurite and SDK clients, which call its HTTP API on the engine's own
loopback RPC endpoint (the binding's ``rpcBaseUrl``); no host serves the public routes here."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import pytest

from local.app_loader import LoadedApp, load_app
from local.durable import Clock, DurableEngine
from local.durable.store import DurableStore
from tests.paths import TEST_APPS

pytestmark = pytest.mark.integration
BASE_URL = "http://127.0.0.1:7071"  # where the management links point (a host would serve them there)


@pytest.fixture(scope="session")
def durable_app() -> LoadedApp:
    return load_app(TEST_APPS / "durable_basic", module_name="durable_basic_app")


@pytest.fixture(scope="session")
def side_channel(tmp_path_factory: pytest.TempPathFactory, monkeypatch_session: Any) -> Path:
    directory = tmp_path_factory.mktemp("durable-side-channel")
    monkeypatch_session.setenv("DURABLE_TEST_DIR", str(directory))
    return directory


@pytest.fixture(scope="session")
def monkeypatch_session() -> Any:
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture()
async def store(azurite_connection_string: str) -> AsyncIterator[DurableStore]:
    """A store on a task hub of its own (a fresh table, containers and queues)."""
    durable = DurableStore(azurite_connection_string, f"Store{uuid.uuid4().hex[:10]}")
    await durable.create()
    try:
        yield durable
    finally:
        await durable.close()


@asynccontextmanager
async def running_engine(
    app: LoadedApp,
    connection_string: str,
    hub: str,
    clock: Clock | None = None,
    worker: tuple[int, int] = (0, 1),
) -> AsyncIterator[tuple[DurableEngine, df.DurableOrchestrationClient]]:
    """``worker`` (k, n): the engine is worker k of n processes sharing the task hub."""
    engine = DurableEngine(
        app,
        storage_connection_string=connection_string,
        hub_name=hub,
        base_url=BASE_URL,
        clock=clock,
        worker=worker,
    )
    await engine.start()
    try:
        yield engine, df.DurableOrchestrationClient(engine.client_binding_json())
    finally:
        if engine._tasks:
            await engine.stop()


@pytest.fixture(scope="session")
async def durable(
    durable_app: LoadedApp, azurite_connection_string: str, side_channel: Path
) -> AsyncIterator[tuple[DurableEngine, df.DurableOrchestrationClient]]:
    async with running_engine(durable_app, azurite_connection_string, "IntegrationHub") as pair:
        yield pair


async def wait_done(
    client: df.DurableOrchestrationClient,
    instance_id: str,
    timeout: float = 30.0,  # noqa: ASYNC109
) -> df.DurableOrchestrationStatus:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await client.get_status(instance_id, show_history=False)
        if (
            status
            and status.runtime_status
            and status.runtime_status.value in ("Completed", "Failed", "Terminated")
        ):
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"{instance_id} not finished in {timeout}s: {status.to_json() if status else None}"
            )
        await asyncio.sleep(0.05)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def dumps(value: Any) -> str:
    return json.dumps(value)
