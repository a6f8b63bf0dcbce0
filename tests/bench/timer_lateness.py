"""Benchmark: how late durable timers fire when the host is SIGKILLed mid-timer and started again.

A host (``python -m local host`` on ``tests/apps/host_durable``, ``--time-factor F``, its own fresh Azurite)
starts N ``timer_then_stamp`` orchestrations whose timers fall due over the next few real seconds. Once every
timer is armed (its TimerCreated saved), the host is SIGKILLed by its pid and a new one is started on the same
task hub; some timers fall due while no host runs, the others after the restart. A timer's lateness is the
real time its next activity ran minus the later of when it fell due (the timer's delay after its start, as
engine time goes on through the crash) and when the new host answered as ready (0 when it fired sooner: during
recovery, before readiness was seen). Every round repeats this on the same hub, engine time further ahead of
the wall clock each time. Prints per round and overall the median and max lateness in real seconds and in
durable seconds (x F); exits 1 when a timer fired more than one control-queue poll interval late.

Run: ``.venv/bin/python -m tests.bench.timer_lateness [--timers N] [--rounds R] [--time-factor F]
[--timeout S]`` (N <= 200, R <= 10; the whole run stops after S seconds, default 240).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import httpx

from local import azurite
from local.durable.orchestrations import MAX_IDLE_SECONDS
from local.host.process import HostProcess
from tests.paths import TEST_APPS

APP = TEST_APPS / "host_durable"
ORCHESTRATOR = "timer_then_stamp"
FIRST_DELAY = 1.5  # real seconds from a timer's start to when it falls due (arming all takes less)
LAST_DELAY = 4.5  # a restart takes ~1 s: the earlier ones fall due while the host is down, the later after
WARM_UP = 3.0  # real seconds the first host runs before the first round (its engine time runs ahead)
MAX_TIMERS = 200
MAX_ROUNDS = 10


@dataclass
class Timer:
    instance_id: str
    due_at: float  # real time it falls due (from just before its start request: a little early)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.timer_lateness", description=__doc__)
    parser.add_argument("--timers", type=int, default=20, help=f"timers per round (at most {MAX_TIMERS})")
    parser.add_argument("--rounds", type=int, default=3, help=f"crash rounds (at most {MAX_ROUNDS})")
    parser.add_argument("--time-factor", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=240.0, help="real seconds for the whole run")
    args = parser.parse_args(argv)
    if not 1 <= args.timers <= MAX_TIMERS or not 1 <= args.rounds <= MAX_ROUNDS or args.time_factor <= 0:
        parser.error(f"--timers 1..{MAX_TIMERS}, --rounds 1..{MAX_ROUNDS}, --time-factor > 0")
    return args


def status(client: httpx.Client, host: HostProcess, instance_id: str, **params: str) -> dict:
    response = client.get(
        f"{host.base_url}/runtime/webhooks/durabletask/instances/{instance_id}",
        params={"code": host.durabletask_key, **params},
    )
    response.raise_for_status()
    return dict(response.json())


def start_timers(
    client: httpx.Client, host: HostProcess, count: int, factor: float, label: str
) -> list[Timer]:
    timers = []
    for i in range(count):
        delay = FIRST_DELAY + (LAST_DELAY - FIRST_DELAY) * i / max(1, count - 1)
        instance_id = f"{label}-{i}"
        sent = time.time()
        url = f"{host.base_url}/api/orchestrators/{ORCHESTRATOR}"
        client.post(url, params={"id": instance_id}, json=delay * factor).raise_for_status()
        timers.append(Timer(instance_id, sent + delay))
    return timers


def wait_armed(client: httpx.Client, host: HostProcess, timers: list[Timer], deadline: float) -> None:
    """Until every timer's TimerCreated is saved."""
    for timer in timers:
        while True:
            history = status(client, host, timer.instance_id, showHistory="true")["historyEvents"]
            if any(e["EventType"] == "TimerCreated" for e in history):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{timer.instance_id}: its timer was not armed in time")
            time.sleep(0.05)


