"""Durable Functions through the host: an HTTP starter with a durableClient binding, a scaled clock, the
durable HTTP API's system key, a SIGKILLed host whose orchestrations (and timers) a new host finishes, and an
app object not named ``app``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.durable.orchestrations import MAX_IDLE_SECONDS
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


def status(host: HostProcess, instance_id: str, **params: str) -> dict:
    response = httpx.get(
        f"{host.base_url}/runtime/webhooks/durabletask/instances/{instance_id}",
        params={"code": host.durabletask_key, **params},
        timeout=10,
    )
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


def test_the_durable_api_needs_the_system_key_and_the_links_carry_it(durable_host: HostProcess) -> None:
    management = start(durable_host, "with_long_timer")
    durable = f"{durable_host.base_url}/runtime/webhooks/durabletask"
    instance = f"{durable}/instances/{management['id']}"
    refused = [
        httpx.get(instance, timeout=10),
        httpx.get(instance, params={"code": durable_host.function_key}, timeout=10),
        httpx.get(instance, params={"code": durable_host.eventgrid_key}, timeout=10),
        httpx.get(f"{durable}/instances", timeout=10),
        httpx.post(f"{durable}/orchestrators/with_long_timer", timeout=10),
        httpx.post(f"{instance}/raiseEvent/go", json={}, timeout=10),
        httpx.post(f"{instance}/terminate", params={"reason": "no key"}, timeout=10),
        httpx.delete(instance, timeout=10),
        httpx.delete(f"{durable}/instances", params={"runtimeStatus": "Running"}, timeout=10),
    ]
    assert [r.status_code for r in refused] == [401] * len(refused)
    assert status(durable_host, management["id"])["runtimeStatus"] in ("Pending", "Running")  # not terminated
    by_header = httpx.get(instance, headers={"x-functions-key": durable_host.durabletask_key}, timeout=10)
    by_master = httpx.get(instance, params={"code": durable_host.master_key}, timeout=10)
    assert (by_header.status_code, by_master.status_code) == (202, 202)
    # the check-status links the app's client built work as they are, as in Azure
    key = f"code={durable_host.durabletask_key}"
    assert all(key in url for name, url in management.items() if name != "id")
    followed = httpx.get(management["statusQueryGetUri"], timeout=10)
    assert followed.status_code == 202 and followed.json()["instanceId"] == management["id"]
    assert key in followed.headers["location"]
    # start-up names the key in use without printing it (keys never reach a log); the log file is appended
    # to, so read from this host's own start-up on
    log = durable_host.log_path.read_text()
    printed = log[log.rindex("Keys:") :]
    assert "FUNCTIONS_DURABLETASK_KEY: local default" in printed
    assert durable_host.durabletask_key not in printed


def test_a_timer_due_while_the_host_was_down_fires_right_after_the_restart(
    azurite_connection_string: str, record_dir: Path
) -> None:
    """Engine time goes on across a SIGKILL: a restart does not start it again from the wall clock."""
    env = host_env(azurite_connection_string, record_dir, f"clock{uuid.uuid4().hex[:8]}")
    delay = TIME_FACTOR  # durable seconds: one real second
    first = HostProcess(APP, env=env, time_factor=TIME_FACTOR)
    try:
        time.sleep(4)  # engine time is 20 durable minutes ahead of the wall clock by now
        started_at = time.time()
        instance_id = start(first, "timer_then_stamp", delay)["id"]

        def armed() -> bool:
            events = status(first, instance_id, showHistory="true")["historyEvents"]
            return any(e["EventType"] == "TimerCreated" for e in events)

        wait_for(armed, timeout=10, interval=0.05)
    finally:
        assert first.kill() == -9
    killed_at = time.time()
    with HostProcess(APP, env=env, time_factor=TIME_FACTOR) as second:
        ready_at = time.time()
        output = wait_completed(second, instance_id)["output"]
    due_at = started_at + delay / TIME_FACTOR  # real time the timer fell due (a little early: conservative)
    assert output["stampedAt"] > killed_at  # it fired in the second host
    assert datetime.fromisoformat(output["woke"]) >= datetime.fromisoformat(output["fireAt"])
    # A clock started again from the wall clock would have fired it ~4 s late.
    assert output["stampedAt"] - max(ready_at, due_at) <= MAX_IDLE_SECONDS


def test_an_app_object_with_another_name_is_served(azurite_connection_string: str, record_dir: Path) -> None:
    env = host_env(azurite_connection_string, record_dir, f"named{uuid.uuid4().hex[:8]}")
    with HostProcess(APPS / "host_named_app", env=env) as host:
        management = start(host, "hello_orchestrator")

        def completed() -> dict | None:
            body = dict(httpx.get(management["statusQueryGetUri"], timeout=10).json())
            return body if body["runtimeStatus"] == "Completed" else None

        body = wait_for(completed, timeout=30, interval=0.2)
    assert body["output"] == ["Hello Tokyo", "Hello Seattle", "Hello London"]


def test_stats_count_the_work_of_an_orchestration(durable_host: HostProcess) -> None:
    stats_url = f"{durable_host.base_url}/admin/host/stats"
    assert httpx.get(stats_url, timeout=10).status_code == 401
    management = start(durable_host, "with_long_timer")
    wait_completed(durable_host, management["id"])
    stats = httpx.get(stats_url, headers={"x-functions-key": durable_host.master_key}, timeout=10).json()
    durable = stats["durable"]
    # two activities, one timer: episodes for the start, each completion and the timer (some may batch)
    assert durable["activities"] == {"step": 2}
    assert 2 <= durable["episodes"] <= 4
    assert durable["finished"] == 1
    hub = durable["taskHubStorage"]
    assert hub["table.put"] >= durable["episodes"]  # every episode's state is saved, plus the create
    assert hub["queue.get"] >= 1  # the control queues are polled
    assert stats["invocations"]["start"] == 1
