"""File-share benchmark: N new Azure file shares (spread over storage accounts) created at once; Backup
Autopilot protects each through the Recovery Services flow of seeds/004. Prints: shares protected per minute,
the time until every outcome arrived, ARM calls per share (counted by the emulator per correlation id, so
only the app's calls for that share) against the flow's minimum, the calls by operation, and 429s.

The flow's minimum per share, with every asynchronous operation answering on its first poll: the share and
its storage account GETs (the event is never trusted), refresh POST + its poll, protectableContainers,
register PUT + its poll (or backupProtectionContainers when the container is registered already), inquire
POST + its poll, backupProtectableItems, protectedItems PUT + its poll, the protected item GET: 13 for a new
container, 12 for a registered one. Shares of one account racing each other may each register it (an
idempotent PUT): the mean shows how often.

    .venv/bin/python -m tests.bench.share_protection                       # 200 shares over 20 accounts
    .venv/bin/python -m tests.bench.share_protection --shares 50 --accounts 5 --no-throttling
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from local.azurite import REPO_ROOT
from local.stack import LocalStack, StackConfig

DEMO = REPO_ROOT / "local" / "demo"
RG = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data-weu"
STORAGE_API = "2023-05-01"
MIN_CALLS_NEW_CONTAINER = 13
MIN_CALLS_REGISTERED = 12
OPERATIONS = ("rs.refresh", "rs.register", "rs.inquire", "rs.protect")  # emulated seconds each
POLLS = 4  # each operation's Retry-After (60 s) is waited once before its first poll


def _put(stack: LocalStack, path: str, body: dict[str, Any], factor: float) -> int:
    """PUT as a user's deployment would: its own 429s retried after the scaled Retry-After."""
    throttled = 0
    for _ in range(50):
        try:
            response = stack.arm("PUT", path, body, api_version=STORAGE_API)
        except httpx.HTTPError:
            continue
        if response.status_code == 429:
            throttled += 1
            time.sleep(float(response.headers.get("Retry-After", "5")) / factor)
            continue
        response.raise_for_status()
        return throttled
    raise RuntimeError(f"could not create {path}")


def _outcomes(stack: LocalStack, wanted: set[str], timeout: float) -> dict[str, tuple[float, dict[str, Any]]]:
    """Arrival time (monotonic) and data of the first outcome of each wanted id."""
    arrived: dict[str, tuple[float, dict[str, Any]]] = {}
    since, deadline = 0, time.monotonic() + timeout
    while len(arrived) < len(wanted) and (remaining := deadline - time.monotonic()) > 0:
        events, since = stack.topic_events(since, wait=min(2.0, remaining))
        now = time.monotonic()
        for event in events:
            subject = str(event.get("subject", "")).lower()
            if subject in wanted and subject not in arrived:
                arrived[subject] = (now, dict(event.get("data") or {}))
    return arrived


def run(stack: LocalStack, shares: int, accounts: int, factor: float, timeout: float) -> int:
    account_ids = [
        f"{RG}/providers/Microsoft.Storage/storageAccounts/stbenchfiles{a}" for a in range(accounts)
    ]
    body = {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": {}}
    for account in account_ids:
        _put(stack, account, body, factor)
    _outcomes(stack, {a.lower() for a in account_ids}, timeout)  # their blob protection, done before counting
    share_ids = [f"{account_ids[i % accounts]}/fileServices/default/shares/share{i}" for i in range(shares)]
    stack.admin("DELETE", "/_admin/counters")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        throttled_puts = sum(pool.map(lambda s: _put(stack, s, {"properties": {}}, factor), share_ids))
    created = time.monotonic() - started
    arrived = _outcomes(stack, {s.lower() for s in share_ids}, timeout)
    counters = stack.admin("GET", "/_admin/counters")
    kinds = [data.get("kind") for _, data in arrived.values()]
    protected = kinds.count("protected")
    times = sorted(t - started for t, _ in arrived.values())
    per_share = [
        int(counters["correlations"].get(str(data.get("correlation_id")), 0)) for _, data in arrived.values()
    ]
    print(
        f"File shares: {shares} new shares over {accounts} storage accounts, created at once, "
        f"time factor {factor:g}, throttling {'on' if stack.config.throttling else 'off'}"
    )
    print(f"  creating them took {created:.1f}s ({throttled_puts} of the creator's PUTs were throttled)")
    if times:
        print(
            f"  outcomes: {len(arrived)}/{shares} ({protected} protected); first after {times[0]:.1f}s, "
            f"50% {times[len(times) // 2]:.1f}s, all {times[-1]:.1f}s"
        )
        print(f"  throughput: {protected / times[-1] * 60:.0f} shares protected per minute (all outcomes in)")
    others = sorted({str(k) for k in kinds if k != "protected"})
    if others:
        print(f"  other outcome kinds: {others}")
    if per_share:
        print(
            f"  app ARM calls per share: median {statistics.median(per_share):g}, mean "
            f"{statistics.mean(per_share):.2f}, min {min(per_share)}, max {max(per_share)}; the flow's "
            f"minimum is {MIN_CALLS_NEW_CONTAINER} (new container) / {MIN_CALLS_REGISTERED} (registered): "
            f"median / minimum = {statistics.median(per_share) / MIN_CALLS_REGISTERED:.2f}"
        )
    by_op = sorted(counters["calls"].items(), key=lambda kv: (-kv[1], kv[0]))
    print("  calls by operation: " + ", ".join(f"{op} {n}" for op, n in by_op))
    print(f"  429s received (all callers): {counters['total_throttled']}")
    floor = (sum(stack_durations(stack)) + POLLS * 60.0) / factor
    print(f"  (per-share floor from emulated operation time + mandated Retry-After waits: {floor:.2f}s)")
    return 0 if protected == shares else 1


def stack_durations(stack: LocalStack) -> list[float]:
    durations = stack.admin("GET", "/_admin/config")["durations"]
    defaults = {"rs.refresh": 1.0, "rs.register": 1.0, "rs.inquire": 1.0, "rs.protect": 2.0}
    return [float(durations.get(op, defaults[op])) for op in OPERATIONS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.share_protection", description=__doc__)
    parser.add_argument("--shares", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--time-factor", type=float, default=120.0)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the outcomes")
    parser.add_argument("--no-throttling", action="store_true", help="turn the emulated ARM throttling off")
    args = parser.parse_args(argv)
    config = StackConfig(
        seed=DEMO / "tenant.yaml",
        rules=DEMO / "rules.yaml",
        time_factor=args.time_factor,
        throttling=not args.no_throttling,
        name="bench-shares",
    )
    with LocalStack(config) as stack:
        return run(stack, args.shares, args.accounts, args.time_factor, args.timeout)


if __name__ == "__main__":
    raise SystemExit(main())
