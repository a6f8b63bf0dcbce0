"""The ``durableClient`` binding payload (DFX BindingHelper) and the per-instance management URLs.

As in DFX ``HttpApiHandler``: the universal query string (``requiredQueryStringParameters``) is the webhook
URL's query, ``code=<system key>``; management URLs carry ``taskHub``, ``connection`` and that query, creation
URLs that query alone. ``rpcBaseUrl`` is the engine's loopback RPC endpoint (:mod:`local.durable.rpc`).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
CONNECTION_NAME = "Storage"


def webhook_base(origin: str) -> str:
    return origin.rstrip("/") + WEBHOOK_PATH


def required_query(system_key: str | None) -> str:
    """The query every public route needs: ``code=<system key>`` (empty when the routes need no key)."""
    return f"code={quote(system_key, safe='')}" if system_key else ""


def management_urls(origin: str, hub_name: str, instance_id: str, system_key: str | None) -> dict[str, str]:
    base = f"{webhook_base(origin)}/instances/{quote(instance_id, safe='')}"
    hub = f"taskHub={quote(hub_name)}&connection={CONNECTION_NAME}"
    query = "&".join(part for part in (hub, required_query(system_key)) if part)
    return {
        "id": instance_id,
        "statusQueryGetUri": f"{base}?{query}",
        "sendEventPostUri": f"{base}/raiseEvent/{{eventName}}?{query}",
        "terminatePostUri": f"{base}/terminate?reason={{text}}&{query}",
        "rewindPostUri": f"{base}/rewind?reason={{text}}&{query}",
        "purgeHistoryDeleteUri": f"{base}?{query}",
        "restartPostUri": f"{base}/restart?{query}",
        "suspendPostUri": f"{base}/suspend?reason={{text}}&{query}",
        "resumePostUri": f"{base}/resume?reason={{text}}&{query}",
    }


def client_binding(origin: str, hub_name: str, rpc_base_url: str, system_key: str | None) -> dict[str, Any]:
    base = webhook_base(origin)
    required = required_query(system_key)
    create = f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]"
    return {
        "taskHubName": hub_name,
        "creationUrls": {
            "createNewInstancePostUri": f"{create}?{required}",
            "createAndWaitOnNewInstancePostUri": (
                f"{create}?timeout={{timeoutInSeconds}}&pollingInterval={{intervalInSeconds}}&{required}"
            ),
        },
        "managementUrls": management_urls(origin, hub_name, "INSTANCEID", system_key),
        "baseUrl": base,
        "requiredQueryStringParameters": required,
        "rpcBaseUrl": rpc_base_url,
        "httpBaseUrl": "",
        "maxGrpcMessageSizeInBytes": 0,
        "grpcHttpClientTimeout": "00:01:40",
    }


def client_binding_json(origin: str, hub_name: str, rpc_base_url: str, system_key: str | None) -> str:
    return json.dumps(client_binding(origin, hub_name, rpc_base_url, system_key))
