"""Fault run (issue 12): N storage accounts created through ARM, Backup Autopilot protects them on the local
stack, twice in one invocation, each on a fresh stack: first without faults (the reference), then with
injected faults on every ARM call (10 % 429, 5 % 5xx, 2 % connection resets, 1 % of the app's asynchronous
operations ending Failed) and K SIGKILLs of the host at evenly spaced points of the run.

Checks: every account ends protected, or failed with the reason; 0 duplicates (at most one backup instance
per account, from the emulator's state); 0 lost (every account has at least one outcome event). "At least
one", not "exactly one": the outcome is published by an activity, and a host killed after the publish but
before the activity's completion was recorded runs that activity again (Durable activities are
at-least-once), so an account may have two identical outcome events; they are counted and printed as
repeated, not as errors. Prints outcomes by kind, lost and duplicated accounts, failures by reason, faults
fired per kind, ARM calls and 429s, and the time to the last outcome of both runs with their ratio.
Exit 1 when anything is lost or duplicated, or an outcome is neither protected nor failed with a reason.

Faults: the emulator's rules match operation and subscription, not the caller, so the request-level faults
hit this script's own PUTs too: it retries them as a client would (Retry-After on 429, back-off on 5xx and
dropped connections). ``fail_operation`` is limited to ``BackupInstances_*`` (the app's asynchronous
operations): a failed ``StorageAccounts_Create`` would mean the account never exists, which tests nothing.

    .venv/bin/python -m tests.bench.fault_run --resources 100 --kills 1
    .venv/bin/python -m tests.bench.fault_run                    # 1,000 accounts, 3 kills
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from azure.storage.queue import QueueClient

from local.azurite import STATE_DIR
from local.stack import TOPIC, LocalStack, StackConfig
from shared.protection.messages import ProtectionRequest
from tests.bench import protection_seed as seeds

STORAGE_API = "2023-05-01"
ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"
BI_TYPE = "Microsoft.DataProtection/backupVaults/backupInstances"
CREATOR_THREADS = 16
MAX_PUT_ATTEMPTS = 40
SETTLE_SECONDS = 8.0  # after the last outcome: late or repeated events, instances still being written
QUEUES = ("protection-requests", "protection-requests-poison", "protection-rejects")
FINAL_KINDS = {"protected", "already_protected", "failed"}

# (kind, share of all ARM requests, rule fields). The emulator tries request rules in order and the first
# that fires wins, so each rule's probability is its share of what the rules before it left over.
REQUEST_FAULTS: list[tuple[str, float, dict[str, Any]]] = [
    ("throttle", 0.10, {"retry_after": 1}),
    ("error", 0.025, {"status": 500, "code": "InternalServerError", "message": "Injected 500."}),
    ("error", 0.025, {"status": 503, "code": "ServiceUnavailable", "message": "Injected 503."}),
    ("reset", 0.02, {}),
]
FAILED_OPERATIONS = 0.01
FAILED_OPERATION_RULE: dict[str, Any] = {
    "kind": "fail_operation",
    "operation": "BackupInstances_*",
    "probability": FAILED_OPERATIONS,
    "status": 500,
    "code": "InternalServerError",
    "message": "Injected: the operation ended Failed.",
}

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_ARM_ID = re.compile(r"/subscriptions/[^\s'\",]+", re.IGNORECASE)


def fault_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    left = 1.0
    for kind, share, extra in REQUEST_FAULTS:
        rules.append({"kind": kind, "probability": share / left, **extra})
        left -= share
    rules.append(dict(FAILED_OPERATION_RULE))
    return rules


def account_body() -> dict[str, Any]:
    return {
        "location": seeds.LOCATION,
        "kind": "StorageV2",
        "sku": {"name": "Standard_LRS"},
        "properties": {"isHnsEnabled": False},
    }


def _utc(text: str) -> datetime:
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _generic(reason: str) -> str:
    """A failure reason with ids and GUIDs replaced, so equal reasons of different accounts group."""
    return _GUID.sub("<guid>", _ARM_ID.sub("<id>", reason))[:240]


@dataclass
class Creator:
    """Creates the accounts as a user's deployment would, retrying its own throttled/failed/dropped PUTs."""

    stack: LocalStack
    calls: int = 0
    throttled: int = 0
    server_errors: int = 0
    dropped: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def put(self, resource_id: str) -> bool:
        last = ""
        for attempt in range(1, MAX_PUT_ATTEMPTS + 1):
            self._count("calls")
            backoff = min(5.0, 0.2 * 2 ** min(attempt, 6))
            try:
                response = self.stack.arm("PUT", resource_id, account_body(), api_version=STORAGE_API)
            except httpx.HTTPError as exc:  # a dropped connection: PUT is idempotent, send it again
                self._count("dropped")
                last = type(exc).__name__
                time.sleep(backoff / 4)
                continue
            if response.status_code < 300:
                return True
            last = f"{response.status_code} {response.text[:200]}"
            retry_after = response.headers.get("Retry-After")
            if response.status_code == 429:
                self._count("throttled")
                time.sleep(min(5.0, float(retry_after or 1)))
                continue
            if response.status_code >= 500:
                self._count("server_errors")
                time.sleep(min(5.0, float(retry_after)) if retry_after else backoff)
                continue
            break
        with self._lock:
            self.failed[resource_id.lower()] = last
        return False


