"""Run a function and write its output bindings (queue outputs); every trigger goes through here."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from local.app_loader import FunctionSpec, LoadedApp
from local.host import queues
from local.host.errors import StartupError
from local.host.invocation import InvocationResult, Invoker
from local.host.settings import Settings

log = logging.getLogger("local.host.dispatcher")

SUPPORTED_TRIGGERS = {
    "httpTrigger",
    "queueTrigger",
    "timerTrigger",
    "eventGridTrigger",
    "orchestrationTrigger",
    "activityTrigger",
    "entityTrigger",
}
SUPPORTED_OTHER_BINDINGS = {"http", "queue", "durableClient"}


def queue_encoding(host_json: dict[str, Any]) -> str:
    encoding = str(host_json.get("extensions", {}).get("queues", {}).get("messageEncoding", "base64")).lower()
    if encoding not in {"base64", "none"}:
        raise StartupError(
            f"host.json extensions.queues.messageEncoding must be base64 or none, not {encoding!r}"
        )
    return encoding


def validate_app(app: LoadedApp, settings: Settings) -> None:
    """Fail at start-up, with one clear reason, on what the local host cannot run or a missing setting."""
    for spec in app.functions.values():
        if spec.trigger_type not in SUPPORTED_TRIGGERS:
            raise StartupError(
                f"function {spec.name}: trigger {spec.trigger_type!r} is not supported locally"
            )
        for binding in spec.bindings:
            kind = str(binding.get("type"))
            if binding is spec.trigger or kind in SUPPORTED_TRIGGERS:
                continue
            if kind not in SUPPORTED_OTHER_BINDINGS:
                raise StartupError(f"function {spec.name}: binding type {kind!r} is not supported locally")
            if kind == "queue":
                settings.connection_string(
                    binding.get("connection"),
                    f"connection of queue output {binding.get('name')} of {spec.name}",
                )
                settings.resolve(str(binding.get("queueName", "")))
        if spec.trigger_type == "queueTrigger":
            settings.connection_string(
                spec.trigger.get("connection"), f"connection of the queue trigger of {spec.name}"
            )
            settings.resolve(str(spec.trigger.get("queueName", "")))
        if spec.trigger_type == "timerTrigger":
            settings.resolve(str(spec.trigger.get("schedule", "")))
    queue_encoding(app.host_json)


class Dispatcher:
    def __init__(
        self, app: LoadedApp, settings: Settings, invoker: Invoker, clients: queues.QueueClients
    ) -> None:
        self.app = app
        self.settings = settings
        self.invoker = invoker
        self.clients = clients
        self.encoding = queue_encoding(app.host_json)
        self.invocations: Counter[str] = Counter()  # trigger invocations by function, for the host's stats

    async def run(
        self, spec: FunctionSpec, trigger_value: Any, *, client_json: str | None = None
    ) -> InvocationResult:
        self.invocations[spec.name] += 1

        async def write_outputs(result: InvocationResult) -> None:
            await self._write_outputs(spec, result)

        return await self.invoker.invoke(
            spec, trigger_value, client_origin_json=client_json, write_outputs=write_outputs
        )

    async def _write_outputs(self, spec: FunctionSpec, result: InvocationResult) -> None:
        for binding in spec.bindings_of_type("queue"):
            name = str(binding.get("name"))
            value = result.return_value if name == "$return" else result.outputs.get(name)
            if value is None:
                continue
            connection = self.settings.connection_string(binding.get("connection"), "queue output")
            queue_name = self.settings.resolve(str(binding["queueName"])).lower()
            client = await self.clients.ensure(connection, queue_name)
            count = await queues.send_output(client, value, self.encoding, self.clients.transactions)
            log.info("%s wrote %d message(s) to queue %s", spec.name, count, queue_name)
