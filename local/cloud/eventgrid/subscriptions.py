"""Event subscriptions: where events go (webhook URL), which ones (scope + filter), how (schema, batching,
retry policy). Parsed from the admin body (or the ARM ``eventSubscriptions`` body) in one place.

Scope: a system topic (``/subscriptions/{id}`` or ``/subscriptions/{id}/resourceGroups/{rg}``) or a custom
topic (``topics/{name}``). A subscription-scope subscription receives the events of every resource group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import SubscriptionError
from .events import CLOUD_EVENT_SCHEMA, EVENT_GRID_SCHEMA, event_type

_STRING_OPERATORS = {
    "StringIn",
    "StringNotIn",
    "StringBeginsWith",
    "StringNotBeginsWith",
    "StringEndsWith",
    "StringNotEndsWith",
    "StringContains",
    "StringNotContains",
}


@dataclass(frozen=True)
class AdvancedFilter:
    operator_type: str
    key: str
    values: tuple[str, ...]

    def matches(self, event: dict[str, Any]) -> bool:
        value = _lookup(event, self.key)
        if value is None:
            return self.operator_type.startswith("StringNot")
        text = str(value).lower()
        wanted = [v.lower() for v in self.values]
        op = self.operator_type
        if op in ("StringIn", "StringNotIn"):
            hit = text in wanted
        elif op in ("StringBeginsWith", "StringNotBeginsWith"):
            hit = any(text.startswith(v) for v in wanted)
        elif op in ("StringEndsWith", "StringNotEndsWith"):
            hit = any(text.endswith(v) for v in wanted)
        else:
            hit = any(v in text for v in wanted)
        return not hit if op.startswith("StringNot") else hit


@dataclass(frozen=True)
class EventFilter:
    included_event_types: tuple[str, ...] = ()
    subject_begins_with: str = ""
    subject_ends_with: str = ""
    is_subject_case_sensitive: bool = False
    advanced_filters: tuple[AdvancedFilter, ...] = ()

    def matches(self, event: dict[str, Any]) -> bool:
        if self.included_event_types and event_type(event).lower() not in {
            t.lower() for t in self.included_event_types
        }:
            return False
        subject = str(event.get("subject") or "")
        begins, ends = self.subject_begins_with, self.subject_ends_with
        if not self.is_subject_case_sensitive:
            subject, begins, ends = subject.lower(), begins.lower(), ends.lower()
        if not subject.startswith(begins) or not subject.endswith(ends):
            return False
        return all(f.matches(event) for f in self.advanced_filters)

    def to_dict(self) -> dict[str, Any]:
        return {
            "includedEventTypes": list(self.included_event_types) or None,
            "subjectBeginsWith": self.subject_begins_with,
            "subjectEndsWith": self.subject_ends_with,
            "isSubjectCaseSensitive": self.is_subject_case_sensitive,
            "advancedFilters": [
                {"operatorType": f.operator_type, "key": f.key, "values": list(f.values)}
                for f in self.advanced_filters
            ],
        }


@dataclass
class EventSubscription:
    name: str
    endpoint: str
    scope: str
    schema: str = EVENT_GRID_SCHEMA
    filter: EventFilter = field(default_factory=EventFilter)
    max_events_per_batch: int = 1
    max_delivery_attempts: int = 30
    event_ttl_minutes: int = 1440
    skip_validation: bool = False
    provisioning_state: str = "Creating"

    def receives(self, topic: str, event: dict[str, Any]) -> bool:
        scope = self.scope.rstrip("/").lower()
        topic = topic.rstrip("/").lower()
        # A resource event is published once per system topic it belongs to (subscription, resource group),
        # so exact topic equality gives subscription scope every resource group's events, once.
        return topic == scope and self.filter.matches(event)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scope": self.scope,
            "endpoint": self.endpoint,
            "schema": self.schema,
            "filter": self.filter.to_dict(),
            "maxEventsPerBatch": self.max_events_per_batch,
            "retryPolicy": {
                "maxDeliveryAttempts": self.max_delivery_attempts,
                "eventTimeToLiveInMinutes": self.event_ttl_minutes,
            },
            "provisioningState": self.provisioning_state,
        }


def subscription_from_body(body: Any, name: str | None = None, scope: str | None = None) -> EventSubscription:
    """Accept the admin shape (flat) or the ARM ``eventSubscriptions`` shape (``properties.destination``)."""
    if not isinstance(body, dict):
        raise SubscriptionError("The event subscription definition must be a JSON object.")
    props = body.get("properties") if isinstance(body.get("properties"), dict) else None
    if props is not None:
        destination = props.get("destination") or {}
        dest_props = destination.get("properties") or {}
        flat: dict[str, Any] = {
            "name": name or body.get("name"),
            "scope": scope,
            "endpoint": dest_props.get("endpointUrl"),
            "schema": props.get("eventDeliverySchema") or EVENT_GRID_SCHEMA,
            "filter": props.get("filter") or {},
            "maxEventsPerBatch": dest_props.get("maxEventsPerBatch") or 1,
            "retryPolicy": props.get("retryPolicy") or {},
        }
    else:
        flat = dict(body)
        if name:
            flat["name"] = name
    sub_name, endpoint, sub_scope = flat.get("name"), flat.get("endpoint"), flat.get("scope") or scope
    if not isinstance(sub_name, str) or not sub_name.strip():
        raise SubscriptionError("'name' is required.")
    if not isinstance(endpoint, str) or not endpoint.lower().startswith(("http://", "https://")):
        raise SubscriptionError("'endpoint' must be an http(s) URL.")
    if not isinstance(sub_scope, str) or not (
        sub_scope.lower().startswith("/subscriptions/") or sub_scope.lower().startswith("topics/")
    ):
        raise SubscriptionError("'scope' must be /subscriptions/{id}[/resourceGroups/{rg}] or topics/{name}.")
    schema = flat.get("schema") or EVENT_GRID_SCHEMA
    if schema not in (EVENT_GRID_SCHEMA, CLOUD_EVENT_SCHEMA):
        raise SubscriptionError(f"'schema' must be {EVENT_GRID_SCHEMA} or {CLOUD_EVENT_SCHEMA}.")
    retry = flat.get("retryPolicy") or {}
    batch = int(flat.get("maxEventsPerBatch") or 1)
    if not 1 <= batch <= 5000:
        raise SubscriptionError("'maxEventsPerBatch' must be between 1 and 5000.")
    return EventSubscription(
        name=sub_name,
        endpoint=endpoint,
        scope=sub_scope,
        schema=schema,
        filter=_filter_from(flat.get("filter") or {}),
        max_events_per_batch=batch,
        max_delivery_attempts=int(retry.get("maxDeliveryAttempts") or 30),
        event_ttl_minutes=int(retry.get("eventTimeToLiveInMinutes") or 1440),
        skip_validation=bool(flat.get("skipValidation", False)),
    )


def _filter_from(raw: dict[str, Any]) -> EventFilter:
    advanced: list[AdvancedFilter] = []
    for item in raw.get("advancedFilters") or []:
        op = item.get("operatorType")
        if op not in _STRING_OPERATORS:
            raise SubscriptionError(f"Unsupported advanced filter operatorType '{op}'.")
        values = item.get("values") or ([item["value"]] if "value" in item else [])
        advanced.append(AdvancedFilter(op, str(item.get("key", "")), tuple(str(v) for v in values)))
    return EventFilter(
        included_event_types=tuple(raw.get("includedEventTypes") or ()),
        subject_begins_with=str(raw.get("subjectBeginsWith") or ""),
        subject_ends_with=str(raw.get("subjectEndsWith") or ""),
        is_subject_case_sensitive=bool(raw.get("isSubjectCaseSensitive", False)),
        advanced_filters=tuple(advanced),
    )


def _lookup(event: dict[str, Any], key: str) -> Any:
    value: Any = event
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        match = next((k for k in value if k.lower() == part.lower()), None)
        value = value.get(match) if match is not None else None
    return value
