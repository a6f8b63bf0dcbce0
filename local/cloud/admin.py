"""Admin API under ``/_admin/`` (no auth): reset, seed, config, faults, counters, state, clock.

- ``POST /_admin/reset``: forget everything (resources, operations, jobs, faults, counters, buckets).
- ``POST /_admin/seed``: body = seed document, JSON or YAML (see ``local.cloud.seeding``).
- ``GET /_admin/config`` / ``PUT /_admin/config``: read / partially update ``CloudConfig``.
- ``POST /_admin/faults``: one rule or ``{"rules": [...]}`` (see ``core.faults.FaultRule``);
  ``GET`` lists rules with how often each fired; ``DELETE`` removes all.
- ``GET /_admin/counters``: calls per operation, 429s and 5xx served, per subscription.
- ``GET /_admin/state?type=resources|operations|jobs|roleAssignments|<provider view>[&within=<scope>]``.
- ``POST /_admin/clock/advance``: ``{"seconds": N}`` moves emulated time forward and runs what is due.
- ``POST /_admin/bulk/storageAccounts``: load many storage accounts at once (see ``local.cloud.bulk``);
  answers ``{"subscriptions": [...], "created": N, "seconds": S}``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .bulk import StorageAccountBatch, load_storage_accounts
from .core import CloudError, FaultRule, Response, iso, norm
from .core.pipeline import ArmApp
from .providers.authorization import AuthorizationState
from .providers.dataprotection import DataProtectionState
from .seeding import SeedError, apply_seed, parse_seed


class AdminApi:
    def __init__(self, app: ArmApp) -> None:
        self.app = app
        self.cloud = app.cloud

    async def __call__(self, method: str, path: str, query: dict[str, str], body: bytes) -> Response:
        route = (method.upper(), path.rstrip("/").lower())
        try:
            return await self._dispatch(route, query, body)
        except (SeedError, KeyError, ValueError, TypeError) as exc:
            return Response(400, {"error": {"code": "BadRequest", "message": str(exc)}})
        except CloudError as exc:
            return Response(exc.status, exc.body())

    async def _dispatch(self, route: tuple[str, str], query: dict[str, str], body: bytes) -> Response:
        cloud = self.cloud
        match route:
            case ("POST", "/_admin/reset"):
                cloud.reset()
                return Response(200, {"reset": True})
            case ("POST", "/_admin/seed"):
                created = await apply_seed(self.app, parse_seed(body))
                return Response(200, {"created": len(created)})
            case ("GET", "/_admin/config"):
                return Response(200, cloud.config.to_dict())
            case ("PUT", "/_admin/config") | ("PATCH", "/_admin/config"):
                cloud.apply_config(_json(body))
                return Response(200, cloud.config.to_dict())
            case ("POST", "/_admin/faults"):
                data = _json(body)
                items = data.get("rules", [data]) if isinstance(data, dict) else data
                rules = [cloud.faults.add(FaultRule(**dict(item))) for item in items]
                return Response(201, {"rules": [r.to_dict() for r in rules]})
            case ("GET", "/_admin/faults"):
                return Response(200, {"rules": [r.to_dict() for r in cloud.faults.rules]})
            case ("DELETE", "/_admin/faults"):
                cloud.faults.clear()
                return Response(200, {"rules": []})
            case ("GET", "/_admin/counters"):
                return Response(200, cloud.counters.snapshot())
            case ("DELETE", "/_admin/counters"):
                cloud.counters.clear()
                return Response(200, cloud.counters.snapshot())
            case ("GET", "/_admin/state"):
                return Response(200, self._state(query.get("type", "resources"), query.get("within")))
            case ("POST", "/_admin/clock/advance"):
                cloud.clock.advance(float(_json(body).get("seconds", 0)))
                ran = cloud.tick()
                return Response(200, {"now": iso(cloud.clock.now()), "ran": ran})
            case ("GET", "/_admin/clock"):
                return Response(200, {"now": iso(cloud.clock.now()), "factor": cloud.clock.factor})
            case ("POST", "/_admin/bulk/storageaccounts"):
                batch = StorageAccountBatch.from_json(_json(body))
                return Response(200, load_storage_accounts(cloud, batch).to_json())
            case ("GET", "/_admin/health"):
                return Response(200, {"status": "ok", "resources": len(cloud.store)})
        return Response(
            404, {"error": {"code": "NotFound", "message": f"no admin route {route[0]} {route[1]}"}}
        )

    def _state(self, kind: str, within: str | None) -> Any:
        cloud = self.cloud
        prefix = norm(within) if within else None
        if kind == "resources":
            items = [r.view() for r in cloud.store if prefix is None or norm(r.id).startswith(prefix)]
            return {"value": items}
        if kind == "operations":
            return {
                "value": [
                    {**op.status_body(op.id), "target": op.target_id, "operationId": op.operation_id}
                    for op in cloud.operations.all()
                ]
            }
        if kind == "jobs":
            return {"value": [body for _, body in cloud.state(DataProtectionState).jobs.values()]}
        if kind == "roleAssignments":
            return {"value": [a.body() for a in cloud.state(AuthorizationState).assignments.values()]}
        if kind == "protected":
            return dict(cloud.state(DataProtectionState).protected)
        view = cloud.state_views.get(kind)
        if view is not None:
            return view(cloud)
        if "/" in kind:  # a resource type, e.g. Microsoft.Storage/storageAccounts
            return {"value": [r.view() for r in cloud.store.list_by_type(kind, within=within)]}
        raise KeyError(f"unknown state type {kind!r}")


def _json(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ValueError(f"invalid JSON: {exc}") from exc


def asdict(obj: Any) -> Any:
    return dataclasses.asdict(obj)
