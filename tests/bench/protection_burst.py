"""Burst benchmark: N storage accounts created at once across S subscriptions, ARM throttling on; Backup
Autopilot (Azurite + emulated cloud + local Functions host) protects them all. Prints: time until every
Protected event arrived, ARM calls per resource, 429s; the SDK sequential baseline on the same emulated
cloud; and the event-to-protection latency at light load (p50/p99) minus the emulator's own operation time.

    .venv/bin/python -m tests.bench.protection_burst                      # defaults: < 10 minutes
    .venv/bin/python -m tests.bench.protection_burst --resources 2000 --timeout 3600 --baseline 200
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from local.azurite import STATE_DIR
from local.stack import LocalStack, StackConfig
from tests.bench import protection_baseline, work
from tests.bench import protection_seed as seeds

STORAGE_API = "2023-05-01"
OPERATION_SECONDS = 2.0 + 4.0  # emulator defaults: validate_for_backup + backup_instance.create
POLL_SECONDS = 2 * 60.0  # each operation's Retry-After (60 s) is waited once before its first poll
WRITES_PER_RESOURCE = 2  # validateForBackup (POST), the backup instance (PUT)
READS_PER_RESOURCE = 4  # the resource, two operation polls, the backup instance


def _body() -> dict[str, Any]:
    return {
        "location": seeds.LOCATION,
        "kind": "StorageV2",
        "sku": {"name": "Standard_LRS"},
        "properties": {"isHnsEnabled": False},
    }


class Creator:
    """Creates accounts as a user's deployment would: under its own principal (ARM's buckets are per
    principal; the app's managed identity is another), through one connection pool, retrying its own 429s
    after their Retry-After (real seconds: the emulator's buckets refill in real time, not emulated time)."""

    PRINCIPAL = "bench-deployment"

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.calls = 0
        self.throttled = 0
        self.created: list[float] = []  # monotonic time each create was answered
        self.http = httpx.Client(
            base_url=stack.cloud_url,
            timeout=30.0,
            headers={"Authorization": "Bearer local-user-token", "x-ms-client-principal-id": self.PRINCIPAL},
        )

    def close(self) -> None:
        self.http.close()

    def put(self, resource_id: str) -> None:
        for _ in range(50):
            self.calls += 1
            try:
                response = self.http.put(resource_id, params={"api-version": STORAGE_API}, json=_body())
            except httpx.HTTPError:
                continue
            if response.status_code == 429:
                self.throttled += 1
                time.sleep(float(response.headers.get("Retry-After", "5")))
                continue
            response.raise_for_status()
            self.created.append(time.monotonic())
            return
        raise RuntimeError(f"could not create {resource_id}")


def _wait_protected(
    stack: LocalStack, wanted: set[str], since: int, timeout: float
) -> tuple[dict[str, float], dict[str, str], int]:
    """Arrival time (monotonic) of the first outcome of each wanted id; other kinds are reported too."""
    arrived: dict[str, float] = {}
    kinds: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(arrived) < len(wanted) and (remaining := deadline - time.monotonic()) > 0:
        events, since = stack.topic_events(since, wait=min(2.0, remaining))
        now = time.monotonic()
        for event in events:
            subject = str(event.get("subject", "")).lower()
            if subject in wanted and subject not in arrived:
                arrived[subject] = now
                kinds[subject] = str((event.get("data") or {}).get("kind"))
    return arrived, kinds, since


def throttle_bound(
    resources: int, subscriptions: int, created_seconds: float, factor: float
) -> dict[str, float]:
    """When the last outcome could come at the earliest: ARM's buckets for the app's calls per
    subscription (writes 200 + 10/s, reads 250 + 25/s), never before the last create, plus one resource's
    floor (emulated operation time and the Retry-After waits the service mandates)."""
    per_sub = -(-resources // subscriptions)
    writes = max(0.0, WRITES_PER_RESOURCE * per_sub - 200) / 10.0
    reads = max(0.0, READS_PER_RESOURCE * per_sub - 250) / 25.0
    floor = (OPERATION_SECONDS + POLL_SECONDS) / factor
    return {
        "arm_writes_seconds": writes,
        "arm_reads_seconds": reads,
        "created_seconds": created_seconds,
        "floor_seconds": floor,
        "bound_seconds": max(writes, reads, created_seconds) + floor,
    }


def burst(
    stack: LocalStack, resources: int, subscriptions: int, factor: float, timeout: float
) -> dict[str, Any]:
    """Create the accounts, wait for their outcomes; the figures (also printed)."""
    ids = [
        seeds.account_id(seeds.subscription_id(i % subscriptions + 1), f"stburst{i}")
        for i in range(resources)
    ]
    creator = Creator(stack)
    with work.Phase(stack, "protection") as phase:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(creator.put, ids))
        created = time.monotonic() - started
        creator.close()
        arrived, kinds, since = _wait_protected(stack, {i.lower() for i in ids}, 0, timeout)
    per_instance = work.summarise_instances(
        work.instances(stack.task_hub_connection_string, ["protect_datasource"])
    )
    figures = phase.figures(resources, excluded_calls=creator.calls, excluded_429=creator.throttled)
    times = sorted(t - started for t in arrived.values())
    protected = sum(1 for k in kinds.values() if k in ("protected", "already_protected"))
    bound = throttle_bound(resources, subscriptions, created, factor)
    result: dict[str, Any] = {
        "resources": resources,
        "subscriptions": subscriptions,
        "time_factor": factor,
        "hosts": len(stack.hosts),
        "created_seconds": round(created, 2),
        "creator_429": creator.throttled,
        "outcomes": len(arrived),
        "protected": protected,
        "other_kinds": sorted({k for k in kinds.values() if k != "protected"}),
        "first_seconds": round(times[0], 2) if times else None,
        "half_seconds": round(times[len(times) // 2], 2) if times else None,
        "all_seconds": round(times[-1], 2) if times else None,
        "outcome_times": [round(t, 2) for t in times],
        "create_times": [round(t - started, 2) for t in sorted(creator.created)],
        "throttle_bound": bound,
        "work": figures,
        "arm_calls_per_protection": work.arm_calls_per_correlation(phase.cloud),
        "per_instance": per_instance.get("protect_datasource", {}),
        "timeline": phase.cloud.get("timeline", []),
        "since": since,
    }
    print_burst(result)
    return result


def print_burst(r: dict[str, Any]) -> None:
    print(
        f"Burst: {r['resources']} accounts across {r['subscriptions']} subscriptions, throttling on, "
        f"time factor {r['time_factor']:g}, {r['hosts']} host(s)"
    )
    print(
        f"  creating them took {r['created_seconds']:.1f}s "
        f"({r['creator_429']} of the creator's PUTs throttled)"
    )
    if r["all_seconds"] is not None:
        print(
            f"  outcomes: {r['outcomes']}/{r['resources']} ({r['protected']} protected); first after "
            f"{r['first_seconds']:.1f}s, 50% {r['half_seconds']:.1f}s, all {r['all_seconds']:.1f}s"
        )
    if r["other_kinds"]:
        print(f"  other outcome kinds: {r['other_kinds']}")
    b = r["throttle_bound"]
    ratio = f" -> all outcomes at {r['all_seconds'] / b['bound_seconds']:.2f}x it" if r["all_seconds"] else ""
    print(
        f"  throttle bound {b['bound_seconds']:.1f}s = max(ARM writes {b['arm_writes_seconds']:.1f}s, "
        f"reads {b['arm_reads_seconds']:.1f}s, creates {b['created_seconds']:.1f}s) "
        f"+ floor {b['floor_seconds']:.2f}s" + ratio
    )
    w, u = r["work"], r["work"]["per_unit"]
    print(
        f"  per protection: ARM calls {u['arm_calls']:.2f} (429s {u['arm_429']:.3f}), activity executions "
        f"{u['activity_executions']:.2f}, episodes {u['episodes']:.2f}, task-hub storage transactions "
        f"{u['task_hub_storage_transactions']:.2f}, trigger-queue transactions "
        f"{u['trigger_storage_transactions']:.2f}"
    )
    inst = r["per_instance"]
    if inst:
        print(
            f"  per instance (history): events median {inst['history_events']['median']:g} "
            f"(max {inst['history_events']['max']:g}), episodes {inst['episodes']['median']:g}, "
            f"activities {inst['activities']['median']:g}, timers {inst['timers']['median']:g}"
        )
    print(
        "  task-hub storage by operation: " + ", ".join(f"{k} {v}" for k, v in w["task_hub_storage"].items())
    )
    print("  activities: " + ", ".join(f"{k} {v}" for k, v in w["activities"].items()))
    print(
        "  CPU seconds: "
        + ", ".join(f"{k} {v:.1f}" for k, v in w["cpu_seconds"].items())
        + f"; host CPU per episode+activity {w['host_cpu_ms_per_episode_plus_activity']} ms"
    )
    by_op = list(w["arm_calls_by_operation"].items())[:8]
    print("  calls by operation: " + ", ".join(f"{op} {n}" for op, n in by_op))


def latency(stack: LocalStack, samples: int, subscriptions: int, factor: float, since: int) -> None:
    raw: list[float] = []
    for i in range(samples):
        rid = seeds.account_id(seeds.subscription_id(i % subscriptions + 1), f"stlatency{i}")
        started = time.monotonic()
        creator = Creator(stack)
        creator.put(rid)
        creator.close()
        arrived, _, since = _wait_protected(stack, {rid.lower()}, since, 60.0)
        if arrived:
            raw.append(arrived[rid.lower()] - started)
    if not raw:
        print("Latency: no outcome arrived")
        return
    ops = OPERATION_SECONDS / factor
    waits = POLL_SECONDS / factor
    net = sorted(r - ops for r in raw)
    engine = sorted(r - ops - waits for r in raw)

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, round(q * (len(values) - 1)))]

    print(f"Latency at light load ({len(raw)} accounts, one at a time), ARM PUT -> Protected event:")
    print(f"  raw: p50 {statistics.median(raw):.2f}s, p99 {pct(sorted(raw), 0.99):.2f}s")
    print(
        f"  minus emulator operation time ({ops:.3f}s): p50 {pct(net, 0.5):.2f}s, p99 {pct(net, 0.99):.2f}s"
    )
    print(
        f"  minus also the Retry-After waits the service mandates ({waits:.2f}s): "
        f"p50 {pct(engine, 0.5):.2f}s, p99 {pct(engine, 0.99):.2f}s  (Event Grid + queue + durable engine)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.protection_burst", description=__doc__)
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--subscriptions", type=int, default=5)
    parser.add_argument("--time-factor", type=float, default=120.0)
    parser.add_argument(
        "--timeout", type=float, default=360.0, help="seconds to wait for the burst's outcomes"
    )
    parser.add_argument("--baseline", type=int, default=50, help="resources for the SDK baseline (0: skip)")
    parser.add_argument("--latency-samples", type=int, default=20)
    parser.add_argument(
        "--hosts", type=int, default=1, help="local hosts sharing the task hub (a scaled-out app's instances)"
    )
    parser.add_argument(
        "--task-hub-storage", action="store_true", help="the task hub in a storage account of its own"
    )
    args = parser.parse_args(argv)

    seed, rules = seeds.write(STATE_DIR / "bench" / "protection", args.subscriptions)
    config = StackConfig(
        seed=seed,
        rules=rules,
        time_factor=args.time_factor,
        throttling=True,
        name="bench",
        hosts=args.hosts,
        task_hub_storage=args.task_hub_storage,
    )
    with LocalStack(config) as stack:
        since = burst(stack, args.resources, args.subscriptions, args.time_factor, args.timeout)["since"]
        if args.latency_samples:
            latency(stack, args.latency_samples, args.subscriptions, args.time_factor, since)
    if args.baseline:
        figures = protection_baseline.run(args.baseline, args.subscriptions, args.time_factor)
        print(
            f"SDK sequential baseline (azure-mgmt-dataprotection, validate + create + wait, one at a time): "
            f"{figures['resources']:.0f} resources in {figures['seconds']:.1f}s = "
            f"{figures['seconds_per_resource']:.2f}s each -> {args.resources} would take "
            f"{figures['seconds_per_resource'] * args.resources:.0f}s; "
            f"{figures['arm_calls_per_resource']:.1f} ARM calls per resource, {figures['throttled']:.0f} 429s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
