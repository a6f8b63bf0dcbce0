"""The whole local stack for the main job, end-to-end tests and benchmarks, started and stopped by pid.

Azurite (storage) + the emulated Azure control plane (``python -m local cloud``, a subprocess) + the local
Functions host running this repository's ``function_app.py`` unchanged, with its settings pointing at the
emulator. The emulator's Event Grid delivers ``ResourceWriteSuccess`` events of every seeded subscription
to the host's Event Grid webhook, exactly as a subscription system topic would.

Both the emulator and the host run on one *time factor*: Retry-After values, operation durations and
durable timers keep their real-world sizes and simply pass F times faster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from local import azurite
from local.azurite import REPO_ROOT, STATE_DIR
from local.host.process import HostProcess

TOPIC = "backup-autopilot"
TOPIC_KEY = "local-topic-key"  # the emulator's documented local topic key, not a secret
EVENT_FUNCTION = "on_resource_written"
# The operations the Event Grid subscription passes: the deployment's own filter (infra/), one list.
DATASOURCE_OPERATIONS: list[str] = json.loads(
    (REPO_ROOT / "infra" / "app" / "protected-operations.json").read_text(encoding="utf-8")
)


class StackError(RuntimeError):
    """A part of the local stack did not start."""


@dataclass
class StackConfig:
    seed: Path
    rules: Path
    time_factor: float = 60.0
    grant_roles: bool = False
    throttling: bool = False
    name: str = "stack"
    cloud_config: dict[str, Any] = field(default_factory=dict)  # PUT /_admin/config after start
    host_env: dict[str, str] = field(default_factory=dict)  # extra app settings
    max_events_per_batch: int = 1
    # local hosts sharing the task hub, as the instances of a scaled-out app (LOCAL_DURABLE_WORKER k/n);
    # the Event Grid subscriptions are spread over them, the trigger queue is drained by all of them
    hosts: int = 1
    # the task hub in a storage account (an Azurite) of its own, named by durableTask.storageProvider's
    # connectionName as the extension allows: the trigger queues' backlog then costs the task hub nothing
    task_hub_storage: bool = False


class CloudProcess:
    """``python -m local cloud`` as a subprocess on a free port, stopped by its pid."""

    def __init__(self, seed: Path, time_factor: float, throttling: bool, log_path: Path) -> None:
        self.port = azurite.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable,
            "-m",
            "local",
            "cloud",
            "--port",
            str(self.port),
            "--seed",
            str(seed),
            "--time-factor",
            str(time_factor),
        ]
        if throttling:
            args.append("--throttling")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own module, arguments built here
                args, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self.log_path = log_path

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackError(
                    f"the emulated cloud exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                if httpx.get(f"{self.url}/_admin/config", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise StackError(f"the emulated cloud did not answer within {timeout}s; see {self.log_path}")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)


TASK_HUB_CONNECTION = "DurableTaskStorage"  # the app setting the task hub's own storage is read from


def subscription_name(subscription_id: str) -> str:
    """The name of the Event Grid subscription that feeds one Azure subscription's writes to the host."""
    return f"autoprotect-{subscription_id}"


def seeded_subscriptions(seed: Path) -> list[str]:
    document = yaml.safe_load(seed.read_text(encoding="utf-8")) or {}
    return [str(s["id"]) for s in document.get("subscriptions", [])]