@dataclass
class Outcome:
    kind: str
    reason: str
    code: str
    received: datetime


@dataclass
class Tracker:
    """Every outcome event of the wanted accounts, in topic order, with the time the topic received it."""

    stack: LocalStack
    wanted: set[str]
    since: int = 0
    outcomes: dict[str, list[Outcome]] = field(default_factory=lambda: defaultdict(list))
    others: int = 0

    def collect(self, wait: float) -> None:
        response = httpx.get(
            f"{self.stack.cloud_url}/_admin/eventgrid/topics/{TOPIC}/events",
            params={"since": self.since, "wait": wait},
            timeout=wait + 30.0,
        )
        response.raise_for_status()
        body = response.json()
        for item in body.get("value", []):
            event = item["event"]
            subject = str(event.get("subject", "")).lower()
            if subject not in self.wanted:
                self.others += 1
                continue
            data = event.get("data") or {}
            error = data.get("error") or {}
            self.outcomes[subject].append(
                Outcome(
                    kind=str(data.get("kind")),
                    reason=str(data.get("reason") or ""),
                    code=str(error.get("code") or "") if isinstance(error, dict) else "",
                    received=_utc(str(item["received"])),
                )
            )
        self.since = int(body.get("lastSequence", self.since))

    @property
    def done(self) -> int:
        return len(self.outcomes)


@dataclass
class Figures:
    name: str
    resources: int
    created: int
    seconds_to_last: float | None
    lost: list[str]
    duplicated: dict[str, int]
    off_criterion: list[str]


def _backup_instances(stack: LocalStack) -> dict[str, list[dict[str, Any]]]:
    state = stack.admin("GET", f"/_admin/state?type={BI_TYPE}")
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in state["value"]:
        out[str(item["properties"]["dataSourceInfo"]["resourceID"]).lower()].append(item)
    return out


def _queue_depths(stack: LocalStack) -> dict[str, int]:
    assert stack.azurite is not None
    depths: dict[str, int] = {}
    for name in QUEUES:
        client = QueueClient.from_connection_string(stack.azurite.connection_string, name)
        try:
            depths[name] = int(client.get_queue_properties().approximate_message_count or 0)
        except Exception:  # not created: nothing was ever put there
            depths[name] = 0
        finally:
            client.close()
    return depths


def _durable(stack: LocalStack, path: str, params: dict[str, str] | None = None) -> Any:
    assert stack.host is not None
    response = httpx.get(
        f"{stack.host.base_url}/runtime/webhooks/durabletask/{path}",
        params={"code": stack.host.durabletask_key, **(params or {})},
        timeout=60.0,
    )
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


