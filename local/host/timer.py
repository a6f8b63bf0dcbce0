"""Timer triggers: six-field NCRONTAB (second first) or ``hh:mm:ss`` intervals, in UTC.

One run at a time per timer; the next occurrence is computed after each run; failed runs are not retried.
With the schedule monitor (``useMonitor``, default on for intervals of a minute or more) the last run status
lives in blob ``azure-webjobs-hosts/timers/<hostId>/<function>/status`` like the real host's
ScheduleMonitor, so a host that was down past a scheduled time runs once at start-up with ``past_due``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.functions import meta
from azure.functions.timer import TimerRequestConverter
from azure.storage.blob.aio import BlobServiceClient
from croniter import croniter

from local.app_loader import FunctionSpec
from local.host.dispatcher import Dispatcher
from local.host.errors import StartupError
from local.host.timespan import seconds

log = logging.getLogger("local.host.timer")
MONITOR_CONTAINER = "azure-webjobs-hosts"


class Schedule:
    def __init__(self, expression: str) -> None:
        self.expression = expression.strip()
        self.interval: float | None = None
        fields = self.expression.split()
        if len(fields) == 1 and ":" in self.expression:
            self.interval = seconds(self.expression, f"timer schedule {expression!r}")
            if self.interval <= 0:
                raise StartupError(f"timer schedule {expression!r} must be a positive interval")
        elif len(fields) != 6 or not croniter.is_valid(self.expression, second_at_beginning=True):
            raise StartupError(f"timer schedule {expression!r} is not a six-field NCRONTAB expression")

    def next_after(self, when: datetime) -> datetime:
        if self.interval is not None:
            return when + timedelta(seconds=self.interval)
        return croniter(self.expression, when, second_at_beginning=True).get_next(datetime)

    def typical_interval(self, now: datetime) -> float:
        first = self.next_after(now)
        return (self.next_after(first) - first).total_seconds()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class ScheduleStatus:
    last: datetime | None
    next: datetime
    last_updated: datetime

    def to_json(self) -> dict[str, str | None]:
        return {"Last": _iso(self.last), "Next": _iso(self.next), "LastUpdated": _iso(self.last_updated)}


class ScheduleMonitor:
    def __init__(self, connection_string: str, host_id: str) -> None:
        self._service = BlobServiceClient.from_connection_string(connection_string)
        self._host_id = host_id
        self._container_ready = False

    def _blob(self, function_name: str) -> str:
        return f"timers/{self._host_id}/{function_name}/status"

    async def read(self, function_name: str) -> ScheduleStatus | None:
        blob = self._service.get_blob_client(MONITOR_CONTAINER, self._blob(function_name))
        try:
            data = json.loads(await (await blob.download_blob()).readall())
        except ResourceNotFoundError:
            return None
        next_time = _parse(data.get("Next"))
        if next_time is None:
            return None
        return ScheduleStatus(
            _parse(data.get("Last")), next_time, _parse(data.get("LastUpdated")) or next_time
        )

    async def write(self, function_name: str, status: ScheduleStatus) -> None:
        if not self._container_ready:
            with contextlib.suppress(ResourceExistsError):
                await self._service.create_container(MONITOR_CONTAINER)
            self._container_ready = True
        blob = self._service.get_blob_client(MONITOR_CONTAINER, self._blob(function_name))
        await blob.upload_blob(json.dumps(status.to_json()), overwrite=True)

    async def close(self) -> None:
        await self._service.close()


class TimerRunner:
    def __init__(
        self, spec: FunctionSpec, schedule: Schedule, dispatcher: Dispatcher, monitor: ScheduleMonitor | None
    ) -> None:
        self.spec = spec
        self.schedule = schedule
        self.dispatcher = dispatcher
        now = datetime.now(UTC)
        wants_monitor = bool(spec.trigger.get("useMonitor", True))
        self.monitor = monitor if wants_monitor and schedule.typical_interval(now) >= 60 else None
        self.run_on_startup = bool(spec.trigger.get("runOnStartup", False))
        self.status: ScheduleStatus | None = None

    async def run(self) -> None:
        now = datetime.now(UTC)
        past_due = False
        if self.monitor is not None:
            self.status = await self._read_status()
            if self.status is not None and self.status.next < now:
                past_due = True
        if self.status is None:
            self.status = ScheduleStatus(None, self.schedule.next_after(now), now)
        if past_due:
            log.info("timer %s is past due (was due %s)", self.spec.name, _iso(self.status.next))
            await self._invoke(now, past_due=True)
        elif self.run_on_startup:
            await self._invoke(now, past_due=False)
        while True:
            due = self.schedule.next_after(datetime.now(UTC))
            self.status.next = due
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
            await self._invoke(due, past_due=False)

    async def _read_status(self) -> ScheduleStatus | None:
        assert self.monitor is not None
        try:
            return await self.monitor.read(self.spec.name)
        except (AzureError, ValueError) as exc:
            log.warning("reading the schedule status of %s failed: %s", self.spec.name, exc)
            return None

    async def _invoke(self, scheduled: datetime, *, past_due: bool) -> None:
        assert self.status is not None
        payload = {
            "Schedule": {"AdjustForDST": True},
            "ScheduleStatus": self.status.to_json(),
            "IsPastDue": past_due,
        }
        request = TimerRequestConverter.decode(
            meta.Datum(type="json", value=json.dumps(payload)), trigger_metadata={}
        )
        # A failure is logged by the invoker; failed timer runs are not retried.
        with contextlib.suppress(Exception):
            await self.dispatcher.run(self.spec, request)
        now = datetime.now(UTC)
        self.status = ScheduleStatus(scheduled, self.schedule.next_after(now), now)
        if self.monitor is not None:
            try:
                await self.monitor.write(self.spec.name, self.status)
            except AzureError as exc:
                log.warning("writing the schedule status of %s failed: %s", self.spec.name, exc)
