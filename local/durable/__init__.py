"""The local Durable Functions engine: the Durable SDK's own replay executor, state and queues in Azurite.

Public surface (used by ``local.host``):

- ``DurableEngine(app, *, storage_connection_string, hub_name, base_url, clock=None, system_key=None,
  max_concurrent_activities=16, max_concurrent_orchestrations=16)`` with ``async start()``, ``async stop()``,
  ``client_binding_json(origin=None) -> str`` (the ``durableClient`` binding payload: management URLs with
  ``code=<system_key>``, ``rpcBaseUrl`` the engine's loopback RPC endpoint, :mod:`local.durable.rpc`) and
  ``routes(public_origin=None) -> list[starlette.routing.BaseRoute]`` (the extension's HTTP API, mounted by
  the host under ``/runtime/webhooks/durabletask`` behind the system key).
- ``Clock`` / ``ScaledClock`` / ``ClockAnchor``: the engine's notion of time (timers fire by it), one timeline
  per task hub that goes on across restarts (its anchor is saved in the hub's storage at start).
- ``DurableError`` and its subclasses (``local.durable.errors``).

How it works: one JSON blob per instance (ETag concurrency) is the durable record. A per-instance inbox
batches whatever arrived (start, activity results, fired timers, child completions, client events), one
episode replays it through the SDK, the blob is saved, and only then are the outgoing messages handed to
in-memory workers (activities, timers, other inboxes). After a crash, :mod:`local.durable.recovery` rebuilds
those hand-offs from every unfinished instance's history. Client events (raise/terminate) are also written to
a control queue (hidden) so they survive a crash. See ``orchestrations.py`` for the order of effects.
"""

from local.durable.clock import Clock, ClockAnchor, ScaledClock
from local.durable.engine import DurableEngine
from local.durable.errors import DurableError

__all__ = ["Clock", "ClockAnchor", "DurableEngine", "DurableError", "ScaledClock"]
