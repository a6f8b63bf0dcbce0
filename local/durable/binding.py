"""The ``durableClient`` binding payload (DFX BindingHelper) and the per-instance management URLs."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
CONNECTION_NAME = "Storage"


def webhook_base(origin: str) -> str:
    return origin.rstrip("/") + WEBHOOK_PATH


def management_urls(origin: str, hub_name: str, instance_id: str) -> dict[str, str]:
    base = f"{webhook_base(origin)}/instances/{quote(instance_id, safe='')}"
    query = f"taskHub={quote(hub_name)}&connection={CONNECTION_NAME}"
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


def client_binding(origin: str, hub_name: str) -> dict[str, Any]:
    base = webhook_base(origin)
    query = f"taskHub={quote(hub_name)}&connection={CONNECTION_NAME}"
    urls = management_urls(origin, hub_name, "INSTANCEID")
    return {
        "taskHubName": hub_name,
        "creationUrls": {
            "createNewInstancePostUri": f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]?{query}",
            "createAndWaitOnNewInstancePostUri": (
                f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]"
                f"?timeout={{timeoutInSeconds}}&pollingInterval={{intervalInSeconds}}&{query}"
            ),
        },
        "managementUrls": urls,
        "baseUrl": base,
        "requiredQueryStringParameters": query,
        "rpcBaseUrl": base + "/",
        "httpBaseUrl": "",
        "maxGrpcMessageSizeInBytes": 0,
        "grpcHttpClientTimeout": "00:01:40",
    }


def client_binding_json(origin: str, hub_name: str) -> str:
    return json.dumps(client_binding(origin, hub_name))
