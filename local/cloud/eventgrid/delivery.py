"""Webhook delivery: validation handshake, batching, retries on the real schedule, dead-lettering.

Retry schedule (Event Grid): 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, then hourly, until
``maxDeliveryAttempts`` or the event TTL runs out; the waits are divided by the emulator's time factor.
400, 401, 403 and 413 are not retried: the events go straight to the dead-letter list.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from .errors import ValidationHandshakeError
from .events import CLOUD_EVENT_SCHEMA, iso7, to_cloud_event
from .subscriptions import EventSubscription

log = logging.getLogger(__name__)

RETRY_SCHEDULE_SECONDS = (10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0)
NOT_RETRIED = {400, 401, 403, 413}
SUCCESS = {200, 201, 202, 203, 204}


def retry_delay(attempts_made: int) -> float:
    """Emulated seconds to wait after ``attempts_made`` failed attempts."""
    index = min(attempts_made - 1, len(RETRY_SCHEDULE_SECONDS) - 1)
    return RETRY_SCHEDULE_SECONDS[max(index, 0)]


@dataclass
class DeliveryRecord:
    subscription: str
    event_ids: list[str]
    attempt: int
    status: int | None
    outcome: str
    time: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "subscription": self.subscription,
            "eventIds": self.event_ids,
            "attempt": self.attempt,
            "httpStatusCode": self.status,
            "outcome": self.outcome,
            "time": self.time,
        }


@dataclass
class DeadLetter:
    subscription: str
    event: dict[str, Any]
    reason: str
    attempts: int
    last_outcome: str
    last_status: int | None
    publish_time: str
    last_attempt_time: str

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.event,
            "deadLetterReason": self.reason,
            "deliveryAttempts": self.attempts,
            "lastDeliveryOutcome": self.last_outcome,
            "lastHttpStatusCode": self.last_status,
            "publishTime": self.publish_time,
            "lastDeliveryAttemptTime": self.last_attempt_time,
            "subscription": self.subscription,
        }


@dataclass
class _Queue:
    subscription: EventSubscription
    items: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    worker: asyncio.Task[None] | None = None


def _now() -> str:
    return iso7(datetime.now(UTC))


#: POSTs in flight at once, all subscriptions together. Unbounded, a burst of 10,000 events queued 10,000
#: requests in one httpx pool, whose scan of waiting requests against connections on every state change
#: made delivery quadratic (98 % of the emulator's CPU, and the creates of the burst waited behind it).
MAX_IN_FLIGHT = 64


class Dispatcher:
    """Delivers events to webhook subscriptions; one worker per subscription, one task per batch, at most
    :data:`MAX_IN_FLIGHT` POSTs at once (a batch waiting for its retry holds no slot)."""

    def __init__(
        self,
        time_factor: Callable[[], float] = lambda: 1.0,
        client: httpx.AsyncClient | None = None,
        max_records: int = 10_000,
    ) -> None:
        self._time_factor = time_factor
        self._client = client
        self._queues: dict[str, _Queue] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.deliveries: list[DeliveryRecord] = []
        self.dead_letters: list[DeadLetter] = []
        self._max_records = max_records
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=30.0)
        return self._client

    # -- handshake --------------------------------------------------------------------------------
    async def validate(self, sub: EventSubscription, topic: str) -> None:
        """Event Grid schema: POST a SubscriptionValidationEvent and expect 200 + validationResponse.
        CloudEvents: the abuse-protection OPTIONS request, expecting WebHook-Allowed-Origin."""
        if sub.schema == CLOUD_EVENT_SCHEMA:
            await self._validate_cloud_events(sub)
            return
        code = str(uuid.uuid4())
        event = {
            "id": str(uuid.uuid4()),
            "topic": topic,
            "subject": "",
            "data": {
                "validationCode": code,
                "validationUrl": f"{sub.endpoint}#manual-validation-not-supported",
            },
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "eventTime": _now(),
            "metadataVersion": "1",
            "dataVersion": "1",
        }
        headers = {
            "aeg-event-type": "SubscriptionValidation",
            "aeg-subscription-name": sub.name.upper(),
            "aeg-delivery-count": "0",
            "aeg-metadata-version": "1",
            "aeg-data-version": "1",
            "content-type": "application/json; charset=utf-8",
        }
        try:
            response = await self.client.post(sub.endpoint, content=json.dumps([event]), headers=headers)
        except httpx.HTTPError as exc:
            raise self._handshake_failed(sub, f"Http POST request failed: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise self._handshake_failed(
                sub, f"Http POST request failed with response code {response.status_code}"
            )
        try:
            echoed = response.json().get("validationResponse")
        except (ValueError, AttributeError):
            echoed = None
        if echoed != code:
            raise self._handshake_failed(sub, "The response did not echo the validationCode")

    async def _validate_cloud_events(self, sub: EventSubscription) -> None:
        origin = "eventgrid.azure.net"
        try:
            response = await self.client.request(
                "OPTIONS", sub.endpoint, headers={"WebHook-Request-Origin": origin}
            )
        except httpx.HTTPError as exc:
            raise self._handshake_failed(sub, f"Http OPTIONS request failed: {type(exc).__name__}") from exc
        allowed = response.headers.get("WebHook-Allowed-Origin", "")
        if response.status_code != 200 or allowed not in (origin, "*"):
            raise self._handshake_failed(
                sub, f"Http OPTIONS request failed with response code {response.status_code}"
            )

    @staticmethod
    def _handshake_failed(sub: EventSubscription, reason: str) -> ValidationHandshakeError:
        return ValidationHandshakeError(
            f"Webhook validation handshake failed for {sub.endpoint}. {reason}. "
            "For troublehooting, visit https://aka.ms/esvalidation."
        )

    # -- delivery ---------------------------------------------------------------------------------
    def enqueue(self, sub: EventSubscription, event: dict[str, Any]) -> None:
        queue = self._queues.get(sub.name.lower())
        if queue is None or queue.subscription is not sub:
            self.remove(sub.name)
            queue = self._queues[sub.name.lower()] = _Queue(sub)
            queue.worker = asyncio.ensure_future(self._work(queue))
        queue.items.put_nowait({**event, "__published": _now()})

    def remove(self, name: str) -> None:
        queue = self._queues.pop(name.lower(), None)
        if queue is not None and queue.worker is not None:
            queue.worker.cancel()

    async def _work(self, queue: _Queue) -> None:
        while True:
            batch = [await queue.items.get()]
            await asyncio.sleep(0)  # let events published in the same turn join the batch
            while len(batch) < queue.subscription.max_events_per_batch and not queue.items.empty():
                batch.append(queue.items.get_nowait())
            task = asyncio.ensure_future(self._deliver(queue.subscription, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, sub: EventSubscription, batch: list[dict[str, Any]]) -> None:
        published = batch[0]["__published"]
        events = [{k: v for k, v in e.items() if k != "__published"} for e in batch]
        attempt = 0
        while True:
            async with self._in_flight:
                status, outcome = await self._post(sub, events, attempt)
            attempt += 1
            self._record(
                DeliveryRecord(sub.name, [e["id"] for e in events], attempt, status, outcome, _now())
            )
            if status in SUCCESS:
                return
            if status in NOT_RETRIED or attempt >= sub.max_delivery_attempts:
                reason = "NonRetriableError" if status in NOT_RETRIED else "MaxDeliveryAttemptsExceeded"
                for event in events:
                    self.dead_letters.append(
                        DeadLetter(sub.name, event, reason, attempt, outcome, status, published, _now())
                    )
                return
            factor = self._time_factor() or 1.0
            await asyncio.sleep(retry_delay(attempt) / factor)

    async def _post(
        self, sub: EventSubscription, events: list[dict[str, Any]], attempt: int
    ) -> tuple[int | None, str]:
        cloud = sub.schema == CLOUD_EVENT_SCHEMA
        payload: Any = [to_cloud_event(e) for e in events] if cloud else events
        if cloud:
            single = sub.max_events_per_batch == 1 and len(payload) == 1
            content_type = "application/cloudevents+json" if single else "application/cloudevents-batch+json"
            payload = payload[0] if single else payload
        else:
            content_type = "application/json"
        headers = {
            "content-type": f"{content_type}; charset=utf-8",
            "aeg-event-type": "Notification",
            "aeg-subscription-name": sub.name.upper(),
            "aeg-delivery-count": str(attempt),
            "aeg-metadata-version": "1.0" if cloud else str(events[0].get("metadataVersion", "1")),
            "aeg-output-event-id": str(events[0].get("id", "")),
        }
        if not cloud:
            headers["aeg-data-version"] = str(events[0].get("dataVersion", ""))
        try:
            response = await self.client.post(sub.endpoint, content=json.dumps(payload), headers=headers)
        except httpx.TimeoutException:
            return None, "TimedOut"
        except httpx.HTTPError as exc:
            return None, f"GenericError: {type(exc).__name__}"
        return response.status_code, _outcome(response.status_code)

    def _record(self, record: DeliveryRecord) -> None:
        self.deliveries.append(record)
        if len(self.deliveries) > self._max_records:
            del self.deliveries[: len(self.deliveries) - self._max_records]

    async def close(self) -> None:
        for name in list(self._queues):
            self.remove(name)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _outcome(status: int) -> str:
    if status in SUCCESS:
        return "Delivered"
    names = {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        413: "PayloadTooLarge",
    }
    return names.get(status, "Busy" if status in (429, 503) else "GenericError")
