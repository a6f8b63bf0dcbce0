"""Event Grid over real HTTP: handshake, ResourceWriteSuccess delivery, filters, batching, retries,
dead letters, and the topic endpoint used by the official ``EventGridPublisherClient``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from azure.core.credentials import AzureKeyCredential, AzureSasCredential
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent, EventGridPublisherClient, generate_sas

from local.cloud.eventgrid.asgi import EventGridAsgi
from local.cloud.eventgrid.hub import EventGridHub

from .eventgrid_servers import Webhook, serve

pytestmark = pytest.mark.integration
SUB = "11111111-2222-3333-4444-555555555555"


@dataclass
class Write:
    resource_id: str
    operation_name: str = "Microsoft.Storage/storageAccounts/write"
    status: str = "Succeeded"
    subscription_id: str = SUB
    resource_group: str | None = "rg1"
    principal: str = "app"
    correlation_id: str = "c0"
    http_method: str = "PUT"
    tenant_id: str = "t0"
    time: datetime = datetime(2026, 1, 1, tzinfo=UTC)


def storage(name: str, rg: str = "rg1") -> Write:
    return Write(
        f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}"
    )


async def test_handshake_delivery_filters_and_retries_after_two_failures() -> None:
    hub = EventGridHub(time_factor=lambda: 100.0)  # 10 s and 30 s retries become 0.1 s and 0.3 s
    hook = Webhook(fail_first=2)
    async with (
        serve(hook.app()) as hook_url,
        serve(EventGridAsgi(hub)) as grid,
        httpx.AsyncClient(base_url=grid) as client,
    ):
        created = await client.post(
            "/_admin/eventgrid/subscriptions",
            json={
                "name": "autoprotect",
                "endpoint": f"{hook_url}/hook",
                "scope": f"/subscriptions/{SUB}",
                "filter": {
                    "includedEventTypes": ["Microsoft.Resources.ResourceWriteSuccess"],
                    "subjectBeginsWith": f"/subscriptions/{SUB}/resourcegroups/rg1/",
                    "advancedFilters": [
                        {
                            "operatorType": "StringIn",
                            "key": "data.operationName",
                            "values": ["Microsoft.Storage/storageAccounts/write"],
                        }
                    ],
                },
            },
        )
        assert created.status_code == 201, created.text
        assert created.json()["provisioningState"] == "Succeeded"
        handshake = hook.requests[0]
        assert handshake["headers"]["aeg-event-type"] == "SubscriptionValidation"
        assert handshake["body"][0]["eventType"] == "Microsoft.EventGrid.SubscriptionValidationEvent"

        hub.on_resource_write(Write(storage("other", rg="rg2").resource_id, resource_group="rg2"))
        hub.on_resource_write(Write(storage("sa1").resource_id, operation_name="Microsoft.Web/sites/write"))
        hub.on_resource_write(storage("sa1"))
        notes = await hook.wait_for(3)
        assert [n["headers"]["aeg-delivery-count"] for n in notes] == ["0", "1", "2"]
        event = notes[-1]["body"][0]
        assert event["eventType"] == "Microsoft.Resources.ResourceWriteSuccess"
        assert event["subject"].endswith(
            "/resourcegroups/rg1/providers/Microsoft.Storage/storageAccounts/sa1"
        )
        assert event["topic"] == f"/subscriptions/{SUB}"
        headers = notes[-1]["headers"]
        assert headers["aeg-subscription-name"] == "AUTOPROTECT"
        assert headers["aeg-metadata-version"] == "1" and headers["aeg-data-version"] == "2"
        assert headers["content-type"].startswith("application/json")
        assert headers["aeg-output-event-id"] == event["id"]
        await asyncio.sleep(0.3)
        assert len(hook.notifications()) == 3  # the filtered-out writes never arrive
        deliveries = (await client.get("/_admin/eventgrid/deliveries?subscription=autoprotect")).json()[
            "value"
        ]
        assert [d["httpStatusCode"] for d in deliveries] == [500, 500, 200]


async def test_non_retriable_status_goes_to_dead_letters() -> None:
    hub = EventGridHub(time_factor=lambda: 100.0)
    hook = Webhook(fail_first=5, fail_status=400)
    async with (
        serve(hook.app()) as hook_url,
        serve(EventGridAsgi(hub)) as grid,
        httpx.AsyncClient(base_url=grid) as client,
    ):
        body = {
            "name": "dl",
            "endpoint": f"{hook_url}/hook",
            "scope": f"/subscriptions/{SUB}/resourceGroups/rg1",
        }
        assert (await client.post("/_admin/eventgrid/subscriptions", json=body)).status_code == 201
        hub.on_resource_write(storage("sa9"))
        await hook.wait_for(1)
        await asyncio.sleep(0.2)
        letters = (await client.get("/_admin/eventgrid/deadletters")).json()["value"]
        assert len(hook.notifications()) == 1
        assert letters[0]["deadLetterReason"] == "NonRetriableError"
        assert letters[0]["lastHttpStatusCode"] == 400 and letters[0]["deliveryAttempts"] == 1
        assert letters[0]["topic"] == f"/subscriptions/{SUB}/resourceGroups/rg1"


async def test_cloud_events_subscription_uses_options_handshake_and_batches() -> None:
    hub = EventGridHub()
    hook = Webhook()
    async with (
        serve(hook.app()) as hook_url,
        serve(EventGridAsgi(hub)) as grid,
        httpx.AsyncClient(base_url=grid) as client,
    ):
        body = {
            "name": "ce",
            "endpoint": f"{hook_url}/hook",
            "scope": f"/subscriptions/{SUB}",
            "schema": "CloudEventSchemaV1_0",
            "maxEventsPerBatch": 10,
        }
        assert (await client.post("/_admin/eventgrid/subscriptions", json=body)).status_code == 201
        assert hook.requests[0]["method"] == "OPTIONS"
        for i in range(3):
            hub.on_resource_write(storage(f"sa{i}"))
        notes = await hook.wait_for(1)
        assert notes[0]["headers"]["content-type"].startswith("application/cloudevents-batch+json")
        assert [e["specversion"] for e in notes[0]["body"]] == ["1.0"] * 3
        assert notes[0]["body"][0]["source"] == f"/subscriptions/{SUB}"


async def test_failed_handshake_rejects_the_subscription() -> None:
    hub = EventGridHub()
    async with serve(EventGridAsgi(hub)) as grid, httpx.AsyncClient(base_url=grid) as client:
        body = {"name": "x", "endpoint": f"{grid}/nowhere", "scope": f"/subscriptions/{SUB}"}
        answer = await client.post("/_admin/eventgrid/subscriptions", json=body)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "Url validation"
        assert (await client.get("/_admin/eventgrid/subscriptions")).json()["value"] == []


def _publish_with_sdk(endpoint: str, credential: Any, events: list[Any]) -> None:
    with EventGridPublisherClient(endpoint, credential) as client:
        client.send(events)


async def test_sdk_publishes_to_topic_and_events_read_back_with_wait() -> None:
    hub = EventGridHub()
    async with serve(EventGridAsgi(hub)) as grid:
        endpoint = f"{grid}/eventgrid/topics/backup-autopilot/api/events"
        async with httpx.AsyncClient(base_url=grid) as client:
            waiter = asyncio.ensure_future(
                client.get(
                    "/_admin/eventgrid/topics/backup-autopilot/events?since=0&wait=5&type=BackupAutopilot.ProtectionCompleted"
                )
            )
            cloud_event = CloudEvent(
                source="/backup-autopilot", type="BackupAutopilot.ProtectionCompleted", data={"ok": 1}
            )
            await asyncio.to_thread(
                _publish_with_sdk, endpoint, AzureKeyCredential("local-topic-key"), [cloud_event]
            )
            waited = (await waiter).json()
            assert [e["event"]["type"] for e in waited["value"]] == ["BackupAutopilot.ProtectionCompleted"]
            assert waited["value"][0]["event"]["data"] == {"ok": 1}

            eg_event = EventGridEvent(
                subject="x", event_type="BackupAutopilot.RestoreCompleted", data={"a": 1}, data_version="1"
            )
            sas = generate_sas(endpoint, "bG9jYWwtdG9waWMta2V5", datetime.now(UTC) + timedelta(hours=1))
            await client.put(
                "/_admin/eventgrid/topics/backup-autopilot",
                json={"keys": ["local-topic-key", "bG9jYWwtdG9waWMta2V5"]},
            )
            await asyncio.to_thread(_publish_with_sdk, endpoint, AzureSasCredential(sas), [eg_event])
            rest = (await client.get("/_admin/eventgrid/topics/backup-autopilot/events?since=1")).json()
            assert rest["lastSequence"] == 2
            assert rest["value"][0]["event"]["eventType"] == "BackupAutopilot.RestoreCompleted"
            assert rest["value"][0]["schema"] == "EventGridSchema"

            bad = await client.post(endpoint, json=[], headers={"aeg-sas-key": "wrong"})
            assert bad.status_code == 401 and bad.json()["error"]["code"] == "Unauthorized"
            malformed = await client.post(
                endpoint, json=[{"id": "1"}], headers={"aeg-sas-key": "local-topic-key"}
            )
            assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "BadRequest"
            single = await client.post(
                endpoint,
                content=b'{"id":"1","source":"s","specversion":"1.0","type":"T"}',
                headers={"aeg-sas-key": "local-topic-key", "content-type": "application/cloudevents+json"},
            )
            assert single.status_code == 200
            timeout = await client.get("/_admin/eventgrid/topics/backup-autopilot/events?since=3&wait=0.2")
            assert timeout.json()["value"] == []
