"""``EventGridHub``: the emulated Event Grid state (custom topics, event subscriptions) and its two inputs:
resource writes reported by the emulator core, and events the app publishes on a custom topic."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .delivery import Dispatcher
from .errors import MalformedEventsError, PayloadTooLargeError, SubscriptionError, TopicNotFoundError
from .events import (
    CLOUD_EVENT_SCHEMA,
    EVENT_GRID_SCHEMA,
    ResourceWriteLike,
    resource_write_event,
    system_topics,
    validate_cloud_events,
    validate_event_grid_events,
)
from .subscriptions import EventSubscription, subscription_from_body
from .topics import DEFAULT_TOPIC, DEFAULT_TOPIC_KEY, Topic

MAX_REQUEST_BYTES = 1024 * 1024


class EventGridHub:
    def __init__(
        self, time_factor: Callable[[], float] = lambda: 1.0, dispatcher: Dispatcher | None = None
    ) -> None:
        self.dispatcher = dispatcher or Dispatcher(time_factor)
        self.topics: dict[str, Topic] = {}
        self.subscriptions: dict[str, EventSubscription] = {}
        self.put_topic(DEFAULT_TOPIC, [DEFAULT_TOPIC_KEY])

    # -- topics -----------------------------------------------------------------------------------
    def put_topic(self, name: str, keys: list[str]) -> Topic:
        if not name or not keys or not all(isinstance(k, str) and k for k in keys):
            raise SubscriptionError("A topic needs a name and at least one non-empty key.")
        topic = self.topics.get(name.lower())
        if topic is None:
            topic = self.topics[name.lower()] = Topic(name, list(keys))
        else:
            topic.keys = list(keys)
        return topic

    def topic(self, name: str) -> Topic:
        found = self.topics.get(name.lower())
        if found is None:
            raise TopicNotFoundError(f"The topic '{name}' was not found.")
        return found

    def publish(self, topic_name: str, headers: dict[str, str], body: bytes) -> int:
        """The topic endpoint: authenticate, validate, store, fan out. Returns how many events were taken."""
        topic = self.topic(topic_name)
        topic.authorize(headers)
        if len(body) > MAX_REQUEST_BYTES:
            raise PayloadTooLargeError("The maximum size (1536000) has been exceeded.")
        try:
            payload = json.loads(body or b"null")
        except ValueError as exc:
            raise MalformedEventsError(
                f"The request body is not valid JSON: {exc}", "InputJsonInvalid"
            ) from exc
        content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
        topic_path = f"topics/{topic.name}"
        if content_type.startswith("application/cloudevents"):
            if content_type == "application/cloudevents+json" and isinstance(payload, list):
                raise MalformedEventsError(
                    "A single CloudEvent was expected for application/cloudevents+json."
                )
            events, schema = validate_cloud_events(payload), CLOUD_EVENT_SCHEMA
        else:
            events, schema = validate_event_grid_events(payload, topic_path), EVENT_GRID_SCHEMA
        topic.append(schema, events)
        for event in events:
            self._fan_out(topic_path, event)
        return len(events)

    # -- resource writes (the core's hook) ----------------------------------------------------------
    def on_resource_write(self, write: ResourceWriteLike) -> None:
        for topic_path in system_topics(write):
            if any(s.scope.rstrip("/").lower() == topic_path.lower() for s in self.subscriptions.values()):
                self._fan_out(topic_path, resource_write_event(write, topic_path))

    def _fan_out(self, topic_path: str, event: dict[str, Any]) -> None:
        for sub in list(self.subscriptions.values()):
            if sub.provisioning_state == "Succeeded" and sub.receives(topic_path, event):
                self.dispatcher.enqueue(sub, event)

    # -- subscriptions ----------------------------------------------------------------------------
    async def subscribe(
        self, body: Any, name: str | None = None, scope: str | None = None
    ) -> EventSubscription:
        sub = subscription_from_body(body, name, scope)
        if not sub.skip_validation:
            await self.dispatcher.validate(sub, sub.scope)
        sub.provisioning_state = "Succeeded"
        self.dispatcher.remove(sub.name)
        self.subscriptions[sub.name.lower()] = sub
        return sub

    def unsubscribe(self, name: str) -> bool:
        self.dispatcher.remove(name)
        return self.subscriptions.pop(name.lower(), None) is not None

    def reset(self) -> None:
        for name in list(self.subscriptions):
            self.unsubscribe(name)
        self.dispatcher.deliveries.clear()
        self.dispatcher.dead_letters.clear()
        for topic in self.topics.values():
            topic.events.clear()

    async def close(self) -> None:
        await self.dispatcher.close()
