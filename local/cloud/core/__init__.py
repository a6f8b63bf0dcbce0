"""Core of the emulated Azure control plane (``local.cloud``): state, pipeline and extension points.

How a provider plugs in
-----------------------
A provider is any object with ``name: str`` and ``register(cloud: Cloud) -> None`` (see
``local.cloud.providers.*``); ``local.cloud.app.create_app`` installs each with ``cloud.install(p)``.
In ``register`` a provider:

* **Registers routes**: ``cloud.router.add(method, template, operation_id, handler, kind=None,
  arm_operation=None)``. ``template`` is the ARM path with ``{param}`` segments
  (``/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/NS/type/{name}``);
  literal segments match case-insensitively, parameter values keep the caller's casing.
  ``operation_id`` is the swagger operation id (faults and counters key on it); ``kind`` is the
  throttling bucket (read/write/delete/action; defaults from the method). The handler is
  ``async def handler(ctx: RequestContext) -> Response`` (``ctx.params``, ``ctx.json_object()``,
  ``ctx.principal``, ``ctx.correlation_id``, ``ctx.url(path)`` for absolute poll URLs, ``ctx.cloud``).
  The pipeline has already checked the bearer token and ``api-version``, applied throttling and faults;
  it adds ``x-ms-request-id``, ``x-ms-correlation-request-id`` and the rate-limit header.
  For plain CRUD types use ``core.arm.register_type(cloud, ResourceType(...))`` (data, not code).
* **Stores resources** in ``cloud.store`` (``ResourceStore``: ``put(id, type, body, created)``,
  ``get(id)``, ``delete(id)``, ``list_children(parent_id, type)``, ``list_by_type(type, within=scope)``;
  ids compared case-insensitively, scoped by subscription through the id). Provider-private state
  (jobs, recovery points, queues) lives in a typed object: ``cloud.state(MyProviderState)`` returns the
  one instance (created with ``MyProviderState()``; reset by ``/_admin/reset``; must be picklable for
  ``--snapshot``). ``cloud.require(id)``, ``cloud.require_resource_group(sub, rg)`` raise ARM's 404s.
* **Starts async operations**: ``cloud.operations.start(target_id=..., operation_id=..., subscription_id=...,
  location=..., duration=cloud.config.duration("restore_job"), complete=fn, fail_with=
  cloud.faults.operation_failure(op_id, sub), in_progress="Inprogress")`` returns an ``AsyncOperation``
  (``.id``, ``.status``, ``.status_body(resource_id)``); ``complete()`` runs when the emulated time is up
  and returns the result properties or raises ``CloudError`` (then status Failed + error).
  **Jobs**: ``cloud.jobs.start(job_type=..., subscription_id=..., duration=..., fail_with=
  cloud.faults.job_failure(op_id, sub), on_complete=fn, in_progress="InProgress", succeeded="Completed")``.
  Arbitrary timed work: ``cloud.scheduler.call_later(emulated_seconds, callback)``. Nothing runs in the
  background: due callbacks run before every request and on a 100 ms ticker (``cloud.tick()``).
  Advertise ``Retry-After: str(cloud.config.retry_after_seconds)``.
* **Raises CloudErrors**: ``raise CloudError(status, code, message, details=..., headers=...)`` anywhere
  in a handler renders ``{"error": {"code", "message", ...}}`` with that status (``core.errors`` has
  helpers for ARM's standard 404s and DataProtection's ``user_facing`` error object).
* **Emits resource-write hooks**: ``cloud.emit_write_for(ctx, resource, delete=False)`` or
  ``cloud.emit_write(resource_id=..., resource_type=..., http_method=..., principal=..., correlation_id=...)``
  calls every hook registered with ``cloud.hooks.add(fn)``; ``fn(event: ResourceWrite)`` may be sync or
  async. ``register_type`` emits automatically after each successful PUT/DELETE.
* **Seeding and admin views**: ``cloud.seed_sections["recoveryServicesVaults"] = fn(cloud, items)`` handles
  a top-level key of the seed file; ``cloud.state_views["rsJobs"] = fn(cloud) -> JSON`` answers
  ``GET /_admin/state?type=rsJobs``.
* **Resource Graph**: every stored resource of an indexed type is a row (``resourcegraph.tables``); records
  kept in provider state (jobs) are published with ``cloud.graph_sources["name"] = fn(cloud) -> bodies``.
"""

from .arm import ResourceType, base_body, register_type, require_location
from .clock import NOT_ENDED, Clock, iso, parse_iso
from .cloud import Cloud, Provider
from .config import CloudConfig
from .context import RequestContext, Response, ok
from .errors import CloudError, user_facing
from .faults import FaultRule
from .hooks import ResourceWrite, ResourceWriteHook
from .ids import ResourceId, is_within, norm, parent_scopes
from .operations import AsyncOperation, Job
from .store import Resource

__all__ = [
    "NOT_ENDED",
    "AsyncOperation",
    "Clock",
    "Cloud",
    "CloudConfig",
    "CloudError",
    "FaultRule",
    "Job",
    "Provider",
    "RequestContext",
    "Resource",
    "ResourceId",
    "ResourceType",
    "ResourceWrite",
    "ResourceWriteHook",
    "Response",
    "base_body",
    "is_within",
    "iso",
    "norm",
    "ok",
    "parent_scopes",
    "parse_iso",
    "register_type",
    "require_location",
    "user_facing",
]
