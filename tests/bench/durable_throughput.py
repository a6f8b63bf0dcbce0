"""Benchmark the local durable engine on a real Azurite.

Part 1: N concurrent orchestrations (default 1,000), each 5 activities and 2 short durable timers; prints
orchestration episodes/s, activity calls/s and wall time. Part 2: SDK replay cost per episode at history sizes
10, 100 and 1,000 events (median of repeats).
Run: ``.venv/bin/python -m tests.bench.durable_throughput [N] [--no-replay]``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from local import azurite
from local.app_loader import LoadedApp, load_app
from local.durable import DurableEngine, ScaledClock
from local.durable.actions import new_instance
from local.durable.episode import run_episode
from local.durable.history import EventType, event
from local.durable.state import RuntimeStatus

APP_SOURCE = """
from datetime import timedelta
import azure.durable_functions as df

app = df.DFApp()


@app.activity_trigger(input_name="n")
def step(n: int) -> int:
    return n + 1


@app.orchestration_trigger(context_name="context")
def workflow(context: df.DurableOrchestrationContext):
    value = 0
    for i in range(5):
        value = yield context.call_activity("step", value)
        if i in (1, 3):
            yield context.create_timer(context.current_utc_datetime + timedelta(seconds=30))
    return value


@app.orchestration_trigger(context_name="context")
def long_chain(context: df.DurableOrchestrationContext):
    value = 0
    for _ in range(context.get_input()):
        value = yield context.call_activity("step", value)
    return value
"""


def make_app(directory: Path) -> LoadedApp:
    (directory / "function_app.py").write_text(APP_SOURCE)
    (directory / "host.json").write_text('{"version": "2.0"}')
    return load_app(directory, module_name="durable_bench_app")


async def throughput(app: LoadedApp, conn: str, count: int) -> None:
    clock = ScaledClock(
        60.0
    )  # the 30 s timers take 0.5 real seconds (rounded up to the queue's 1 s granularity)
    engine = DurableEngine(
        app,
        storage_connection_string=conn,
        hub_name="BenchHub",
        base_url="http://127.0.0.1:1",
        clock=clock,
        max_concurrent_activities=32,
        max_concurrent_orchestrations=32,
    )
    await engine.start()
    began = time.perf_counter()
    await asyncio.gather(*(engine.start_new("workflow", f"bench-{i}", None) for i in range(count)))
    started = time.perf_counter()
    last = -1
    while engine.orchestrations.finished < count:  # progress from the engine's counter: listing is costly
        await asyncio.sleep(0.25)
        done = engine.orchestrations.finished
        if done // 100 != last // 100 or time.perf_counter() - began > 280:
            print(f"  t={time.perf_counter() - began:6.1f}s finished {done}/{count}", flush=True)
            last = done
        if time.perf_counter() - began > 280:
            print("  giving up after 280 s")
            break
    wall = time.perf_counter() - began
    failed = [s for s in [s async for s in engine.store.list_summaries("bench-")] if s.status != "Completed"]
    episodes, activities = engine.orchestrations.episodes, engine.activities.executed
    await engine.stop()
    start_rate = count / (started - began)
    print(
        f"orchestrations: {count} ({len(failed)} not completed), "
        f"start_new took {started - began:.1f}s ({start_rate:.0f}/s)"
    )
    print(f"wall time: {wall:.1f}s")
    print(f"orchestration episodes: {episodes} -> {episodes / wall:.0f} episodes/s")
    print(f"activity calls: {activities} -> {activities / wall:.0f} activities/s")


def replay_cost(app: LoadedApp) -> None:
    handle = app.functions["long_chain"].user_function
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for target_events in (10, 100, 1000):
        steps = max(
            1, (target_events - 2) // 4
        )  # each step adds ~4 events (started, scheduled, completed, done)
        state = new_instance("replay", "long_chain", json.dumps(steps + 1), "e", t0)
        start = event(
            EventType.EXECUTION_STARTED,
            t0,
            -1,
            Name="long_chain",
            Version="",
            Input=state.input,
            OrchestrationInstance={"InstanceId": "replay", "ExecutionId": "e"},
            ParentInstance=None,
        )
        run_episode(state, [start], handle, t0)
        for i in range(steps - 1):
            done = event(EventType.TASK_COMPLETED, t0, -1, TaskScheduledId=i, Result=json.dumps(i + 1))
            run_episode(state, [done], handle, t0 + timedelta(seconds=i))
        assert state.status == RuntimeStatus.RUNNING
        size = len(state.history)
        samples = []
        for _ in range(15 if size < 500 else 7):
            copy = type(state).from_json(json.loads(json.dumps(state.to_json())))
            done = event(
                EventType.TASK_COMPLETED, t0, -1, TaskScheduledId=steps - 1, Result=json.dumps(steps)
            )
            t = time.perf_counter()
            run_episode(copy, [done], handle, t0)
            samples.append(time.perf_counter() - t)
        print(
            f"replay at {size:5d} history events: median {statistics.median(samples) * 1000:8.2f} ms/episode"
        )


def main(argv: list[str]) -> int:
    replay = "--no-replay" not in argv
    args = [a for a in argv if not a.startswith("--")]
    count = int(args[0]) if args else 1000
    workdir = Path(tempfile.mkdtemp(prefix="durable-bench-"))
    app = make_app(workdir)
    proc = azurite.start("bench-durable", fresh=True)
    try:
        print(f"== throughput: {count} orchestrations x (5 activities + 2 timers) on Azurite ==")
        asyncio.run(throughput(app, proc.connection_string, count))
        if replay:
            print("== SDK replay cost by history size ==")
            replay_cost(app)
    finally:
        proc.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
