"""Invoke a function as the Python worker does: bind arguments, run sync code in a thread, collect outputs.

Argument binding: the trigger value under the trigger's ``name``; a :class:`Out` for every output binding
(except ``$return``); the ``durableClient`` binding JSON string for a durable client binding (DFApp wraps the
client function in an async middleware that builds the rich client from it); a :class:`InvocationContext` for
a parameter named ``context`` that no binding claims.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import azure.functions as func
from azure.functions import _abc

from local.app_loader import FunctionSpec
from local.host import logs

T = TypeVar("T")
log = logging.getLogger("local.host.invocation")


class Out(func.Out[T], Generic[T]):
    """An output binding parameter: the function calls ``.set(value)``; the host reads it afterwards."""

    def __init__(self) -> None:
        self._value: T | None = None

    def set(self, val: T) -> None:
        self._value = val

    def get(self) -> T:
        return self._value  # type: ignore[return-value]


class _TraceContext(_abc.TraceContext):
    @property
    def trace_state(self) -> str:
        return ""

    @property
    def trace_parent(self) -> str:
        return ""

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _RetryContext(_abc.RetryContext):
    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self) -> _abc.RpcException | None:  # type: ignore[override]
        return None


class InvocationContext(func.Context):
    """What the worker passes for a ``context`` parameter."""

    def __init__(self, invocation_id: str, function_name: str, function_directory: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> type[threading.local]:
        return threading.local  # the worker exposes a per-invocation threading.local; unused locally

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> _abc.TraceContext:
        return _TraceContext()

    @property
    def retry_context(self) -> _abc.RetryContext:
        return _RetryContext()


@dataclass
class InvocationResult:
    invocation_id: str
    return_value: Any
    outputs: dict[str, Any] = field(default_factory=dict)


ClientJsonProvider = Callable[[], str]
OutputWriter = Callable[[InvocationResult], Awaitable[None]]


class Invoker:
    """Runs functions of one app. ``durable_client_json`` supplies the durableClient binding value."""

    def __init__(self, app_dir: str, durable_client_json: ClientJsonProvider | None = None) -> None:
        self._app_dir = app_dir
        self._durable_client_json = durable_client_json

    def set_durable_client(self, provider: ClientJsonProvider | None) -> None:
        self._durable_client_json = provider

    async def invoke(
        self,
        spec: FunctionSpec,
        trigger_value: Any,
        *,
        client_origin_json: str | None = None,
        write_outputs: OutputWriter | None = None,
    ) -> InvocationResult:
        """Run the function; ``write_outputs`` runs in the same log scope and its failure fails the run."""
        invocation_id = str(uuid.uuid4())
        with logs.invocation_scope(spec.name, invocation_id):
            kwargs, outs = self._bind(spec, trigger_value, invocation_id, client_origin_json)
            started = time.monotonic()
            log.info("Executing '%s' (trigger %s)", spec.name, spec.trigger_type)
            try:
                value = await self._call(spec.user_function, kwargs)
                result = InvocationResult(
                    invocation_id, value, {name: out.get() for name, out in outs.items()}
                )
                if write_outputs is not None:
                    await write_outputs(result)
            except Exception as exc:
                elapsed = (time.monotonic() - started) * 1000
                log.error(
                    "Executed '%s' (Failed, %.0f ms): %s: %s",
                    spec.name,
                    elapsed,
                    type(exc).__name__,
                    exc,
                    exc_info=True,
                )
                raise
            elapsed = (time.monotonic() - started) * 1000
            log.info("Executed '%s' (Succeeded, %.0f ms)", spec.name, elapsed)
        return result

    @staticmethod
    async def _call(function: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        if inspect.iscoroutinefunction(function):
            return await function(**kwargs)
        value = await asyncio.to_thread(function, **kwargs)
        if inspect.isawaitable(value):
            value = await value
        return value

    def _bind(
        self, spec: FunctionSpec, trigger_value: Any, invocation_id: str, client_json: str | None
    ) -> tuple[dict[str, Any], dict[str, Out[Any]]]:
        kwargs: dict[str, Any] = {}
        outs: dict[str, Out[Any]] = {}
        for binding in spec.bindings:
            name = str(binding.get("name"))
            if binding is spec.trigger or binding == spec.trigger:
                kwargs[name] = trigger_value
            elif binding.get("type") == "durableClient":
                if client_json is None:
                    if self._durable_client_json is None:
                        raise RuntimeError(f"function {spec.name} has a durableClient binding but no engine")
                    client_json = self._durable_client_json()
                kwargs[name] = client_json
            elif str(binding.get("direction", "")).upper() == "OUT" and name != "$return":
                outs[name] = Out()
                kwargs[name] = outs[name]
        try:
            parameters = inspect.signature(spec.user_function).parameters
        except (TypeError, ValueError):
            parameters = {}  # type: ignore[assignment]
        if "context" in parameters and "context" not in kwargs:
            kwargs["context"] = InvocationContext(invocation_id, spec.name, self._app_dir)
        return kwargs, outs
