"""Queue triggers: poll a storage queue the way the WebJobs queue listener does.

- Fetch up to ``batchSize`` messages, invisible for :data:`LEASE_SECONDS` while they run (renewed at half
  that); fetch again once in-flight messages drop to ``newBatchThreshold``.
- Idle: exponential back-off from 100 ms to ``maxPollingInterval``; a message found resets it.
- Success deletes the message. Failure makes it visible again after ``visibilityTimeout``; once its
  ``DequeueCount`` reaches ``maxDequeueCount`` the original content goes to ``<queue>-poison`` and the
  message is deleted. At-least-once: a crash mid-run leaves the message to reappear after its lease.
- A message whose content cannot be decoded (not base64 under ``messageEncoding`` base64) never reaches the
  function: it goes to ``<queue>-poison`` at once, as the extension's ``MessageDecodingFailed`` handler moves
  it (``QueueServiceClientProvider``), with the reason in the host log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError
from azure.functions import meta
from azure.functions.queue import QueueMessageInConverter
from azure.storage.queue import QueueMessage as StorageMessage

from local.app_loader import FunctionSpec
from local.host import queues
from local.host.dispatcher import Dispatcher
from local.host.timespan import seconds
from local.lean_queue import LeanQueue

log = logging.getLogger("local.host.queue")

LEASE_SECONDS = 600  # the WebJobs listener's initial visibility for a fetched message
MIN_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class QueueOptions:
    batch_size: int = 16
    new_batch_threshold: int = 8
    max_polling_interval: float = 2.0
    visibility_timeout: float = 0.0
    max_dequeue_count: int = 5

    @classmethod
    def from_host_json(cls, host_json: dict[str, Any]) -> QueueOptions:
        section = host_json.get("extensions", {}).get("queues", {})
        batch = max(1, min(32, int(section.get("batchSize", 16))))
        return cls(
            batch_size=batch,
            new_batch_threshold=int(section.get("newBatchThreshold", batch // 2)),
            max_polling_interval=seconds(section.get("maxPollingInterval", "00:00:02"), "maxPollingInterval"),
            visibility_timeout=seconds(section.get("visibilityTimeout", "00:00:00"), "visibilityTimeout"),
            max_dequeue_count=max(1, int(section.get("maxDequeueCount", 5))),
        )


def _iso(value: datetime | None) -> meta.Datum | None:
    return None if value is None else meta.Datum(type="string", value=value.isoformat())


def to_function_message(message: StorageMessage, body: str) -> Any:
    metadata = {
        "Id": meta.Datum(type="string", value=message.id),
        "DequeueCount": meta.Datum(type="int", value=int(message.dequeue_count or 0)),
        "ExpirationTime": _iso(message.expires_on),
        "InsertionTime": _iso(message.inserted_on),
        "NextVisibleTime": _iso(message.next_visible_on),
        "PopReceipt": meta.Datum(type="string", value=message.pop_receipt),
    }
    return QueueMessageInConverter.decode(
        meta.Datum(type="string", value=body),
        trigger_metadata={k: v for k, v in metadata.items() if v is not None},
    )


class QueueListener:
    def __init__(
        self,
        spec: FunctionSpec,
        client: LeanQueue,
        poison: LeanQueue,
        options: QueueOptions,
        dispatcher: Dispatcher,
        *,
        lease_seconds: int = LEASE_SECONDS,
        transactions: Counter[str] | None = None,
    ) -> None:
        self.spec = spec
        self.transactions: Counter[str] = Counter() if transactions is None else transactions
        self.client = client
        self.poison = poison
        self.options = options
        self.dispatcher = dispatcher
        self.lease_seconds = lease_seconds
        self._in_flight: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    async def run(self) -> None:
        delay = MIN_POLL_SECONDS
        try:
            while True:
                if len(self._in_flight) > self.options.new_batch_threshold:
                    await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    found = await self._fetch()
                except AzureError as exc:
                    log.warning("polling queue %s failed: %s", self.client.queue_name, exc)
                    found = 0
                if found:
                    delay = MIN_POLL_SECONDS
                    continue
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.options.max_polling_interval)
        finally:
            # Cancelled at shutdown: in-flight messages keep their lease and reappear (at-least-once).
            for task in self._in_flight:
                task.cancel()
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _fetch(self) -> int:
        wanted = self.options.batch_size
        self.transactions["queue.get"] += 1
        messages = await self.client.receive(wanted, self.lease_seconds)
        count = 0
        for message in messages:
            count += 1
            task = asyncio.create_task(self._process(message))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return count

    async def _process(self, message: StorageMessage) -> None:
        dequeue_count = int(message.dequeue_count or 0)
        if dequeue_count > self.options.max_dequeue_count:
            await self._to_poison(message)
            return
        try:
            body = queues.decode(str(message.content), self.dispatcher.encoding)
        except queues.QueueBindingError as exc:
            log.error(
                "message %s of %s cannot be decoded, moving it to %s: %s",
                message.id,
                self.client.queue_name,
                self.poison.queue_name,
                exc,
            )
            await self._to_poison(message)
            return
        renewal = asyncio.create_task(self._renew(message))
        try:
            await self.dispatcher.run(self.spec, to_function_message(message, body))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            await self._failed(message, exc)
            return
        renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewal
        self.transactions["queue.delete"] += 1
        try:
            await self.client.delete_message(message.id, message.pop_receipt)
        except AzureError as exc:
            log.warning("deleting message %s from %s failed: %s", message.id, self.client.queue_name, exc)
        finally:
            renewal.cancel()

    async def _renew(self, message: StorageMessage) -> None:
        """Keep the message invisible while it runs; the pop receipt changes at every renewal."""
        while True:
            await asyncio.sleep(self.lease_seconds / 2)
            self.transactions["queue.update"] += 1
            try:
                updated = await self.client.update_message(
                    message.id, message.pop_receipt, visibility_timeout=self.lease_seconds
                )
            except AzureError as exc:
                log.warning("renewing message %s failed: %s", message.id, exc)
                return
            message.pop_receipt = updated.pop_receipt
            message.next_visible_on = updated.next_visible_on

    async def _failed(self, message: StorageMessage, exc: Exception) -> None:
        dequeue_count = int(message.dequeue_count or 0)
        if dequeue_count >= self.options.max_dequeue_count:
            log.error(
                "message %s failed %d time(s) (maxDequeueCount %d): moving it to %s",
                message.id,
                dequeue_count,
                self.options.max_dequeue_count,
                self.poison.queue_name,
            )
            await self._to_poison(message)
            return
        self.transactions["queue.update"] += 1
        try:
            await self.client.update_message(
                message.id, message.pop_receipt, visibility_timeout=int(self.options.visibility_timeout)
            )
        except AzureError as update_error:
            log.warning("releasing message %s failed: %s", message.id, update_error)

    async def _to_poison(self, message: StorageMessage) -> None:
        try:
            with contextlib.suppress(ResourceExistsError):
                await self.poison.create_queue()
            self.transactions["queue.put"] += 1
            self.transactions["queue.delete"] += 1
            await self.poison.send_message(message.content)
            await self.client.delete_message(message.id, message.pop_receipt)
        except AzureError as exc:
            log.warning("moving message %s to %s failed: %s", message.id, self.poison.queue_name, exc)
