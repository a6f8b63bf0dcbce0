"""Starting a sweep: on the schedule (``COMPLIANCE_SCHEDULE``, six-field NCRONTAB), on ``POST /api/sweeps``.

One sweep at a time: a start while a sweep runs joins it. The instance id is the occurrence (the minute it
was asked for), so two starts of the same occurrence (a timer and a request, or two requests racing) are one
sweep: the second ``start_new`` of a running id is refused and joins.
"""

from __future__ import annotations

import logging
from datetime import datetime

import azure.durable_functions as df
import azure.functions as func

from functions import runtime
from functions.compliance.blueprint import bp
from functions.compliance.orchestrator import ORCHESTRATOR, SweepStart
from functions.http import json_response, problem
from shared.compliance.report import SweepInfo
from shared.errors import SweepLimitError
from shared.services.resourcegraph import GraphScope, batches

log = logging.getLogger("backup_autopilot.compliance")


SWEEP_PREFIX = "sweep-"
MAX_SWEEPS_PER_MINUTE = 20
ACTIVE = [
    df.OrchestrationRuntimeStatus.Running,
    df.OrchestrationRuntimeStatus.Pending,
    df.OrchestrationRuntimeStatus.ContinuedAsNew,
]


def sweep_id(now: datetime, trigger: str, attempt: int = 1) -> str:
    """``sweep-202612011530-request`` (then ``...-request2``, ... for later sweeps of the same minute)."""
    return f"{SWEEP_PREFIX}{now.strftime('%Y%m%d%H%M')}-{trigger}{attempt if attempt > 1 else ''}"


def _start_input(now: datetime, identifier: str, trigger: str) -> SweepStart:
    s = runtime.settings()
    scopes = batches(s.compliance_subscriptions, s.compliance_management_groups) or [GraphScope()]
    info = SweepInfo(
        id=identifier,
        started_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        trigger=trigger,
        subscriptions=list(s.compliance_subscriptions),
        management_groups=list(s.compliance_management_groups),
        remediation=s.compliance_remediation,
    )
    return SweepStart(info, scopes, s.compliance_remediation_per_second)


async def start_or_join(
    client: df.DurableOrchestrationClient, now: datetime, trigger: str
) -> tuple[str, bool]:
    """(the sweep's id, whether it was already running)."""
    running = await client.get_status_by(runtime_status=ACTIVE, instance_id_prefix=SWEEP_PREFIX)
    running = [s for s in running if s.name == ORCHESTRATOR]
    if running:
        return str(sorted(running, key=lambda s: str(s.instance_id))[0].instance_id), True
    for attempt in range(1, MAX_SWEEPS_PER_MINUTE + 1):
        identifier = sweep_id(now, trigger, attempt)
        existing = await client.get_status(identifier)
        if existing and existing.runtime_status in ACTIVE:
            return identifier, True
        if existing and existing.name:  # a finished sweep of this minute: never overwrite its record
            continue
        try:
            await client.start_new(ORCHESTRATOR, identifier, _start_input(now, identifier, trigger))
        except Exception as exc:
            if "already exists" not in str(exc):
                raise
            return identifier, True  # a concurrent start of the same occurrence won: join it
        log.info("sweep %s started (%s)", identifier, trigger)
        return identifier, False
    raise SweepLimitError(f"{MAX_SWEEPS_PER_MINUTE} sweeps were started this minute already")


@bp.timer_trigger(schedule="%COMPLIANCE_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
@bp.durable_client_input(client_name="client")
async def scheduled_sweep(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    identifier, joined = await start_or_join(client, datetime.now().astimezone(), "schedule")
    if joined:
        log.info("scheduled sweep joined %s, which is still running", identifier)


@bp.route(route="sweeps", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def sweep_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    try:
        identifier, joined = await start_or_join(client, datetime.now().astimezone(), "request")
    except SweepLimitError as exc:
        return problem(429, "Too many sweeps", exc.message, "too-many-sweeps")
    base = req.url.split("/api/", 1)[0]
    status_url = f"{base}/api/sweeps/{identifier}"
    body = {
        "id": identifier,
        "joined": joined,
        "statusUrl": status_url,
        "reportUrl": f"{status_url}/report",
        "pageUrl": f"{status_url}/report.html",
    }
    return json_response(body, 202, {"Location": status_url, "Retry-After": "10"})
