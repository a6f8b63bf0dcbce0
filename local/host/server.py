"""The host as a Starlette app: HTTP triggers, webhooks, admin API; background listeners in its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from local.app_loader import LoadedApp
from local.host import queues
from local.host.auth import SystemKeyRequired, authorized
from local.host.dispatcher import Dispatcher, validate_app
from local.host.errors import StartupError
from local.host.eventgrid import EventGridWebhook
from local.host.http_trigger import HttpTriggers
from local.host.invocation import Invoker
from local.host.queue_listener import LEASE_SECONDS, QueueListener, QueueOptions
from local.host.settings import Settings
from local.host.timer import Schedule, ScheduleMonitor, TimerRunner

log = logging.getLogger("local.host")

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
DURABLE_TRIGGERS = {"orchestrationTrigger", "activityTrigger", "entityTrigger"}


def needs_durable(app: LoadedApp) -> bool:
    return any(
        spec.trigger_type in DURABLE_TRIGGERS or spec.bindings_of_type("durableClient")
        for spec in app.functions.values()
    )


class Host:
    """Everything one host process runs for one app. ``time_factor`` speeds up the durable engine's clock."""

    def __init__(
        self,
        app: LoadedApp,
        settings: Settings,
        *,
        base_url: str,
        time_factor: float | None = None,
        lease_seconds: int = LEASE_SECONDS,
    ) -> None:
        validate_app(app, settings)
        self.app = app
        self.settings = settings
        self.base_url = base_url.rstrip("/")
        self.clients = queues.QueueClients()
        self.invoker = Invoker(str(app.app_dir))
        self.dispatcher = Dispatcher(app, settings, self.invoker, self.clients)
        self.http = HttpTriggers(app, settings, self.dispatcher)
        self.eventgrid = EventGridWebhook(app, settings, self.dispatcher)
        self.queue_options = QueueOptions.from_host_json(app.host_json)
        self.lease_seconds = lease_seconds
        self.worker = settings.durable_worker
        self.schedules = {
            spec.name: Schedule(settings.resolve(str(spec.trigger.get("schedule", ""))))
            for spec in app.by_trigger("timerTrigger")
        }
        self.engine: Any = self._create_engine(time_factor) if needs_durable(app) else None
        self.state = "Initialized"
        self._tasks: list[asyncio.Task[None]] = []
        self._monitor: ScheduleMonitor | None = None

    def _create_engine(self, time_factor: float | None) -> Any:
        try:
            from local.durable import DurableEngine, DurableError, ScaledClock
        except ImportError as exc:
            raise StartupError(
                f"the app uses Durable Functions but local.durable is unavailable: {exc}"
            ) from exc
        try:
            engine = DurableEngine(
                self.app,
                storage_connection_string=self.settings.durable_connection_string(self.app.host_json),
                hub_name=self.settings.hub_name(self.app.host_json),
                base_url=self.base_url,
                clock=ScaledClock(time_factor or 1.0),
                system_key=self.settings.durabletask_key,
                worker=self.worker,
            )
        except DurableError as exc:
            raise StartupError(f"the durable engine cannot start: {exc}") from exc
        self.invoker.set_durable_client(engine.client_binding_json)
        self.http.client_json = engine.client_binding_json
        return engine

    # -- lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.engine is not None:
            await self.engine.start()
        for spec in self.app.by_trigger("queueTrigger"):
            connection = self.settings.connection_string(spec.trigger.get("connection"), "queue trigger")
            queue_name = self.settings.resolve(str(spec.trigger["queueName"])).lower()
            client = await self.clients.ensure(connection, queue_name)
            poison = self.clients.queue(connection, f"{queue_name}-poison")
            listener = QueueListener(
                spec,
                client,
                poison,
                self.queue_options,
                self.dispatcher,
                lease_seconds=self.lease_seconds,
                transactions=self.clients.transactions,
            )
            self._spawn(listener.run(), f"queue:{spec.name}")
        if self.schedules and self.worker[0] != 0:
            log.info("timers run on worker 0 of %d; this host is worker %d", self.worker[1], self.worker[0])
        elif self.schedules:
            host_id = self.settings.get("AzureFunctionsWebHost__hostid") or self.settings.hub_name(
                self.app.host_json
            )
            self._monitor = ScheduleMonitor(self.settings.storage_connection_string, host_id.lower())
            for name, schedule in self.schedules.items():
                runner = TimerRunner(self.app.functions[name], schedule, self.dispatcher, self._monitor)
                self._spawn(runner.run(), f"timer:{name}")
        self.state = "Running"
        log.info("Host started: %d function(s)", len(self.app.functions))

    def _spawn(self, coroutine: Any, name: str) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coroutine, name=name)
        task.add_done_callback(self._report_crash)
        self._tasks.append(task)

    @staticmethod
    def _report_crash(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped: %r", task.get_name(), task.exception())

    async def stop(self) -> None:
        self.state = "Stopping"
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.engine is not None:
            await self.engine.stop()
        if self._monitor is not None:
            await self._monitor.close()
        await self.clients.close()
        self.state = "Stopped"

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    # -- HTTP -------------------------------------------------------------------------------------------

    async def host_status(self, request: Request) -> Response:
        if not authorized(request, "admin", self.settings):
            return Response(status_code=401)
        return JSONResponse({"state": self.state, "functions": sorted(self.app.functions)})

    async def host_stats(self, request: Request) -> Response:
        """Work counters since the host started (local host only; the benchmarks read differences):
        trigger invocations, storage transactions of triggers/bindings and of the task hub, orchestrator
        episodes and activity executions."""
        if not authorized(request, "admin", self.settings):
            return Response(status_code=401)
        body: dict[str, Any] = {
            "invocations": dict(self.dispatcher.invocations),
            "triggerStorage": dict(self.clients.transactions),
        }
        if self.engine is not None:
            body["durable"] = {
                "episodes": self.engine.orchestrations.episodes,
                "finished": self.engine.orchestrations.finished,
                "activities": dict(self.engine.activities.executed_by_name),
                "taskHubStorage": dict(self.engine.store.transactions),
            }
        return JSONResponse(body)

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/admin/host/status", self.host_status, methods=["GET"]),
            Route("/admin/host/stats", self.host_stats, methods=["GET"]),
            Route("/runtime/webhooks/eventgrid", self.eventgrid.handle, methods=["POST"]),
            Route("/runtime/webhooks/eventgrid", self.eventgrid.handshake, methods=["OPTIONS"]),
        ]
        if self.engine is not None:
            key = self.settings.durabletask_key
            routes.append(
                Mount(
                    "/runtime/webhooks/durabletask",
                    routes=self.engine.routes(),
                    middleware=[Middleware(SystemKeyRequired, system_key=key, settings=self.settings)],
                )
            )
        routes.append(Route("/{path:path}", self.http.handle, methods=ALL_METHODS))
        return routes

    def asgi(self) -> Starlette:
        return Starlette(routes=self.routes(), lifespan=self.lifespan)

    def describe(self) -> list[str]:
        lines = self.http.describe()
        lines += [
            f"{spec.name}: queueTrigger {spec.trigger.get('queueName')}"
            for spec in self.app.by_trigger("queueTrigger")
        ]
        lines += [f"{name}: timerTrigger {s.expression}" for name, s in self.schedules.items()]
        lines += [
            f"{spec.name}: eventGridTrigger /runtime/webhooks/eventgrid?functionName={spec.name}"
            for spec in self.app.by_trigger("eventGridTrigger")
        ]
        lines += [
            f"{spec.name}: {spec.trigger_type}"
            for spec in self.app.functions.values()
            if spec.trigger_type in DURABLE_TRIGGERS
        ]
        return lines
