"""The bodies of ``POST /api/backups`` and ``POST /api/protection-changes``: parsed, or refused (the field).

Structure is checked against ``backup.schema.json`` / ``change.schema.json`` (the schemas the OpenAPI document
serves); the code checks the ids. The confirmation a delete needs is compared with the datasource once the
backup instance is known (:func:`check_confirmation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.arm.ids import parse_resource_id
from shared.errors import InvalidRequestError
from shared.lifecycle.changes import Change
from shared.parsing import parse_instant
from shared.schemas import validated_request
from shared.services import dataprotection as dp

BACKUP_SCHEMA_PATH = Path(__file__).with_name("backup.schema.json")
CHANGE_SCHEMA_PATH = Path(__file__).with_name("change.schema.json")


@dataclass(frozen=True)
class BackupSubmission:
    resource_id: str | None
    backup_instance_id: str | None
    retention_tag: str | None = None
    correlation_id: str | None = None
    retain_until: datetime | None = None


@dataclass(frozen=True)
class ChangeSubmission:
    change: Change
    resource_id: str | None
    backup_instance_id: str | None
    confirm_datasource_id: str | None = None
    correlation_id: str | None = None


def parse_backup(body: Any) -> BackupSubmission:
    data = validated_request(BACKUP_SCHEMA_PATH, body)
    resource_id, instance_id = dp.instance_reference(data)
    retain_until = None
    if data.get("retainUntil") is not None:
        retain_until = parse_instant(data["retainUntil"])
        if retain_until is None:
            raise InvalidRequestError("retainUntil", "must be a UTC date-time, e.g. 2026-03-07T18:30:00Z")
    return BackupSubmission(
        resource_id, instance_id, data.get("retentionTag"), data.get("correlationId"), retain_until
    )


def parse_change(body: Any) -> ChangeSubmission:
    data = validated_request(CHANGE_SCHEMA_PATH, body, first=("change",))
    resource_id, instance_id = dp.instance_reference(data)
    confirm = data.get("confirmDatasourceId")
    return ChangeSubmission(
        Change(data["change"]),
        resource_id,
        instance_id,
        parse_resource_id(confirm).canonical() if confirm is not None else None,
        data.get("correlationId"),
    )


def check_confirmation(submission: ChangeSubmission, datasource_id: str) -> None:
    """A delete goes ahead only when ``confirmDatasourceId`` names the datasource whose data it deletes."""
    if submission.change is not Change.DELETE:
        return
    confirmed = submission.confirm_datasource_id or ""
    if confirmed.lower() != parse_resource_id(datasource_id).canonical().lower():
        raise InvalidRequestError(
            "confirmDatasourceId",
            f"must be the id of the datasource whose backup data is deleted ({datasource_id})",
        )
