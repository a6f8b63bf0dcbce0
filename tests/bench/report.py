"""``make bench``: one report of what the app costs and how fast it goes, under ``.state/bench/``.

On one local stack (Azurite, the emulated cloud with ARM throttling on, the local host; time factor 120):
a protection burst (accounts created at once across subscriptions), then restores of some of them, then a
compliance sweep; each phase counted (:mod:`tests.bench.work`: ARM calls and 429s, activity executions,
orchestrator episodes, history events, task-hub storage transactions, CPU seconds per process). Then the
scale-out simulation (:mod:`tests.bench.scale_out`: N instances with their own limiters, N = 1, 10, 40).
Writes ``report-<time>.json`` and ``report-<time>.html`` (inline SVG plots: outcomes over time, ARM calls per
second against the limit, work per unit, scale-out) and ``report.json``/``report.html`` (the latest), and
prints the headline figures.

    .venv/bin/python -m tests.bench.report                  # default: 1,000 accounts / 5 subscriptions
    .venv/bin/python -m tests.bench.report --scale large    # 10,000 accounts / 20 subscriptions (minutes)
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from local.azurite import STATE_DIR
from local.run_restore import RANGES
from local.stack import LocalStack, StackConfig
from tests.bench import protection_burst, scale_out, svg, work
from tests.bench import protection_seed as seeds

SCALES: dict[str, dict[str, Any]] = {
    # hosts: local hosts sharing the task hub (one per core of this 2-core machine, as scaled-out instances)
    # task_hub_storage: the task hub in an Azurite of its own (at 10,000 accounts the trigger queue's
    # backlog makes every queue request of the one Azurite scan it)
    "default": {
        "resources": 1000,
        "subscriptions": 5,
        "restores": 20,
        "timeout": 900.0,
        "hosts": 2,
        "task_hub_storage": False,
    },
    "large": {
        "resources": 10000,
        "subscriptions": 20,
        "restores": 50,
        "timeout": 5400.0,
        "hosts": 2,
        "task_hub_storage": True,
    },
}
TIME_FACTOR = 120.0


def _api(stack: LocalStack) -> httpx.Client:
    assert stack.host is not None
    return httpx.Client(
        base_url=f"{stack.host.base_url}/api",
        headers={"x-functions-key": stack.host.function_key},
        timeout=60.0,
    )


def _wait_events(
    stack: LocalStack, since: int, prefix: str, wanted: int, timeout: float
) -> tuple[list[Any], int]:
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(found) < wanted and (remaining := deadline - time.monotonic()) > 0:
        events, since = stack.topic_events(since, wait=min(2.0, remaining))
        found += [e for e in events if str(e.get("type", "")).startswith(prefix)]
    return found, since


def restores(
    stack: LocalStack, account_ids: list[str], since: int, timeout: float
) -> tuple[dict[str, Any], int]:
    """Restore each account to a point inside its restorable range; the work per restore."""
    bodies = []
    with _api(stack) as api:
        for rid in account_ids:  # the restore points are read before the phase: not part of a restore
            deadline = time.monotonic() + timeout
            while True:
                answer = api.get("/restore-points", params={"resourceId": rid})
                spans = answer.json().get("restorableTimeRanges") if answer.status_code == 200 else None
                if spans and spans[0]["endTime"] > spans[0]["startTime"]:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no restorable range for {rid}: {answer.text[:300]}")
                time.sleep(0.5)
            bodies.append(
                {
                    "kind": "blobPointInTime",
                    "resourceId": rid,
                    "pointInTime": spans[0]["endTime"],
                    "ranges": RANGES,
                }
            )
        with work.Phase(stack, "restore") as phase:
            started = time.monotonic()
            accepted = 0
            for body in bodies:
                response = api.post("/restores", json=body)
                accepted += response.status_code == 202
                if response.status_code != 202:
                    print(f"  restore refused: {response.status_code} {response.text[:300]}")
            events, since = _wait_events(stack, since, "BackupAutopilot.Restore.", accepted, timeout)
            seconds = time.monotonic() - started
    per_instance = work.summarise_instances(
        work.instances(stack.task_hub_connection_string, ["restore_backup_instance"])
    )
    result = {
        "restores": len(bodies),
        "accepted": accepted,
        "succeeded": sum(1 for e in events if e["type"].endswith("Succeeded")),
        "seconds": round(seconds, 2),
        "work": phase.figures(len(bodies)),
        "per_instance": per_instance.get("restore_backup_instance", {}),
    }
    return result, since


def sweep(stack: LocalStack, since: int, timeout: float) -> dict[str, Any]:
    """One compliance sweep (remediation off) over everything the burst made; the work per 1,000 rows."""
    with _api(stack) as api, work.Phase(stack, "sweep") as phase:
        started = time.monotonic()
        response = api.post("/sweeps")
        if response.status_code != 202:
            raise RuntimeError(f"POST /api/sweeps -> {response.status_code}: {response.text[:300]}")
        events, _ = _wait_events(stack, since, "BackupAutopilot.Sweep.", 1, timeout)
        seconds = time.monotonic() - started
    data = (events[0].get("data") or {}) if events else {}
    rows = rows_read(phase.cloud)
    names = ["compliance_sweep", "sweep_source"]
    per_instance = work.summarise_instances(work.instances(stack.task_hub_connection_string))
    return {
        "completed": bool(events),
        "seconds": round(seconds, 2),
        "summary": {k: v for k, v in data.items() if isinstance(v, int | float)},
        "rows": rows,
        "work": phase.figures(rows / 1000.0),
        "per_instance": {k: v for k, v in per_instance.items() if k in names or k.startswith("sweep")},
    }


def rows_read(cloud: dict[str, Any]) -> int:
    """Rows Resource Graph answered in the phase (the emulator counts them per query)."""
    return int(cloud.get("rows", {}).get("Resources", 0))


def headline(report: dict[str, Any]) -> list[str]:
    b = report["protection"]
    u = b["work"]["per_unit"]
    inst = b["per_instance"]
    ratio = b["all_seconds"] / b["throttle_bound"]["bound_seconds"]
    history = inst.get("history_events", {}).get("median")
    lines = [
        f"Protection burst: {b['resources']} accounts / {b['subscriptions']} subscriptions: all outcomes "
        f"after {b['all_seconds']:.1f}s (first {b['first_seconds']:.1f}s, creates "
        f"{b['created_seconds']:.1f}s); "
        f"throttle bound {b['throttle_bound']['bound_seconds']:.1f}s -> {ratio:.2f}x",
        f"  per protection: {u['arm_calls']} ARM calls ({u['arm_429']} 429s), "
        f"{u['activity_executions']} activity executions, {u['episodes']} episodes, {history} history "
        f"events, {u['task_hub_storage_transactions']} task-hub + {u['trigger_storage_transactions']} "
        "trigger storage transactions",
        f"  host CPU {work.host_cpu(b['work']['cpu_seconds']):.1f}s = "
        f"{b['work']['host_cpu_ms_per_episode_plus_activity']} ms per episode+activity",
    ]
    if report.get("restore"):
        r = report["restore"]
        ru = r["work"]["per_unit"]
        lines.append(
            f"Restore ({r['succeeded']}/{r['restores']} succeeded): per restore {ru['arm_calls']} ARM calls, "
            f"{ru['activity_executions']} activity executions, {ru['episodes']} episodes, "
            f"{r['per_instance'].get('history_events', {}).get('median')} history events, "
            f"{ru['task_hub_storage_transactions']} task-hub storage transactions"
        )
    if report.get("sweep"):
        s = report["sweep"]
        su = s["work"]["per_unit"]
        lines.append(
            f"Sweep ({s['rows']} rows, {s['seconds']}s): per 1,000 rows {su['arm_calls']} ARM/Graph calls, "
            f"{su['activity_executions']} activity executions, {su['episodes']} episodes, "
            f"{su['task_hub_storage_transactions']} task-hub storage transactions"
        )
    if report.get("scale_out"):
        for m in report["scale_out"]["medians"]:
            lines.append(
                f"Scale-out {m['design']:>12} N={m['instances']:<3}: 429s {100 * m['share_429']:.1f}% of "
                f"{m['arm_calls']:.0f} calls, makespan {m['makespan_seconds']:.1f}s"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.report", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="default")
    parser.add_argument("--resources", type=int, help="override the scale's account count")
    parser.add_argument("--subscriptions", type=int, help="override the scale's subscription count")
    parser.add_argument("--restores", type=int, help="override the scale's restore count (0 skips)")
    parser.add_argument("--hosts", type=int, help="override the scale's local host count")
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--no-scale-out", action="store_true")
    parser.add_argument("--out", type=Path, default=STATE_DIR / "bench")
    args = parser.parse_args(argv)
    scale = dict(SCALES[args.scale])
    for key in ("resources", "subscriptions", "restores", "hosts"):
        if getattr(args, key) is not None:
            scale[key] = getattr(args, key)
    subs = [seeds.subscription_id(i) for i in range(1, scale["subscriptions"] + 1)]
    seed, rules = seeds.write(STATE_DIR / "bench" / "protection", scale["subscriptions"])
    host_env = {
        "RESTORE_ALLOWED_SCOPES": ",".join(f"/subscriptions/{s}/resourceGroups/rg-data" for s in subs),
        "COMPLIANCE_SUBSCRIPTIONS": ",".join(subs),
        "COMPLIANCE_REMEDIATION": "off",
    }
    config = StackConfig(
        seed=seed,
        rules=rules,
        time_factor=TIME_FACTOR,
        throttling=True,
        name="bench",
        host_env=host_env,
        hosts=scale["hosts"],
        task_hub_storage=scale["task_hub_storage"],
    )
    report: dict[str, Any] = {
        "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scale": args.scale,
        "parameters": scale,
    }
    with LocalStack(config) as stack:
        report["protection"] = protection_burst.burst(
            stack, scale["resources"], scale["subscriptions"], TIME_FACTOR, scale["timeout"]
        )
        since = int(report["protection"].pop("since"))
        ids = [
            seeds.account_id(seeds.subscription_id(i % scale["subscriptions"] + 1), f"stburst{i}")
            for i in range(scale["restores"])
        ]
        if ids:
            report["restore"], since = restores(stack, ids, since, 300.0)
        if not args.no_sweep:
            report["sweep"] = sweep(stack, since, scale["timeout"])
    if not args.no_scale_out:
        print("Scale-out simulation:", flush=True)
        report["scale_out"] = scale_out.run(
            [1, 10, 40], ["budget", "capped", "retry_after", "budget_arm", "adaptive"], 2, 150, 1
        )
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(report, indent=1)
    page = svg.report_page(report)
    for name in (f"report-{stamp}", "report"):
        (args.out / f"{name}.json").write_text(text, encoding="utf-8")
        (args.out / f"{name}.html").write_text(page, encoding="utf-8")
    print("\n".join(["", *headline(report), f"report: {args.out / f'report-{stamp}.html'} (+ .json)"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
