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
from tests.bench import protection_baseline
from tests.bench import protection_seed as seeds

STORAGE_API = "2023-05-01"
OPERATION_SECONDS = 2.0 + 4.0  # emulator defaults: validate_for_backup + backup_instance.create
POLL_SECONDS = 2 * 60.0  # each operation's Retry-After (60 s) is waited once before its first poll


def _body() -> dict[str, Any]:
    return {
        "location": seeds.LOCATION,
        "kind": "StorageV2",
        "sku": {"name": "Standard_LRS"},
        "properties": {"isHnsEnabled": False},
    }


class Creator:
    """Creates accounts as a user's deployment would: retries its own 429s after the scaled Retry-After."""

    def __init__(self, stack: LocalStack, factor: float) -> None:
        self.stack, self.factor = stack, factor
        self.calls = 0
        self.throttled = 0

    def put(self, resource_id: str) -> None:
        for _ in range(50):
            self.calls += 1
            try:
                response = self.stack.arm("PUT", resource_id, _body(), api_version=STORAGE_API)
            except httpx.HTTPError:
                continue
            if response.status_code == 429:
                self.throttled += 1
                time.sleep(float(response.headers.get("Retry-After", "5")) / self.factor)
                continue
            response.raise_for_status()
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


def burst(stack: LocalStack, resources: int, subscriptions: int, factor: float, timeout: float) -> int:
    ids = [
        seeds.account_id(seeds.subscription_id(i % subscriptions + 1), f"stburst{i}")
        for i in range(resources)
    ]
    creator = Creator(stack, factor)
    stack.admin("DELETE", "/_admin/counters")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(creator.put, ids))
    created = time.monotonic() - started
    arrived, kinds, since = _wait_protected(stack, {i.lower() for i in ids}, 0, timeout)
    counters = stack.admin("GET", "/_admin/counters")
    times = sorted(t - started for t in arrived.values())
    protected = sum(1 for k in kinds.values() if k in ("protected", "already_protected"))
    app_calls = counters["total_calls"] - creator.calls
    app_429 = counters["total_throttled"] - creator.throttled
    print(
        f"Burst: {resources} accounts across {subscriptions} subscriptions, throttling on, "
        f"time factor {factor:g}"
    )
    print(
        f"  creating them took {created:.1f}s ({creator.throttled} of the creator's own PUTs were throttled)"
    )
    if times:
        print(
            f"  outcomes: {len(arrived)}/{resources} ({protected} protected); first after {times[0]:.1f}s, "
            f"50% {times[len(times) // 2]:.1f}s, 90% {times[int(len(times) * 0.9) - 1]:.1f}s, "
            f"all {times[-1]:.1f}s"
        )
    others = {k for k in kinds.values() if k != "protected"}
    if others:
        print(f"  other outcome kinds: {sorted(others)}")
    print(
        f"  app ARM calls per resource: {app_calls / resources:.2f} (total {app_calls}); "
        f"429s received by the app: {app_429}"
    )
    by_op = sorted(counters["calls"].items(), key=lambda kv: -kv[1])[:8]
    print("  calls by operation: " + ", ".join(f"{op} {n}" for op, n in by_op))
    floor = (OPERATION_SECONDS + POLL_SECONDS) / factor
    print(f"  (per-resource floor from emulated operation time + mandated Retry-After waits: {floor:.2f}s)")
    return since


def latency(stack: LocalStack, samples: int, subscriptions: int, factor: float, since: int) -> None:
    raw: list[float] = []
    for i in range(samples):
        rid = seeds.account_id(seeds.subscription_id(i % subscriptions + 1), f"stlatency{i}")
        started = time.monotonic()
        Creator(stack, factor).put(rid)
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
    args = parser.parse_args(argv)

    seed, rules = seeds.write(STATE_DIR / "bench" / "protection", args.subscriptions)
    config = StackConfig(seed=seed, rules=rules, time_factor=args.time_factor, throttling=True, name="bench")
    with LocalStack(config) as stack:
        since = burst(stack, args.resources, args.subscriptions, args.time_factor, args.timeout)
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
