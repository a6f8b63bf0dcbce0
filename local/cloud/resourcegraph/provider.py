"""``ResourceGraphProvider``: serves ``POST /providers/Microsoft.ResourceGraph/resources`` over the emulator's
resource store, with the per-user quota headers (429 only when the emulator's throttling is on)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core import Cloud, RequestContext, Response
from ..core.ids import ResourceId
from .errors import QuotaExceededError, ResourceGraphError
from .kql_eval import Row
from .quota import UserQuota
from .service import QueryRequest, execute

CONTAINER_TYPES = {"microsoft.resources/subscriptions", "microsoft.resources/resourcegroups"}
BACKUP_PREFIXES = ("microsoft.recoveryservices/vaults/", "microsoft.dataprotection/backupvaults/")


def table_of(resource_type: str) -> str | None:
    """Which ARG table holds a type: backup items, containers, top-level resources (child types: none)."""
    lowered = resource_type.lower()
    if lowered in CONTAINER_TYPES:
        return "ResourceContainers"
    if lowered.startswith(BACKUP_PREFIXES):
        return "RecoveryServicesResources"
    return "Resources" if lowered.count("/") == 1 else None


def row_of(resource_id: str, resource_type: str, body: dict[str, Any]) -> Row:
    parsed = ResourceId.parse(resource_id)
    return {
        "id": resource_id,
        "name": body.get("name") or parsed.name,
        "type": resource_type.lower(),
        "tenantId": "00000000-0000-0000-0000-000000000000",
        "kind": body.get("kind", ""),
        "location": body.get("location", ""),
        "resourceGroup": (parsed.resource_group or "").lower(),
        "subscriptionId": parsed.subscription or "",
        "managedBy": body.get("managedBy", ""),
        "sku": body.get("sku"),
        "plan": body.get("plan"),
        "properties": body.get("properties") or {},
        "tags": body.get("tags") or {},
        "identity": body.get("identity"),
        "zones": body.get("zones"),
        "extendedLocation": body.get("extendedLocation"),
    }


def rows(cloud: Cloud, table: str) -> Iterable[Row]:
    for resource in cloud.store:
        if table_of(resource.type) == table:
            yield row_of(resource.id, resource.type, resource.body)


class ResourceGraphProvider:
    name = "Microsoft.ResourceGraph"

    def __init__(self) -> None:
        self.quota = UserQuota()

    def register(self, cloud: Cloud) -> None:
        async def query(ctx: RequestContext) -> Response:
            try:
                headers = self.quota.consume(ctx.principal, enforce=ctx.cloud.config.throttling)
            except QuotaExceededError as exc:
                return Response(exc.status, exc.body(), {"Retry-After": str(exc.retry_after_seconds),
                                                         "x-ms-user-quota-remaining": "0"})  # fmt: skip
            try:
                body = execute(QueryRequest.from_body(ctx.json()), lambda table: rows(ctx.cloud, table))
            except ResourceGraphError as exc:
                return Response(exc.status, exc.body(), headers)
            return Response(200, body, headers)

        cloud.router.add(
            "POST", "/providers/Microsoft.ResourceGraph/resources", "Resources", query, kind="read"
        )
