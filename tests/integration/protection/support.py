# ruff: noqa: E501 - ARM ids are long by nature
"""Helpers for the protection end-to-end tests: outcome tracking, ARM writes, queues, a recording server."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml
from azure.storage.queue import QueueClient

from local.azurite import REPO_ROOT
from local.stack import LocalStack, StackConfig

DEMO = REPO_ROOT / "local" / "demo"
PROD = "11111111-1111-1111-1111-111111111111"
DEV = "22222222-2222-2222-2222-222222222222"
STORAGE_API = "2023-05-01"
BI_TYPE = "Microsoft.DataProtection/backupVaults/backupInstances"
TIME_FACTOR = 120.0
WEBHOOK_FUNCTION = "on_resource_written"


def account_id(subscription: str, rg: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}"


def account_body(
    location: str = "westeurope",
    *,
    tags: dict[str, str] | None = None,
    kind: str = "StorageV2",
    sku: str = "Standard_LRS",
    hns: bool = False,
) -> dict[str, Any]:
    return {
        "location": location,
        "kind": kind,
        "sku": {"name": sku},
        "tags": tags or {},
        "properties": {"isHnsEnabled": hns, "minimumTlsVersion": "TLS1_2"},
    }


def put_account(stack: LocalStack, resource_id: str, body: dict[str, Any]) -> None:
    response = stack.arm("PUT", resource_id, body, api_version=STORAGE_API)
    assert response.status_code in (200, 201, 202), response.text


def rules_file(tmp: Path, extra_rules: list[dict[str, Any]] | None = None) -> Path:
    """The demo rules, with ``extra_rules`` evaluated first."""
    document = yaml.safe_load((DEMO / "rules.yaml").read_text(encoding="utf-8"))
    document["rules"] = list(extra_rules or []) + document["rules"]
    path = tmp / "rules.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def stack_config(name: str, rules: Path, **kw: Any) -> StackConfig:
    return StackConfig(
        seed=DEMO / "tenant.yaml", rules=rules, time_factor=TIME_FACTOR, name=f"e2e-{name}", **kw
    )


@dataclass
class Outcomes:
    """Every outcome event the app published, gathered from the topic as tests wait for them."""

    stack: LocalStack
    since: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    def collect(self, wait: float = 0.0) -> None:
        new, self.since = self.stack.topic_events(self.since, wait=wait)
        self.events.extend(new)

    def mark(self) -> int:
        """Where the next events start (for :meth:`wait_for` ``start``)."""
        self.collect()
        return len(self.events)

    def for_id(self, resource_id: str, start: int = 0) -> list[dict[str, Any]]:
        return [e for e in self.events[start:] if str(e.get("subject", "")).lower() == resource_id.lower()]

    def wait_for(
        self, resource_ids: list[str], timeout: float = 45.0, start: int = 0
    ) -> dict[str, dict[str, Any]]:
        """The first outcome (event ``data``) of each id after event ``start``; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            found = {rid: self.for_id(rid, start) for rid in resource_ids}
            if all(found.values()):
                return {
                    rid: events[0]["data"] | {"_type": events[0]["type"]} for rid, events in found.items()
                }
            remaining = deadline - time.monotonic()
            missing = [rid for rid, events in found.items() if not events]
            assert remaining > 0, f"no outcome within {timeout}s for {missing}"
            self.collect(wait=min(2.0, remaining))


def backup_instances(stack: LocalStack) -> dict[str, list[str]]:
    """Datasource id (lower case) -> ids of the backup instances the emulator holds for it."""
    state = stack.admin("GET", f"/_admin/state?type={BI_TYPE}")
    out: dict[str, list[str]] = {}
    for item in state["value"]:
        ds = item["properties"]["dataSourceInfo"]["resourceID"].lower()
        out.setdefault(ds, []).append(item["id"])
    return out


def counters(stack: LocalStack) -> dict[str, Any]:
    return dict(stack.admin("GET", "/_admin/counters"))


def webhook_url(stack: LocalStack) -> str:
    assert stack.host is not None
    return (
        f"{stack.host.base_url}/runtime/webhooks/eventgrid?functionName={WEBHOOK_FUNCTION}"
        f"&code={stack.host.eventgrid_key}"
    )


def post_events(stack: LocalStack, events: list[Any] | bytes) -> httpx.Response:
    """Deliver events to the host's Event Grid webhook ourselves, as Event Grid would."""
    content = events if isinstance(events, bytes) else json.dumps(events).encode()
    return httpx.post(
        webhook_url(stack),
        content=content,
        headers={"aeg-event-type": "Notification", "content-type": "application/json"},
        timeout=30.0,
    )


def queue(stack: LocalStack, name: str) -> QueueClient:
    assert stack.azurite is not None
    client = QueueClient.from_connection_string(stack.azurite.connection_string, name)
    with contextlib.suppress(Exception):  # it exists already
        client.create_queue()
    return client


def queue_messages(stack: LocalStack, name: str) -> list[Any]:
    """Every message currently in a queue, decoded (base64 + JSON when possible), without removing them."""
    out: list[Any] = []
    for message in queue(stack, name).peek_messages(max_messages=32):
        text = str(message.content)
        with contextlib.suppress(ValueError):
            text = base64.b64decode(text, validate=True).decode("utf-8")
        try:
            out.append(json.loads(text))
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to read: the text itself
            out.append(text)
    return out


def wait_messages(stack: LocalStack, name: str, count: int, timeout: float = 30.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        messages = queue_messages(stack, name)
        if len(messages) >= count or time.monotonic() > deadline:
            return messages
        time.sleep(0.3)


def send_raw(stack: LocalStack, name: str, text: str) -> None:
    """Put a message on a queue the way the Functions queue output does (base64 encoding)."""
    queue(stack, name).send_message(base64.b64encode(text.encode()).decode())


def host_log(stack: LocalStack) -> str:
    assert stack.host is not None
    return stack.host.log_path.read_text(errors="replace")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Recorder:
    """A tiny HTTP server on its own port (a different origin) that records every request and answers 200."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append(
                    Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                payload = b'{"status": "Succeeded"}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _record

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        """Every Event Grid event posted here (bodies are JSON arrays)."""
        out: list[dict[str, Any]] = []
        for request in self.requests:
            if request.method == "POST" and request.body:
                data = json.loads(request.body)
                out.extend(data if isinstance(data, list) else [data])
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
