"""The local Durable Functions engine: the Durable SDK's own replay executor, state and queues in Azurite.

Public surface (used by ``local.host``):

- ``DurableEngine(app, *, storage_connection_string, hub_name, base_url, clock=None,
  max_concurrent_activities=16, max_concurrent_orchestrations=16)`` with ``async start()``, ``async stop()``,
  ``client_binding_json(origin=None) -> str`` (the ``durableClient`` binding payload) and
  ``routes() -> list[starlette.routing.BaseRoute]`` (the extension's HTTP API, mounted by the host under
  ``/runtime/webhooks/durabletask``).
- ``Clock`` / ``SystemClock`` / ``ScaledClock``: the engine's notion of time (timers fire by it).
- ``DurableError`` and its subclasses (``local.durable.errors``).
"""

from local.durable.clock import Clock, ScaledClock, SystemClock
from local.durable.engine import DurableEngine
from local.durable.errors import DurableError

__all__ = ["Clock", "DurableEngine", "DurableError", "ScaledClock", "SystemClock"]
