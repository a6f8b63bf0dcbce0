"""Outcome events: CloudEvents 1.0 published to an Event Grid topic (azure-eventgrid), secrets scrubbed."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from azure.core.messaging import CloudEvent

from shared.config import Settings
from shared.lifecycle.status import BACKUP, LifecycleStatus
from shared.protection.messages import OutcomeKind, ProtectionOutcome
from shared.restore.status import RestoreStatus

log = logging.getLogger("backup_autopilot.events")

EVENT_SOURCE = "/backup-autopilot"
PROTECTION_EVENT_TYPES: dict[OutcomeKind, str] = {
    OutcomeKind.PROTECTED: "BackupAutopilot.Protection.Protected",
    OutcomeKind.ALREADY_PROTECTED: "BackupAutopilot.Protection.AlreadyProtected",
    OutcomeKind.DRIFT: "BackupAutopilot.Protection.Drift",
    OutcomeKind.ORPHANED: "BackupAutopilot.Protection.Orphaned",
    OutcomeKind.SKIPPED: "BackupAutopilot.Protection.Skipped",
    OutcomeKind.FAILED: "BackupAutopilot.Protection.Failed",
    OutcomeKind.DRY_RUN: "BackupAutopilot.Protection.DryRun",
}
RESTORE_SUCCEEDED = "BackupAutopilot.Restore.Succeeded"
RESTORE_FAILED = "BackupAutopilot.Restore.Failed"
SWEEP_COMPLETED = "BackupAutopilot.Sweep.Completed"
BACKUP_SUCCEEDED = "BackupAutopilot.Backup.Succeeded"
BACKUP_FAILED = "BackupAutopilot.Backup.Failed"
PROTECTION_CHANGE_SUCCEEDED = "BackupAutopilot.ProtectionChange.Succeeded"
PROTECTION_CHANGE_FAILED = "BackupAutopilot.ProtectionChange.Failed"

_SECRET_KEY = re.compile(r"secret|password|passwd|token|key|sig|credential|authorization", re.IGNORECASE)
_SECRET_QUERY = re.compile(rf"{_SECRET_KEY.pattern}|^code$", re.IGNORECASE)  # code=: a Functions key in a URL
_ALLOWED_KEYS = frozenset({"secreturi", "secret_uri", "keyvaultid", "key_vault_id"})  # references, not values
_URL = re.compile(r"https?://[^\s\"'<>]+")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
REDACTED = "***"
_EVENT_NAMESPACE = uuid.UUID("0b3f5c2d-7a41-4e8e-b9a6-3d2c1e0f9a84")  # fixed: event ids must stay stable


def _scrub_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query and not parts.password:
        return url
    query = [
        (k, REDACTED if _SECRET_QUERY.search(k) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*"), parts.fragment))


def scrub(value: Any) -> Any:
    """Deep copy with secret-looking keys redacted and secret query parameters removed from URLs."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k)
            if (
                _SECRET_KEY.search(key)
                and key.lower() not in _ALLOWED_KEYS
                and not isinstance(v, Mapping | list)
            ):
                out[key] = REDACTED if v not in (None, "") else v
            else:
                out[key] = scrub(v)
        return out
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        text = _BEARER.sub("Bearer " + REDACTED, value)
        return _URL.sub(lambda m: _scrub_url(m.group(0)), text)
    return value


