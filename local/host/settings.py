"""Every setting the host reads, read in one place: the environment over ``local.settings.json`` Values."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local import azurite
from local.host.errors import SettingsError

DEFAULT_FUNCTION_KEY = "local-function-key"
DEFAULT_MASTER_KEY = "local-master-key"
DEFAULT_EVENTGRID_KEY = "local-eventgrid-key"
DEFAULT_DURABLETASK_KEY = "local-durabletask-key"

_PERCENT_EXPRESSION = re.compile(r"%([^%]+)%")


@dataclass(frozen=True)
class Settings:
    """App settings as the app sees them, plus the host keys derived from them."""

    values: dict[str, str]
    skipped_from_file: tuple[str, ...] = field(default=())

    @classmethod
    def load(cls, app_dir: Path, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        file_values = _read_local_settings(app_dir / "local.settings.json")
        merged = dict(file_values)
        skipped = tuple(sorted(k for k in file_values if k in env))
        merged.update(env)
        return cls(values=merged, skipped_from_file=skipped)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.values.get(name, default)

    def require(self, name: str, why: str) -> str:
        value = self.values.get(name)
        if not value:
            raise SettingsError(f"setting {name!r} is missing ({why})")
        return value

    def export(self) -> None:
        """Make every setting visible to the app through ``os.environ`` (env values are already there)."""
        for name, value in self.values.items():
            os.environ.setdefault(name, value)

    @property
    def function_key(self) -> str:
        return self.values.get("FUNCTIONS_KEY") or DEFAULT_FUNCTION_KEY

    @property
    def master_key(self) -> str:
        return self.values.get("FUNCTIONS_MASTER_KEY") or DEFAULT_MASTER_KEY

    @property
    def eventgrid_key(self) -> str:
        return self.values.get("FUNCTIONS_EVENTGRID_KEY") or DEFAULT_EVENTGRID_KEY

    @property
    def durabletask_key(self) -> str:
        return self.values.get("FUNCTIONS_DURABLETASK_KEY") or DEFAULT_DURABLETASK_KEY

    @property
    def storage_connection_string(self) -> str:
        raw = self.require("AzureWebJobsStorage", "the host keeps queues, timers and durable state there")
        return azurite.expand_connection_string(raw)

    def connection_string(self, connection: str | None, why: str) -> str:
        """Resolve a binding's ``connection`` the way the host does: the name, then ``AzureWebJobs<name>``."""
        if not connection or connection == "AzureWebJobsStorage":
            return self.storage_connection_string
        for candidate in (connection, f"AzureWebJobs{connection}"):
            value = self.values.get(candidate)
            if value:
                return azurite.expand_connection_string(value)
        raise SettingsError(f"setting {connection!r} is missing ({why})")

    def resolve(self, text: str) -> str:
        """Replace ``%Name%`` app-setting expressions (queue names, schedules) as the host's name resolver."""

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            value = self.values.get(name)
            if value is None:
                raise SettingsError(f"setting {name!r} is missing (referenced as %{name}% in a binding)")
            return value

        return _PERCENT_EXPRESSION.sub(lookup, text)

    @property
    def durable_worker(self) -> tuple[int, int]:
        """``LOCAL_DURABLE_WORKER`` = ``k/n``: this host is worker k (from 0) of n local hosts sharing one
        task hub, as the instances of a scaled-out app share it (default ``0/1``: the only one). Worker k
        runs the orchestrations of the control partitions p with p % n == k, and worker 0 runs the timers
        (the real host makes a timer a singleton with a storage lock; here the assignment is fixed)."""
        raw = self.values.get("LOCAL_DURABLE_WORKER") or "0/1"
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", raw)
        if match is None or not int(match.group(1)) < int(match.group(2)):
            raise SettingsError(f"setting 'LOCAL_DURABLE_WORKER' must be k/n with 0 <= k < n, not {raw!r}")
        return int(match.group(1)), int(match.group(2))

    def host_json_value(self, host_json: Mapping[str, Any], *path: str) -> Any:
        """A ``host.json`` value, overridden by the app setting ``AzureFunctionsJobHost__<path>`` as the real
        host lets app settings override it (the path's parts joined by ``__``); None when neither has it."""
        override = self.values.get("AzureFunctionsJobHost__" + "__".join(path))
        if override is not None:
            return override
        node: Any = host_json
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        return node

    def durable_connection_string(self, host_json: Mapping[str, Any]) -> str:
        """The task hub's storage: the connection ``durableTask.storageProvider.connectionName`` names
        (``connectionStringName`` in older extensions), resolved as the extension resolves it; else
        AzureWebJobsStorage."""
        provider = ("extensions", "durableTask", "storageProvider")
        name = self.host_json_value(host_json, *provider, "connectionName") or self.host_json_value(
            host_json, *provider, "connectionStringName"
        )
        return self.connection_string(str(name) if name else None, "the durable task hub's storage")

    def hub_name(self, host_json: Mapping[str, Any]) -> str:
        configured = host_json.get("extensions", {}).get("durableTask", {}).get("hubName")
        if configured:
            return self.resolve(str(configured))
        return self.values.get("WEBSITE_SITE_NAME") or "TestHubName"


def _read_local_settings(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{path} is not valid JSON: {exc}") from exc
    values = document.get("Values", {}) if isinstance(document, dict) else {}
    if not isinstance(values, dict):
        raise SettingsError(f"{path}: 'Values' must be an object")
    return {str(k): "" if v is None else str(v) for k, v in values.items()}
