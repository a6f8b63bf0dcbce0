# ruff: noqa: E501 - ARM ids are long by nature
"""Compliance sweeps at scale on the local stack (Azurite + emulated cloud + local Functions host), throttling on.

1. Inventory + classification: R storage accounts (``--resources``, full size 100,000) bulk-loaded across S
   subscriptions (``--subscriptions``, full size 100; ``bulk_subscription_id(1..S)``) and one sweep over all of
   them (``COMPLIANCE_SUBSCRIPTIONS``, remediation off). Prints the Resource Graph quota bound, the measured wall
   time and their ratio, the phases, the peak RSS of the host (goal < 300 MB), of the emulator and of Azurite,
   CPU seconds per process and phase, and the report's totals.
2. Remediation: in the first K subscriptions (``--gap-subscriptions``, 5) G / K accounts each (``--gaps``, full
   size 5,000, i.e. 5 x 1,000: every account of those subscriptions) are covered by a rule: a Backup vault with a
   blob policy and the role its identity needs, in each of those subscriptions, from a seed this benchmark writes
   to its own temporary directory. Every other account is excluded (no rule covers it). The host is restarted
   with ``COMPLIANCE_REMEDIATION=on``, a second sweep sends every gap to the protection queue (released at
   ``COMPLIANCE_REMEDIATION_PER_SECOND`` per subscription), and the benchmark waits (``--timeout``) until each
   gap has its protection outcome on the topic. Prints the time to the last outcome, outcomes by kind and per
   minute, each outcome's lag behind its own release, ARM calls and 429s from the emulator's counters (goal:
   429s <= 1 % of ARM calls) and the release spread the sweep reported.

Why time factor 1. The emulator enforces Resource Graph's quota (15 queries per 5-second window per user) and
ARM's token buckets on the wall clock (``time.monotonic``), while the host's durable timers (the waits the sweep
takes when ``x-ms-user-quota-remaining`` reaches 0) run on the stack's time factor. At a factor F > 1 the sweep
would wait 5/F seconds for a window that lasts 5 real seconds: it would spend its quota early, be answered 429
and retry, and the wall time would no longer say how closely the sweep follows the quota. At F = 1 the quota
waits are real seconds, so the quota bound below is a true lower bound of the measured wall time. The same holds
for remediation: the queue visibility delays that spread the requests are real seconds in Azurite, and each
protection's two Retry-After waits (60 s per operation, validate then create) are real, so no protection
finishes sooner than 120 s after its release.

The quota bound. The sweep must fetch P = sum over its (scope batch, source) pairs of max(1, ceil(rows / 1000))
pages, each one query. A window of W = 5 s holds Q = 15 queries and opens at the first query after the previous
one closed, so the P-th query cannot be sent before (ceil(P / Q) - 1) * W seconds after the first:
T_quota = (ceil(P / Q) - 1) * W. Goal: sweep wall time <= 1.1 * T_quota.

3. File shares (``--share-accounts``, default 1,000; 0 skips): that many more storage accounts (in bulk
   subscription 1, group ``rg-shares``) hold ``--shares-per-account`` SMB shares each (default 2). Part 1's
   rules have no file-share rule, so its sweep lists no shares (and, no protected item naming an account,
   does not read the staged accounts for a share plan); part 3 restarts the host with the same rules plus one file-share rule covering
   ``rg-shares`` (a Recovery Services vault) and sweeps again, remediation off. Prints the share lists, the
   shares reported, and the ARM (and Resource Graph) calls per 1,000 Resource Graph rows and per 1,000
   resources reported, without shares (part 1) and with them (part 3), from the one run. It runs before part
   2 (whose host has part 1's rules again).

0. Remediation sending (``--send-gaps``, default 5,000; 0 skips): the remediation step
   (``shared.compliance.steps.remediate``) sends that many gaps to a queue of the stack's Azurite through the
   same queue client as the ``sweep_remediate`` activity (another queue name, so nothing is protected), one at a
   time (``concurrency=1``, how it sent before) and at ``REMEDIATION_CONCURRENCY``, interleaved, three times
   each; prints the medians and their ratio. ``--send-only`` runs only this part (Azurite alone).

Defaults: the full sizes (100,000 accounts in 100 subscriptions; 5,000 gaps, 5 x 1,000, released over 500 s).
On this 2-core machine that took 13.6 minutes in all (17 and 24 minutes while other work shared the machine);
``--gaps 1000`` (5 x 200) takes about 6 minutes and keeps the full inventory.

    .venv/bin/python -m tests.bench.sweep_scale                                # the full sizes (see --help)
    .venv/bin/python -m tests.bench.sweep_scale --gaps 1000                    # full inventory, 1,000 gaps
    .venv/bin/python -m tests.bench.sweep_scale --resources 2000 --subscriptions 10 --gaps 200

Only loopback is used; every process is started and stopped by ``LocalStack`` (by pid). Figures only, no
timed assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from azure.core.exceptions import ResourceExistsError

from local import azurite
from local.cloud.bulk import bulk_subscription_id
from local.stack import LocalStack, StackConfig
from shared.services.resourcegraph import (
    MAX_SUBSCRIPTIONS,
    PAGE_SIZE,
    QUOTA_PER_WINDOW,
    QUOTA_WINDOW_SECONDS,
)

LOCATION = "westeurope"
BULK_GROUP, BULK_PREFIX = "rg-bulk", "st"  # StorageAccountBatch's defaults: accounts no rule covers
COVERED_GROUP, COVERED_PREFIX = "rg-covered", "sc"  # the accounts a rule covers (the gaps)
SHARE_GROUP, SHARE_PREFIX = "rg-shares", "sf"  # the accounts with file shares (part 3)
SHARE_TYPE = "Microsoft.Storage/storageAccounts/fileServices/shares"
GOAL_RATIO = 1.1
GOAL_HOST_RSS_MB = 300.0
GOAL_THROTTLED_SHARE = 0.01
PROTECTION_FLOOR_SECONDS = 2 * 60.0  # one Retry-After (60 s) per operation (validate, create)
SOURCES = ("subscriptions", "datasources", "backupInstances", "backupJobs")
FULL = {"resources": 100_000, "subscriptions": 100, "gaps": 5_000}
TOPIC_POLL_SECONDS = 1.0  # at most one topic read a second (each read is a new HTTP client)


# -- the tenant ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    subscriptions: int
    per_subscription: int
    covered: int  # subscriptions 1..covered hold the gaps
    gaps_per_subscription: int
    share_accounts: int = 0  # more accounts, in subscription 1, with file shares (part 3)
    shares_per_account: int = 0

    @property
    def accounts(self) -> int:
        return self.subscriptions * self.per_subscription + self.share_accounts

    @property
    def gaps(self) -> int:
        return self.covered * self.gaps_per_subscription

    def batches(self) -> list[dict[str, Any]]:
        """The bodies of ``POST /_admin/bulk/storageAccounts`` that load it."""
        out: list[dict[str, Any]] = []
        rest = self.per_subscription - self.gaps_per_subscription
        if self.covered and self.gaps_per_subscription:
            out.append(
                {
                    "subscriptions": self.covered,
                    "accountsPerSubscription": self.gaps_per_subscription,
                    "resourceGroup": COVERED_GROUP,
                    "namePrefix": COVERED_PREFIX,
                }
            )
        if self.covered and rest:
            out.append({"subscriptions": self.covered, "accountsPerSubscription": rest})
        if self.subscriptions > self.covered:
            out.append(
                {
                    "subscriptions": self.subscriptions - self.covered,
                    "accountsPerSubscription": self.per_subscription,
                    "firstSubscription": self.covered + 1,
                }
            )
        if self.share_accounts:
            out.append(
                {
                    "subscriptions": 1,
                    "accountsPerSubscription": self.share_accounts,
                    "resourceGroup": SHARE_GROUP,
                    "namePrefix": SHARE_PREFIX,
                    "sharesPerAccount": self.shares_per_account,
                }
            )
        return out

    def gap_ids(self) -> dict[str, int]:
        """Lower-case id of every gap -> its place among its subscription's gaps (the order they are released)."""
        return {
            covered_account_id(index, number).lower(): number
            for index in range(1, self.covered + 1)
            for number in range(self.gaps_per_subscription)
        }