class LocalStack:
    """Start with :meth:`start` (or as a context manager); everything stops in reverse order."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.azurite: azurite.AzuriteProcess | None = None
        self.task_hub_azurite: azurite.AzuriteProcess | None = None
        self.cloud: CloudProcess | None = None
        self.host: HostProcess | None = None  # the first of ``hosts`` (the one callers talk to)
        self.hosts: list[HostProcess] = []
        self._http: httpx.Client | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> LocalStack:
        cfg = self.config
        try:
            self.azurite = azurite.start(f"{cfg.name}-{os.getpid()}", fresh=True, in_memory=True)
            if cfg.task_hub_storage:
                self.task_hub_azurite = azurite.start(
                    f"{cfg.name}-hub-{os.getpid()}", fresh=True, in_memory=True
                )
            self.cloud = CloudProcess(
                cfg.seed,
                cfg.time_factor,
                cfg.throttling,
                STATE_DIR / "logs" / f"{cfg.name}-cloud-{os.getpid()}.log",
            )
            self.cloud.wait_ready()
            if cfg.cloud_config:
                self.admin("PUT", "/_admin/config", cfg.cloud_config)
            for index in range(cfg.hosts):
                suffix = f"-{index}" if cfg.hosts > 1 else ""
                self.hosts.append(
                    HostProcess(
                        REPO_ROOT,
                        env=self.host_settings(index),
                        time_factor=cfg.time_factor,
                        log_path=STATE_DIR / "logs" / f"{cfg.name}-host{suffix}-{os.getpid()}.log",
                    )
                )
            self.host = self.hosts[0]
            for index, subscription in enumerate(seeded_subscriptions(cfg.seed)):
                self.subscribe(subscription, self.hosts[index % len(self.hosts)])
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def http(self) -> httpx.Client:
        """One connection pool for the helpers below (a client per call costs an SSL context each: the
        benchmarks' event polling made that their largest cost)."""
        if self._http is None:
            self._http = httpx.Client(timeout=30.0)
        return self._http

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        for part in (*self.hosts, self.cloud, self.azurite, self.task_hub_azurite):
            if part is not None:
                part.stop()
        import shutil

        for storage in (self.azurite, self.task_hub_azurite):
            if storage is not None:
                shutil.rmtree(storage.location, ignore_errors=True)

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def restart_host(self, *, kill: bool = True) -> None:
        """Stop the host (SIGKILL by pid when ``kill``: a crash) and start a new one with the same settings,
        port (the Event Grid subscriptions keep pointing at it) and Azurite (durable state survives)."""
        assert self.host is not None
        old = self.host
        if kill:
            old.kill()
        else:
            old.stop()
        self.host = self.hosts[0] = HostProcess(
            REPO_ROOT,
            env=self.host_settings(0),
            port=old.port,
            time_factor=self.config.time_factor,
            log_path=old.log_path,
        )

    # -- wiring --------------------------------------------------------------------------------------

    @property
    def task_hub_connection_string(self) -> str:
        """Where the durable task hub lives: its own Azurite when configured, else the app's storage."""
        storage = self.task_hub_azurite or self.azurite
        assert storage is not None
        return storage.connection_string

    @property
    def cloud_url(self) -> str:
        assert self.cloud is not None
        return self.cloud.url

    @property
    def topic_endpoint(self) -> str:
        return f"{self.cloud_url}/eventgrid/topics/{TOPIC}/api/events"

    def host_settings(self, index: int = 0) -> dict[str, str]:
        """The app settings of host ``index`` (of ``hosts``)."""
        assert self.azurite is not None
        cfg = self.config
        worker = {"LOCAL_DURABLE_WORKER": f"{index}/{cfg.hosts}"} if cfg.hosts > 1 else {}
        hub = (
            {
                TASK_HUB_CONNECTION: self.task_hub_azurite.connection_string,
                "AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionName": (
                    TASK_HUB_CONNECTION
                ),
            }
            if self.task_hub_azurite is not None
            else {}
        )
        return {
            "AzureWebJobsStorage": self.azurite.connection_string,
            "FUNCTIONS_WORKER_RUNTIME": "python",
            "ARM_ENDPOINT": self.cloud_url,
            "ARM_CREDENTIAL": "local",
            "EVENTGRID_TOPIC_ENDPOINT": self.topic_endpoint,
            "EVENTGRID_TOPIC_KEY": TOPIC_KEY,
            "PROTECTION_RULES": str(cfg.rules),
            "PROTECTION_GRANT_ROLES": "true" if cfg.grant_roles else "false",
            "COMPLIANCE_SCHEDULE": "0 0 */6 * * *",
            **worker,
            **hub,
            **cfg.host_env,
        }

    def subscribe(self, subscription_id: str, host: HostProcess | None = None) -> None:
        """The emulator's equivalent of a subscription system topic + event subscription to our webhook
        (of ``host``, the first host unless told)."""
        target = host or self.host
        assert target is not None
        endpoint = (
            f"{target.base_url}/runtime/webhooks/eventgrid?functionName={EVENT_FUNCTION}"
            f"&code={target.eventgrid_key}"
        )
        self.admin(
            "POST",
            "/_admin/eventgrid/subscriptions",
            {
                "name": subscription_name(subscription_id),
                "endpoint": endpoint,
                "scope": f"/subscriptions/{subscription_id}",
                "schema": "EventGridSchema",
                "filter": {
                    "includedEventTypes": [
                        "Microsoft.Resources.ResourceWriteSuccess",
                        "Microsoft.Resources.ResourceDeleteSuccess",
                    ],
                    "advancedFilters": [
                        {
                            "operatorType": "StringIn",
                            "key": "data.operationName",
                            "values": DATASOURCE_OPERATIONS,
                        }
                    ],
                },
                "maxEventsPerBatch": self.config.max_events_per_batch,
            },
        )

    # -- helpers for callers -------------------------------------------------------------------------

    def admin(self, method: str, path: str, body: Any = None, timeout: float = 30.0) -> Any:
        response = self.http.request(method, f"{self.cloud_url}{path}", json=body, timeout=timeout)
        if response.status_code >= 400:
            raise StackError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def arm(
        self, method: str, path: str, body: Any = None, api_version: str = "2023-05-01"
    ) -> httpx.Response:
        """One ARM call to the emulator as a user would make it (bearer token, api-version)."""
        separator = "&" if "?" in path else "?"
        return self.http.request(
            method,
            f"{self.cloud_url}{path}{separator}api-version={api_version}",
            json=body,
            timeout=30.0,
            headers={"Authorization": "Bearer local-user-token"},
        )

    def topic_events(
        self, since: int = 0, wait: float = 0.0, event_type: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """Outcome events the app published to the topic after sequence ``since``: (events, last sequence)."""
        params: dict[str, Any] = {"since": since}
        if wait:
            params["wait"] = wait
        if event_type:
            params["type"] = event_type
        response = self.http.get(
            f"{self.cloud_url}/_admin/eventgrid/topics/{TOPIC}/events", params=params, timeout=wait + 30.0
        )
        response.raise_for_status()
        data = response.json()
        return [item["event"] for item in data.get("value", [])], int(data.get("lastSequence", since))

    def follow_events(self, timeout: float, poll: float = 5.0) -> Iterator[dict[str, Any]]:
        """Yield published events as they arrive, until ``timeout`` seconds have passed."""
        since = 0
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            events, since = self.topic_events(since, wait=min(poll, remaining))
            yield from events

    def wait_for_event(
        self,
        matches: Callable[[dict[str, Any]], bool],
        timeout: float = 30.0,
        event_type: str | None = None,
        since: int = 0,
    ) -> dict[str, Any] | None:
        """The first event published after sequence ``since`` (the topic's start unless told) that
        ``matches``, waiting up to ``timeout`` for it.

        Each long poll asks only for events after those already read, so it waits for new ones rather than
        returning the old ones again at once.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            wait = max(0.0, min(2.0, remaining))
            events, since = self.topic_events(since, wait=wait, event_type=event_type)
            found = next((e for e in events if matches(e)), None)
            if found is not None or remaining <= 0:
                return found

    def durable_status(self, instance_id: str) -> Mapping[str, Any] | None:
        assert self.host is not None
        response = self.http.get(
            f"{self.host.base_url}/runtime/webhooks/durabletask/instances/{instance_id}",
            params={"code": self.host.durabletask_key},
            timeout=30.0,
        )
        if response.status_code == 404:
            return None
        return dict(json.loads(response.text))
