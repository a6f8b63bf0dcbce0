"""The steps of a sweep, each one ARM call (or none) plus storage; the Durable activities and the workstation
command run the same steps.

- ``fetch_page``: one Resource Graph page of a source, reduced and staged; what to ask next, the quota left;
- ``list_databases``: one ARM list of a PostgreSQL server's databases (not indexed by Resource Graph);
- ``read_policy``: one ARM GET of a backup policy (Backup vault or Recovery Services vault), for the interval
  its schedule backs up at;
- ``plan_share_lists`` and ``list_shares`` (:mod:`shared.compliance.shares`): the accounts whose file shares
  to list (no ARM call), then one ARM call per page of an account's shares;
- ``classify``: no ARM call: streams the staged pages through the classification into the report;
- ``remediate``: no ARM call: sends each unprotected resource in scope to the protection queue, released
  over time so that the protections' ARM writes stay inside the throttling budget.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.arm.client import ArmClient
from shared.arm.ids import parse_resource_id
from shared.arm.steps import answers_errors
from shared.compliance import inventory
from shared.compliance.classify import (
    Entry,
    Facts,
    choose,
    classify,
    item_last_backup,
    newest_backup,
    orphan,
    resource_type_of,
)
from shared.compliance.inventory import Source
from shared.compliance.report import ReportWriter, SweepInfo, unprotected
from shared.compliance.shares import ACCOUNTS, SHARES, account_of_share
from shared.compliance.store import (
    LATEST,
    Store,
    get_json,
    page_path,
    pages,
    pages_prefix,
    put_json,
    sweep_path,
)
from shared.errors import BackupAutopilotError
from shared.protection.kinds import kind_for_type
from shared.protection.messages import ProtectionRequest
from shared.protection.rules import Rules
from shared.records import Record
from shared.services import dataprotection as dp
from shared.services import recoveryservices as rs
from shared.services import resourcegraph as rg

MAX_PAGES_PER_SOURCE = 10_000  # a guard against a skipToken that never ends (10 million rows)
_ISO_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


@dataclass(frozen=True)
class PageRequest(Record):
    sweep_id: str
    source: Source
    scope: rg.GraphScope
    batch: int
    page: int
    skip_token: str | None = None
    correlation_id: str | None = None


@dataclass(frozen=True)
class PageResult(Record):
    rows: int = 0
    skip_token: str | None = None
    quota: rg.Quota = field(default_factory=rg.Quota)
    servers: list[str] = field(default_factory=list)  # PostgreSQL single servers seen (their databases)
    policies: list[str] = field(default_factory=list)  # backup policies the instances name
    error: BackupAutopilotError | None = None


@answers_errors(lambda error: PageResult(error=error))
async def fetch_page(arm: ArmClient, store: Store, request: PageRequest) -> PageResult:
    body = rg.query_body(inventory.query_of(request.source), request.scope, request.skip_token)
    response = await arm.post(rg.PATH, api_version=rg.API_VERSION, json=body)
    rows, token, _ = rg.page_of(response.body)
    reduced = [r for r in (inventory.reduce_row(request.source, row) for row in rows) if r is not None]
    path = page_path(request.sweep_id, request.source.value, request.batch, request.page)
    await put_json(store, path, reduced)
    servers = (
        [str(r["id"]) for r in reduced if str(r.get("type", "")).lower() == inventory.POSTGRESQL_SERVER_TYPE]
        if request.source is Source.DATASOURCES
        else []
    )
    policies = (
        sorted({str(r["policyId"]) for r in reduced if r.get("policyId")})
        if request.source is Source.BACKUP_INSTANCES
        else []
    )
    return PageResult(len(reduced), token, rg.quota_of(response.headers), servers, policies)


@dataclass(frozen=True)
class ListRequest(Record):
    sweep_id: str
    server_id: str
    index: int
    correlation_id: str | None = None


@dataclass(frozen=True)
class ListResult(Record):
    databases: int = 0
    error: BackupAutopilotError | None = None


@answers_errors(lambda error: ListResult(error=error))
async def list_databases(arm: ArmClient, store: Store, request: ListRequest) -> ListResult:
    """The server's databases as datasource rows (an ARM list has no subscription/group columns)."""
    response = await arm.get(
        inventory.databases_path(request.server_id), api_version=inventory.POSTGRESQL_API_VERSION
    )
    server = parse_resource_id(request.server_id)
    values = response.body.get("value", []) if isinstance(response.body, dict) else []
    rows = [
        {
            "id": f"{server.canonical()}/databases/{db['name']}",
            "name": db["name"],
            "type": inventory.POSTGRESQL_DATABASE_TYPE,
            "subscriptionId": server.subscription,
            "resourceGroup": (server.resource_group or "").lower(),
            "parent": server.key(),
            "properties": db.get("properties") or {},
        }
        for db in values
        if isinstance(db, dict) and isinstance(db.get("name"), str)
    ]
    await put_json(store, page_path(request.sweep_id, "databases", 0, request.index), rows)
    return ListResult(len(rows))


