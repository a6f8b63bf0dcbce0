"""Structured logs: every record carries the function name, invocation id and durable instance id in scope.

The scope lives in context variables, so it follows ``await`` chains and ``asyncio.to_thread`` into the
worker thread that runs a sync function. Request bodies and auth headers are never logged by the host.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

_function: ContextVar[str | None] = ContextVar("host_function", default=None)
_invocation: ContextVar[str | None] = ContextVar("host_invocation", default=None)
_instance: ContextVar[str | None] = ContextVar("host_instance", default=None)


@contextlib.contextmanager
def invocation_scope(
    function_name: str, invocation_id: str, instance_id: str | None = None
) -> Iterator[None]:
    tokens = (_function.set(function_name), _invocation.set(invocation_id), _instance.set(instance_id))
    try:
        yield
    finally:
        _instance.reset(tokens[2])
        _invocation.reset(tokens[1])
        _function.reset(tokens[0])


def set_instance_id(instance_id: str | None) -> None:
    """Record the durable instance id an invocation works on (e.g. a client function that starts one)."""
    _instance.set(instance_id)


class InvocationContextFilter(logging.Filter):
    """Copies the invocation scope onto each record (``functionName``, ``invocationId``, ``instanceId``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.functionName = _function.get()
        record.invocationId = _invocation.get()
        record.instanceId = _instance.get()
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the invocation scope when present."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("functionName", "invocationId", "instanceId"):
            value = getattr(record, key, None)
            if value:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(InvocationContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("azure.core.pipeline.policies.http_logging_policy", "azure", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
