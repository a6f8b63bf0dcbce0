"""Work counters of one phase of a benchmark on the local stack, as counts (not times): ARM calls and 429s
(the emulator's ``/_admin/counters``), trigger invocations, orchestrator episodes, activity executions and
storage transactions (the host's ``/admin/host/stats``), and per orchestration instance its history events,
episodes, activities and timers (read from the task hub's instance table in Azurite after the phase).

    with Phase(stack, "protection") as phase:
        ...  # drive the work
    figures = phase.figures(units=1000)  # totals and per-unit figures
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from local.azurite import REPO_ROOT
from local.durable.history import EventType
from local.durable.state import InstanceState
from local.durable.store import DurableStore
from local.host.process import HostProcess
from local.stack import LocalStack
from tests.bench.sweep_scale import cpu_seconds, processes


def host_stats(host: HostProcess) -> dict[str, Any]:
    response = httpx.get(
        f"{host.base_url}/admin/host/stats", headers={"x-functions-key": host.master_key}, timeout=30.0
    )
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def stack_stats(stack: LocalStack) -> Counter[str]:
    """The stats of every host of the stack, flattened and summed."""
    total: Counter[str] = Counter()
    for host in stack.hosts:
        total.update(_flat(host_stats(host)))
    return total


def host_cpu(cpu: dict[str, float]) -> float:
    """The CPU seconds of the host processes among ``cpu`` (named as :func:`processes` names them)."""
    return sum(seconds for name, seconds in cpu.items() if name == "host" or name.startswith("host-"))


def _flat(stats: dict[str, Any]) -> Counter[str]:
    """The host's stats as one counter of dotted names (differences of two snapshots are per phase)."""
    flat: Counter[str] = Counter()
    for name, count in stats.get("invocations", {}).items():
        flat[f"invocations.{name}"] += int(count)
    for op, count in stats.get("triggerStorage", {}).items():
        flat[f"triggerStorage.{op}"] += int(count)
    durable = stats.get("durable") or {}
    flat["episodes"] += int(durable.get("episodes", 0))
    for name, count in durable.get("activities", {}).items():
        flat[f"activities.{name}"] += int(count)
    for op, count in durable.get("taskHubStorage", {}).items():
        flat[f"taskHubStorage.{op}"] += int(count)
    return flat


def _group(flat: Counter[str], prefix: str) -> dict[str, int]:
    return {k[len(prefix) + 1 :]: v for k, v in sorted(flat.items()) if k.startswith(prefix + ".") and v}


@dataclass
class InstanceWork:
    """What one orchestration instance's saved history says it cost."""

    name: str
    status: str
    history_events: int
    episodes: int
    activities: Counter[str] = field(default_factory=Counter)
    timers: int = 0
    sub_orchestrations: int = 0


def app_hub_name() -> str:
    """The task hub ``host.json`` names (the one the stack's host runs)."""
    host_json = json.loads((REPO_ROOT / "host.json").read_text())
    return str(host_json["extensions"]["durableTask"]["hubName"])


async def _states(connection_string: str, hub: str, wanted: set[str] | None) -> list[InstanceState]:
    store = DurableStore(connection_string, hub)
    try:
        ids = [s.instance_id async for s in store.list_summaries() if wanted is None or s.name in wanted]
        limit = asyncio.Semaphore(16)

        async def load(instance_id: str) -> InstanceState | None:
            async with limit:
                loaded = await store.load(instance_id)
            return loaded[0] if loaded else None

        return [s for s in await asyncio.gather(*(load(i) for i in ids)) if s is not None]
    finally:
        await store.close()


def instances(connection_string: str, names: Iterable[str] | None = None) -> list[InstanceWork]:
    """Every instance of the app's task hub (optionally only these orchestrator names)."""
    wanted = set(names) if names is not None else None
    found: list[InstanceWork] = []
    for state in asyncio.run(_states(connection_string, app_hub_name(), wanted)):
        work = InstanceWork(state.name, str(state.status), len(state.history), state.episodes)
        for ev in state.history:
            kind = int(ev["EventType"])
            if kind == EventType.TASK_SCHEDULED:
                work.activities[str(ev.get("Name"))] += 1
            elif kind == EventType.TIMER_CREATED:
                work.timers += 1
            elif kind == EventType.SUB_ORCHESTRATION_CREATED:
                work.sub_orchestrations += 1
        found.append(work)
    return found


