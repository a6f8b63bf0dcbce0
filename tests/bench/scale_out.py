"""Scale-out: N app instances (N ARM clients, each with its own rate limiter, sharing one principal as the
instances of one function app share its managed identity) against the throttled emulator (ARM's limits,
real time). Each instance runs its share of protection-shaped jobs (read, write, read, write, read,
read: the ARM operation types of one protection's calls) with 16 at a time (the host's activity
concurrency); a call whose retries are spent is retried 10 s later, as the orchestrator's retry policy
does. Prints, per design and N: 429s (and their share of the calls), makespan, and the bound ARM's limits
set.

Designs (``--designs``): ``budget`` = a fixed per-process budget (the limiter without feedback, at the
ceilings the app had: 20 reads/s, 8 writes/s, burst 20), ``capped`` = that budget with one call in flight
per instance (what a host.json concurrency cap of 1 does), ``budget_arm`` = the budget at today's ceilings
(25 / 10 / 100), ``retry_after`` = today's ceilings, the limiter closed process-wide for a 429's
Retry-After only, ``adaptive`` = the app's limiter (:mod:`shared.arm.rate_limit`: Retry-After plus ARM's
remaining-quota header, reserve half of ARM's bucket), ``adaptive_old`` = it at the old ceilings,
``adaptive_r20`` = it with a reserve of a fifth of ARM's bucket.

    .venv/bin/python -m tests.bench.scale_out                       # N = 1, 10, 40; all designs
    .venv/bin/python -m tests.bench.scale_out --instances 1 40 --designs budget adaptive --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from azure.core.credentials import AccessToken

from local.azurite import STATE_DIR
from local.stack import CloudProcess
from shared.arm.client import ArmClient
from shared.arm.rate_limit import RateLimiter
from shared.config import Settings
from shared.errors import ArmError, Classification
from tests.bench import protection_seed as seeds

RG_API = "2021-04-01"
# One protection's ARM calls by ARM operation type: read, write (the validate POST), read, write (the create
# PUT), read, read. Both writes are PUTs of the job's resource group here: ARM spends write tokens alike.
JOB = ("GET", "PUT", "GET", "PUT", "GET", "GET")
CONCURRENCY = 16
ORCHESTRATOR_RETRY_SECONDS = 10.0
MAX_ATTEMPTS = 8
OLD_CEILING = {"reads_per_second": 20.0, "writes_per_second": 8.0, "burst": 20}  # the settings before
CEILING = {  # the settings now (shared/config.py defaults)
    "reads_per_second": Settings.arm_reads_per_second,
    "writes_per_second": Settings.arm_writes_per_second,
    "burst": Settings.arm_burst,
}
ARM_LIMITS = {"read": (250.0, 25.0), "write": (200.0, 10.0)}


class _Token:
    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("bench-managed-identity", int(time.time()) + 3600)


class BudgetLimiter(RateLimiter):
    """A fixed per-process budget: the limiter ignoring every answer (the app before the feedback)."""

    def observe(self, subscription: str | None, kind: str, **_: Any) -> None:
        return None


class RetryAfterLimiter(RateLimiter):
    """Only a 429's Retry-After steers it (the remaining-quota header is ignored)."""

    def observe(
        self,
        subscription: str | None,
        kind: str,
        *,
        status: int,
        remaining: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        if status == 429:
            super().observe(subscription, kind, status=status, retry_after=retry_after)


@dataclass(frozen=True)
class Design:
    name: str
    limiter: Callable[..., RateLimiter]
    ceiling: dict[str, Any]
    concurrency: int = CONCURRENCY


DESIGNS = {
    "budget": Design("budget", BudgetLimiter, OLD_CEILING),
    "capped": Design("capped", BudgetLimiter, OLD_CEILING, concurrency=1),
    "budget_arm": Design("budget_arm", BudgetLimiter, CEILING),
    "retry_after": Design("retry_after", RetryAfterLimiter, CEILING),
    "adaptive_old": Design("adaptive_old", RateLimiter, OLD_CEILING),
    "adaptive_r20": Design("adaptive_r20", RateLimiter, {**CEILING, "reserve_share": 0.2}),
    "adaptive": Design("adaptive", RateLimiter, CEILING),
}


def throttle_bound(jobs_per_subscription: int) -> float:
    """Seconds ARM needs for one subscription's calls: what exceeds each bucket, at its refill rate."""
    writes = jobs_per_subscription * sum(1 for m in JOB if m != "GET")
    reads = jobs_per_subscription * sum(1 for m in JOB if m == "GET")
    return max(
        max(0.0, writes - ARM_LIMITS["write"][0]) / ARM_LIMITS["write"][1],
        max(0.0, reads - ARM_LIMITS["read"][0]) / ARM_LIMITS["read"][1],
    )


async def _instance(
    url: str, design: Design, jobs: list[str], stats: dict[str, int], finished: list[float], t0: float
) -> None:
    limiter = design.limiter(**design.ceiling)
    gate = asyncio.Semaphore(design.concurrency)
    async with ArmClient(endpoint=url, credential=_Token(), limiter=limiter) as arm:

        async def call(method: str, group: str) -> None:
            body = {"location": seeds.LOCATION, "tags": {"bench": "scale-out"}} if method != "GET" else None
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    await arm.request(method, group, api_version=RG_API, json=body)
                    return
                except ArmError as error:
                    if error.classification is not Classification.TRANSIENT or attempt == MAX_ATTEMPTS:
                        stats["failed"] += 1
                        return
                    stats["activity_retries"] += 1
                    await asyncio.sleep(ORCHESTRATOR_RETRY_SECONDS)

        async def job(group: str) -> None:
            async with gate:
                for method in JOB:
                    await call(method, group)
            finished.append(time.monotonic() - t0)

        await asyncio.gather(*(job(g) for g in jobs))


async def _drive(url: str, design: Design, instances: int, groups: list[str], stats: dict[str, int]) -> float:
    finished: list[float] = []
    shares = [groups[i::instances] for i in range(instances)]
    t0 = time.monotonic()
    await asyncio.gather(*(_instance(url, design, share, stats, finished, t0) for share in shares))
    return time.monotonic() - t0


def _run(url: str, design: Design, instances: int, groups: list[str]) -> dict[str, Any]:
    # every run starts with ARM's buckets full: setting the limits again resets the emulator's buckets
    limits = {"reads": list(ARM_LIMITS["read"]), "writes": list(ARM_LIMITS["write"])}
    httpx.put(f"{url}/_admin/config", json={"throttle_limits": limits}).raise_for_status()
    httpx.delete(f"{url}/_admin/counters").raise_for_status()
    stats = {"failed": 0, "activity_retries": 0}
    makespan = asyncio.run(_drive(url, design, instances, groups, stats))
    counters = httpx.get(f"{url}/_admin/counters").json()
    calls, throttled = int(counters["total_calls"]), int(counters["total_throttled"])
    return {
        "design": design.name,
        "instances": instances,
        "jobs": len(groups),
        "makespan_seconds": round(makespan, 2),
        "arm_calls": calls,
        "arm_429": throttled,
        "share_429": round(throttled / calls, 4) if calls else 0.0,
        "failed_calls": stats["failed"],
        "activity_retries": stats["activity_retries"],
        "timeline": counters.get("timeline", []),
    }


def _seed(folder: Path, subscriptions: int, groups_per_subscription: int) -> Path:
    document = seeds.seed_document(subscriptions)
    for sub in document["subscriptions"]:
        sub["resourceGroups"] += [
            {"name": f"rg-job-{i}", "location": seeds.LOCATION} for i in range(groups_per_subscription)
        ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "seed.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def run(
    instances: list[int], designs: list[str], subscriptions: int, jobs_per_subscription: int, repeat: int
) -> dict[str, Any]:
    """Every (design, N) ``repeat`` times, interleaved (design inside N inside repeat), on one emulator."""
    folder = STATE_DIR / "bench" / "scale-out"
    seed = _seed(folder, subscriptions, jobs_per_subscription)
    groups = [
        f"/subscriptions/{seeds.subscription_id(s + 1)}/resourceGroups/rg-job-{i}"
        for i in range(jobs_per_subscription)
        for s in range(subscriptions)
    ]
    cloud = CloudProcess(seed, 1.0, True, STATE_DIR / "logs" / "bench-scale-out-cloud.log")
    runs: list[dict[str, Any]] = []
    try:
        cloud.wait_ready()
        for round_number in range(repeat):
            for n in instances:
                for name in designs:
                    result = _run(cloud.url, DESIGNS[name], n, groups)
                    result["round"] = round_number
                    runs.append(result)
                    print(
                        f"  {name:>12} N={n:<3} makespan {result['makespan_seconds']:6.1f}s  "
                        f"calls {result['arm_calls']:5d}  429s {result['arm_429']:5d} "
                        f"({100 * result['share_429']:.1f}%)  failed {result['failed_calls']}",
                        flush=True,
                    )
    finally:
        cloud.stop()
    return {
        "subscriptions": subscriptions,
        "jobs_per_subscription": jobs_per_subscription,
        "throttle_bound_seconds": throttle_bound(jobs_per_subscription),
        "runs": runs,
        "medians": medians(runs),
    }


def medians(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in runs:
        table.setdefault((r["design"], r["instances"]), []).append(r)
    return [
        {
            "design": design,
            "instances": n,
            "repeats": len(group),
            "makespan_seconds": statistics.median(r["makespan_seconds"] for r in group),
            "arm_calls": statistics.median(r["arm_calls"] for r in group),
            "arm_429": statistics.median(r["arm_429"] for r in group),
            "share_429": statistics.median(r["share_429"] for r in group),
            "failed_calls": max(r["failed_calls"] for r in group),
        }
        for (design, n), group in sorted(table.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]


def print_medians(result: dict[str, Any]) -> None:
    print(
        f"Scale-out: {result['subscriptions']} subscriptions x {result['jobs_per_subscription']} jobs "
        f"(6 ARM calls each), ARM's throttle bound {result['throttle_bound_seconds']:.1f}s; medians:"
    )
    for m in result["medians"]:
        print(
            f"  {m['design']:>12} N={m['instances']:<3} makespan {m['makespan_seconds']:6.1f}s  "
            f"429s {m['arm_429']:6.0f} = {100 * m['share_429']:5.1f}% of {m['arm_calls']:.0f} calls  "
            f"(x{m['repeats']})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.scale_out", description=__doc__)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 10, 40])
    parser.add_argument("--designs", nargs="+", choices=sorted(DESIGNS), default=list(DESIGNS))
    parser.add_argument("--subscriptions", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=150, help="jobs per subscription")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    result = run(args.instances, args.designs, args.subscriptions, args.jobs, args.repeat)
    print_medians(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