@dataclass(frozen=True)
class PolicyRequest(Record):
    policy_id: str
    correlation_id: str | None = None


@dataclass(frozen=True)
class PolicyInterval(Record):
    policy_id: str
    seconds: float | None = None  # None: no scheduled backups (operational tier only) or unknown
    error: BackupAutopilotError | None = None


def schedule_interval(policy: Any) -> float | None:
    """The shortest backup interval a Data Protection policy schedules (``R/<start>/P1W`` ...), seconds."""
    rules = ((policy or {}).get("properties") or {}).get("policyRules") or []
    intervals: list[float] = []
    for rule in rules if isinstance(rules, list) else []:
        schedule = ((rule or {}).get("trigger") or {}).get("schedule") or {}
        for text in schedule.get("repeatingTimeIntervals") or []:
            match = _ISO_DURATION.match(str(text).rsplit("/", 1)[-1])
            if match and any(match.groups()):
                w, d, h, m, s = (int(g or 0) for g in match.groups())
                intervals.append(float((((w * 7 + d) * 24 + h) * 60 + m) * 60 + s))
    return min(intervals) if intervals else None


_RUN_FREQUENCY_SECONDS = {"daily": 86400.0, "weekly": 7 * 86400.0}


def rs_schedule_interval(policy: Any) -> float | None:
    """The interval a Recovery Services policy's ``schedulePolicy`` backs up at (``bms.json``
    ``SimpleSchedulePolicy`` / ``SimpleSchedulePolicyV2``: ``scheduleRunFrequency`` Daily, Weekly (every
    ``scheduleWeeklyFrequency`` weeks), Hourly (every ``hourlySchedule.interval`` hours)), seconds."""
    schedule = ((policy or {}).get("properties") or {}).get("schedulePolicy") or {}
    frequency = str(schedule.get("scheduleRunFrequency") or "").lower()
    if frequency == "hourly":
        hours = (schedule.get("hourlySchedule") or {}).get("interval")
        return float(hours) * 3600.0 if isinstance(hours, int | float) and hours > 0 else None
    seconds = _RUN_FREQUENCY_SECONDS.get(frequency)
    weeks = schedule.get("scheduleWeeklyFrequency")
    if seconds and frequency == "weekly" and isinstance(weeks, int) and weeks > 1:
        seconds *= weeks
    return seconds


def _is_recovery_services(policy_id: str) -> bool:
    try:
        rid = parse_resource_id(policy_id)
    except BackupAutopilotError:
        return False
    return f"{rid.namespace}/{rid.types[0]}".lower() == rs.VAULT_TYPE.lower()


@answers_errors(lambda error: PolicyInterval("", error=error))
async def read_policy(arm: ArmClient, request: PolicyRequest) -> PolicyInterval:
    if _is_recovery_services(request.policy_id):
        response = await arm.get(request.policy_id, api_version=rs.API_VERSION)
        return PolicyInterval(request.policy_id, rs_schedule_interval(response.body))
    response = await arm.get(request.policy_id, api_version=dp.API_VERSION)
    return PolicyInterval(request.policy_id, schedule_interval(response.body))


@dataclass(frozen=True)
class ClassifyRequest(Record):
    sweep: SweepInfo
    policy_intervals: dict[str, float] = field(default_factory=dict)  # lower-case policy id -> seconds
    unlisted_servers: list[str] = field(default_factory=list)  # servers whose databases could not be listed
    unlisted_accounts: list[str] = field(default_factory=list)  # accounts whose shares could not be listed


@dataclass(frozen=True)
class SweepSummary(Record):
    total: int = 0
    gaps: int = 0
    by_classification: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> classification -> count


