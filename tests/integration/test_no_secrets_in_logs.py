"""No key or token the suite uses ever reaches a log, a published event, a queue, a blob or a report.

One stack (the restore configuration: Azurite + emulated cloud + host, time factor 3600) runs a representative
scenario with every key in play: resource writes whose events protect datasources (webhook ``?code=`` =
the Event Grid system key), a restore started and followed with the function key in the URL (``?code=``),
restore points, bad requests (invalid body, wrong key, a body that is not JSON, a rejected event), a poison
message, a compliance sweep and its reports, the durable API (``?code=`` = the Durable system key) and the
admin API (``?code=`` = the master key). Then everything that stack produced is scanned for each secret:
the host's log (from its start-up lines on), the emulator's log, Azurite's log, every event published to the
topic, every queue (messages decoded), every blob (durable state, sweep reports), and the report documents
the API served. Each log file is this stack's alone (removed before it starts).

The secrets: the app's ARM bearer token (``ARM_CREDENTIAL=local``), the bearer token the test's own ARM calls
use, the host's function, master, Event Grid and Durable keys, the outcome topic's key, the storage account
key, and any SAS signature (``sig=``) or ``code=`` query parameter with a value.
"""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from functions.protection.queues import PROTECTION_REJECTS, PROTECTION_REQUESTS, PROTECTION_REQUESTS_POISON
from local.azurite import DEV_KEY, STATE_DIR
from local.stack import TOPIC_KEY, LocalStack
from shared.config import Settings
from tests.integration.protection.support import post_events, send_raw, wait_messages
from tests.integration.restore.restore_stack import ACCOUNT, point_in_range, start_restore_stack

pytestmark = pytest.mark.integration

NAME = "secrets"
USER_TOKEN = "local-user-token"  # what LocalStack.arm sends (the emulator's fake token)
PATTERNS = {
    "a SAS signature (sig=)": re.compile(r"[?&]sig=(?!\*\*\*)[^&\s\"'<>]+"),
    "a key in a URL (code=)": re.compile(r"[?&]code=(?!\*\*\*)[^&\s\"'<>]+"),
}


@dataclass(frozen=True)
class Finding:
    where: str
    secret: str
    excerpt: str


def secrets(stack: LocalStack) -> dict[str, str]:
    host = stack.host
    assert host is not None
    return {
        "the app's ARM bearer token": Settings().arm_local_token,
        "the user bearer token": USER_TOKEN,
        "the function key": host.function_key,
        "the master key": host.master_key,
        "the Event Grid system key": host.eventgrid_key,
        "the Durable system key": host.durabletask_key,
        "the topic key": TOPIC_KEY,
        "the storage account key": DEV_KEY[:24],
    }


def scan(where: str, text: str, known: dict[str, str]) -> list[Finding]:
    found: list[Finding] = []
    for name, value in known.items():
        at = text.find(value)
        if at >= 0:
            found.append(Finding(where, name, text[max(0, at - 80) : at + 80]))
    for name, pattern in PATTERNS.items():
        match = pattern.search(text)
        if match:
            found.append(Finding(where, name, text[max(0, match.start() - 80) : match.end() + 40]))
    return found


def _decoded(content: str) -> str:
    try:
        return base64.b64decode(content, validate=True).decode("utf-8")
    except ValueError:
        return content


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    for part in ("host", "cloud"):  # this stack's logs hold only what this stack wrote
        (STATE_DIR / "logs" / f"{NAME}-{part}-{os.getpid()}.log").unlink(missing_ok=True)
    yield from start_restore_stack(NAME)


def _api(stack: LocalStack, method: str, path: str, key: str | None = None, **kw: Any) -> httpx.Response:
    assert stack.host is not None
    params = {"code": stack.host.function_key if key is None else key, **kw.pop("params", {})}
    return httpx.request(method, f"{stack.host.base_url}/api/{path}", params=params, timeout=60, **kw)


