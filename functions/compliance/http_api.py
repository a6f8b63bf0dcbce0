"""Where a sweep stands and what it found (function key):

- ``GET /api/sweeps/{sweepId}``: our status document (phase, counts so far, started/finished);
- ``GET /api/sweeps/{sweepId}/report`` (JSON), ``.../report.csv``, ``.../report.html`` (the page a person
  reads); ``latest`` as the id addresses the newest finished sweep.
"""

from __future__ import annotations

import re
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from functions import runtime
from functions.compliance.blueprint import bp
from functions.compliance.orchestrator import ORCHESTRATOR
from functions.http import json_response, problem
from shared.compliance.page import CONTENT_SECURITY_POLICY, render_page
from shared.compliance.steps import latest_sweep
from shared.compliance.store import get_json, sweep_path

_SWEEP_ID = re.compile(r"^sweep-[0-9]{12}-[a-z]{1,20}[0-9]{0,2}$")
_RUNTIME_FAILED = {"Failed", "Terminated", "Canceled"}


def _iso(status: df.DurableOrchestrationStatus, name: str) -> str | None:
    value = getattr(status, name, None)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _missing(sweep_id: str, what: str = "sweep") -> func.HttpResponse:
    return problem(404, "Not found", f"no {what} {sweep_id[:100]!r}", "not-found")


@bp.route(route="sweeps/{sweepId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def sweep_status(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    sweep_id = req.route_params.get("sweepId", "")
    if not _SWEEP_ID.match(sweep_id):
        return _missing(sweep_id)
    status = await client.get_status(sweep_id)
    if not status or status.name != ORCHESTRATOR:
        return _missing(sweep_id)
    source = status.output if isinstance(status.output, dict) else status.custom_status
    document: dict[str, Any] = (
        dict(source) if isinstance(source, dict) else {"id": sweep_id, "phase": "starting"}
    )
    runtime_status = status.runtime_status.value if status.runtime_status else None
    if runtime_status in _RUNTIME_FAILED and document.get("phase") not in ("done", "failed"):
        document["phase"] = "failed"
    document |= {
        "createdTime": _iso(status, "created_time"),
        "lastUpdatedTime": _iso(status, "last_updated_time"),
    }
    return json_response(document)


async def _resolve(sweep_id: str) -> str | None:
    if sweep_id == "latest":
        return await latest_sweep(runtime.store())
    return sweep_id if _SWEEP_ID.match(sweep_id) else None


async def _report(req: func.HttpRequest, name: str) -> tuple[str, bytes] | func.HttpResponse:
    asked = req.route_params.get("sweepId", "")
    sweep_id = await _resolve(asked)
    if sweep_id is None:
        return _missing(asked, "finished sweep" if asked == "latest" else "sweep")
    data = await runtime.store().get(sweep_path(sweep_id, name))
    if data is None:
        return _missing(asked, "report of sweep")
    return sweep_id, data


@bp.route(route="sweeps/{sweepId}/report", methods=["GET"])
async def sweep_report(req: func.HttpRequest) -> func.HttpResponse:
    found = await _report(req, "report.json")
    if isinstance(found, func.HttpResponse):
        return found
    return func.HttpResponse(found[1], mimetype="application/json")


@bp.route(route="sweeps/{sweepId}/report.csv", methods=["GET"])
async def sweep_report_csv(req: func.HttpRequest) -> func.HttpResponse:
    found = await _report(req, "report.csv")
    if isinstance(found, func.HttpResponse):
        return found
    sweep_id, data = found
    headers = {"Content-Disposition": f'attachment; filename="{sweep_id}.csv"'}
    return func.HttpResponse(data, mimetype="text/csv", headers=headers)


@bp.route(route="sweeps/{sweepId}/report.html", methods=["GET"])
async def sweep_report_page(req: func.HttpRequest) -> func.HttpResponse:
    asked = req.route_params.get("sweepId", "")
    sweep_id = await _resolve(asked)
    document = await get_json(runtime.store(), sweep_path(sweep_id, "gaps.json")) if sweep_id else None
    if not isinstance(document, dict):
        return _missing(asked, "report of sweep")
    headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY}  # its own style and script only
    return func.HttpResponse(render_page(document), mimetype="text/html", headers=headers)
