"""What crosses the protection pipeline's boundaries: the queue message, the orchestration input, the outcome.

Every one is a :class:`~shared.records.Record` (typed across Durable boundaries).
``ProtectionRequest.from_dict`` is also the validating parser of an untrusted queue message: it raises
``InvalidRequestError`` naming the field, so a malformed message is a clear error, never a crash. Whatever
it accepts can be carried to the end: every text is well-formed Unicode without control characters (a lone
surrogate cannot be encoded into a URL, a header or a log line), and the correlation id, which travels as
the ``x-ms-correlation-request-id`` header, is printable ASCII. :func:`check_text` is that rule, shared with
the Event Grid decision (:mod:`shared.protection.resource_events`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from shared.arm.ids import parse_resource_id
from shared.errors import BackupAutopilotError, InvalidRequestError
from shared.records import Record

ORIGINS = ("event", "delete", "sweep", "manual")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads pairs valid escapes; what is left is lone
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_HEADER_TOKEN = re.compile(r"[\x21-\x7e]+")


def check_text(value: str, field: str, *, max_len: int = 2048, header: bool = False) -> str:
    """``value`` if it is text that can go anywhere (URL, header, log, JSON); else ``InvalidRequestError``.

    ``header``: it will be sent as an HTTP header value, so printable ASCII without spaces only.
    """
    if len(value) > max_len:
        raise InvalidRequestError(field, f"longer than {max_len} characters")
    if _LONE_SURROGATE.search(value):
        raise InvalidRequestError(field, "is not well-formed Unicode text (it holds a lone surrogate)")
    if _CONTROL.search(value):
        raise InvalidRequestError(field, "contains control characters")
    if header and not _HEADER_TOKEN.fullmatch(value):
        raise InvalidRequestError(
            field, "must be printable ASCII without spaces (it is sent as an HTTP header)"
        )
    return value


def printable(value: object, limit: int = 200) -> str:
    """``value`` cut to ``limit`` characters, lone surrogates and control characters escaped: safe to log."""
    text = (value if isinstance(value, str) else repr(value))[:limit]
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def parse_json(data: str | bytes, what: str) -> Any:
    """``json.loads`` whose every failure (bad JSON, bad UTF-8, a document nested too deeply for the parser,
    a number too long) is an ``InvalidRequestError`` naming ``what``."""
    try:
        return json.loads(data)
    except RecursionError:
        raise InvalidRequestError(what, "nested too deeply to be read") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, the int digits limit
        raise InvalidRequestError(what, f"not valid JSON: {printable(str(exc))}") from None


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if isinstance(data, str | bytes):
        data = parse_json(data, what)
    if not isinstance(data, Mapping):
        raise InvalidRequestError(what, "must be a JSON object")
    return data


def _str(
    data: Mapping[str, Any], key: str, *, required: bool = True, max_len: int = 2048, header: bool = False
) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise InvalidRequestError(key, "is required")
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(key, "must be a string")
    return check_text(value, key, max_len=max_len, header=header)


def _bool(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise InvalidRequestError(key, "must be true or false")
    return value


@dataclass(frozen=True)
class ProtectionRequest(Record):
    """The queue message: protect this datasource."""

    datasource_id: str
    resource_type: str
    source_event_id: str | None = None
    correlation_id: str | None = None
    requested_at: str = field(default_factory=_now)
    dry_run: bool = False
    origin: str = "event"  # event (a write) | delete (the resource was deleted) | sweep | manual

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_message(self) -> str:
        """The queue message text."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any) -> ProtectionRequest:
        d = _mapping(data, "message")
        datasource_id = _str(d, "datasource_id")
        assert datasource_id is not None
        rid = parse_resource_id(datasource_id)
        resource_type = _str(d, "resource_type", required=False) or rid.type
        if resource_type.lower() != rid.type.lower():
            raise InvalidRequestError(
                "resource_type", f"{resource_type} does not match the id's type {rid.type}"
            )
        origin = _str(d, "origin", required=False) or "event"
        if origin not in ORIGINS:
            raise InvalidRequestError("origin", "must be " + ", ".join(ORIGINS))
        return cls(
            datasource_id=rid.canonical(),
            resource_type=rid.type,
            source_event_id=_str(d, "source_event_id", required=False, max_len=200),
            correlation_id=_str(d, "correlation_id", required=False, max_len=200, header=True),
            requested_at=_str(d, "requested_at", required=False, max_len=64) or _now(),
            dry_run=_bool(d, "dry_run"),
            origin=origin,
        )

    def instance_id(self) -> str:
        """Deterministic orchestration instance id for this datasource (idempotent start)."""
        from shared.services.dataprotection import backup_instance_name

        return "protect-" + backup_instance_name(self.datasource_id)[-36:]


class OutcomeKind(StrEnum):
    PROTECTED = "protected"
    ALREADY_PROTECTED = "already_protected"
    DRIFT = "drift"  # already protected, but in another vault or policy than the rule names (never moved)
    UNCHANGED = "unchanged"  # a re-check found the protection as it was: nothing done, nothing published
    ORPHANED = "orphaned"  # the datasource was deleted; its backup instance keeps the data (never deleted)
    SKIPPED = "skipped"
    FAILED = "failed"
    DRY_RUN = "dry_run"


@dataclass(frozen=True)
class ProtectionOptions(Record):
    """The settings a protection orchestration needs: read by the trigger, carried in the input."""

    grant_roles: bool = False
    role_propagation_seconds: float = 60.0
    dry_run: bool = False
    stop_orphans: bool = False  # a deleted datasource's backup instance: stop protection, retain the data
    first_backup: bool = False  # back up right after protecting (vault tier): a proven recovery point


@dataclass(frozen=True)
class ProtectionStart(Record):
    """The input of ``protect_datasource``."""

    request: ProtectionRequest
    options: ProtectionOptions
    # The backup instance an earlier, settled protection left: a write event re-checks it (one read) and
    # protects again only when it is gone or no longer configured.
    known_backup_instance_id: str | None = None


@dataclass(frozen=True)
class ProtectionOutcome(Record):
    """How a protection ended: the orchestration's output and the published event's data."""

    kind: OutcomeKind
    datasource_id: str
    reason: str = ""
    error: BackupAutopilotError | None = None
    backup_instance_id: str | None = None
    vault_id: str | None = None
    policy_id: str | None = None
    rule: str | None = None
    roles_granted: list[dict[str, str]] = field(default_factory=list)
    correlation_id: str | None = None
    started_at: str | None = None
    finished_at: str = field(default_factory=_now)
    first_recovery_point: dict[str, Any] | None = None  # PROTECTION_FIRST_BACKUP: {id, time, jobId}


# -- activity inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadRequest(Record):
    """GET one resource (the datasource, its parent, the vault or the backup instance)."""

    resource_id: str
    api_version: str
    correlation_id: str | None = None


@dataclass(frozen=True)
class BackupInstanceRequest(Record):
    """validateForBackup (``name`` unused) or the backup-instance PUT of a planned protection."""

    vault_id: str
    instance: dict[str, Any]
    name: str = ""
    correlation_id: str | None = None


@dataclass(frozen=True)
class RoleGrant(Record):
    scope_id: str
    role_name: str
    role_definition_guid: str
    principal_id: str
    correlation_id: str | None = None
