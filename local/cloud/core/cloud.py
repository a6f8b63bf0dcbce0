"""``Cloud``: the whole emulated control plane's state and machinery, shared by every provider."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .clock import Clock
from .config import CloudConfig
from .counters import Counters
from .errors import CloudError, resource_group_not_found, subscription_not_found
from .faults import FaultInjector
from .hooks import HookRegistry, ResourceWrite
from .ids import ResourceId
from .operations import JobManager, OperationManager
from .routing import Router
from .scheduler import Scheduler
from .store import Resource, ResourceStore
from .throttling import Throttler

if TYPE_CHECKING:
    from .context import RequestContext

T = TypeVar("T")
SeedHandler = Callable[["Cloud", Any], None]
StateView = Callable[["Cloud"], Any]
#: ARM bodies (with ``id`` and ``type``) a provider keeps outside the store that Resource Graph indexes.
GraphSource = Callable[["Cloud"], Iterable[dict[str, Any]]]

SUBSCRIPTION_TYPE = "Microsoft.Resources/subscriptions"
RESOURCE_GROUP_TYPE = "Microsoft.Resources/resourceGroups"


class Provider(Protocol):
    """A resource provider: registers its routes, seed sections and state views on a ``Cloud``."""

    name: str

    def register(self, cloud: Cloud) -> None: ...


class Cloud:
    def __init__(self, config: CloudConfig | None = None) -> None:
        self.config = config or CloudConfig()
        self.clock = Clock(self.config.time_factor)
        self.scheduler = Scheduler(self.clock)
        self.store = ResourceStore()
        self.operations = OperationManager(self.clock, self.scheduler)
        self.jobs = JobManager(self.clock, self.scheduler)
        self.hooks = HookRegistry()
        self.throttler = Throttler(self.config.throttle_limits)
        self.faults = FaultInjector()
        self.counters = Counters()
        self.router = Router()
        self.providers: list[Provider] = []
        self.seed_sections: dict[str, SeedHandler] = {}
        self.state_views: dict[str, StateView] = {}
        self.graph_sources: dict[str, GraphSource] = {}
        self._states: dict[type, Any] = {}

    # -- providers ---------------------------------------------------------------------------
    def install(self, provider: Provider) -> None:
        self.providers.append(provider)
        provider.register(self)

    def state(self, cls: type[T]) -> T:
        """The provider's typed state object (``cls()`` created on first use, dropped by ``reset``)."""
        existing = self._states.get(cls)
        if existing is None:
            existing = cls()
            self._states[cls] = existing
        return existing

    @property
    def provider_states(self) -> dict[type, Any]:
        return self._states

    def reset(self) -> None:
        """Forget every resource, operation, job, fault, counter and bucket; keep config and providers."""
        self.store.clear()
        self.scheduler.clear()
        self.operations.clear()
        self.jobs.clear()
        self.faults.clear()
        self.counters.clear()
        self.throttler.reset()
        self._states.clear()

    def apply_config(self, changes: dict[str, Any]) -> None:
        self.config.update(changes)
        if "time_factor" in changes:
            self.clock.set_factor(float(changes["time_factor"]))
        if "throttle_limits" in changes:
            self.throttler.reset()

    def tick(self) -> int:
        """Let due operations/jobs progress (called before every request)."""
        return self.scheduler.run_due()

    # -- lookups shared by providers ---------------------------------------------------------
    def require_subscription(self, subscription_id: str) -> Resource:
        sub = self.store.get(f"/subscriptions/{subscription_id}")
        if sub is None:
            raise subscription_not_found(subscription_id)
        return sub

    def require_resource_group(self, subscription_id: str, resource_group: str) -> Resource:
        self.require_subscription(subscription_id)
        group = self.store.get(f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}")
        if group is None:
            raise resource_group_not_found(resource_group)
        return group

    def require(self, resource_id: str, *, check_group: bool = True) -> Resource:
        """The resource, or ARM's 404 (ResourceGroupNotFound when the group is missing)."""
        found = self.store.get(resource_id)
        if found is not None:
            return found
        parsed = ResourceId.parse(resource_id)
        if check_group and parsed.subscription and parsed.resource_group:
            self.require_resource_group(parsed.subscription, parsed.resource_group)
        raise CloudError(
            404,
            "ResourceNotFound",
            f"The Resource '{parsed.type}/{'/'.join(parsed.names)}' under resource group "
            f"'{parsed.resource_group}' was not found. For more details please go to "
            "https://aka.ms/ARMResourceNotFoundFix",
        )

    # -- resource-write events ---------------------------------------------------------------
    def emit_write(
        self,
        *,
        resource_id: str,
        resource_type: str,
        http_method: str,
        principal: str,
        correlation_id: str,
        body: dict[str, Any] | None = None,
        status: str = "Succeeded",
    ) -> None:
        if not self.hooks:
            return
        parsed = ResourceId.parse(resource_id)
        verb = "delete" if http_method.upper() == "DELETE" else "write"
        self.hooks.emit(
            ResourceWrite(
                resource_id=resource_id,
                operation_name=f"{resource_type}/{verb}",
                status=status,
                subscription_id=parsed.subscription or "",
                resource_group=parsed.resource_group,
                principal=principal,
                correlation_id=correlation_id,
                http_method=http_method.upper(),
                resource_type=resource_type,
                time=self.clock.now(),
                resource_body=body,
            )
        )

    def emit_write_for(self, ctx: RequestContext, resource: Resource, *, delete: bool = False) -> None:
        self.emit_write(
            resource_id=resource.id,
            resource_type=resource.type,
            http_method="DELETE" if delete else "PUT",
            principal=ctx.principal,
            correlation_id=ctx.correlation_id,
            body=None if delete or not self.hooks else resource.view(),
        )