def event_id(*parts: object) -> str:
    """A stable CloudEvent id: an activity runs at least once, so an outcome may be published twice (after a
    crash); the same outcome always has the same id, and subscribers deduplicate by it (CloudEvents: source +
    id identify an event)."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, "|".join(str(p) for p in parts)))


def protection_event(outcome: ProtectionOutcome) -> CloudEvent:
    return CloudEvent(
        id=event_id("protection", outcome.datasource_id.lower(), outcome.started_at, outcome.kind.value),
        source=EVENT_SOURCE,
        type=PROTECTION_EVENT_TYPES[outcome.kind],
        subject=outcome.datasource_id,
        data=scrub(outcome.to_json()),
        datacontenttype="application/json",
    )


def restore_event(status: RestoreStatus) -> CloudEvent:
    succeeded = status.phase in ("succeeded", "succeeded_with_warnings")
    return CloudEvent(
        id=event_id("restore", status.restore_id or status.backup_instance_id, status.phase),
        source=EVENT_SOURCE,
        type=RESTORE_SUCCEEDED if succeeded else RESTORE_FAILED,
        subject=status.backup_instance_id,
        data=scrub(status.to_json()),
        datacontenttype="application/json",
    )


def lifecycle_event(status: LifecycleStatus) -> CloudEvent:
    """A backup now (``BackupAutopilot.Backup.*``) or protection change (``...ProtectionChange.*``) ended."""
    succeeded = status.phase == "succeeded"
    if status.operation == BACKUP:
        kind = BACKUP_SUCCEEDED if succeeded else BACKUP_FAILED
    else:
        kind = PROTECTION_CHANGE_SUCCEEDED if succeeded else PROTECTION_CHANGE_FAILED
    return CloudEvent(
        id=event_id("lifecycle", status.id, status.phase),
        source=EVENT_SOURCE,
        type=kind,
        subject=status.backup_instance_id,
        data=scrub(status.to_json()),
        datacontenttype="application/json",
    )


def sweep_event(sweep_id: str, summary: dict[str, Any]) -> CloudEvent:
    """``BackupAutopilot.Sweep.Completed`` with the counts (the report is addressed by the sweep id)."""
    return CloudEvent(
        id=event_id("sweep", sweep_id),
        source=EVENT_SOURCE,
        type=SWEEP_COMPLETED,
        subject=f"/sweeps/{sweep_id}",
        data=scrub({"sweepId": sweep_id, **summary}),
        datacontenttype="application/json",
    )


def cloud_event_to_dict(event: CloudEvent) -> dict[str, Any]:
    """The CloudEvents 1.0 JSON structure of an event (for logs, tests and the no-op publisher)."""
    out: dict[str, Any] = {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "time": event.time.isoformat() if event.time else None,
    }
    if event.subject:
        out["subject"] = event.subject
    if event.datacontenttype:
        out["datacontenttype"] = event.datacontenttype
    out["data"] = event.data
    return out


class EventPublisher(Protocol):
    async def publish(self, events: list[CloudEvent]) -> None: ...

    async def close(self) -> None: ...


class EventGridPublisher:
    """Publishes to an Event Grid topic with ``EventGridPublisherClient`` + ``AzureKeyCredential``."""

    def __init__(self, endpoint: str, key: str, *, transport: Any = None) -> None:
        from azure.core.credentials import AzureKeyCredential
        from azure.eventgrid.aio import EventGridPublisherClient

        kwargs: dict[str, Any] = {}
        if transport is not None:
            kwargs["transport"] = transport
        self._client = EventGridPublisherClient(endpoint, AzureKeyCredential(key), **kwargs)

    async def publish(self, events: list[CloudEvent]) -> None:
        if events:
            await self._client.send(events)

    async def close(self) -> None:
        await self._client.close()


class LogPublisher:
    """Used when no topic is configured: logs the events and keeps them (``sent``) for inspection."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def publish(self, events: list[CloudEvent]) -> None:
        for event in events:
            data = cloud_event_to_dict(event)
            self.sent.append(data)
            log.info("event %s subject=%s (no topic configured)", data["type"], data.get("subject"))

    async def close(self) -> None:
        return None


def make_publisher(settings: Settings) -> EventPublisher:
    if settings.eventgrid_topic_endpoint and settings.eventgrid_topic_key:
        return EventGridPublisher(settings.eventgrid_topic_endpoint, settings.eventgrid_topic_key)
    return LogPublisher()
