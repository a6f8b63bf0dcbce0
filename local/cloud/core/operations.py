"""Asynchronous operations (the resource behind Azure-AsyncOperation / Location URLs) and jobs.

An operation starts ``Inprogress`` (DataProtection spells it that way; pass ``in_progress=`` for
another vocabulary), and after ``duration`` emulated seconds runs its ``complete`` callback: the
callback returns the operation's result properties (e.g. ``{"jobId": ..., "objectType":
"OperationJobExtendedInfo"}``) or raises ``CloudError`` to end ``Failed``. Faults of kind
``fail_operation`` end it Failed without running the callback.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import NOT_ENDED, Clock, iso
from .errors import CloudError
from .scheduler import Scheduler

Completion = Callable[[], dict[str, Any] | None]
Listener = Callable[["AsyncOperation"], None]


@dataclass
class AsyncOperation:
    id: str
    #: What it acts on (vault, backup instance, storage account...).
    target_id: str
    #: The swagger operation id that started it (``BackupInstances_TriggerRestore``).
    operation_id: str
    subscription_id: str
    location: str
    start_time: datetime
    status: str
    end_time: datetime | None = None
    properties: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    #: Free data for the provider (e.g. the HTTP status a finished Location poll should return).
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status.lower() in {"succeeded", "failed", "canceled", "cancelled"}

    def status_body(self, resource_id: str) -> dict[str, Any]:
        """DataProtection's ``OperationResource`` shape (``GetOperationStatus.json``)."""
        body: dict[str, Any] = {
            "id": resource_id,
            "name": self.id,
            "status": self.status,
            "startTime": iso(self.start_time),
            "endTime": iso(self.end_time) if self.end_time else NOT_ENDED,
        }
        if self.properties is not None:
            body["properties"] = self.properties
        if self.error is not None:
            body["error"] = self.error
        return body


class OperationManager:
    def __init__(self, clock: Clock, scheduler: Scheduler) -> None:
        self._clock = clock
        self._scheduler = scheduler
        self._ops: dict[str, AsyncOperation] = {}
        self._listeners: list[Listener] = []

    def on_finish(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def get(self, operation_id: str) -> AsyncOperation | None:
        return self._ops.get(operation_id)

    def all(self) -> list[AsyncOperation]:
        return list(self._ops.values())

    def start(
        self,
        *,
        target_id: str,
        operation_id: str,
        subscription_id: str,
        location: str,
        duration: float,
        complete: Completion | None = None,
        fail_with: CloudError | None = None,
        in_progress: str = "Inprogress",
        data: dict[str, Any] | None = None,
    ) -> AsyncOperation:
        """Start an operation. ``fail_with`` (from a fault rule) makes it end Failed with that error."""
        op_id = _operation_name()
        op = AsyncOperation(
            id=op_id,
            target_id=target_id,
            operation_id=operation_id,
            subscription_id=subscription_id,
            location=location,
            start_time=self._clock.now(),
            status=in_progress,
            data=dict(data or {}),
        )
        self._ops[op_id] = op

        def finish() -> None:
            self._finish(op, complete, fail_with)

        if duration <= 0:
            finish()
        else:
            self._scheduler.call_later(duration, finish)
        return op

    def _finish(self, op: AsyncOperation, complete: Completion | None, fail_with: CloudError | None) -> None:
        if op.done:
            return
        try:
            if fail_with is not None:
                raise fail_with
            op.properties = complete() if complete else None
            op.status = "Succeeded"
        except CloudError as exc:
            op.status = "Failed"
            op.error = exc.error_object()
            op.data.setdefault("http_status", exc.status)
        op.end_time = self._clock.now()
        for listener in self._listeners:
            listener(op)

    def clear(self) -> None:
        self._ops.clear()


def _operation_name() -> str:
    """DataProtection operation ids are base64 of ``{guid};{guid}``; we mint the same shape."""
    import base64

    raw = f"{uuid.uuid4()};{uuid.uuid4()}".encode()
    return base64.b64encode(raw).decode()


@dataclass
class Job:
    """A backup/restore job: its own status vocabulary (Started/InProgress -> Completed/Failed)."""

    id: str
    job_type: str
    subscription_id: str
    start_time: datetime
    status: str
    end_time: datetime | None = None
    error: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)


class JobManager:
    """Jobs that run for ``duration`` emulated seconds then end Completed (or Failed)."""

    def __init__(self, clock: Clock, scheduler: Scheduler) -> None:
        self._clock = clock
        self._scheduler = scheduler
        self._jobs: dict[str, Job] = {}

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id.lower())

    def all(self) -> list[Job]:
        return list(self._jobs.values())

    def start(
        self,
        *,
        job_type: str,
        subscription_id: str,
        duration: float,
        data: dict[str, Any] | None = None,
        fail_with: CloudError | None = None,
        on_complete: Callable[[Job], None] | None = None,
        in_progress: str = "InProgress",
        succeeded: str = "Completed",
        failed: str = "Failed",
    ) -> Job:
        job = Job(
            str(uuid.uuid4()),
            job_type,
            subscription_id,
            self._clock.now(),
            in_progress,
            data=dict(data or {}),
        )
        self._jobs[job.id] = job

        def finish() -> None:
            if fail_with is not None:
                job.status = failed
                job.error = fail_with.error_object()
            else:
                job.status = succeeded
                if on_complete is not None:
                    on_complete(job)
            job.end_time = self._clock.now()

        if duration <= 0:
            finish()
        else:
            self._scheduler.call_later(duration, finish)
        return job

    def clear(self) -> None:
        self._jobs.clear()
