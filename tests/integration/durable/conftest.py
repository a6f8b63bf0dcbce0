"""A DurableEngine on the session Azurite, its HTTP API served by uvicorn on a free port, and SDK clients."""

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
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from local.app_loader import LoadedApp, load_app
from local.azurite import free_port
from local.durable import Clock, DurableEngine
from tests.paths import TEST_APPS

pytestmark = pytest.mark.integration


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


@asynccontextmanager
async def serving(engine: DurableEngine, port: int) -> AsyncIterator[None]:
    web = Starlette(routes=[Mount("/runtime/webhooks/durabletask", routes=engine.routes())])
    server = uvicorn.Server(
        uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes no event for this
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def running_engine(
    app: LoadedApp, connection_string: str, hub: str, clock: Clock | None = None, port: int | None = None
) -> AsyncIterator[tuple[DurableEngine, df.DurableOrchestrationClient]]:
    port = port or free_port()
    engine = DurableEngine(
        app,
        storage_connection_string=connection_string,
        hub_name=hub,
        base_url=f"http://127.0.0.1:{port}",
        clock=clock,
    )
    await engine.start()
    try:
        async with serving(engine, port):
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