def summarise_instances(found: list[InstanceWork]) -> dict[str, Any]:
    """Per orchestrator name: instance count and the median / max of each per-instance figure."""
    by_name: dict[str, list[InstanceWork]] = {}
    for work in found:
        by_name.setdefault(work.name, []).append(work)
    summary: dict[str, Any] = {}
    for name, group in sorted(by_name.items()):
        activities = [sum(w.activities.values()) for w in group]
        totals: Counter[str] = Counter()
        for w in group:
            totals.update(w.activities)
        summary[name] = {
            "instances": len(group),
            "statuses": dict(Counter(w.status for w in group)),
            "history_events": _spread([w.history_events for w in group]),
            "episodes": _spread([w.episodes for w in group]),
            "activities": _spread(activities),
            "timers": _spread([w.timers for w in group]),
            "activities_by_name_per_instance": {
                k: round(v / len(group), 2) for k, v in sorted(totals.items())
            },
        }
    return summary


def _spread(values: list[int]) -> dict[str, float]:
    return {"median": statistics.median(values), "max": max(values), "total": sum(values)} if values else {}


class Phase:
    """Snapshots the counters on entry and on exit; the figures are the differences."""

    def __init__(self, stack: LocalStack, name: str, *, reset_cloud: bool = True) -> None:
        self.stack, self.name, self.reset_cloud = stack, name, reset_cloud
        self.before: Counter[str] = Counter()
        self.host: Counter[str] = Counter()
        self.cloud: dict[str, Any] = {}
        self.pids = {**processes(stack), "benchmark": os.getpid()}
        self.cpu: dict[str, float] = {}

    def __enter__(self) -> Phase:
        if self.reset_cloud:
            self.stack.admin("DELETE", "/_admin/counters")
        self.before = stack_stats(self.stack)
        self.cpu = {name: -cpu_seconds(pid) for name, pid in self.pids.items()}
        return self

    def __exit__(self, *exc: object) -> None:
        for name, pid in self.pids.items():
            self.cpu[name] = round(self.cpu[name] + cpu_seconds(pid), 2)
        after = stack_stats(self.stack)
        after.subtract(self.before)
        self.host = +after
        self.cloud = self.stack.admin("GET", "/_admin/counters")

    def figures(self, units: float, *, excluded_calls: int = 0, excluded_429: int = 0) -> dict[str, Any]:
        """Totals and per-unit figures; ``excluded_*``: calls the harness itself made (e.g. creating the
        resources), which the emulator counted but the app did not make."""
        calls = int(self.cloud.get("total_calls", 0)) - excluded_calls
        throttled = int(self.cloud.get("total_throttled", 0)) - excluded_429
        activities = _group(self.host, "activities")
        hub = _group(self.host, "taskHubStorage")
        trigger = _group(self.host, "triggerStorage")
        per = 1.0 / units if units else 0.0
        executions = sum(activities.values())
        return {
            "units": units,
            "arm_calls": calls,
            "arm_429": throttled,
            "arm_calls_by_operation": dict(
                sorted(self.cloud.get("calls", {}).items(), key=lambda kv: -kv[1])
            ),
            "invocations": _group(self.host, "invocations"),
            "episodes": self.host["episodes"],
            "activities": activities,
            "task_hub_storage": hub,
            "trigger_storage": trigger,
            "cpu_seconds": self.cpu,
            "host_cpu_ms_per_episode_plus_activity": (
                round(1000 * host_cpu(self.cpu) / (self.host["episodes"] + executions), 3)
                if self.host["episodes"] + executions
                else None
            ),
            "per_unit": {
                "arm_calls": round(calls * per, 3),
                "arm_429": round(throttled * per, 3),
                "episodes": round(self.host["episodes"] * per, 3),
                "activity_executions": round(executions * per, 3),
                "task_hub_storage_transactions": round(sum(hub.values()) * per, 3),
                "trigger_storage_transactions": round(sum(trigger.values()) * per, 3),
            },
        }


def arm_calls_per_correlation(cloud: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Median and max of the ARM calls the emulator counted per correlation id (one per protection)."""
    counts = [n for cid, n in cloud.get("correlations", {}).items() if cid.startswith(prefix)]
    return _spread(counts) if counts else {}