async def classify_sweep(
    store: Store, rules: Rules, request: ClassifyRequest, now: datetime | None = None
) -> SweepSummary:
    """Stream the staged pages through the classification into ``report.json``, ``report.csv``, ``gaps.json``.

    What is held at once: the protection index (a few fields per backup instance or protected item), the
    last backup job per datasource, the PostgreSQL servers (parents of databases), the storage accounts whose
    shares were listed (parents of shares), and one page of resources.
    """
    sweep_id = request.sweep.id
    names: dict[str, str] = {}
    async for page in pages(store, pages_prefix(sweep_id, Source.SUBSCRIPTIONS.value)):
        names.update({r["subscriptionId"].lower(): r["name"] for r in page if r.get("subscriptionId")})
    protections: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    jobs: dict[str, Mapping[str, Any]] = {}
    share_jobs: dict[str, str] = {}  # share_job_key -> the share's key
    async for page in pages(store, pages_prefix(sweep_id, Source.BACKUP_INSTANCES.value)):
        for row in page:
            if row.get("datasource"):
                protections[row["datasource"]].append(row)
            if row.get("jobKey"):  # a protected item of a file share, which carries its last backup itself
                share_jobs[str(row["jobKey"])] = row["datasource"]
                last = item_last_backup(row)
                if last is not None:
                    jobs[row["datasource"]] = last
    latest: dict[str, dict[str, Any]] = {}  # the newest job of a share (14 days kept), error and all
    async for page in pages(store, pages_prefix(sweep_id, Source.BACKUP_JOBS.value)):
        for job in page:
            if job.get("job"):  # a Recovery Services job names its share by vault, account and share name
                share = share_jobs.get(str(job["job"]))
                newer = latest.get(share) if share else None
                if share and (
                    newer is None or str(job.get("startTime") or "") > str(newer.get("startTime") or "")
                ):
                    latest[share] = job
                continue
            known = jobs.get(job["datasource"])
            if known is None or str(job.get("startTime") or "") > str(known.get("startTime") or ""):
                jobs[job["datasource"]] = job
    for share, newest in latest.items():
        jobs[share] = newest_backup(jobs.get(share), newest)
    facts_at = now or datetime.now(UTC)
    servers: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    writer = ReportWriter(request.sweep)
    json_out = store.writer(sweep_path(sweep_id, "report.json"), "application/json")
    csv_out = store.writer(sweep_path(sweep_id, "report.csv"), "text/csv")

    async def emit(entries: Iterable[Entry]) -> None:
        json_chunk, csv_chunk = writer.add(entries)
        await json_out.write(json_chunk)
        await csv_out.write(csv_chunk)

    def fresh(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each resource once (with its key), though overlapping scopes (a group and a subscription in it)
        list it twice; the id is parsed once."""
        for row in rows:
            key = parse_resource_id(str(row["id"])).key()
            if key not in seen:
                seen.add(key)
                yield key, row

    def judge(key: str, resource: dict[str, Any], parent: dict[str, Any] | None) -> Entry:
        facts = Facts(protections.get(key, ()), jobs.get(key), request.policy_intervals, facts_at)
        return classify(resource, rules, facts, parent)

    head_json, head_csv = writer.opening()
    await json_out.write(head_json)
    await csv_out.write(head_csv)
    async for page in pages(store, pages_prefix(sweep_id, Source.DATASOURCES.value)):
        for row in page:
            if str(row.get("type", "")).lower() == inventory.POSTGRESQL_SERVER_TYPE:
                servers[parse_resource_id(str(row["id"])).key()] = row
        handled = [r for r in page if kind_for_type(str(r.get("type", ""))) is not None]
        await emit(judge(key, r, None) for key, r in fresh(handled))
    async for page in pages(store, pages_prefix(sweep_id, "databases")):
        await emit(judge(key, r, servers.get(str(r.get("parent")))) for key, r in fresh(page))
    accounts: dict[str, dict[str, Any]] = {}
    async for page in pages(store, pages_prefix(sweep_id, ACCOUNTS)):
        accounts.update({parse_resource_id(str(r["id"])).key(): r for r in page})
    async for page in pages(store, pages_prefix(sweep_id, SHARES)):
        await emit(judge(key, r, accounts.get(str(r.get("parent")))) for key, r in fresh(page))
    unlisted = {parse_resource_id(s).key() for s in request.unlisted_servers + request.unlisted_accounts}
    await emit(_orphans(protections, seen, set(names), unlisted))
    await json_out.write(writer.closing(names))
    await json_out.close()
    await csv_out.close()
    await put_json(store, sweep_path(sweep_id, "gaps.json"), writer.gaps_document(names))
    summary = writer.summary
    by_kind = {kind: dict(counts) for kind, counts in sorted(summary.by_kind.items())}
    return SweepSummary(summary.total, summary.gaps, dict(summary.by_classification), by_kind)


def _orphans(
    protections: dict[str, list[dict[str, Any]]], seen: set[str], subscriptions: set[str], unlisted: set[str]
) -> Iterable[Entry]:
    """Backup instances and protected items whose datasource is gone: in a subscription the sweep covers, of a
    kind it lists, unless the list that would have shown it failed (a server's databases, an account's
    shares)."""
    for key, found in protections.items():
        if key in seen:
            continue
        parts = key.split("/")
        subscription = parts[2] if len(parts) > 2 and parts[1] == "subscriptions" else ""
        parent = (
            key.rsplit("/databases/", 1)[0]
            if "/databases/" in key
            else account_of_share(key)
            if "/fileservices/" in key
            else None
        )
        if subscription not in subscriptions or (parent is not None and parent in unlisted):
            continue
        datasource_type = found[0].get("datasourceId") or key
        if kind_for_type(resource_type_of(str(datasource_type))) is None:
            continue
        yield orphan(choose(found))


@dataclass(frozen=True)
class RemediateRequest(Record):
    sweep_id: str
    mode: str  # off | dryRun | on
    per_second: float  # protection requests released per subscription per second


@dataclass(frozen=True)
class RemediationResult(Record):
    mode: str
    requested: int = 0
    spread_seconds: float = 0.0  # when the last request becomes visible, after the first


Send = Callable[[str, int], Awaitable[None]]  # (message text, visibility delay in seconds)


REMEDIATION_CONCURRENCY = 32  # queue sends in flight at once (each is one storage round trip)


async def remediate(
    store: Store, request: RemediateRequest, send: Send, *, concurrency: int = REMEDIATION_CONCURRENCY
) -> RemediationResult:
    """Every unprotected resource in scope -> a protection request (origin ``sweep``) on the queue.

    Requests are released per subscription at ``per_second`` (ARM throttles writes per subscription): the
    n-th request of a subscription becomes visible after ``n / per_second`` seconds, so 5,000 gaps are never
    5,000 writes at once. The sends themselves run ``concurrency`` at a time (the visibility delays, not the
    order of sending, release them). A failed send fails the step with that send's error (the other sends
    are cancelled); a retried step sends everything again, which the protection pipeline absorbs (the
    instance id derives from the datasource). ``dryRun`` counts them and sends nothing.
    """
    if request.mode == "off":
        return RemediationResult(request.mode)
    document = await get_json(store, sweep_path(request.sweep_id, "gaps.json")) or {}
    per_subscription: defaultdict[str, int] = defaultdict(int)
    latest = 0.0
    messages: list[tuple[str, int]] = []
    for gap in unprotected(document):
        sub = str(gap.get("subscriptionId") or "").lower()
        delay = per_subscription[sub] / request.per_second
        per_subscription[sub] += 1
        latest = max(latest, delay)
        message = ProtectionRequest(
            str(gap["resourceId"]),
            str(gap["resourceType"]),
            correlation_id=f"sweep:{request.sweep_id}",
            origin="sweep",
        )
        messages.append((message.to_message(), int(delay)))
    if request.mode == "on":
        await _send_all(messages, send, concurrency)
    return RemediationResult(request.mode, len(messages), latest)


async def _send_all(messages: list[tuple[str, int]], send: Send, concurrency: int) -> None:
    pending = iter(messages)  # shared by the workers: each message is taken once

    async def worker() -> None:
        for text, delay in pending:
            await send(text, delay)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, min(concurrency, len(messages)))):
                group.create_task(worker())
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


async def mark_latest(store: Store, sweep_id: str, finished_at: str) -> None:
    await put_json(store, LATEST, {"sweepId": sweep_id, "finishedAt": finished_at})


async def latest_sweep(store: Store) -> str | None:
    pointer = await get_json(store, LATEST)
    return str(pointer["sweepId"]) if isinstance(pointer, dict) and pointer.get("sweepId") else None
