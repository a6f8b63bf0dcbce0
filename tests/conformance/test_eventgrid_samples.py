"""Emitted ResourceWriteSuccess events equal the documented samples once volatile values are normalised."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from local.cloud.eventgrid.events import resource_write_event, system_topics, to_cloud_event
from tests.paths import AZURE_SPECS

SAMPLES = AZURE_SPECS / "eventgrid"


@dataclass
class Write:
    resource_id: str = (
        "/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.Storage/"
        "storageAccounts/{storage-name}"
    )
    operation_name: str = "Microsoft.Storage/storageAccounts/write"
    status: str = "Succeeded"
    subscription_id: str = "{subscription-id}"
    resource_group: str | None = "{resource-group}"
    principal: str = "{ID}"
    correlation_id: str = "{ID}"
    http_method: str = "PUT"
    tenant_id: str = "{tenant-id}"
    time: datetime = datetime(2018, 7, 19, 18, 38, 4, 611735, tzinfo=UTC)


def normalise(event: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(event))
    out["id"] = "<id>"
    out["data"]["claims"] = "<claims>"
    out["data"]["authorization"]["evidence"] = "<evidence>"
    for key in ("eventTime", "time"):
        if key in out:
            out[key] = re.sub(r"\.\d+Z$", "Z", out[key])
    return out


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())["payload"][0]


@pytest.mark.corpus
def test_event_grid_schema_matches_the_resource_group_sample() -> None:
    write = Write()
    topic = system_topics(write)[1]
    assert topic == "/subscriptions/{subscription-id}/resourceGroups/{resource-group}"
    ours = resource_write_event(write, topic)
    expected = sample("ResourceWriteSuccess_EventGridSchema_ResourceGroupTopic.json")
    assert normalise(ours) == normalise(expected)
    assert set(ours["data"]) == set(expected["data"])


@pytest.mark.corpus
def test_cloud_event_schema_matches_the_sample() -> None:
    write = Write()
    ours = to_cloud_event(resource_write_event(write, system_topics(write)[1]))
    expected = sample("ResourceWriteSuccess_CloudEventSchema_ResourceGroupTopic.json")
    assert normalise(ours) == normalise(expected)


def test_subscription_topic_and_delete_event() -> None:
    write = Write(http_method="DELETE", operation_name="Microsoft.Storage/storageAccounts/delete")
    topic = system_topics(write)[0]
    event = resource_write_event(write, topic)
    assert event["topic"] == "/subscriptions/{subscription-id}"
    assert event["eventType"] == "Microsoft.Resources.ResourceDeleteSuccess"
    assert event["data"]["httpRequest"]["method"] == "DELETE"
