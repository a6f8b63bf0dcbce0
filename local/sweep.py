"""``python -m local sweep``: the compliance sweep from a workstation, before anything is deployed.

It runs the very steps the deployed sweep's activities run (:mod:`shared.compliance.steps`) one after the
other in this process, against real Azure with ``DefaultAzureCredential`` (e.g. after ``az login``) or
against the emulator (``--arm-endpoint http://127.0.0.1:PORT --credential local``), with remediation off, and
writes ``report.json``, ``report.csv``, ``gaps.json`` and ``report.html`` into ``--out``.

    python -m local sweep --subscription 1111... --rules rules.yaml --out ./compliance
    python -m local sweep --management-group mg-prod --rules rules.yaml --out ./compliance
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from shared.arm.client import ArmClient
from shared.arm.credentials import make_credential
from shared.compliance import shares, steps
from shared.compliance.inventory import NOTES, Source
from shared.compliance.page import render_page
from shared.compliance.report import SweepInfo
from shared.compliance.steps import ClassifyRequest, ListRequest, PageRequest, PolicyRequest, SweepSummary
from shared.compliance.store import FolderStore, get_json, sweep_path
from shared.config import Settings
from shared.errors import BackupAutopilotError
from shared.protection.rules import Rules, load_rules
from shared.services.resourcegraph import GraphScope, batches

Sleep = Callable[[float], Awaitable[None]]


async def run_sweep(
    arm: ArmClient, store: FolderStore, rules: Rules, info: SweepInfo, scopes: list[GraphScope], sleep: Sleep
) -> tuple[SweepSummary, list[str]]:
    """Every step of a sweep in order; (the summary, the problems met on the way)."""
    problems: list[str] = []
    servers: list[str] = []
    policies: set[str] = set()
    for source in Source:
        for batch, scope in enumerate(scopes):
            token: str | None = None
            for page in range(steps.MAX_PAGES_PER_SOURCE):
                request = PageRequest(info.id, source, scope, batch, page, token)
                result = await steps.fetch_page(arm, store, request)
                if result.error is not None:
                    problems.append(f"{source.value}: {result.error.message}")
                    break
                servers.extend(result.servers)
                policies.update(result.policies)
                if not result.skip_token:
                    break
                token = result.skip_token
                await sleep(result.quota.wait_seconds())
    unlisted = []
    for index, server in enumerate(sorted(set(servers))):
        listed = await steps.list_databases(arm, store, ListRequest(info.id, server, index))
        if listed.error is not None:
            unlisted.append(server)
            problems.append(f"databases of {server}: {listed.error.message}")
    plan = await shares.plan_share_lists(store, rules, shares.SharePlanRequest(info.id))
    unlisted_accounts = await shares.list_every_share(arm, store, info.id, plan.accounts)
    problems.extend(f"shares of {a}: {message}" for a, message in unlisted_accounts.items())
    intervals = {}
    for policy in sorted(policies):
        read = await steps.read_policy(arm, PolicyRequest(policy))
        if read.seconds:
            intervals[policy.lower()] = read.seconds
    notes = [{"source": n.source, "note": n.note} for n in NOTES] + [
        {"source": "problem", "note": p} for p in problems
    ]
    finished = SweepInfo(
        **{**info.to_json(), "finished_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "notes": notes}
    )
    classify = ClassifyRequest(finished, intervals, unlisted, sorted(unlisted_accounts))
    summary = await steps.classify_sweep(store, rules, classify)
    return summary, problems


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscription", action="append", default=[], help="a subscription id (repeatable)")
    parser.add_argument("--management-group", action="append", default=[], help="a management group name")
    parser.add_argument("--rules", required=True, help="the protection rules document (JSON or YAML)")
    parser.add_argument("--out", default="compliance-report", help="the folder the report is written to")
    parser.add_argument("--arm-endpoint", help="the management endpoint (default: ARM_ENDPOINT or Azure's)")
    parser.add_argument("--credential", choices=("default", "local"), help="default: DefaultAzureCredential")
    return parser


async def _main(args: argparse.Namespace, out: Path, rules: Rules) -> int:
    env = dict(os.environ)
    if args.arm_endpoint:
        env["ARM_ENDPOINT"] = args.arm_endpoint
    if args.credential:
        env["ARM_CREDENTIAL"] = args.credential
    settings = Settings.from_env(env)
    now = datetime.now(UTC)
    info = SweepInfo(
        id=f"sweep-{now.strftime('%Y%m%d%H%M')}-workstation",
        started_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        trigger="workstation",
        subscriptions=list(args.subscription),
        management_groups=list(args.management_group),
    )
    scopes = batches(args.subscription, args.management_group) or [GraphScope()]
    credential = make_credential(settings)
    store = FolderStore(out)
    try:
        async with ArmClient.from_settings(settings, credential) as arm:
            summary, problems = await run_sweep(arm, store, rules, info, scopes, asyncio.sleep)
    finally:
        await credential.close()
    for name in ("report.json", "report.csv", "gaps.json"):
        data = await store.get(sweep_path(info.id, name))
        if data is not None:
            (out / name).write_bytes(data)
    page = out / "report.html"
    page.write_text(render_page(await get_json(store, sweep_path(info.id, "gaps.json"))), encoding="utf-8")
    shutil.rmtree(out / "sweeps", ignore_errors=True)  # the staged pages: the report is written
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.by_classification.items()) if v)
    print(f"{summary.total} resources in scope, {summary.gaps} gaps ({counts})")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    print(f"report: {out / 'report.json'}\npage:   {page}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        rules = load_rules(args.rules, base_dir=Path.cwd())
        return asyncio.run(_main(args, Path(args.out).resolve(), rules))
    except BackupAutopilotError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