def wait_outputs(
    client: httpx.Client, host: HostProcess, timers: list[Timer], deadline: float
) -> dict[str, dict]:
    outputs = {}
    for timer in timers:
        while (body := status(client, host, timer.instance_id))["runtimeStatus"] != "Completed":
            if body["runtimeStatus"] in ("Failed", "Terminated"):
                raise RuntimeError(f"{timer.instance_id} is {body['runtimeStatus']}: {body['output']}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{timer.instance_id} did not complete in time")
            time.sleep(0.05)
        outputs[timer.instance_id] = body["output"]
    return outputs


def summary(lateness: list[float], factor: float) -> str:
    median, worst = statistics.median(lateness), max(lateness)
    return (
        f"median {median:.3f} s, max {worst:.3f} s real "
        f"(median {median * factor:.1f} s, max {worst * factor:.1f} s durable)"
    )


def crash_round(
    client: httpx.Client, host: HostProcess, args: argparse.Namespace, number: int, deadline: float
) -> tuple[HostProcess, list[float]]:
    """Arm the timers, SIGKILL ``host``, start its successor; the successor and each timer's lateness."""
    timers = start_timers(client, host, args.timers, args.time_factor, f"r{number}")
    wait_armed(client, host, timers, deadline)
    host.kill()
    killed_at = time.time()
    successor = HostProcess(APP, env=host.env, time_factor=args.time_factor)
    ready_at = time.time()
    try:
        outputs = wait_outputs(client, successor, timers, deadline)
    except BaseException:
        successor.stop()
        raise
    lateness = []
    for timer in timers:
        output = outputs[timer.instance_id]
        if datetime.fromisoformat(output["woke"]) < datetime.fromisoformat(output["fireAt"]):
            successor.stop()
            raise RuntimeError(f"{timer.instance_id} fired before it was due: {output}")
        if output["stampedAt"] >= killed_at:  # else it fired before the crash (slow arming): not counted
            lateness.append(max(0.0, output["stampedAt"] - max(timer.due_at, ready_at)))
    while_down = sum(1 for t in timers if killed_at < t.due_at <= ready_at)
    print(
        f"round {number}: host down {ready_at - killed_at:.1f} s (SIGKILL -> ready); {while_down} timer(s) "
        f"fell due meanwhile, {len(lateness) - while_down} after, {len(timers) - len(lateness)} before the "
        f"crash (not counted); lateness {summary(lateness, args.time_factor)}",
        flush=True,
    )
    return successor, lateness


def run(args: argparse.Namespace, connection_string: str) -> list[float]:
    deadline = time.monotonic() + args.timeout
    env = {"AzureWebJobsStorage": connection_string, "WEBSITE_SITE_NAME": f"lateness{uuid.uuid4().hex[:8]}"}
    everything: list[float] = []
    host = HostProcess(APP, env=env, time_factor=args.time_factor)
    try:
        with httpx.Client(timeout=30) as client:
            time.sleep(WARM_UP)
            for number in range(1, args.rounds + 1):
                host, lateness = crash_round(client, host, args, number, deadline)
                everything += lateness
    finally:
        host.stop()
    return everything


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    print(
        f"== timer lateness after SIGKILL + restart: {args.timers} timers x {args.rounds} rounds, "
        f"time factor {args.time_factor:g} ==",
        flush=True,
    )
    storage = azurite.start("bench-timer-lateness", fresh=True)
    try:
        lateness = run(args, storage.connection_string)
    finally:
        storage.stop()
        shutil.rmtree(storage.location, ignore_errors=True)
    print(f"all {len(lateness)} timers: {summary(lateness, args.time_factor)}", flush=True)
    late = sum(1 for value in lateness if value > MAX_IDLE_SECONDS)
    print(f"{late} timer(s) fired more than one poll interval ({MAX_IDLE_SECONDS:g} s) late", flush=True)
    return 1 if late else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
