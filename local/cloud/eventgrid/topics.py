"""Custom topics the app publishes to: access keys, SAS checks, and a readable, waitable event log."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from .errors import UnauthorizedError
from .events import event_type

DEFAULT_TOPIC = "backup-autopilot"
DEFAULT_TOPIC_KEY = "local-topic-key"


@dataclass
class StoredEvent:
    sequence: int
    schema: str  # "EventGridSchema" or "CloudEventSchemaV1_0" (as published)
    event: dict[str, Any]
    received: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "schema": self.schema,
            "received": self.received,
            "event": self.event,
        }


@dataclass
class Topic:
    name: str
    keys: list[str]
    events: list[StoredEvent] = field(default_factory=list)
    _changed: asyncio.Event | None = None

    def authorize(self, headers: dict[str, str]) -> None:
        """``aeg-sas-key``, ``aeg-sas-token`` or ``Authorization: SharedAccessSignature ...``; else 401."""
        key = headers.get("aeg-sas-key")
        if key is not None:
            if any(hmac.compare_digest(key, k) for k in self.keys):
                return
            raise self._unauthorized("The key provided is invalid")
        token = headers.get("aeg-sas-token")
        auth = headers.get("authorization", "")
        if token is None and auth.lower().startswith("sharedaccesssignature "):
            token = auth.split(" ", 1)[1]
        if token is None:
            raise self._unauthorized("The request is missing the aeg-sas-key or aeg-sas-token header")
        self._check_token(token)

    def _check_token(self, token: str) -> None:
        fields = {k: v[0] for k, v in parse_qs(token, keep_blank_values=True).items()}
        resource, expiry, signature = fields.get("r"), fields.get("e"), fields.get("s")
        if not resource or not expiry or not signature:
            raise self._unauthorized("The SAS token is malformed")
        unsigned = token.rsplit("&s=", 1)[0]
        if not any(hmac.compare_digest(_sign(k, unsigned), signature) for k in self.keys):
            raise self._unauthorized("The SAS token signature is invalid")
        try:
            when = _parse_expiry(unquote(expiry))
        except ValueError as exc:
            raise self._unauthorized("The SAS token expiry is invalid") from exc
        if when < datetime.now(UTC):
            raise self._unauthorized("The SAS token has expired")

    def _unauthorized(self, reason: str) -> UnauthorizedError:
        return UnauthorizedError(
            f"The request authorization key is not authorized for {self.name.upper()}. "
            f"This is due to the reason: {reason}. Report '{datetime.now(UTC).isoformat()}' to our forums."
        )

    def append(self, schema: str, events: list[dict[str, Any]]) -> None:
        now = datetime.now(UTC).isoformat()
        for event in events:
            self.events.append(StoredEvent(len(self.events) + 1, schema, event, now))
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def read(self, since: int = 0, type_filter: str | None = None) -> list[StoredEvent]:
        wanted = type_filter.lower() if type_filter else None
        return [e for e in self.events[since:] if wanted is None or event_type(e.event).lower() == wanted]

    async def wait_for(self, since: int, type_filter: str | None, wait_seconds: float) -> list[StoredEvent]:
        """Long poll: matching events after ``since`` as soon as there are any, or [] after the wait."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while True:
            found = self.read(since, type_filter)
            left = deadline - loop.time()
            if found or left <= 0:
                return found
            if self._changed is None:
                self._changed = asyncio.Event()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=left)
            except TimeoutError:
                return self.read(since, type_filter)


def _sign(key: str, message: str) -> str:
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raw = key.encode()
    digest = hmac.new(raw, message.encode("ascii"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _parse_expiry(text: str) -> datetime:
    for parse in (datetime.fromisoformat, parsedate_to_datetime):
        try:
            when = parse(text)
            return when if when.tzinfo else when.replace(tzinfo=UTC)
        except (ValueError, TypeError):
            continue
    # azure-eventgrid writes str(datetime), "2030-01-01 00:00:00+00:00": fromisoformat reads it
    raise ValueError(text)
