"""Queue triggers, queue output bindings and timers against real Azurite queues and a real host subprocess."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient

from local.host.process import HostProcess
from tests.integration.host.helpers import APPS, records, wait_for

pytestmark = pytest.mark.integration


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def queue(conn: str, name: str) -> QueueClient:
    client = QueueClient.from_connection_string(conn, name)
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()
    return client


def drain(client: QueueClient) -> list[str]:
    return [str(m.content) for m in client.receive_messages(messages_per_page=32, max_messages=32)]


@pytest.fixture(scope="module")
def record_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("host-queues")


@pytest.fixture(scope="module")
def host(azurite_connection_string: str, record_dir: Path) -> Iterator[HostProcess]:
    # The hourly timer was due an hour ago and the host "was down": it must run once with past_due.
    blobs = BlobServiceClient.from_connection_string(azurite_connection_string)
    with contextlib.suppress(ResourceExistsError):
        blobs.create_container("azure-webjobs-hosts")
    now = datetime.now(UTC)
    status = {
        "Last": (now - timedelta(hours=2)).isoformat(),
        "Next": (now - timedelta(hours=1)).isoformat(),
        "LastUpdated": (now - timedelta(hours=2)).isoformat(),
    }
    blobs.get_blob_client("azure-webjobs-hosts", "timers/testhubname/hourly/status").upload_blob(
        json.dumps(status), overwrite=True
    )
    env = {"AzureWebJobsStorage": azurite_connection_string, "RECORD_DIR": str(record_dir)}
    with HostProcess(APPS / "host_queues", env=env) as process:
        yield process


def test_queue_message_metadata(host: HostProcess, azurite_connection_string: str, record_dir: Path) -> None:
    sent = queue(azurite_connection_string, "host-in").send_message(b64("hello queue"))
    found = wait_for(lambda: [r for r in records(record_dir, "on_message") if r["id"] == sent.id])
    entry = found[0]
    assert entry["body"] == "hello queue"
    assert entry["dequeue_count"] == 1
    assert entry["pop_receipt"]
    for key in ("insertion_time", "expiration_time", "next_visible"):
        assert entry[key] and "+00:00" in entry[key]
    # Deleted after success: nothing comes back even once its lease would have expired.
    assert wait_for(
        lambda: (
            queue(azurite_connection_string, "host-in").get_queue_properties().approximate_message_count == 0
        )
    )


def test_failures_retry_then_poison(
    host: HostProcess, azurite_connection_string: str, record_dir: Path
) -> None:
    content = b64("doomed")
    queue(azurite_connection_string, "host-fail").send_message(content)
    poison = queue(azurite_connection_string, "host-fail-poison")
    poisoned = wait_for(lambda: drain(poison), timeout=20)
    assert poisoned == [content]  # the original (still encoded) content
    attempts = [r["dequeue_count"] for r in records(record_dir, "always_fails") if r["body"] == "doomed"]
    assert attempts == [1, 2]  # maxDequeueCount 2 in the app's host.json
    assert queue(azurite_connection_string, "host-fail").get_queue_properties().approximate_message_count == 0


def test_queue_output_binding_from_queue_trigger(host: HostProcess, azurite_connection_string: str) -> None:
    queue(azurite_connection_string, "host-forward").send_message(b64("shout"))
    out = queue(azurite_connection_string, "host-forwarded")
    assert wait_for(lambda: drain(out)) == [b64("SHOUT")]


def test_queue_output_binding_from_http(host: HostProcess, azurite_connection_string: str) -> None:
    response = httpx.post(f"{host.base_url}/api/enqueue", content=b"from http", timeout=10)
    assert response.status_code == 202
    out = queue(azurite_connection_string, "host-from-http")
    assert wait_for(lambda: drain(out)) == [b64("from http")]


def test_timer_every_second(host: HostProcess, record_dir: Path) -> None:
    def two_runs() -> list[dict] | None:
        runs = records(record_dir, "every_second")
        return runs if len(runs) >= 2 else None

    runs = wait_for(two_runs)
    assert all(r["past_due"] is False for r in runs)
    assert runs[-1]["status"]["Next"]


def test_run_on_startup(host: HostProcess, record_dir: Path) -> None:
    runs = wait_for(lambda: records(record_dir, "on_startup"))
    assert runs == [{"past_due": False}]


def test_past_due_after_downtime(host: HostProcess, record_dir: Path, azurite_connection_string: str) -> None:
    runs = wait_for(lambda: records(record_dir, "hourly"))
    assert runs[0]["past_due"] is True
    blob = BlobServiceClient.from_connection_string(azurite_connection_string).get_blob_client(
        "azure-webjobs-hosts", "timers/testhubname/hourly/status"
    )

    def updated_status() -> dict | None:
        status = json.loads(blob.download_blob().readall())
        return status if datetime.fromisoformat(status["Next"]) > datetime.now(UTC) else None

    status = wait_for(updated_status)
    assert datetime.fromisoformat(status["LastUpdated"]) > datetime.now(UTC) - timedelta(minutes=1)


def test_message_encoding_none(azurite_connection_string: str, tmp_path: Path) -> None:
    env = {"AzureWebJobsStorage": azurite_connection_string}
    with HostProcess(APPS / "host_queues_plain", env=env):
        queue(azurite_connection_string, "plain-in").send_message("raw text")
        out = queue(azurite_connection_string, "plain-out")
        assert wait_for(lambda: drain(out)) == ["raw text|1"]
