"""Messages and results that cross queue / orchestration / activity boundaries, as plain data.

Every model has ``to_dict`` / ``from_dict``; ``from_dict`` validates and raises ``InvalidRequestError``
naming the field, so a malformed queue message or HTTP body is a clear error, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from shared.arm.ids import parse_resource_id
from shared.errors import BackupAutopilotError, InvalidRequestError
from shared.restore.bodies import MAX_RANGES, validate_ranges


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise InvalidRequestError(what, f"not valid JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise InvalidRequestError(what, "must be a JSON object")
    return data


def _str(data: Mapping[str, Any], key: str, *, required: bool = True, max_len: int = 2048) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise InvalidRequestError(key, "is required")
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(key, "must be a string")
    if len(value) > max_len:
        raise InvalidRequestError(key, f"longer than {max_len} characters")
    return value


def _bool(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise InvalidRequestError(key, "must be true or false")
    return value


@dataclass(frozen=True)
class ProtectionRequest:
    """The queue message: protect this datasource."""

    datasource_id: str
    resource_type: str
    source_event_id: str | None = None
    correlation_id: str | None = None
    requested_at: str = field(default_factory=_now)
    dry_run: bool = False
    origin: str = "event"  # event | sweep | manual

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
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
        if origin not in ("event", "sweep", "manual"):
            raise InvalidRequestError("origin", "must be event, sweep or manual")
        return cls(
            datasource_id=rid.canonical(),
            resource_type=rid.type,
            source_event_id=_str(d, "source_event_id", required=False, max_len=200),
            correlation_id=_str(d, "correlation_id", required=False, max_len=200),
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
    SKIPPED = "skipped"
    FAILED = "failed"
    DRY_RUN = "dry_run"


@dataclass(frozen=True)
class ProtectionOutcome:
    kind: OutcomeKind
    datasource_id: str
    reason: str = ""
    error: dict[str, Any] | None = None  # ArmError.to_dict() / other error to_dict()
    backup_instance_id: str | None = None
    vault_id: str | None = None
    policy_id: str | None = None
    rule: str | None = None
    roles_granted: list[dict[str, str]] = field(default_factory=list)
    correlation_id: str | None = None
    started_at: str | None = None
    finished_at: str = field(default_factory=_now)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = self.kind.value
        return out

    @classmethod
    def from_dict(cls, data: Any) -> ProtectionOutcome:
        d = dict(_mapping(data, "outcome"))
        try:
            d["kind"] = OutcomeKind(str(d.get("kind")))
        except ValueError:
            raise InvalidRequestError("kind", f"unknown outcome kind {d.get('kind')!r}") from None
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        if not isinstance(known.get("datasource_id"), str):
            raise InvalidRequestError("datasource_id", "is required")
        return cls(**known)

    @classmethod
    def failed(cls, datasource_id: str, error: BackupAutopilotError, **kw: Any) -> ProtectionOutcome:
        return cls(OutcomeKind.FAILED, datasource_id, reason=error.message, error=error.to_dict(), **kw)


class RestoreKind(StrEnum):
    BLOB_POINT_IN_TIME = "blob_point_in_time"
    RECOVERY_POINT_FILES = "recovery_point_files"
    RECOVERY_POINT_DATABASE = "recovery_point_database"


@dataclass(frozen=True)
class RestoreRequest:
    """The HTTP body of ``POST /api/restores`` (validated; builds nothing by itself)."""

    kind: RestoreKind
    backup_instance_id: str
    point_in_time: str | None = None
    ranges: list[tuple[str, str]] | None = None  # blob: None = whole account
    confirm_whole_account: bool = False
    recovery_point_id: str | None = None
    container_url: str | None = None
    file_prefix: str | None = None
    target_database_id: str | None = None
    secret_uri: str | None = None
    correlation_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = self.kind.value
        out["ranges"] = [list(r) for r in self.ranges] if self.ranges else None
        return out

    @classmethod
    def from_dict(cls, data: Any) -> RestoreRequest:
        d = _mapping(data, "body")
        try:
            kind = RestoreKind(str(d.get("kind")))
        except ValueError:
            allowed = ", ".join(k.value for k in RestoreKind)
            raise InvalidRequestError("kind", f"must be one of {allowed}") from None
        bi = _str(d, "backup_instance_id")
        assert bi is not None
        parse_resource_id(bi)
        ranges: list[tuple[str, str]] | None = None
        if kind is RestoreKind.BLOB_POINT_IN_TIME:
            _str(d, "point_in_time")
            raw = d.get("ranges")
            if raw is not None:
                if not isinstance(raw, list) or len(raw) > MAX_RANGES:
                    raise InvalidRequestError("ranges", f"a list of at most {MAX_RANGES} [min, max] pairs")
                pairs = []
                for i, r in enumerate(raw):
                    if isinstance(r, Mapping):
                        r = [r.get("min"), r.get("max")]
                    if not (isinstance(r, list) and len(r) == 2 and all(isinstance(x, str) for x in r)):
                        raise InvalidRequestError(f"ranges[{i}]", "must be [min, max] or {min, max}")
                    pairs.append((r[0], r[1]))
                ranges = validate_ranges(pairs)
            elif not _bool(d, "confirm_whole_account"):
                raise InvalidRequestError(
                    "confirm_whole_account", "restoring a whole account needs confirm_whole_account: true"
                )
        elif kind is RestoreKind.RECOVERY_POINT_FILES:
            for key in ("recovery_point_id", "container_url", "file_prefix"):
                _str(d, key)
        else:
            for key in ("recovery_point_id", "target_database_id", "secret_uri"):
                _str(d, key)
        return cls(
            kind=kind,
            backup_instance_id=bi,
            point_in_time=_str(d, "point_in_time", required=False, max_len=64),
            ranges=ranges,
            confirm_whole_account=_bool(d, "confirm_whole_account"),
            recovery_point_id=_str(d, "recovery_point_id", required=False, max_len=200),
            container_url=_str(d, "container_url", required=False),
            file_prefix=_str(d, "file_prefix", required=False, max_len=200),
            target_database_id=_str(d, "target_database_id", required=False),
            secret_uri=_str(d, "secret_uri", required=False),
            correlation_id=_str(d, "correlation_id", required=False, max_len=200),
        )


@dataclass(frozen=True)
class RestoreStatus:
    """Where a restore stands, as reported by the restore orchestration."""

    backup_instance_id: str
    phase: str  # validating | restoring | tracking | succeeded | succeeded_with_warnings | failed | cancelled
    job_id: str | None = None
    job_status: str | None = None
    error: dict[str, Any] | None = None
    updated_at: str = field(default_factory=_now)
    # Details for completion events (all optional; the restore API fills them).
    restore_id: str | None = None
    kind: str | None = None
    datasource_id: str | None = None
    restore_point: dict[str, Any] | None = None  # {"pointInTime": ...} or {"recoveryPointId": ...}
    destination: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> RestoreStatus:
        d = _mapping(data, "status")
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        if not isinstance(known.get("backup_instance_id"), str) or not isinstance(known.get("phase"), str):
            raise InvalidRequestError("status", "backup_instance_id and phase are required")
        return cls(**known)