def _instance_id(resource_id: str) -> str:
    return ProtectionRequest(resource_id, ACCOUNT_TYPE).instance_id()


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def run_variant(args: argparse.Namespace, *, faults: bool) -> Figures:
    name = "faults" if faults else "reference"
    kills = args.kills if faults else 0
    seed, rules = seeds.write(STATE_DIR / "bench" / "fault_run", args.subscriptions)
    config = StackConfig(
        seed=seed,
        rules=rules,
        time_factor=args.time_factor,
        throttling=args.throttling,
        name=f"bench-fault-{name}",
    )
    title = (
        f"with faults ({', '.join(f'{k} {s:.1%}' for k, s, _ in REQUEST_FAULTS)} of ARM requests, "
        f"fail_operation {FAILED_OPERATIONS:.0%} of BackupInstances_* operations) and {kills} SIGKILL(s)"
        if faults
        else "without faults (reference)"
    )
    print(f"\n--- run {name}: {args.resources} accounts across {args.subscriptions} subscriptions, {title}")
    ids = [
        seeds.account_id(seeds.subscription_id(i % args.subscriptions + 1), f"stfault{i}")
        for i in range(args.resources)
    ]
    with LocalStack(config) as stack:
        assert stack.host is not None and stack.cloud is not None
        print(f"  logs: {stack.host.log_path} and {stack.cloud.log_path}", flush=True)
        stack.admin("DELETE", "/_admin/counters")
        if faults:
            stack.admin("POST", "/_admin/faults", {"rules": fault_rules()})
        creator = Creator(stack)
        tracker = Tracker(stack, {i.lower() for i in ids})
        thresholds = [(k * args.resources + kills) // (kills + 1) for k in range(1, kills + 1)]
        kill_log: list[str] = []
        started_wall = datetime.now(UTC)
        started = time.monotonic()
        pool = ThreadPoolExecutor(max_workers=CREATOR_THREADS)
        creating = pool.map(creator.put, ids)
        creation = threading.Thread(target=lambda: list(creating), daemon=True)
        creation.start()
        created_after: float | None = None
        deadline = started + args.timeout
        while time.monotonic() < deadline:
            tracker.collect(wait=1.0)
            if created_after is None and not creation.is_alive():
                created_after = time.monotonic() - started
                print(
                    f"  created {len(ids) - len(creator.failed)}/{len(ids)} accounts in {created_after:.1f}s "
                    f"({creator.calls} PUTs: {creator.throttled} throttled, {creator.server_errors} 5xx, "
                    f"{creator.dropped} dropped connections)",
                    flush=True,
                )
            if thresholds and tracker.done >= thresholds[0]:
                thresholds.pop(0)
                at = time.monotonic() - started
                old_pid = stack.host.pid
                stack.restart_host(kill=True)
                kill_log.append(
                    f"at {at:.1f}s with {tracker.done}/{len(ids)} outcomes: pid {old_pid} killed, "
                    f"pid {stack.host.pid} serving after {time.monotonic() - started - at:.1f}s"
                )
                print(f"  SIGKILL {len(kill_log)} {kill_log[-1]}", flush=True)
            expected = tracker.wanted - set(creator.failed)
            if created_after is not None and expected <= set(tracker.outcomes):
                break
        timed_out = time.monotonic() >= deadline
        settle_until = time.monotonic() + SETTLE_SECONDS
        while (remaining := settle_until - time.monotonic()) > 0:
            tracker.collect(wait=min(2.0, remaining))
        pool.shutdown(wait=False, cancel_futures=True)

        counters = stack.admin("GET", "/_admin/counters")
        fired = stack.admin("GET", "/_admin/faults")["rules"]
        instances = _backup_instances(stack)
        dead_letters = stack.admin("GET", "/_admin/eventgrid/deadletters")["value"]
        queues = _queue_depths(stack)
        durable_states = _durable(stack, "instances", {"instanceIdPrefix": "protect-"}) or []
        stack.admin("DELETE", "/_admin/faults")

        return report(
            name,
            stack,
            ids,
            creator,
            tracker,
            started_wall,
            timed_out,
            counters,
            fired,
            instances,
            dead_letters,
            queues,
            durable_states,
            kill_log,
        )


def report(
    name: str,
    stack: LocalStack,
    ids: list[str],
    creator: Creator,
    tracker: Tracker,
    started_wall: datetime,
    timed_out: bool,
    counters: dict[str, Any],
    fired: list[dict[str, Any]],
    instances: dict[str, list[dict[str, Any]]],
    dead_letters: list[dict[str, Any]],
    queues: dict[str, int],
    durable_states: list[dict[str, Any]],
    kill_log: list[str],
) -> Figures:
    created = [i.lower() for i in ids if i.lower() not in creator.failed]
    outcomes = tracker.outcomes
    final = {rid: events[-1] for rid, events in outcomes.items()}
    first_times = sorted((events[0].received - started_wall).total_seconds() for events in outcomes.values())
    lost = [rid for rid in created if rid not in outcomes]
    duplicated = {rid: len(items) for rid, items in instances.items() if len(items) > 1}
    off_criterion = [
        rid
        for rid, outcome in final.items()
        if outcome.kind not in FINAL_KINDS or (outcome.kind == "failed" and not outcome.reason.strip())
    ]
    repeated = {rid: len(events) for rid, events in outcomes.items() if len(events) > 1}
    changed = [rid for rid, events in outcomes.items() if len({e.kind for e in events}) > 1]

    print(f"  result of run {name}{' (TIMED OUT)' if timed_out else ''}:")
    if creator.failed:
        print(f"    accounts this script could not create: {len(creator.failed)}")
        for rid, why in list(creator.failed.items())[:5]:
            print(f"      {rid}: {why}")
    kinds = Counter(o.kind for o in final.values())
    print(
        "    outcomes by kind (last event per account): "
        + ", ".join(f"{k} {n}" for k, n in kinds.most_common())
        + f"; {len(outcomes)}/{len(created)} accounts have an outcome"
    )
    total_events = sum(len(e) for e in outcomes.values())
    print(
        f"    outcome events: {total_events} for {len(outcomes)} accounts; accounts with more than one "
        f"(at-least-once publish): {len(repeated)}"
        + (f" (max {max(repeated.values())} events)" if repeated else "")
        + (f"; of which the kind changed: {len(changed)}" if changed else "")
    )
    for rid in (changed or list(repeated))[:3]:
        seen = ", ".join(
            f"{e.kind} at {(e.received - started_wall).total_seconds():.1f}s" for e in outcomes[rid]
        )
        print(f"      e.g. {rid}: {seen}")
    print(f"    lost (no outcome event): {len(lost)}")
    for rid in lost[:10]:
        status = _durable(stack, f"instances/{_instance_id(rid)}")
        summary = (
            "no orchestration"
            if status is None
            else f"orchestration {status.get('runtimeStatus')} custom {status.get('customStatus')}"
        )
        print(f"      {rid}: {summary}")
    print(f"    duplicated (more than one backup instance): {len(duplicated)}")
    for rid, count in list(duplicated.items())[:10]:
        names = [i["name"] for i in instances[rid]]
        print(f"      {rid}: {count} instances {names}")
    statuses = Counter(
        str((items[0]["properties"].get("protectionStatus") or {}).get("status"))
        for rid, items in instances.items()
        if rid in set(created)
    )
    print(
        f"    backup instances: {sum(len(v) for v in instances.values())} for {len(instances)} accounts; "
        + ", ".join(f"{s} {n}" for s, n in statuses.most_common())
    )
    protected_without = [
        rid
        for rid, o in final.items()
        if o.kind in ("protected", "already_protected") and rid not in instances
    ]
    if protected_without:
        print(f"    protected outcome but no backup instance: {len(protected_without)}")
    if off_criterion:
        print(f"    neither protected nor failed with a reason: {len(off_criterion)}")
        for rid in off_criterion[:5]:
            print(f"      {rid}: {final[rid].kind} {final[rid].reason!r}")
    failures = Counter(
        f"[{o.code or '-'}] {_generic(o.reason)}" for o in final.values() if o.kind == "failed"
    )
    print(f"    failures by reason: {sum(failures.values())}")
    for reason, count in failures.most_common():
        print(f"      {count:5d}  {reason}")

    total = int(counters["total_calls"])
    print(
        f"    ARM calls: {total} (app {total - creator.calls}, this script {creator.calls}); "
        f"per account (app): {(total - creator.calls) / max(1, len(created)):.2f}"
    )
    injected_429 = sum(int(r["fired"]) for r in fired if r["kind"] == "throttle")
    total_429 = int(counters["total_throttled"])
    print(
        f"    429s: {total_429} (injected {injected_429}, from the emulator's token buckets "
        f"{total_429 - injected_429}; received by the app {total_429 - creator.throttled}, "
        f"by this script {creator.throttled}); 5xx incl. resets: {counters['total_server_errors']}"
    )
    by_op = sorted(counters["calls"].items(), key=lambda kv: -kv[1])[:8]
    print("    calls by operation: " + ", ".join(f"{op} {n}" for op, n in by_op))
    if fired:
        async_ops = sum(
            int(n)
            for op, n in counters["calls"].items()
            if op in ("BackupInstances_ValidateForBackup", "BackupInstances_CreateOrUpdate")
        )
        parts = []
        for rule in fired:
            label = rule["kind"] + (f" {rule['status']}" if rule["kind"] == "error" else "")
            base = async_ops if rule["kind"] == "fail_operation" else total
            parts.append(f"{label} {rule['fired']} ({int(rule['fired']) / max(1, base):.1%})")
        print(
            "    faults fired: "
            + ", ".join(parts)
            + " (shares of all ARM calls; fail_operation of the BackupInstances calls)"
        )
    for line in kill_log:
        print(f"    SIGKILL {line}")
    runtime = Counter(str(s.get("runtimeStatus")) for s in durable_states)
    print(
        "    orchestrations: "
        + (", ".join(f"{k} {n}" for k, n in runtime.most_common()) or "none listed")
        + f"; queues {queues}; Event Grid dead letters {len(dead_letters)}"
    )
    seconds_to_last = first_times[-1] if first_times else None
    if first_times:
        print(
            f"    time to outcome from the first PUT: first {first_times[0]:.1f}s, "
            f"50% {_pct(first_times, 0.5):.1f}s, 90% {_pct(first_times, 0.9):.1f}s, "
            f"last {first_times[-1]:.1f}s"
        )
    return Figures(name, len(ids), len(created), seconds_to_last, lost, duplicated, off_criterion)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.fault_run", description=__doc__)
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs of the host during the faulty run")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds each run waits for its outcomes"
    )
    parser.add_argument("--subscriptions", type=int, default=5)
    parser.add_argument("--time-factor", type=float, default=120.0)
    parser.add_argument(
        "--throttling",
        action="store_true",
        help="also the emulator's ARM token buckets (off: every 429 is an injected one)",
    )
    args = parser.parse_args(argv)
    if args.resources < 1 or args.kills < 0:
        parser.error("--resources must be positive and --kills not negative")

    started = time.monotonic()
    runs = [run_variant(args, faults=False), run_variant(args, faults=True)]
    reference, faulty = runs
    print(f"\nFault run summary ({time.monotonic() - started:.0f}s in all):")
    for run in runs:
        last = f"{run.seconds_to_last:.1f}s" if run.seconds_to_last is not None else "n/a"
        print(
            f"  {run.name:9s}: {run.created}/{run.resources} created, lost {len(run.lost)}, "
            f"duplicated {len(run.duplicated)}, not protected/failed-with-reason {len(run.off_criterion)}, "
            f"time to the last outcome {last}"
        )
    if reference.seconds_to_last and faulty.seconds_to_last:
        print(
            f"  faults + {args.kills} SIGKILL(s) / reference: "
            f"{faulty.seconds_to_last / reference.seconds_to_last:.2f}x the time to the last outcome"
        )
    bad = any(r.lost or r.duplicated or r.off_criterion or r.created < r.resources for r in runs)
    print("  verdict: " + ("FAILED (see above)" if bad else "ok: nothing lost, nothing duplicated"))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
