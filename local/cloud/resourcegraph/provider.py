"""``ResourceGraphProvider``: serves ``POST /providers/Microsoft.ResourceGraph/resources`` over the emulator's
live state (``rows``), scoped by the request's subscriptions / management groups (``scope``), with the
per-user quota headers (429 only when the emulator's throttling is on)."""

from __future__ import annotations

from ..core import Cloud, RequestContext, Response
from .errors import QuotaExceededError, ResourceGraphError
from .quota import UserQuota, hms
from .rows import rows
from .scope import scope_for
from .service import QueryRequest, Snapshots, execute


class ResourceGraphProvider:
    name = "Microsoft.ResourceGraph"

    def __init__(self) -> None:
        self.quota = UserQuota()
        self.snapshots = Snapshots()

    def register(self, cloud: Cloud) -> None:
        async def query(ctx: RequestContext) -> Response:
            try:
                headers = self.quota.consume(ctx.principal, enforce=ctx.cloud.config.throttling)
            except QuotaExceededError as exc:
                wait = exc.retry_after_seconds
                return Response(
                    exc.status,
                    exc.body(),
                    {
                        "Retry-After": str(wait),
                        "x-ms-user-quota-remaining": "0",
                        "x-ms-user-quota-resets-after": hms(wait),
                    },
                )
            try:
                request = QueryRequest.from_body(ctx.json())
                scope = scope_for(ctx.cloud, request.subscriptions, request.management_groups)
                body = execute(request, lambda table: rows(ctx.cloud, table), scope, self.snapshots)
            except ResourceGraphError as exc:
                return Response(exc.status, exc.body(), headers)
            ctx.cloud.counters.rows["Resources"] += int(body.get("count", 0))
            return Response(200, body, headers)

        cloud.router.add(
            "POST", "/providers/Microsoft.ResourceGraph/resources", "Resources", query, kind="read"
        )
