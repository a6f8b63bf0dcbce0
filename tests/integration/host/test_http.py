"""HTTP triggers and the Event Grid webhook through real HTTP against a real host subprocess."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local.host.process import HostProcess
from tests.integration.host.helpers import APPS, records, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def record_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("host-http")


@pytest.fixture(scope="module")
def host(azurite_connection_string: str, record_dir: Path) -> Iterator[HostProcess]:
    env = {"AzureWebJobsStorage": azurite_connection_string, "RECORD_DIR": str(record_dir)}
    with HostProcess(APPS / "host_http", env=env) as process:
        yield process


@pytest.fixture(scope="module")
def client(host: HostProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.base_url, timeout=10) as http:
        yield http


def test_anonymous_get_with_query(client: httpx.Client) -> None:
    response = client.get("/api/hello", params={"name": "ada"})
    assert response.status_code == 200
    assert response.text == "hello ada"
    assert response.headers["content-type"].startswith("text/plain")


def test_method_not_allowed_is_404(client: httpx.Client) -> None:
    assert client.post("/api/hello").status_code == 404


def test_unknown_route_is_404(client: httpx.Client) -> None:
    assert client.get("/api/nope").status_code == 404


def test_function_level_needs_a_key(client: httpx.Client, host: HostProcess) -> None:
    assert client.get("/api/items/5").status_code == 401
    assert client.get("/api/items/5", params={"code": "wrong"}).status_code == 401
    assert client.get("/api/items/5", params={"code": host.function_key}).status_code == 200
    assert client.get("/api/items/5", headers={"x-functions-key": host.function_key}).status_code == 200
    assert client.get("/api/items/5", headers={"x-functions-key": host.master_key}).status_code == 200


def test_admin_level_needs_the_master_key(client: httpx.Client, host: HostProcess) -> None:
    assert client.get("/api/admin-only", params={"code": host.function_key}).status_code == 401
    response = client.get("/api/admin-only", params={"code": host.master_key})
    assert response.status_code == 200
    assert response.text == "admin ok"


def test_request_is_built_faithfully(client: httpx.Client, host: HostProcess) -> None:
    response = client.post(
        "/api/items/42/widget?x=1&y=two",
        content=b'{"k": "v"}',
        headers={"x-functions-key": host.function_key, "content-type": "application/json"},
    )
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["method"] == "POST"
    assert echoed["url"] == f"{host.base_url}/api/items/42/widget?x=1&y=two"
    assert echoed["params"] == {"x": "1", "y": "two"}
    assert echoed["route_params"] == {"id": "42", "name": "widget"}
    assert echoed["body"] == '{"k": "v"}'
    assert echoed["content_type"] == "application/json"


def test_optional_and_constrained_route_params(client: httpx.Client, host: HostProcess) -> None:
    key = {"code": host.function_key}
    assert client.get("/api/items/7", params=key).json()["route_params"] == {"id": "7"}
    assert client.get("/api/items/notanint", params=key).status_code == 404


def test_async_function_status_headers_mimetype(client: httpx.Client) -> None:
    response = client.get("/api/async/hello")
    assert response.status_code == 201
    assert response.headers["x-custom"] == "yes"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"word": "hello"}
    assert client.get("/api/async/123").status_code == 404


def test_exception_is_500(client: httpx.Client) -> None:
    assert client.get("/api/boom").status_code == 500


def test_route_defaults_to_function_name_and_context_is_passed(client: httpx.Client) -> None:
    response = client.get("/api/default_route")
    assert response.status_code == 200
    assert response.text == "default_route:36"


def test_admin_status_needs_master_key(client: httpx.Client, host: HostProcess) -> None:
    assert client.get("/admin/host/status").status_code == 401
    status = client.get("/admin/host/status", headers={"x-functions-key": host.master_key}).json()
    assert status["state"] == "Running"
    assert "on_event" in status["functions"] and "hello" in status["functions"]


# -- Event Grid ---------------------------------------------------------------------------------------------


def _eg(client: httpx.Client, host: HostProcess, body: object, event_type: str | None = "Notification", **kw):
    headers = {"aeg-event-type": event_type} if event_type else {}
    headers.update(kw.pop("headers", {}))
    params = {"functionName": kw.pop("function", "on_event"), "code": kw.pop("code", host.eventgrid_key)}
    return client.post("/runtime/webhooks/eventgrid", params=params, json=body, headers=headers)


def _event(event_id: str, data: object) -> dict:
    return {
        "id": event_id,
        "topic": "/subscriptions/s/resourceGroups/rg",
        "subject": f"subject-{event_id}",
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "eventTime": "2026-01-02T03:04:05.1234567Z",
        "data": data,
        "dataVersion": "1",
    }


def test_eventgrid_needs_system_key(client: httpx.Client, host: HostProcess) -> None:
    assert _eg(client, host, [_event("k", {})], code="wrong").status_code == 401


def test_eventgrid_subscription_validation(client: httpx.Client, host: HostProcess) -> None:
    body = [
        {
            "id": "v1",
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "data": {"validationCode": "abc-123"},
        }
    ]
    response = _eg(client, host, body, event_type="SubscriptionValidation")
    assert response.status_code == 200
    assert response.json() == {"validationResponse": "abc-123"}


def test_eventgrid_single_and_batch(client: httpx.Client, host: HostProcess, record_dir: Path) -> None:
    assert _eg(client, host, _event("single", {"n": 1})).status_code == 202
    assert _eg(client, host, [_event("b1", {"n": 2}), _event("b2", {"n": 3})]).status_code == 202
    seen = {r["id"]: r for r in records(record_dir, "on_event")}
    assert {"single", "b1", "b2"} <= seen.keys()
    assert seen["single"]["kind"] == "EventGridEvent"
    assert seen["single"]["topic"] == "/subscriptions/s/resourceGroups/rg"
    assert seen["single"]["event_type"] == "Microsoft.Resources.ResourceWriteSuccess"
    assert seen["single"]["event_time"].startswith("2026-01-02 03:04:05.123456")
    assert seen["b2"]["data"] == {"n": 3}


def test_eventgrid_cloudevents(client: httpx.Client, host: HostProcess, record_dir: Path) -> None:
    event = {
        "specversion": "1.0",
        "id": "ce1",
        "source": "/subscriptions/s",
        "type": "Microsoft.Storage.BlobCreated",
        "subject": "blob",
        "time": "2026-01-02T03:04:05Z",
        "data": {"url": "u"},
    }
    response = client.post(
        "/runtime/webhooks/eventgrid",
        params={"functionName": "on_event", "code": host.eventgrid_key},
        content=__import__("json").dumps([event]),
        headers={"content-type": "application/cloudevents-batch+json"},
    )
    assert response.status_code == 202
    seen = {r["id"]: r for r in records(record_dir, "on_event")}
    assert seen["ce1"]["kind"] == "CloudEvent"
    assert seen["ce1"]["source"] == "/subscriptions/s"
    assert seen["ce1"]["event_type"] == "Microsoft.Storage.BlobCreated"


def test_eventgrid_failure_is_500(client: httpx.Client, host: HostProcess, record_dir: Path) -> None:
    response = _eg(client, host, [_event("ok-before-fail", {}), _event("bad", {"fail": True})])
    assert response.status_code == 500
    assert any(r["id"] == "ok-before-fail" for r in records(record_dir, "on_event"))


def test_eventgrid_unknown_function_unsubscribe_and_other(client: httpx.Client, host: HostProcess) -> None:
    assert _eg(client, host, [_event("x", {})], function="nope").status_code == 404
    assert _eg(client, host, [_event("x", {})], event_type="Unsubscribe").status_code == 202
    assert _eg(client, host, [_event("x", {})], event_type="Bogus").status_code == 400


def test_cloudevents_abuse_protection_handshake(client: httpx.Client, host: HostProcess) -> None:
    response = client.options(
        "/runtime/webhooks/eventgrid",
        params={"functionName": "on_event", "code": host.eventgrid_key},
        headers={"WebHook-Request-Origin": "eventgrid.azure.net"},
    )
    assert response.status_code == 200
    assert response.headers["webhook-allowed-origin"] == "eventgrid.azure.net"


def test_wait_for_helper_fails_loudly() -> None:
    with pytest.raises(AssertionError):
        wait_for(lambda: False, timeout=0.2)
