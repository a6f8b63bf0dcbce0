"""Durable Functions through the host: an HTTP starter with a durableClient binding, a scaled clock, and a
SIGKILLed host whose orchestrations a new host finishes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.host.process import HostProcess
from tests.integration.host.helpers import APPS, wait_for

pytestmark = pytest.mark.integration
APP = APPS / "host_durable"
TIME_FACTOR = 300.0  # 10 minutes of durable time in 2 seconds


@pytest.fixture()
def record_dir(tmp_path: Path) -> Path:
    return tmp_path


def host_env(conn: str, record_dir: Path, hub: str) -> dict[str, str]:
    return {"AzureWebJobsStorage": conn, "RECORD_DIR": str(record_dir), "WEBSITE_SITE_NAME": hub}


def start(host: HostProcess, orchestrator: str, payload: Any = None, instance_id: str | None = None) -> dict:
    params = {"id": instance_id} if instance_id else {}
    response = httpx.post(
        f"{host.base_url}/api/orchestrators/{orchestrator}", json=payload, params=params, timeout=10
    )
    assert response.status_code == 202, response.text
    assert response.headers["location"].startswith(f"{host.base_url}/runtime/webhooks/durabletask/instances/")
    return dict(response.json())


def status(host: HostProcess, instance_id: str) -> dict:
    response = httpx.get(f"{host.base_url}/runtime/webhooks/durabletask/instances/{instance_id}", timeout=10)
    assert response.status_code in (200, 202), response.text
    return dict(response.json())


def wait_completed(host: HostProcess, instance_id: str, timeout: float = 30) -> dict:
    def done() -> dict | None:
        body = status(host, instance_id)
        assert body["runtimeStatus"] not in ("Failed", "Terminated"), body
        return body if body["runtimeStatus"] == "Completed" else None

    return wait_for(done, timeout=timeout, interval=0.2)


@pytest.fixture()
def durable_host(azurite_connection_string: str, record_dir: Path) -> Iterator[HostProcess]:
    env = host_env(azurite_connection_string, record_dir, f"hd{uuid.uuid4().hex[:8]}")
    with HostProcess(APP, env=env, time_factor=TIME_FACTOR) as host:
        yield host


def test_http_starter_activities_and_ten_minute_timer(durable_host: HostProcess) -> None:
    began = time.monotonic()
    management = start(durable_host, "with_long_timer")
    assert management["statusQueryGetUri"].startswith(durable_host.base_url)
    body = wait_completed(durable_host, management["id"])
    elapsed = time.monotonic() - began
    assert body["output"]["steps"] == ["BEFORE", "AFTER"]
    slept = datetime.fromisoformat(body["output"]["woke"]) - datetime.fromisoformat(body["output"]["started"])
    assert slept.total_seconds() >= 600
    assert elapsed < 20


def test_sigkill_mid_run_then_new_host_completes_every_instance(
    azurite_connection_string: str, record_dir: Path
) -> None:
    env = host_env(azurite_connection_string, record_dir, f"kill{uuid.uuid4().hex[:8]}")
    ids = [f"kill-{i}-{uuid.uuid4().hex[:6]}" for i in range(4)]
    steps = 3
    first = HostProcess(APP, env=env, time_factor=TIME_FACTOR)
    try:
        for instance_id in ids:
            start(first, "slow_chain", steps, instance_id)
        log = record_dir / "step.log"
        wait_for(lambda: log.exists() and len(log.read_text().splitlines()) >= 3, timeout=20, interval=0.05)
        # Each instance needs 3 x 5 durable minutes (3 real seconds): none can have finished yet.
        assert all(status(first, i)["runtimeStatus"] == "Running" for i in ids)
    finally:
        assert first.kill() == -9
    with HostProcess(APP, env=env, time_factor=TIME_FACTOR) as second:
        for instance_id in ids:
            body = wait_completed(second, instance_id, timeout=60)
            assert body["output"] == [f"{instance_id}-{i}".upper() for i in range(steps)]
    executions = (record_dir / "step.log").read_text().splitlines()
    for instance_id in ids:
        for i in range(steps):
            assert executions.count(f"{instance_id}-{i}") >= 1  # at-least-once across the crash
