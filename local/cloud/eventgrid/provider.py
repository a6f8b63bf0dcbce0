"""``EventGridProvider`` turns the core's resource-write hook into Event Grid events; ``mount(app)`` serves
the topic endpoint (SAS keys, not bearer tokens) and ``/_admin/eventgrid/...`` in front of the ARM app."""

from __future__ import annotations

from typing import Any

from ..core import Cloud, ResourceWrite, Response
from .http import ADMIN_PREFIX, TOPIC_PREFIX, handle
from .hub import EventGridHub


class EventGridProvider:
    name = "Microsoft.EventGrid"

    def __init__(self) -> None:
        self.hub: EventGridHub | None = None

    def register(self, cloud: Cloud) -> None:
        self.hub = EventGridHub(time_factor=lambda: cloud.clock.factor)
        hub = self.hub

        def on_write(write: ResourceWrite) -> None:
            hub.on_resource_write(write)

        cloud.hooks.add(on_write)
        cloud.state_views["eventGridSubscriptions"] = lambda c: [
            s.to_dict() for s in self._hub().subscriptions.values()
        ]

    def _hub(self) -> EventGridHub:
        assert self.hub is not None, "EventGridProvider.register was not called"
        return self.hub


def mount(app: Any) -> EventGridHub:
    """Put Event Grid's paths in front of an ``ArmApp`` (``local.cloud.app.create_app`` calls this once)."""
    provider = next(p for p in app.cloud.providers if isinstance(p, EventGridProvider))
    hub = provider._hub()
    arm, admin = app.handle_arm, app.admin

    async def handle_arm(scope: Any, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                         body: bytes, **kwargs: Any) -> Response:  # fmt: skip
        if path.lower().startswith(TOPIC_PREFIX):
            result = await handle(hub, method, path, query, headers, body)
            if result is not None:
                return Response(result.status, result.body, result.headers)
        return await arm(scope, method, path, query, headers, body, **kwargs)

    async def admin_api(method: str, path: str, query: dict[str, str], body: bytes) -> Response:
        if path.lower().startswith(ADMIN_PREFIX):
            result = await handle(hub, method, path, query, {}, body)
            if result is not None:
                return Response(result.status, result.body, result.headers)
        if path.rstrip("/").lower() == "/_admin/reset":
            hub.reset()
        return await admin(method, path, query, body)

    app.handle_arm = handle_arm
    app.admin = admin_api
    app.on_shutdown.append(hub.close)
    return hub
