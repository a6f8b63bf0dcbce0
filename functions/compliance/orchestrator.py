"""``compliance_sweep``: inventory (Resource Graph, in parallel per source and subscription batch) -> the
databases Resource Graph does not index (ARM, per server) -> the file shares it does not index (ARM, per
page of the shares of each account a share rule can match or a protected item names) -> the policies'
intervals -> classification -> remediation -> the summary event.

Each source is paged by its own sub-orchestration (``compliance_sweep_source``), so histories stay short
and the sources share the Resource Graph quota: after every page the quota headers decide whether the next
page waits (a durable timer until the window resets). The rows themselves never enter the history: each page
is reduced and staged in storage by its activity, and the classification streams them from there.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import azure.durable_functions as df

from functions.compliance.blueprint import bp
from functions.tracking import call, wait
from shared.compliance.inventory import NOTES, Source
from shared.compliance.report import SweepInfo
from shared.compliance.shares import (
    MAX_SHARE_PAGES,
    ShareListRequest,
    ShareListResult,
    SharePlan,
    SharePlanRequest,
)
from shared.compliance.steps import (
    MAX_PAGES_PER_SOURCE,
    ClassifyRequest,
    ListRequest,
    ListResult,
    PageRequest,
    PageResult,
    PolicyInterval,
    PolicyRequest,
    RemediateRequest,
    RemediationResult,
    SweepSummary,
)
from shared.records import Record
from shared.services.resourcegraph import GraphScope

ORCHESTRATOR = "compliance_sweep"
SOURCE_ORCHESTRATOR = "compliance_sweep_source"
FAN_OUT = 20  # ARM lists / policy reads in flight at once (the ARM client's limiter paces them further)
Flow = Generator[Any, Any, Any]


@dataclass(frozen=True)
class SweepStart(Record):
    sweep: SweepInfo
    scopes: list[GraphScope]
    remediation_per_second: float = 2.0


@dataclass(frozen=True)
class SourceRun(Record):
    sweep_id: str
    source: Source
    scope: GraphScope
    batch: int


@dataclass(frozen=True)
class SourceResult(Record):
    source: Source
    pages: int = 0
    rows: int = 0
    servers: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None


@bp.orchestration_trigger(context_name="context")
def compliance_sweep_source(context: df.DurableOrchestrationContext) -> Flow:
    """Every page of one source in one scope batch, honouring the Resource Graph quota between pages."""
    run: SourceRun = context.get_input(expected_type=SourceRun)
    token: str | None = None
    rows, servers, policies = 0, list[str](), set[str]()
    for page in range(MAX_PAGES_PER_SOURCE):
        request = PageRequest(
            run.sweep_id, run.source, run.scope, run.batch, page, token, f"sweep:{run.sweep_id}"
        )
        result: PageResult = yield call(context, "sweep_fetch_page", request)
        if result.error is not None:
            return SourceResult(
                run.source, page, rows, servers, sorted(policies), result.error.to_dict()
            ).to_json()
        rows += result.rows
        servers.extend(result.servers)
        policies.update(result.policies)
        context.set_custom_status({"source": run.source.value, "pages": page + 1, "rows": rows})
        if not result.skip_token:
            return SourceResult(run.source, page + 1, rows, servers, sorted(policies)).to_json()
        token = result.skip_token
        pause = result.quota.wait_seconds()
        if pause > 0:
            yield wait(context, pause)
    error = {
        "code": "TooManyPages",
        "message": f"{run.source.value} had more than {MAX_PAGES_PER_SOURCE} pages",
    }
    return SourceResult(run.source, MAX_PAGES_PER_SOURCE, rows, servers, sorted(policies), error).to_json()


class _Sweep:
    def __init__(self, context: df.DurableOrchestrationContext) -> None:
        self.context = context
        start: SweepStart = context.get_input(expected_type=SweepStart)
        self.start = start
        self.sweep = start.sweep
        self.status: dict[str, Any] = {
            "id": self.sweep.id,
            "phase": "inventory",
            "trigger": self.sweep.trigger,
            "startedAt": self.sweep.started_at,
            "finishedAt": None,
            "progress": {"pages": 0, "rows": 0, "databaseLists": 0, "shareLists": 0, "policies": 0},
            "summary": None,
            "remediation": None,
            "problems": [],
        }

    def phase(self, name: str) -> None:
        self.status["phase"] = name
        self.context.set_custom_status(self.status)

    def inventory(self) -> Generator[Any, Any, tuple[list[str], list[str]]]:
        runs = [
            SourceRun(self.sweep.id, source, scope, batch)
            for source in Source
            for batch, scope in enumerate(self.start.scopes)
        ]
        results: list[dict[str, Any]] = yield self.context.task_all(
            [self.context.call_sub_orchestrator(SOURCE_ORCHESTRATOR, run) for run in runs]
        )
        servers: list[str] = []
        policies: set[str] = set()
        for raw in results:
            result = SourceResult.from_json(raw)
            self.status["progress"]["pages"] += result.pages
            self.status["progress"]["rows"] += result.rows
            servers.extend(result.servers)
            policies.update(result.policies)
            if result.error:
                self.status["problems"].append({"source": result.source.value, **result.error})
        return sorted(set(servers)), sorted(policies)

    def databases(self, servers: list[str]) -> Generator[Any, Any, list[str]]:
        """List each server's databases; the servers that could not be listed."""
        unlisted: list[str] = []
        for first in range(0, len(servers), FAN_OUT):
            batch = servers[first : first + FAN_OUT]
            requests = [
                ListRequest(self.sweep.id, s, first + i, f"sweep:{self.sweep.id}")
                for i, s in enumerate(batch)
            ]
            results: list[ListResult] = yield self.context.task_all(
                [call(self.context, "sweep_list_databases", r) for r in requests]
            )
            for server, result in zip(batch, results, strict=True):
                if result.error is not None:
                    unlisted.append(server)
                    self.status["problems"].append(
                        {"source": "databases", "serverId": server, "message": result.error.message}
                    )
            self.status["progress"]["databaseLists"] += len(batch)
            self.phase("listing")
        return unlisted

    def shares(self) -> Generator[Any, Any, list[str]]:
        """List the shares of each account the plan names, page by page; the accounts that could not be."""
        plan: SharePlan = yield call(self.context, "sweep_plan_shares", SharePlanRequest(self.sweep.id))
        unlisted: list[str] = []
        correlation = f"sweep:{self.sweep.id}"
        for first in range(0, len(plan.accounts), FAN_OUT):
            pending = [
                ShareListRequest(self.sweep.id, account, first + i, correlation_id=correlation)
                for i, account in enumerate(plan.accounts[first : first + FAN_OUT])
            ]
            while pending:
                results: list[ShareListResult] = yield self.context.task_all(
                    [call(self.context, "sweep_list_shares", r) for r in pending]
                )
                self.status["progress"]["shareLists"] += len(pending)
                following: list[ShareListRequest] = []
                for request, result in zip(pending, results, strict=True):
                    if result.error is not None or (result.next_link and request.page + 1 >= MAX_SHARE_PAGES):
                        message = result.error.message if result.error else "too many pages of shares"
                        unlisted.append(request.account_id)
                        self.status["problems"].append(
                            {"source": "shares", "accountId": request.account_id, "message": message}
                        )
                    elif result.next_link:
                        following.append(
                            ShareListRequest(
                                self.sweep.id,
                                request.account_id,
                                request.index,
                                request.page + 1,
                                result.next_link,
                                correlation,
                            )
                        )
                pending = following
            self.phase("listing")
        return unlisted

    def intervals(self, policies: list[str]) -> Generator[Any, Any, dict[str, float]]:
        out: dict[str, float] = {}
        for first in range(0, len(policies), FAN_OUT):
            batch = [PolicyRequest(p, f"sweep:{self.sweep.id}") for p in policies[first : first + FAN_OUT]]
            results: list[PolicyInterval] = yield self.context.task_all(
                [call(self.context, "sweep_read_policy", r) for r in batch]
            )
            for request, result in zip(batch, results, strict=True):
                if result.seconds:
                    out[request.policy_id.lower()] = result.seconds
            self.status["progress"]["policies"] += len(batch)
        return out

    def run(self) -> Flow:
        self.phase("inventory")
        servers, policies = yield from self.inventory()
        self.phase("listing")
        unlisted = yield from self.databases(servers)
        unlisted_accounts = yield from self.shares()
        intervals = yield from self.intervals(policies)
        self.phase("classifying")
        notes = [{"source": n.source, "note": n.note} for n in NOTES]
        notes += [{"source": p["source"], "note": str(p.get("message"))} for p in self.status["problems"]]
        finished = self.context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ")
        sweep = SweepInfo(**{**self.sweep.to_json(), "finished_at": finished, "notes": notes})
        summary: SweepSummary = yield call(
            self.context, "sweep_classify", ClassifyRequest(sweep, intervals, unlisted, unlisted_accounts)
        )
        self.status["summary"] = {
            "total": summary.total,
            "gaps": summary.gaps,
            "byClassification": summary.by_classification,
            "byKind": summary.by_kind,
        }
        self.phase("remediating")
        request = RemediateRequest(self.sweep.id, self.sweep.remediation, self.start.remediation_per_second)
        remediation: RemediationResult = yield call(self.context, "sweep_remediate", request)
        self.status["remediation"] = {
            "mode": remediation.mode,
            "requested": remediation.requested,
            "spreadSeconds": remediation.spread_seconds,
        }
        self.phase("publishing")
        yield call(
            self.context,
            "sweep_publish",
            {"sweepId": self.sweep.id, **self.status["summary"], "remediation": self.status["remediation"]},
        )
        self.status["finishedAt"] = finished


@bp.orchestration_trigger(context_name="context")
def compliance_sweep(context: df.DurableOrchestrationContext) -> Flow:
    sweep = _Sweep(context)
    try:
        yield from sweep.run()
    except Exception as exc:  # an activity failed after its retries: the sweep says so, it is not lost
        sweep.status["problems"].append({"source": "sweep", "message": str(exc)[:2000]})
        sweep.status["finishedAt"] = context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ")
        sweep.phase("failed")
        return sweep.status
    sweep.phase("done")
    return sweep.status