def vault_id(subscription: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv"


def covered_account_id(index: int, number: int) -> str:
    """The id ``load_storage_accounts`` gives the ``number``-th covered account of bulk subscription ``index``."""
    sub = bulk_subscription_id(index)
    return f"/subscriptions/{sub}/resourceGroups/{COVERED_GROUP}/providers/Microsoft.Storage/storageAccounts/{COVERED_PREFIX}{index:04d}{number:06d}"


def rsv_id(subscription: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv"


def write_tenant(folder: Path, tenant: Tenant) -> tuple[Path, Path, Path]:
    """``seed.yaml``: a vault with a blob policy and its identity's role on the covered group, in each covered
    subscription (and a Recovery Services vault in subscription 1 when there are share accounts);
    ``rules.yaml``: one rule per covered subscription and group (nothing else is covered);
    ``rules-shares.yaml``: the same and one file-share rule for the share accounts' group."""
    subscriptions: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    for index in range(1, tenant.covered + 1):
        sub = bulk_subscription_id(index)
        principal = f"cccccccc-0000-4000-8000-{index:012d}"
        vault = {
            "name": "bv",
            "principalId": principal,
            "policies": [{"name": "blob-operational", "template": "blob_operational"}],
        }
        subscriptions.append(
            {
                "id": sub,
                "displayName": f"Bulk {index}",
                "resourceGroups": [
                    {"name": "rg-backup", "location": LOCATION, "backupVaults": [vault]},
                    # the bulk load fills it; the role assignment needs its scope to exist
                    {"name": COVERED_GROUP, "location": LOCATION},
                ],
            }
        )
        roles.append(
            {
                "scope": f"/subscriptions/{sub}/resourceGroups/{COVERED_GROUP}",
                "role": "Storage Account Backup Contributor",
                "principalId": principal,
            }
        )
        rules.append(
            {
                "name": f"bulk-{index}",
                "match": {
                    "resourceTypes": ["Microsoft.Storage/storageAccounts"],
                    "subscriptions": [sub],
                    "resourceGroups": [COVERED_GROUP],
                },
                "vault": {"id": vault_id(sub), "location": LOCATION},
                "policy": "blob-operational",
            }
        )
    if not rules:  # a rules document needs one rule: one that covers nothing here
        rules.append(
            {
                "name": "nothing",
                "match": {"subscriptions": [bulk_subscription_id(9999)]},
                "vault": {"id": vault_id(bulk_subscription_id(9999)), "location": LOCATION},
                "policy": "blob-operational",
            }
        )
    first = bulk_subscription_id(1)
    share_rules = list(rules)
    if tenant.share_accounts:
        if not subscriptions:
            subscriptions.append({"id": first, "displayName": "Bulk 1", "resourceGroups": []})
        groups = subscriptions[0]["resourceGroups"]
        if not any(g["name"] == "rg-backup" for g in groups):
            groups.append({"name": "rg-backup", "location": LOCATION})
        backup = next(g for g in groups if g["name"] == "rg-backup")
        backup["recoveryServicesVaults"] = [{"name": "rsv", "policies": [{"name": "DefaultFileSharePolicy"}]}]
        share_rules.append(
            {
                "name": "bulk-shares",
                "match": {
                    "resourceTypes": [SHARE_TYPE],
                    "subscriptions": [first],
                    "resourceGroups": [SHARE_GROUP],
                },
                "vault": {"id": rsv_id(first), "location": LOCATION},
                "policy": "DefaultFileSharePolicy",
            }
        )
    folder.mkdir(parents=True, exist_ok=True)
    seed, rules_path = folder / "seed.yaml", folder / "rules.yaml"
    seed.write_text(
        yaml.safe_dump({"subscriptions": subscriptions, "roleAssignments": roles}, sort_keys=False),
        encoding="utf-8",
    )
    rules_path.write_text(yaml.safe_dump({"version": 1, "rules": rules}, sort_keys=False), encoding="utf-8")
    shares_path = folder / "rules-shares.yaml"
    document = {"version": 1, "rules": share_rules}
    shares_path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return seed, rules_path, shares_path


def quota_bound(tenant: Tenant) -> tuple[int, dict[str, int], float]:
    """(pages P, pages per source, T_quota seconds) of a sweep over the tenant, before any protection."""
    per_source: Counter[str] = Counter()
    for first in range(0, tenant.subscriptions, MAX_SUBSCRIPTIONS):
        in_batch = min(MAX_SUBSCRIPTIONS, tenant.subscriptions - first)
        rows = {
            "subscriptions": in_batch,
            "datasources": in_batch * tenant.per_subscription + (tenant.share_accounts if first == 0 else 0),
            "backupInstances": 0,
            "backupJobs": 0,
        }
        for source in SOURCES:
            per_source[source] += max(1, math.ceil(rows[source] / PAGE_SIZE))
    pages = sum(per_source.values())
    return pages, dict(per_source), (math.ceil(pages / QUOTA_PER_WINDOW) - 1) * QUOTA_WINDOW_SECONDS


# -- processes -----------------------------------------------------------------------------------------------


def proc_status(pid: int | None) -> dict[str, float]:
    """VmRSS / VmHWM of a process in MB (Linux /proc), {} when it is gone."""
    if pid is None:
        return {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    out: dict[str, float] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024.0
    return out


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes(stack: LocalStack) -> dict[str, int | None]:
    """The pids the stack started: the host (``host-0``, ``host-1``, ... when there are several), the
    emulator, Azurite (node)."""
    assert stack.hosts and stack.cloud is not None and stack.azurite is not None
    hosts = (
        {"host": stack.hosts[0].pid}
        if len(stack.hosts) == 1
        else {f"host-{i}": host.pid for i, host in enumerate(stack.hosts)}
    )
    hub = {"azurite-hub": stack.task_hub_azurite.process.pid} if stack.task_hub_azurite else {}
    return {**hosts, "emulator": stack.cloud.process.pid, "azurite": stack.azurite.process.pid, **hub}


class Sampler:
    """Samples the RSS of the given processes every ``interval`` seconds in a thread; CPU seconds per phase."""

    def __init__(self, pids: dict[str, int | None], interval: float = 0.25) -> None:
        self.pids = pids
        self.interval = interval
        self.peak_rss: dict[str, float] = dict.fromkeys(pids, 0.0)
        self.cpu_start = {name: cpu_seconds(pid) for name, pid in pids.items()}
        self.cpu: dict[str, float] = {}
        self.hwm: dict[str, float] = {}
        self.marks: list[tuple[str, dict[str, float]]] = []  # (phase, CPU seconds of each process then)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                rss = proc_status(pid).get("VmRSS", 0.0)
                self.peak_rss[name] = max(self.peak_rss[name], rss)
            self._stop.wait(self.interval)

    def mark(self, phase: str) -> None:
        """A phase began: remember each process's CPU seconds."""
        self.marks.append((phase, {name: cpu_seconds(pid) for name, pid in self.pids.items()}))

    def cpu_by_phase(self) -> list[tuple[str, dict[str, float]]]:
        ends = [*self.marks[1:], ("end", {n: self.cpu_start[n] + self.cpu[n] for n in self.pids})]
        return [
            (phase, {n: max(0.0, end[n] - at[n]) for n in self.pids})
            for (phase, at), (_, end) in zip(self.marks, ends, strict=True)
        ]

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        for name, pid in self.pids.items():
            status = proc_status(pid)
            self.peak_rss[name] = max(self.peak_rss[name], status.get("VmRSS", 0.0))
            self.hwm[name] = status.get("VmHWM", 0.0)
            self.cpu[name] = cpu_seconds(pid) - self.cpu_start[name]

    def print(self, seconds: float) -> None:
        names = list(self.pids)
        print(
            f"  CPU seconds over the {seconds:.1f}s: "
            + ", ".join(f"{n} {self.cpu[n]:.1f}" for n in names)
            + f" (this machine has {os.cpu_count()} cores)"
        )
        for phase, used in self.cpu_by_phase():
            label = "done (after the sweep)" if phase == "done" else phase
            print(f"    while {label}: " + ", ".join(f"{n} {used[n]:.1f}" for n in names))


# -- the sweep and the outcomes ------------------------------------------------------------------------------


class Outcomes:
    """The first outcome event of each wanted id on the topic, with when the benchmark saw it (monotonic)."""

    def __init__(self, stack: LocalStack, wanted: set[str]) -> None:
        self.stack = stack
        self.wanted = wanted
        self.arrived: dict[str, float] = {}
        self.kinds: dict[str, str] = {}
        _, self.since = stack.topic_events(0)
        self._last = 0.0

    @property
    def complete(self) -> bool:
        return len(self.arrived) >= len(self.wanted)

    def poll(self, wait: float = 0.0) -> None:
        """Read what was published since the last read (not more often than ``TOPIC_POLL_SECONDS``)."""
        pause = self._last + TOPIC_POLL_SECONDS - time.monotonic()
        if pause > 0:
            if not wait:
                return
            time.sleep(min(pause, wait))
        self._last = time.monotonic()
        events, self.since = self.stack.topic_events(self.since, wait=wait)
        now = time.monotonic()
        for event in events:
            subject = str(event.get("subject", "")).lower()
            if subject in self.wanted and subject not in self.arrived:
                self.arrived[subject] = now
                self.kinds[subject] = str((event.get("data") or {}).get("kind"))

    def wait(self, deadline: float) -> None:
        while not self.complete and (remaining := deadline - time.monotonic()) > 0:
            self.poll(wait=min(2.0, remaining))


@dataclass
class SweepRun:
    sweep_id: str = ""
    status: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    phases: list[tuple[str, float]] = field(default_factory=list)  # (phase, seconds after the POST)
    started: float = 0.0
    timed_out: bool = False

    def phase_seconds(self) -> list[tuple[str, float]]:
        """How long each phase lasted, as seen by polling the status (0.5 s resolution)."""
        marks = [*self.phases, ("end", self.seconds)]
        return [(name, marks[i + 1][1] - at) for i, (name, at) in enumerate(marks[:-1])]

    def seen(self, phase: str) -> float | None:
        return next((at for name, at in self.phases if name == phase), None)

    def print(self) -> None:
        status = self.status
        progress = status.get("progress") or {}
        late = " (TIMED OUT)" if self.timed_out else ""
        print(f"  sweep {self.sweep_id}: phase {status.get('phase')} after {self.seconds:.1f}s{late}")
        print(
            "  phases (status polled every 0.5 s): "
            + ", ".join(f"{n} {s:.1f}s" for n, s in self.phase_seconds())
        )
        print(
            f"  progress: pages {progress.get('pages')}, rows {progress.get('rows')}, "
            f"databaseLists {progress.get('databaseLists')}, shareLists {progress.get('shareLists')}, "
            f"policies {progress.get('policies')}"
        )
        summary = status.get("summary") or {}
        if summary:
            by = ", ".join(f"{k} {v}" for k, v in sorted((summary.get("byClassification") or {}).items()))
            print(f"  report totals: total {summary.get('total')}, gaps {summary.get('gaps')}; {by}")
        if status.get("remediation"):
            print(f"  remediation: {status['remediation']}")
        if status.get("problems"):
            print(f"  problems: {status['problems'][:5]}")


@dataclass(frozen=True)
class CallFigures:
    """A sweep's ARM calls (Resource Graph queries among them) per 1,000 Resource Graph rows and per 1,000
    resources reported."""

    calls: int
    graph: int
    rows: int
    reported: int

    @classmethod
    def of(cls, run: SweepRun, calls: int, graph: int) -> CallFigures:
        progress = run.status.get("progress") or {}
        summary = run.status.get("summary") or {}
        return cls(calls, graph, int(progress.get("rows") or 0), int(summary.get("total") or 0))

    def line(self) -> str:
        def per(n: int, unit: int) -> str:
            return f"{1000 * n / unit:.2f}" if unit else "-"

        return (
            f"{self.calls} ARM calls ({self.graph} Resource Graph) for {self.rows} Resource Graph rows and "
            f"{self.reported} resources reported: per 1,000 rows {per(self.calls, self.rows)} ARM calls "
            f"({per(self.graph, self.rows)} Resource Graph), per 1,000 resources reported "
            f"{per(self.calls, self.reported)}"
        )


class Bench:
    def __init__(self, stack: LocalStack, http: httpx.Client) -> None:
        self.stack = stack
        self.http = http  # one client for the host's API: no TLS context built per request

    def api(self, method: str, path: str) -> httpx.Response:
        host = self.stack.host
        assert host is not None
        return self.http.request(
            method, f"{host.base_url}/api/{path}", headers={"x-functions-key": host.function_key}
        )

    def sweep(
        self,
        timeout: float,
        on_phase: Callable[[str], None] | None = None,
        on_poll: Callable[[], None] | None = None,
    ) -> SweepRun:
        """``POST /api/sweeps``, then its status every 0.5 s until it is done, failed or ``timeout`` passed."""
        run = SweepRun(started=time.monotonic())
        response = self.api("POST", "sweeps")
        if response.status_code != 202:
            raise RuntimeError(f"POST /api/sweeps -> {response.status_code}: {response.text[:300]}")
        run.sweep_id = str(response.json()["id"])
        deadline = run.started + timeout
        while True:
            document = self.api("GET", f"sweeps/{run.sweep_id}").json()
            now = time.monotonic() - run.started
            phase = str(document.get("phase"))
            if not run.phases or run.phases[-1][0] != phase:
                run.phases.append((phase, now))
                if on_phase is not None:
                    on_phase(phase)
            if phase in ("done", "failed") or time.monotonic() > deadline:
                run.status, run.seconds = dict(document), now
                run.timed_out = phase not in ("done", "failed")
                return run
            if on_poll is not None:
                on_poll()
            time.sleep(0.5)

    def counters(self) -> tuple[dict[str, Any], int, int, int, int]:
        """(counters, all calls, all 429s, Resource Graph calls, Resource Graph 429s) from the emulator."""
        counters = self.stack.admin("GET", "/_admin/counters")

        def graph(kind: str) -> int:
            return sum(n for op, n in counters[kind].items() if op == "Resources" or "graph" in op.lower())

        return (
            counters,
            int(counters["total_calls"]),
            int(counters["total_throttled"]),
            graph("calls"),
            graph("throttled"),
        )

    # -- part 1 --------------------------------------------------------------------------------------------

    def inventory(self, tenant: Tenant, timeout: float) -> CallFigures:
        pages, per_source, bound = quota_bound(tenant)
        self.stack.admin("DELETE", "/_admin/counters")
        pids = processes(self.stack)
        before = {name: proc_status(pid).get("VmRSS", 0.0) for name, pid in pids.items()}
        with Sampler(pids) as sampler:
            run = self.sweep(timeout, sampler.mark)
        _, calls, throttled, graph, graph_429 = self.counters()
        print(
            f"1. Inventory + classification: {tenant.accounts} storage accounts across {tenant.subscriptions} "
            "subscriptions, throttling on, time factor 1, remediation off"
        )
        run.print()
        fetched = (run.status.get("progress") or {}).get("pages")
        print(
            f"  Resource Graph quota bound: P = sum over sources of max(1, ceil(rows/{PAGE_SIZE})) = {pages} "
            f"pages ({', '.join(f'{k} {v}' for k, v in per_source.items())}); the sweep reports {fetched} pages"
        )
        print(
            f"  T_quota = (ceil(P/{QUOTA_PER_WINDOW}) - 1) x {QUOTA_WINDOW_SECONDS:g}s = "
            f"(ceil({pages}/{QUOTA_PER_WINDOW}) - 1) x {QUOTA_WINDOW_SECONDS:g}s = {bound:.1f}s"
        )
        inventory_end = next(
            (at for name, at in run.phases if name not in ("starting", "inventory")), run.seconds
        )
        if bound > 0:
            ratio = run.seconds / bound
            verdict = "meets" if ratio <= GOAL_RATIO else "MISSES"
            print(
                f"  measured sweep wall time {run.seconds:.1f}s -> ratio {ratio:.2f}x the quota bound "
                f"({verdict} the goal <= {GOAL_RATIO}x); the inventory phase alone {inventory_end:.1f}s "
                f"({inventory_end / bound:.2f}x)"
            )
        else:
            print(
                f"  measured sweep wall time {run.seconds:.1f}s (inventory phase {inventory_end:.1f}s); the "
                f"quota does not bind: all {pages} queries fit in the first window (ratio not defined)"
            )
        print(
            f"  Resource Graph queries served {graph} ({graph_429} answered 429); all ARM calls {calls} "
            f"({throttled} answered 429)"
        )
        for name, pid in pids.items():
            goal = ""
            if name == "host":
                verdict = "meets" if sampler.peak_rss[name] < GOAL_HOST_RSS_MB else "MISSES"
                goal = f" ({verdict} the goal < {GOAL_HOST_RSS_MB:.0f} MB)"
            print(
                f"  {name} (pid {pid}): RSS {before[name]:.0f} MB before, peak {sampler.peak_rss[name]:.0f} MB "
                f"during the sweep (sampled every 0.25 s){goal}; VmHWM {sampler.hwm[name]:.0f} MB"
            )
        sampler.print(run.seconds)
        return CallFigures.of(run, calls, graph)

    # -- part 3 --------------------------------------------------------------------------------------------

    def shares(self, tenant: Tenant, rules: Path, timeout: float, without: CallFigures) -> None:
        self.stack.config.host_env["PROTECTION_RULES"] = str(rules)
        self.stack.restart_host(kill=False)  # same port and Azurite; the new host reads the share rule
        self.stack.admin("DELETE", "/_admin/counters")
        run = self.sweep(timeout)
        counters, calls, throttled, graph, graph_429 = self.counters()
        with_shares = CallFigures.of(run, calls, graph)
        print(
            f"3. File shares: {tenant.share_accounts} more accounts x {tenant.shares_per_account} SMB shares "
            f"(group {SHARE_GROUP}); the rules plus one file-share rule for that group; remediation off"
        )
        run.print()
        by_kind = (run.status.get("summary") or {}).get("byKind") or {}
        kinds = {kind: sum(counts.values()) for kind, counts in by_kind.items()}
        print(
            f"  share lists (FileShares_List calls) {counters['calls'].get('FileShares_List', 0)}, shares "
            f"reported {kinds.get('file_share', 0)}; ARM calls {calls} ({throttled} 429s), of them Resource "
            f"Graph {graph} ({graph_429} 429s)"
        )
        for label, figures in (("without shares (part 1)", without), ("with shares (part 3)", with_shares)):
            print(f"  {label}: {figures.line()}")
        listing = dict(run.phase_seconds()).get("listing")
        if listing is not None:
            lists = counters["calls"].get("FileShares_List", 0)
            print(
                f"  the listing phase took {listing:.1f}s for {lists} lists ({lists / listing:.1f} a second; "
                "ARM's read refill is 25 a second per subscription and principal)"
            )

    # -- part 2 --------------------------------------------------------------------------------------------

    def remediation(self, tenant: Tenant, per_second: float, sweep_timeout: float, timeout: float) -> None:
        self.stack.config.host_env.pop("PROTECTION_RULES", None)  # part 1's rules (part 3 added shares)
        self.stack.config.host_env["COMPLIANCE_REMEDIATION"] = "on"
        self.stack.restart_host(kill=False)  # same port and Azurite; the new host reads remediation=on
        gaps = tenant.gap_ids()
        outcomes = Outcomes(self.stack, set(gaps))
        self.stack.admin("DELETE", "/_admin/counters")
        pids = processes(self.stack)
        with Sampler(pids, interval=1.0) as sampler:
            run = self.sweep(sweep_timeout, sampler.mark, outcomes.poll)
            outcomes.wait(run.started + timeout)
        counters, calls, throttled, graph, graph_429 = self.counters()
        print(
            f"2. Remediation: {tenant.gaps} gaps ({tenant.covered} subscriptions x {tenant.gaps_per_subscription} "
            f"accounts covered by a rule), the other {tenant.accounts - tenant.gaps} accounts excluded; "
            f"COMPLIANCE_REMEDIATION=on, COMPLIANCE_REMEDIATION_PER_SECOND={per_second:g}"
        )
        run.print()
        remediation = run.status.get("remediation") or {}
        spread = float(remediation.get("spreadSeconds") or 0.0)
        began = run.seen("remediating")
        sending = dict(run.phase_seconds()).get("remediating")
        print(
            f"  release spread the sweep reported: {spread:.1f}s (the n-th gap of a subscription is released "
            f"n / {per_second:g} s after it is sent)"
            + (
                f"; sending the {remediation.get('requested')} requests took {sending:.1f}s"
                if sending is not None
                else ""
            )
        )
        arrived = outcomes.arrived
        times = sorted(t - run.started for t in arrived.values())
        if times:
            after = f", {times[-1] - began:.1f}s after remediation began" if began is not None else ""
            print(
                f"  outcomes: {len(arrived)}/{len(gaps)}; seconds after the sweep's POST: first {times[0]:.1f}, "
                f"50% {times[len(times) // 2]:.1f}, 90% {times[max(0, int(len(times) * 0.9) - 1)]:.1f}, "
                f"last {times[-1]:.1f}{after}"
            )
        else:
            print(f"  outcomes: 0/{len(gaps)}")
        if not outcomes.complete:
            print(f"  NOT ALL OUTCOMES within --timeout {timeout:.0f}s: {len(gaps) - len(arrived)} missing")
        kinds = Counter(outcomes.kinds.values()).most_common()
        print("  outcomes by kind: " + ", ".join(f"{k} {n}" for k, n in kinds))
        if began is not None and times:
            start = run.started + began
            minutes = Counter(int((t - start) // 60) for t in arrived.values())
            print(
                "  outcomes per minute after remediation began: "
                + " ".join(str(minutes.get(m, 0)) for m in range(max(minutes) + 1))
            )
            lags = sorted(t - (start + gaps[rid] / per_second) for rid, t in arrived.items())
            print(
                f"  lag of each outcome behind its own release (remediation start + n / {per_second:g}): "
                f"p50 {lags[len(lags) // 2]:.0f}s, p90 {lags[max(0, int(len(lags) * 0.9) - 1)]:.0f}s, "
                f"max {lags[-1]:.0f}s (floor {PROTECTION_FLOOR_SECONDS:.0f}s: the two Retry-After waits)"
            )
        floor = spread + PROTECTION_FLOOR_SECONDS
        print(
            f"  floor after remediation began: spread {spread:.1f}s + {PROTECTION_FLOOR_SECONDS:.0f}s = "
            f"{floor:.0f}s"
        )
        share = throttled / calls if calls else 0.0
        verdict = "meets" if share <= GOAL_THROTTLED_SHARE else "MISSES"
        print(
            f"  ARM calls {calls}, 429s {throttled} = {100 * share:.2f}% ({verdict} the goal <= "
            f"{100 * GOAL_THROTTLED_SHARE:.0f}%); of them Resource Graph {graph} calls, {graph_429} 429s"
        )
        by_op = sorted(counters["calls"].items(), key=lambda kv: -kv[1])[:10]
        print("  calls by operation: " + ", ".join(f"{op} {n}" for op, n in by_op))
        if counters["throttled"]:
            print("  429s by operation: " + ", ".join(f"{op} {n}" for op, n in counters["throttled"].items()))
        print(
            "  peak RSS: "
            + ", ".join(f"{n} {sampler.peak_rss[n]:.0f} MB (VmHWM {sampler.hwm[n]:.0f} MB)" for n in pids)
        )
        sampler.print(time.monotonic() - run.started)


SEND_QUEUE = "bench-remediation-send"


def send_gaps(connection_string: str, gaps: int, repeats: int = 3) -> dict[str, Any]:
    """Part 0: the remediation step's sends, sequential against bounded-concurrent, interleaved; medians."""
    import asyncio
    import statistics

    from azure.storage.queue import TextBase64EncodePolicy
    from azure.storage.queue.aio import QueueClient

    from shared.compliance import steps
    from shared.compliance.store import FolderStore, put_json, sweep_path

    document = {
        "gaps": [
            {
                "resourceId": covered_account_id(i % 5 + 1, i // 5),
                "resourceType": "Microsoft.Storage/storageAccounts",
                "subscriptionId": bulk_subscription_id(i % 5 + 1),
                "classification": "unprotected",
                "expectedVaultId": vault_id(bulk_subscription_id(i % 5 + 1)),
            }
            for i in range(gaps)
        ]
    }

    async def one(store: FolderStore, sweep_id: str, concurrency: int) -> float:
        policy = TextBase64EncodePolicy()
        async with QueueClient.from_connection_string(
            connection_string, SEND_QUEUE, message_encode_policy=policy
        ) as queue:

            async def send(text: str, delay: int) -> None:  # as the sweep_remediate activity sends
                await queue.send_message(text, visibility_timeout=delay or None)

            request = steps.RemediateRequest(sweep_id, "on", 2.0)
            began = time.perf_counter()
            result = await steps.remediate(store, request, send, concurrency=concurrency)
            seconds = time.perf_counter() - began
            await queue.clear_messages()
        assert result.requested == gaps
        return seconds

    async def all_runs() -> dict[int, list[float]]:
        with tempfile.TemporaryDirectory(prefix="send-gaps-") as folder:
            store = FolderStore(Path(folder))
            await put_json(store, sweep_path("bench", "gaps.json"), document)
            async with QueueClient.from_connection_string(connection_string, SEND_QUEUE) as queue:
                with contextlib.suppress(ResourceExistsError):
                    await queue.create_queue()
            times: dict[int, list[float]] = {1: [], steps.REMEDIATION_CONCURRENCY: []}
            for _ in range(repeats):
                for concurrency in times:
                    times[concurrency].append(await one(store, "bench", concurrency))
            return times

    times = asyncio.run(all_runs())
    sequential = statistics.median(times[1])
    bounded = statistics.median(times[steps.REMEDIATION_CONCURRENCY])
    print(
        f"0. Remediation sending: {gaps} gaps to a queue, {repeats} runs each, interleaved: sequential median "
        f"{sequential:.2f}s ({gaps / sequential:.0f}/s), {steps.REMEDIATION_CONCURRENCY} at a time median "
        f"{bounded:.2f}s ({gaps / bounded:.0f}/s): {sequential / bounded:.1f}x faster; "
        f"all runs: {json.dumps({str(k): [round(x, 2) for x in v] for k, v in times.items()})}",
        flush=True,
    )
    return {"gaps": gaps, "seconds": {str(k): v for k, v in times.items()}, "ratio": sequential / bounded}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.sweep_scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--resources", type=int, default=FULL["resources"], help="storage accounts in all")
    parser.add_argument("--subscriptions", type=int, default=FULL["subscriptions"])
    parser.add_argument(
        "--gaps",
        type=int,
        default=FULL["gaps"],
        help="accounts a rule covers, the gaps remediation protects (0 skips part 2)",
    )
    parser.add_argument("--gap-subscriptions", type=int, default=5, help="subscriptions the gaps are in")
    parser.add_argument("--send-gaps", type=int, default=FULL["gaps"], help="part 0's sends (0 skips it)")
    parser.add_argument("--send-only", action="store_true", help="run part 0 only, on Azurite alone")
    parser.add_argument("--share-accounts", type=int, default=1000, help="part 3's accounts (0 skips it)")
    parser.add_argument("--shares-per-account", type=int, default=2, help="SMB shares in each")
    parser.add_argument("--per-second", type=float, default=2.0, help="COMPLIANCE_REMEDIATION_PER_SECOND")
    parser.add_argument("--sweep-timeout", type=float, default=600.0, help="seconds to wait for a sweep")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds from part 2's sweep to wait for every outcome (default: 3 x (spread + 120 s) + 300 s)",
    )
    args = parser.parse_args(argv)

    subscriptions = max(1, min(args.subscriptions, args.resources))
    per_subscription = max(1, args.resources // subscriptions)
    covered = max(0, min(args.gap_subscriptions, subscriptions)) if args.gaps > 0 else 0
    per_gap_sub = min(per_subscription, args.gaps // covered) if covered else 0
    share_accounts = max(0, args.share_accounts)
    tenant = Tenant(
        subscriptions,
        per_subscription,
        covered if per_gap_sub else 0,
        per_gap_sub,
        share_accounts,
        max(1, args.shares_per_account) if share_accounts else 0,
    )
    spread = max(0, tenant.gaps_per_subscription - 1) / args.per_second
    timeout = args.timeout or 3 * (spread + PROTECTION_FLOOR_SECONDS) + 300.0
    print(
        f"sizes: {tenant.accounts} accounts = {subscriptions} subscriptions x {per_subscription}"
        + (
            f" + {tenant.share_accounts} with {tenant.shares_per_account} file shares each"
            if tenant.share_accounts
            else ""
        )
        + "; "
        f"{tenant.gaps} gaps = {tenant.covered} subscriptions x {tenant.gaps_per_subscription} covered by a rule"
        + ("" if tenant.gaps else " (part 2 skipped)")
    )
    if tenant.accounts < FULL["resources"] or subscriptions < FULL["subscriptions"]:
        print(
            f"  the full inventory size ({FULL['resources']} accounts in {FULL['subscriptions']} subscriptions) "
            "was not run: run `python -m tests.bench.sweep_scale` (the defaults)"
        )
    if tenant.gaps < FULL["gaps"]:
        print(
            f"  the full remediation size ({FULL['gaps']} gaps, 5 subscriptions x 1000) was not run: run "
            "`python -m tests.bench.sweep_scale` (the defaults; 14-24 minutes in all on this 2-core machine)"
        )
    started = time.monotonic()
    if args.send_only:
        storage = azurite.start(f"bench-send-{os.getpid()}", fresh=True)
        try:
            send_gaps(storage.connection_string, args.send_gaps)
        finally:
            storage.stop()
            shutil.rmtree(storage.location, ignore_errors=True)
        return 0
    with tempfile.TemporaryDirectory(prefix="sweep-scale-") as folder, httpx.Client(timeout=60.0) as http:
        seed, rules, share_rules = write_tenant(Path(folder), tenant)
        config = StackConfig(
            seed=seed,
            rules=rules,
            time_factor=1.0,
            throttling=True,
            name="bench-sweep",
            host_env={
                "COMPLIANCE_SUBSCRIPTIONS": ",".join(
                    bulk_subscription_id(i) for i in range(1, subscriptions + 1)
                ),
                "COMPLIANCE_REMEDIATION": "off",
                "COMPLIANCE_REMEDIATION_PER_SECOND": f"{args.per_second:g}",
            },
        )
        with LocalStack(config) as stack:
            print(f"stack started in {time.monotonic() - started:.1f}s")
            if args.send_gaps:
                assert stack.azurite is not None
                send_gaps(stack.azurite.connection_string, args.send_gaps)
            loaded = [
                stack.admin("POST", "/_admin/bulk/storageAccounts", batch, timeout=600.0)
                for batch in tenant.batches()
            ]
            print(
                f"bulk-seeded {sum(b['created'] for b in loaded)} accounts in "
                f"{sum(b['seconds'] for b in loaded):.1f}s (in the emulator)"
            )
            bench = Bench(stack, http)
            without = bench.inventory(tenant, args.sweep_timeout)
            if tenant.share_accounts:
                bench.shares(tenant, share_rules, args.sweep_timeout, without)
            if tenant.gaps:
                bench.remediation(tenant, args.per_second, args.sweep_timeout, timeout)
    print(f"total {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
