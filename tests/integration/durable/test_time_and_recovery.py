"""Durable timers on a scaled clock, and recovery of in-flight orchestrations after a simulated crash."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import azure.durable_functions as df
import pytest

from local.app_loader import LoadedApp
from local.durable import ScaledClock
from tests.integration.durable.conftest import running_engine, unique, wait_done

pytestmark = pytest.mark.integration


async def test_ten_minute_timer_fires_in_seconds_on_a_scaled_clock(
    durable_app: LoadedApp, azurite_connection_string: str
) -> None:
    clock = ScaledClock(300.0)  # 10 engine minutes = 2 real seconds
    async with running_engine(durable_app, azurite_connection_string, "TimerHub", clock=clock) as (_, client):
        began = time.monotonic()
        instance_id = await client.start_new("long_timer", None, None)
        status = await wait_done(client, instance_id, timeout=30)
        elapsed = time.monotonic() - began
    assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
    started = datetime.fromisoformat(status.output["started"])
    woke = datetime.fromisoformat(status.output["woke"])
    assert (woke - started).total_seconds() >= 600
    assert 1.5 <= elapsed < 15


async def test_engine_time_goes_on_across_a_restart_whatever_the_new_factor(
    durable_app: LoadedApp, azurite_connection_string: str
) -> None:
    hub = "ClockHub"
    async with running_engine(durable_app, azurite_connection_string, hub, clock=ScaledClock(300.0)) as (
        engine,
        _,
    ):
        await asyncio.sleep(1.0)  # 5 durable minutes: ahead of the wall clock by almost as much
        before = engine.clock.now()
        await engine._simulate_crash()
    async with running_engine(durable_app, azurite_connection_string, hub, clock=ScaledClock(1.0)) as (
        engine,
        _,
    ):
        resumed = engine.clock.now()
        saved = await engine.store.load_clock()
    assert resumed >= before
    assert resumed - datetime.now(UTC) > timedelta(minutes=4)
    assert saved is not None and saved.factor == 1.0 and saved.engine >= before


async def test_restart_resumes_and_completes_exactly_once(
    durable_app: LoadedApp, azurite_connection_string: str, side_channel: Path
) -> None:
    hub = "CrashHub"
    ids = [unique("crash") for _ in range(4)]
    steps = 4
    async with running_engine(durable_app, azurite_connection_string, hub) as (engine, client):
        for instance_id in ids:
            await client.start_new("slow_chain", instance_id, steps)
        log = side_channel / "slow_step.log"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # crash once some, but not all, steps have run
            done = log.read_text().splitlines() if log.exists() else []
            if sum(1 for line in done if line.rsplit("-", 1)[0] in ids) >= 5:
                break
            await asyncio.sleep(0.05)
        await engine._simulate_crash()
    async with running_engine(durable_app, azurite_connection_string, hub) as (_, client):
        for instance_id in ids:
            status = await wait_done(client, instance_id, timeout=60)
            assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
            assert status.output == [f"{instance_id}-{i}".upper() for i in range(steps)]
            history = (await client.get_status(instance_id, show_history=True)).historyEvents
            completed = [e["TaskScheduledId"] for e in history if e["EventType"] == "TaskCompleted"]
            assert sorted(completed) == list(range(steps))  # no duplicated results
    executions = (side_channel / "slow_step.log").read_text().splitlines()
    for instance_id in ids:
        for i in range(steps):
            # at-least-once: an activity interrupted by the crash may run again, but at most once more
            assert 1 <= executions.count(f"{instance_id}-{i}") <= 2


async def test_restart_rearms_timers_and_resumes_sub_orchestrations(
    durable_app: LoadedApp, azurite_connection_string: str
) -> None:
    hub = "CrashTimerHub"
    timers = [unique("crash-timer") for _ in range(3)]
    parents = [unique("crash-parent") for _ in range(2)]
    async with running_engine(durable_app, azurite_connection_string, hub, clock=ScaledClock(300.0)) as (
        engine,
        client,
    ):
        for instance_id in timers:
            await client.start_new("long_timer", instance_id, None)
        for instance_id in parents:
            await client.start_new("parent", instance_id, None)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # crash once every timer is armed (its TimerCreated saved)
            states = [await engine.get_state(i) for i in timers]
            if all(s is not None and any(e["EventType"] == 10 for e in s.history) for s in states):
                break
            await asyncio.sleep(0.02)
        await engine._simulate_crash()
    async with running_engine(durable_app, azurite_connection_string, hub, clock=ScaledClock(300.0)) as (
        _,
        client,
    ):
        for instance_id in timers:
            status = await wait_done(client, instance_id, timeout=30)
            assert status.runtime_status == df.OrchestrationRuntimeStatus.Completed, status.output
        for instance_id in parents:
            status = await wait_done(client, instance_id, timeout=30)
            assert status.output == {"child": ["Hello A!", "Hello B!"], "sum": 12}
