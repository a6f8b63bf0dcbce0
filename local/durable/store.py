"""Durable state in Azure Storage (Azurite): instance blobs with ETag concurrency, and control queues.

Layout for task hub ``h`` (names lower-cased): container ``h-instances`` holds one JSON blob per instance
(status summary in blob metadata: listing downloads no history); queues ``h-control-00`` .. ``h-control-NN``
(instance id hashed to a partition) carry what clients send to instances (raised events, terminations);
blob ``clock`` in container ``h-engine`` holds the engine clock's anchor (:mod:`local.durable.clock`).

Instance blobs are (de)serialised with orjson (the engine saves one per episode: the stdlib's encoder
was 5 % of the host's CPU in a protection burst's profile). ``DurableStore.transactions`` counts the
storage requests the task hub made, by operation (what Azure Storage bills as transactions; ``GET
/admin/host/stats`` on the host reports them): the benchmarks divide them by the work done. A listing
counts one per page.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import orjson
from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob.aio import BlobServiceClient, ContainerClient
from azure.storage.queue import QueueMessage
from azure.storage.queue.aio import QueueClient, QueueServiceClient

from local.azurite import sdk_transport
from local.durable.blobs import LeanBlobs
from local.durable.clock import ClockAnchor
from local.durable.errors import ConcurrencyConflict
from local.durable.state import InstanceState

MAX_VISIBILITY_SECONDS = 7 * 24 * 3600 - 60  # Azure queues allow at most 7 days
CLOCK_BLOB = "clock"


def storage_prefix(hub_name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9]", "", hub_name.lower()) or "testhubname"
    return cleaned[:40]


@dataclass
class InstanceSummary:
    instance_id: str
    name: str
    status: str
    created_time: str


class DurableStore:
    def __init__(self, connection_string: str, hub_name: str, partitions: int = 4) -> None:
        self.prefix = storage_prefix(hub_name)
        self.partitions = partitions
        self._blob_service = BlobServiceClient.from_connection_string(
            connection_string, transport=sdk_transport()
        )
        self._queue_service = QueueServiceClient.from_connection_string(
            connection_string, transport=sdk_transport()
        )
        self.container: ContainerClient = self._blob_service.get_container_client(f"{self.prefix}-instances")
        self.engine_container = self._blob_service.get_container_client(f"{self.prefix}-engine")
        credential = self._blob_service.credential
        key = getattr(credential, "account_key", None)
        name = getattr(credential, "account_name", None)
        # hot path (load/save) without the SDK pipeline when the connection string carries an account key
        self._lean = LeanBlobs(self.container.url, name, key) if key and name else None
        self.control_queues = [
            self._queue_service.get_queue_client(f"{self.prefix}-control-{i:02d}") for i in range(partitions)
        ]
        self.transactions: Counter[str] = Counter()

    async def create(self) -> None:
        for container in (self.container, self.engine_container):
            with contextlib.suppress(ResourceExistsError):
                await container.create_container()
        for queue in self.control_queues:
            with contextlib.suppress(ResourceExistsError):
                await queue.create_queue()

    async def close(self) -> None:
        for queue in self.control_queues:
            await queue.close()
        await self.container.close()
        await self.engine_container.close()
        if self._lean is not None:
            await self._lean.close()
        await self._blob_service.close()
        await self._queue_service.close()

    # ---- instances ----
    async def load(self, instance_id: str) -> tuple[InstanceState, str] | None:
        self.transactions["blob.get"] += 1
        if self._lean is not None:
            found = await self._lean.get(instance_id)
            if found is None:
                return None
            return InstanceState.from_json(orjson.loads(found[0])), found[1]
        blob = self.container.get_blob_client(instance_id)
        try:
            downloader = await blob.download_blob()
            data = await downloader.readall()
        except ResourceNotFoundError:
            return None
        return InstanceState.from_json(orjson.loads(data)), str(downloader.properties.etag)

    async def save(self, state: InstanceState, etag: str | None) -> str:
        """Write ``state``; ``etag`` None means create-only. Raises ConcurrencyConflict on a lost race."""
        self.transactions["blob.put"] += 1
        metadata = {"name": state.name, "runtimeStatus": str(state.status), "createdTime": state.created_time}
        body = orjson.dumps(state.to_json(), option=orjson.OPT_NON_STR_KEYS)
        if self._lean is not None:
            return await self._lean.put(state.instance_id, body, metadata, etag)
        blob = self.container.get_blob_client(state.instance_id)
        try:
            if etag is None:
                result = await blob.upload_blob(body, overwrite=False, metadata=metadata)
            else:
                result = await blob.upload_blob(
                    body,
                    overwrite=True,
                    metadata=metadata,
                    etag=etag,
                    match_condition=MatchConditions.IfNotModified,
                )
        except (ResourceExistsError, ResourceModifiedError) as exc:
            raise ConcurrencyConflict(f"instance {state.instance_id} changed concurrently") from exc
        return str(result["etag"])

    async def delete(self, instance_id: str) -> bool:
        self.transactions["blob.delete"] += 1
        try:
            await self.container.delete_blob(instance_id)
        except ResourceNotFoundError:
            return False
        return True

    async def list_summaries(self, prefix: str | None = None) -> AsyncIterator[InstanceSummary]:
        pages = self.container.list_blobs(name_starts_with=prefix or None, include=["metadata"]).by_page()
        async for page in pages:
            self.transactions["blob.list"] += 1
            async for item in page:
                meta = item.metadata or {}
                name, status = meta.get("name", ""), meta.get("runtimeStatus", "")
                yield InstanceSummary(item.name, name, status, meta.get("createdTime", ""))

    # ---- the engine clock ----
    async def load_clock(self) -> ClockAnchor | None:
        """The clock anchor the last engine on this task hub saved (None: the hub is new)."""
        self.transactions["blob.get"] += 1
        try:
            downloader = await self.engine_container.download_blob(CLOCK_BLOB)
            return ClockAnchor.from_json(json.loads(await downloader.readall()))
        except ResourceNotFoundError:
            return None

    async def save_clock(self, anchor: ClockAnchor) -> None:
        self.transactions["blob.put"] += 1
        await self.engine_container.upload_blob(CLOCK_BLOB, json.dumps(anchor.to_json()), overwrite=True)

    # ---- queues ----
    def control_queue_for(self, instance_id: str) -> QueueClient:
        return self.control_queues[zlib.crc32(instance_id.encode()) % self.partitions]

    async def send(self, queue: QueueClient, text: str, delay_seconds: float = 0.0) -> QueueMessage:
        """Enqueue ``text``, invisible for ``delay_seconds``; the result carries the id and pop receipt."""
        self.transactions["queue.put"] += 1
        visibility = min(MAX_VISIBILITY_SECONDS, math.ceil(delay_seconds)) if delay_seconds > 0 else None
        return await queue.send_message(text, visibility_timeout=visibility, time_to_live=-1)

    async def receive(
        self, queue: QueueClient, max_messages: int, visibility_timeout: int
    ) -> list[QueueMessage]:
        """One Get Messages request (``max_messages`` is at most 32, what one request returns)."""
        self.transactions["queue.get"] += 1
        messages: list[QueueMessage] = []
        pager = queue.receive_messages(
            messages_per_page=max_messages, visibility_timeout=visibility_timeout, max_messages=max_messages
        )
        async for message in pager:
            messages.append(message)
        return messages

    async def delete_message(self, queue: QueueClient, message: QueueMessage) -> None:
        self.transactions["queue.delete"] += 1
        # ResourceNotFound: its visibility expired and someone else holds it now; they drop it as a duplicate
        with contextlib.suppress(ResourceNotFoundError):
            await queue.delete_message(message)
