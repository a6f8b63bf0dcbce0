"""Helpers for tests and benchmarks that drive the emulator: fast configs, an in-process client, and a
real uvicorn server on a free loopback port (optionally TLS with a test CA) started and stopped by us."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from .core import CloudConfig
from .core.pipeline import ArmApp

#: Any bearer token is accepted by the emulator; this one only says what it is.
TEST_TOKEN = "emulator-test-token"  # noqa: S105 - not a secret

FAST_DURATIONS = {
    "storage.create": 0.0,
    "vault.create": 0.05,
    "vault.delete": 0.05,
    "validate_for_backup": 0.05,
    "backup_instance.create": 0.1,
    "backup_instance.delete": 0.05,
    "backup_instance.lifecycle": 0.05,
    "validate_restore": 0.05,
    "restore_trigger": 0.05,
    "restore_job": 0.2,
    "backup_job": 0.2,
    "role_propagation": 0.0,
}


def fast_config(**overrides: Any) -> CloudConfig:
    """Operations finish in tenths of a second and Retry-After says 0 (SDK pollers then poll at once)."""
    config = CloudConfig(retry_after_seconds=0, durations=dict(FAST_DURATIONS), async_storage_create=False)
    config.update(overrides)
    return config


def client(app: ArmApp, token: str = TEST_TOKEN) -> httpx.AsyncClient:
    """An in-process ARM client (``httpx.ASGITransport``) with a bearer token."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://management.local",
        headers={"Authorization": f"Bearer {token}"},
    )


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1:<port> in a daemon thread; ``stop()`` shuts it down."""

    def __init__(
        self, app: ArmApp, port: int, certfile: Path | None = None, keyfile: Path | None = None
    ) -> None:
        import uvicorn

        self.port = port
        scheme = "https" if certfile else "http"
        self.url = f"{scheme}://127.0.0.1:{port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
            ssl_certfile=str(certfile) if certfile else None,
            ssl_keyfile=str(keyfile) if keyfile else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"cloud-emulator-{port}")

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("emulator did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
