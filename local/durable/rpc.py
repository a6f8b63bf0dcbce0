"""The extension's local RPC endpoint (DFX ``LocalHttpListener``): the HTTP API on a loopback-only port.

The Durable SDK's ``DurableOrchestrationClient`` sends every call to the binding's ``rpcBaseUrl`` and adds no
key (``requiredQueryStringParameters`` only reaches the management URLs it hands out). In Azure that URL is
``http://127.0.0.1:17071/durabletask/``, a listener of the host that only the machine itself can reach and
that asks for no key; the public ``/runtime/webhooks/durabletask`` routes require the system key. Here the
listener takes a free loopback port (several hosts run side by side in tests) and runs in the engine's event
loop for as long as the engine does.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from local.durable.errors import DurableError

RPC_PATH = "/durabletask"
SHUTDOWN_SECONDS = 5
KEEP_ALIVE_SECONDS = 75  # idle connections outlive the clients' pools (aiohttp keeps them 15 s)


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server inside another's event loop: the process's signal handlers are left alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LocalRpcListener:
    """Serves ``routes`` under ``/durabletask`` on ``127.0.0.1`` (never another interface), without keys."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._app = Starlette(routes=[Mount(RPC_PATH, routes=routes)])
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._port: int | None = None

    @property
    def base_url(self) -> str:
        """The binding's ``rpcBaseUrl`` (with its trailing slash)."""
        if self._port is None:
            raise DurableError("the durable engine's RPC listener is not running (start the engine first)")
        return f"http://127.0.0.1:{self._port}{RPC_PATH}/"

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            self._app,
            log_config=None,
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=SHUTDOWN_SECONDS,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,  # longer than the SDK client's aiohttp pool keeps them
        )
        server = _EmbeddedServer(config)
        self._server = server
        self._task = asyncio.create_task(server.serve(sockets=[sock]), name="durable-rpc")
        while not server.started:  # uvicorn exposes no event for this
            if self._task.done():
                sock.close()
                raise DurableError(
                    f"the durable engine's RPC listener did not start: {self._task.exception()}"
                )
            await asyncio.sleep(0.01)
        self._port = int(sock.getsockname()[1])

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._server = self._task = None
        self._port = None
