"""Resource-write hooks: every successful PUT/DELETE of a tracked resource is announced here.

The Event Grid emulation subscribes with ``cloud.hooks.add(callback)``; a callback may be sync or
return an awaitable (scheduled as a task on the running loop). A failing hook never fails the
request that triggered it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResourceWrite:
    resource_id: str
    #: ``Microsoft.Storage/storageAccounts/write`` or ``.../delete``.
    operation_name: str
    #: ``Succeeded`` (the only status we emit today; ``Failed`` is reserved for failed writes).
    status: str
    subscription_id: str
    resource_group: str | None
    principal: str
    correlation_id: str
    http_method: str
    resource_type: str
    time: datetime
    tenant_id: str = "00000000-0000-0000-0000-000000000000"
    resource_body: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def is_delete(self) -> bool:
        return self.http_method.upper() == "DELETE"


ResourceWriteHook = Callable[[ResourceWrite], Any]


class HookRegistry:
    def __init__(self) -> None:
        self._hooks: list[ResourceWriteHook] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    def add(self, hook: ResourceWriteHook) -> None:
        self._hooks.append(hook)

    def __bool__(self) -> bool:
        return bool(self._hooks)

    def remove(self, hook: ResourceWriteHook) -> None:
        if hook in self._hooks:
            self._hooks.remove(hook)

    def emit(self, event: ResourceWrite) -> None:
        for hook in list(self._hooks):
            try:
                result = hook(event)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            except Exception:
                log.exception("resource-write hook failed for %s", event.resource_id)