def _until(probe: Any, done: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"not done in {timeout}s: {value}"
        time.sleep(0.25)


def run_scenario(stack: LocalStack) -> dict[str, str]:
    """Every request of the scenario with a key in its URL; the report documents served, by name."""
    host = stack.host
    assert host is not None
    served: dict[str, str] = {}
    # a restore, started and followed with the function key in the URL
    points = _api(stack, "GET", "restore-points", params={"resourceId": ACCOUNT})
    assert points.status_code == 200, points.text
    body = {
        "kind": "blobPointInTime",
        "resourceId": ACCOUNT,
        "pointInTime": point_in_range(points.json()),
        "ranges": [{"min": "invoices/2025", "max": "invoices/2026"}],
    }
    started = _api(stack, "POST", "restores", json={**body, "correlationId": "secrets-scan"})
    assert started.status_code == 202, started.text
    restore_id = started.json()["id"]
    final = _until(
        lambda: _api(stack, "GET", f"restores/{restore_id}").json(),
        lambda doc: doc["phase"] in ("succeeded", "failed"),
    )
    assert final["phase"] == "succeeded", final
    served["restore status"] = _api(stack, "GET", f"restores/{restore_id}").text
    served["restore list"] = _api(stack, "GET", "restores").text
    # bad requests: an invalid body, a wrong key, an unauthenticated call
    assert _api(stack, "POST", "restores", json={"kind": "nonsense"}).status_code == 400
    assert _api(stack, "POST", "restores", key="not-the-key", json=body).status_code == 401
    assert _api(stack, "GET", "restores", key="").status_code == 401
    # the webhook: a rejected event, a body that is not JSON
    rejected = {"id": "secrets-bad", "eventType": "Nope", "subject": "x", "eventTime": "2026-01-01T00:00:00Z"}
    assert post_events(stack, [rejected]).status_code == 202
    assert post_events(stack, b"{not json").status_code == 400
    assert wait_messages(stack, PROTECTION_REJECTS, 1)
    # a poison message
    send_raw(stack, PROTECTION_REQUESTS, '{"datasource_id": "not an id"}')
    assert wait_messages(stack, PROTECTION_REQUESTS_POISON, 1)
    # a compliance sweep and its reports
    sweep = _api(stack, "POST", "sweeps")
    assert sweep.status_code == 202, sweep.text
    sweep_id = sweep.json()["id"]
    _until(
        lambda: _api(stack, "GET", f"sweeps/{sweep_id}").json(),
        lambda doc: doc.get("phase") in ("done", "failed"),
    )
    for name in ("report", "report.csv", "report.html"):
        response = _api(stack, "GET", f"sweeps/{sweep_id}/{name}")
        assert response.status_code == 200, (name, response.text[:300])
        served[f"sweep {name}"] = response.text
    # the durable API and the admin API with their keys in the URL
    durable = httpx.get(
        f"{host.base_url}/runtime/webhooks/durabletask/instances",
        params={"code": host.durabletask_key},
        timeout=30,
    )
    assert durable.status_code == 200
    admin = httpx.get(f"{host.base_url}/admin/host/status", params={"code": host.master_key}, timeout=30)
    assert admin.status_code == 200
    return served


def collect(stack: LocalStack, served: dict[str, str]) -> dict[str, str]:
    """Everything the stack produced, by where it was found."""
    assert stack.host is not None and stack.cloud is not None and stack.azurite is not None
    texts: dict[str, str] = {
        f"host log {stack.host.log_path.name}": stack.host.log_path.read_text(errors="replace"),
        f"emulator log {stack.cloud.log_path.name}": stack.cloud.log_path.read_text(errors="replace"),
        "azurite log": stack.azurite.log_path.read_text(errors="replace")
        if stack.azurite.log_path.exists()
        else "",
    }
    events, _ = stack.topic_events(0)
    for event in events:
        texts[f"topic event {event.get('type')} {event.get('id')}"] = str(event)
    texts |= {f"served {name}": text for name, text in served.items()}
    connection = stack.azurite.connection_string
    with QueueServiceClient.from_connection_string(connection) as queues:
        for item in queues.list_queues():
            client = queues.get_queue_client(item.name)
            for message in client.peek_messages(max_messages=32):
                texts[f"queue {item.name} message {message.id}"] = _decoded(str(message.content))
    with BlobServiceClient.from_connection_string(connection) as blobs:
        for container in blobs.list_containers():
            holder = blobs.get_container_client(container.name)
            for blob in holder.list_blobs():
                data = holder.download_blob(blob.name).readall()
                texts[f"blob {container.name}/{blob.name}"] = data.decode("utf-8", errors="replace")
    return texts


def test_the_scanner_finds_what_it_looks_for() -> None:
    known = {"k": "local-function-key"}
    assert scan("x", "GET /api/x?code=local-function-key", known) == [
        Finding("x", "k", "GET /api/x?code=local-function-key"),
        Finding("x", "a key in a URL (code=)", "GET /api/x?code=local-function-key"),
    ]
    assert scan("x", "https://a/b?sv=1&sig=abc%2Bdef&se=2", {})[0].secret == "a SAS signature (sig=)"
    assert scan("x", "https://a/b?sig=***&code=***", {}) == []


def test_no_key_or_token_in_any_log_event_queue_blob_or_report(stack: LocalStack) -> None:
    served = run_scenario(stack)
    texts = collect(stack, served)
    # the scan is not vacuous: it saw the start-up lines, the traffic, the events, the queues and the blobs
    host_log = next(text for where, text in texts.items() if where.startswith("host log"))
    assert (
        "Functions in" in host_log and "FUNCTIONS_KEY:" in host_log and "Executed 'restore_start'" in host_log
    )
    assert sum(where.startswith("topic event") for where in texts) >= 5
    assert any(where.startswith(f"queue {PROTECTION_REQUESTS_POISON}") for where in texts)
    assert any(where.startswith(f"queue {PROTECTION_REJECTS}") for where in texts)
    assert sum(where.startswith("blob ") for where in texts) >= 10
    assert any(where.startswith("blob compliance-reports/") for where in texts)
    known = secrets(stack)
    findings = [finding for where, text in texts.items() for finding in scan(where, text, known)]
    kinds = ("host log", "emulator log", "azurite log", "topic event", "served", "queue", "blob")
    counts = {kind: sum(where.startswith(kind) for where in texts) for kind in kinds}
    lines = sum(text.count("\n") for where, text in texts.items() if where.split(" ")[1:2] == ["log"])
    print(f"scanned for {len(known)} secrets and {len(PATTERNS)} patterns: {counts}, {lines} log lines")
    assert findings == [], "\n".join(f"{f.where}: {f.secret}: ...{f.excerpt!r}..." for f in findings)
