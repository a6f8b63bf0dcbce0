"""Make sure ``AzureWebJobsStorage`` is reachable: start Azurite when it points to this machine."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from local import azurite
from local.host.errors import StartupError

log = logging.getLogger("local.host.storage")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def ensure_storage(connection_string: str) -> azurite.AzuriteProcess | None:
    """None when storage already answers; else the Azurite this call started (stop it by pid on exit)."""
    if azurite.is_reachable(connection_string):
        return None
    endpoints = azurite.endpoints(connection_string)
    ports: dict[str, int] = {}
    for key, url in endpoints.items():
        parts = urlsplit(url)
        if parts.hostname not in LOCAL_HOSTS:
            raise StartupError(f"AzureWebJobsStorage {key} {parts.hostname} is not reachable")
        ports[key] = parts.port or 80
    if not {"BlobEndpoint", "QueueEndpoint"} <= ports.keys():
        raise StartupError("AzureWebJobsStorage is not reachable and names no local blob and queue endpoints")
    log.info(
        "AzureWebJobsStorage is not reachable: starting Azurite (blob %s, queue %s)",
        ports["BlobEndpoint"],
        ports["QueueEndpoint"],
    )
    try:
        started = azurite.start(
            f"host-{ports['BlobEndpoint']}",  # one data folder per port set: hosts never share one
            blob_port=ports["BlobEndpoint"],
            queue_port=ports["QueueEndpoint"],
            table_port=ports.get("TableEndpoint"),
        )
    except azurite.AzuriteError as exc:
        raise StartupError(f"cannot start Azurite for AzureWebJobsStorage: {exc}") from exc
    log.info("Azurite started (pid %d, data in %s)", started.process.pid, started.location)
    return started
