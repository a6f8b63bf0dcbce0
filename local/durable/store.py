"""Durable state in Azure Storage (Azurite): an instance table with ETag concurrency, and control queues.

Layout for task hub ``h`` (names lower-cased): table ``hInstances`` holds one entity per instance
(``PartitionKey`` the instance id, escaped; the status summary in its own properties, so a listing reads no
history; the state as zlib-compressed JSON in binary chunks of at most 64 KiB, at most 15 of them, under the
Table service's 1 MiB entity limit; a larger state goes to a blob of container ``h-instances`` that the
entity names); queues ``h-control-00`` .. ``h-control-NN`` (instance id hashed to a partition) carry what
clients send to instances (raised events, terminations); blob ``clock`` in container ``h-engine`` holds the
engine clock's anchor (:mod:`local.durable.clock`). Why a table, not a blob per instance:
:mod:`local.durable.tables`.

States are (de)serialised with orjson (the engine saves one per episode: the stdlib's encoder was 5 % of
the host's CPU in a protection burst's profile). ``DurableStore.transactions`` counts the storage requests
the task hub made, by operation (what Azure Storage bills as transactions; ``GET /admin/host/stats`` on the
host reports them): the benchmarks divide them by the work done. A listing counts one per page.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import uuid
import zlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import orjson
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob.aio import BlobServiceClient, ContainerClient
from azure.storage.queue import QueueMessage

from local.azurite import connection_parts, sdk_transport, table_endpoint
from local.durable.clock import ClockAnchor
from local.durable.errors import ConcurrencyConflict, DurableError
from local.durable.state import InstanceState
from local.durable.tables import LeanTable
from local.lean_queue import LeanQueue, PopReceiptMismatch, QueueService

MAX_VISIBILITY_SECONDS = 7 * 24 * 3600 - 60  # Azure queues allow at most 7 days
CLOCK_BLOB = "clock"
CHUNK_BYTES = 64 * 1024  # the Table service's limit for one binary property
MAX_CHUNKS = 15  # 15 x 64 KiB plus the summary stays under the 1 MiB an entity may hold
SUMMARY = ["PartitionKey", "Name", "RuntimeStatus", "CreatedTime"]
# characters a PartitionKey may not hold (and "%", the escape itself): the control characters, / \ # ?
_ESCAPED = re.compile(r"[%/\\#?\x00-\x1f\x7f-\x9f]")


def storage_prefix(hub_name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9]", "", hub_name.lower()) or "testhubname"
    return cleaned[:40]


def partition_key(instance_id: str) -> str:
    """The instance id as a PartitionKey: the characters keys may not hold percent-escaped (reversible, and
    an id's prefix escapes to a prefix of its key)."""
    return _ESCAPED.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), instance_id)


def instance_id_of(key: str) -> str:
    return unquote(key)


def _quoted(value: str) -> str:
    """``value`` inside an OData string literal."""
    return value.replace("'", "''")


class InstanceStoreError(DurableError):
    """The saved state of an instance could not be read back."""


@dataclass
class InstanceSummary:
    instance_id: str
    name: str
    status: str
    created_time: str


def _account(connection_string: str) -> tuple[str, str, str]:
    parts = connection_parts(connection_string)
    name, key = parts.get("AccountName"), parts.get("AccountKey")
    if not name or not key:
        raise DurableError("the local engine needs AccountName and AccountKey in the hub's connection string")
    return table_endpoint(parts), name, key


class DurableStore:
    def __init__(self, connection_string: str, hub_name: str, partitions: int = 4) -> None:
        self.prefix = storage_prefix(hub_name)
        self.partitions = partitions
        self._blob_service = BlobServiceClient.from_connection_string(
            connection_string, transport=sdk_transport()
        )
        self._queue_service = QueueService(connection_string)
        table_name = f"{self.prefix}Instances" if self.prefix[0].isalpha() else f"h{self.prefix}Instances"
        self.instances = LeanTable(*_account(connection_string), table_name)
        self.container: ContainerClient = self._blob_service.get_container_client(f"{self.prefix}-instances")
        self.engine_container = self._blob_service.get_container_client(f"{self.prefix}-engine")
        self.control_queues = [
            self._queue_service.queue(f"{self.prefix}-control-{i:02d}") for i in range(partitions)
        ]
        self.transactions: Counter[str] = Counter()
        # (instance id, ETag) -> the overflow blob that version of the entity names: deleted once replaced
        self._overflow: dict[tuple[str, str], str] = {}

    async def create(self) -> None:
        await self.instances.create_table()
        for container in (self.container, self.engine_container):
            with contextlib.suppress(ResourceExistsError):
                await container.create_container()
        for queue in self.control_queues:
            with contextlib.suppress(ResourceExistsError):
                await queue.create_queue()

    async def close(self) -> None:
        await self.container.close()
        await self.engine_container.close()
        await self.instances.close()
        await self._blob_service.close()
        await self._queue_service.close()

    # ---- instances ----
    async def load(self, instance_id: str) -> tuple[InstanceState, str] | None:
        key = partition_key(instance_id)
        for _ in range(3):
            self.transactions["table.get"] += 1
            found = await self.instances.get(key)
            if found is None:
                return None
            entity, etag = found
            body = await self._body(instance_id, entity, etag)
            if body is not None:
                return InstanceState.from_json(orjson.loads(body)), etag
            # its overflow blob is gone: the entity was replaced since it was read; read it again
        raise InstanceStoreError(f"instance {instance_id}: its state blob keeps disappearing")

    async def _body(self, instance_id: str, entity: dict[str, Any], etag: str) -> bytes | None:
        overflow = entity.get("Overflow")
        if overflow:
            self.transactions["blob.get"] += 1
            try:
                compressed = await (await self.container.download_blob(overflow)).readall()
            except ResourceNotFoundError:
                return None
            self._overflow[(instance_id, etag)] = overflow
        else:
            compressed = b"".join(base64.b64decode(entity[f"State{i}"]) for i in range(int(entity["Chunks"])))
        return zlib.decompress(compressed)

    async def save(self, state: InstanceState, etag: str | None) -> str:
        """Write ``state``; ``etag`` None means create-only. Raises ConcurrencyConflict on a lost race."""
        compressed = zlib.compress(orjson.dumps(state.to_json(), option=orjson.OPT_NON_STR_KEYS), 1)
        entity: dict[str, Any] = {
            "PartitionKey": partition_key(state.instance_id),
            "RowKey": "",
            "Name": state.name,
            "RuntimeStatus": str(state.status),
            "CreatedTime": state.created_time,
        }
        overflow = None
        if len(compressed) > CHUNK_BYTES * MAX_CHUNKS:
            overflow = f"{entity['PartitionKey']}/{uuid.uuid4().hex}"
            self.transactions["blob.put"] += 1
            await self.container.upload_blob(overflow, compressed)
            entity["Overflow"] = overflow
        else:
            starts = range(0, max(len(compressed), 1), CHUNK_BYTES)
            chunks = [compressed[i : i + CHUNK_BYTES] for i in starts]
            entity["Chunks"] = len(chunks)
            for i, chunk in enumerate(chunks):
                entity[f"State{i}@odata.type"] = "Edm.Binary"
                entity[f"State{i}"] = base64.b64encode(chunk).decode()
        self.transactions["table.put"] += 1
        try:
            if etag is None:
                new_etag = await self.instances.insert(entity)
            else:
                new_etag = await self.instances.replace(entity, etag)
        except ConcurrencyConflict:
            if overflow is not None:
                await self._delete_blob(overflow)
            raise
        replaced = self._overflow.pop((state.instance_id, etag), None) if etag is not None else None
        if replaced is not None:
            await self._delete_blob(replaced)
        if overflow is not None:
            self._overflow[(state.instance_id, new_etag)] = overflow
        return new_etag

    async def _delete_blob(self, name: str) -> None:
        self.transactions["blob.delete"] += 1
        with contextlib.suppress(ResourceNotFoundError):
            await self.container.delete_blob(name)

    async def delete(self, instance_id: str) -> bool:
        key = partition_key(instance_id)
        self.transactions["table.delete"] += 1
        deleted = await self.instances.delete(key)
        self.transactions["blob.list"] += 1
        async for blob in self.container.list_blobs(name_starts_with=f"{key}/"):
            await self._delete_blob(blob.name)
        return deleted

    async def list_summaries(self, prefix: str | None = None) -> AsyncIterator[InstanceSummary]:
        # keys sort as the ids' escapes do, so the prefix's key bounds them from below; no upper bound is
        # built from it (its last character may be U+FFFF, or one below a surrogate): the rest is skipped here
        low = partition_key(prefix) if prefix else ""
        odata_filter = f"PartitionKey ge '{_quoted(low)}'" if low else ""
        async for page in self.instances.query(SUMMARY, odata_filter):
            self.transactions["table.query"] += 1
            for entity in page:
                if not entity["PartitionKey"].startswith(low):
                    continue
                yield InstanceSummary(
                    instance_id_of(entity["PartitionKey"]),
                    entity.get("Name", ""),
                    entity.get("RuntimeStatus", ""),
                    entity.get("CreatedTime", ""),
                )

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
    def partition_of(self, instance_id: str) -> int:
        return zlib.crc32(instance_id.encode()) % self.partitions

    def control_queue_for(self, instance_id: str) -> LeanQueue:
        return self.control_queues[self.partition_of(instance_id)]

    async def send(self, queue: LeanQueue, text: str, delay_seconds: float = 0.0) -> QueueMessage:
        """Enqueue ``text``, invisible for ``delay_seconds``; the result carries the id and pop receipt."""
        self.transactions["queue.put"] += 1
        visibility = min(MAX_VISIBILITY_SECONDS, math.ceil(delay_seconds)) if delay_seconds > 0 else None
        return await queue.send_message(text, visibility_timeout=visibility, time_to_live=-1)

    async def receive(
        self, queue: LeanQueue, max_messages: int, visibility_timeout: int
    ) -> list[QueueMessage]:
        """One Get Messages request (``max_messages`` is at most 32, what one request returns)."""
        self.transactions["queue.get"] += 1
        return await queue.receive(max_messages, visibility_timeout)

    async def delete_message(self, queue: LeanQueue, message: QueueMessage) -> None:
        self.transactions["queue.delete"] += 1
        # gone, or its visibility expired and someone else holds it now: they drop it as a duplicate
        with contextlib.suppress(ResourceNotFoundError, PopReceiptMismatch):
            await queue.delete_message(message.id, message.pop_receipt)
