"""Restore request bodies (Microsoft.DataProtection) and their validators.

- Blob point-in-time (seed 003): whole account (``RestoreTargetInfo``) or up to 10 ranges
  (``ItemLevelRestoreTargetInfo`` + ``RangeBasedItemLevelRestoreCriteria``), source ``OperationalStore``.
- Recovery point (PostgreSQL): as files to a blob container (``RestoreFilesTargetInfo``) or as a
  database (``RestoreTargetInfo`` + secret store credentials), source ``VaultStore``.
- ``validate_restore_body`` wraps any of them as ``ValidateRestoreRequestObject``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from shared.arm.ids import ResourceId, parse_resource_id
from shared.errors import InvalidRequestError
from shared.services import dataprotection as dp

MAX_RANGES = 10
_CONTAINER = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_CONTAINER_BOUND = re.compile(r"^[a-z0-9][a-z0-9-]{0,64}$")


def validate_container_name(name: str, field: str = "container") -> str:
    """Azure rules: 3-63 chars, lower-case letters, digits and single hyphens, alphanumeric at both ends."""
    if not isinstance(name, str) or not _CONTAINER.match(name) or name == "$root":
        raise InvalidRequestError(
            field,
            f"{name!r} is not a valid container name (3-63 lower-case letters, digits and single hyphens, "
            "starting and ending with a letter or digit)",
        )
    return name


def _split(value: str) -> tuple[str, str]:
    container, _, prefix = value.partition("/")
    return container, prefix


def validate_ranges(ranges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """1-10 ranges ``(min, max)``, each ``container[/blobPrefix]``, min < max, valid container names."""
    if not isinstance(ranges, list) or not ranges:
        raise InvalidRequestError("ranges", "at least one range is required (or restore the whole account)")
    if len(ranges) > MAX_RANGES:
        raise InvalidRequestError("ranges", f"at most {MAX_RANGES} ranges are allowed, got {len(ranges)}")
    for i, item in enumerate(ranges):
        if not (isinstance(item, tuple | list) and len(item) == 2 and all(isinstance(v, str) for v in item)):
            raise InvalidRequestError(f"ranges[{i}]", "a range is a pair of strings (min, max)")
        low, high = item
        low_container, _ = _split(low)
        validate_container_name(low_container, f"ranges[{i}].min")
        high_container, _ = _split(high)
        if not _CONTAINER_BOUND.match(high_container):
            raise InvalidRequestError(
                f"ranges[{i}].max", f"{high!r} does not start with a valid container name"
            )
        if not low < high:
            raise InvalidRequestError(f"ranges[{i}]", f"min {low!r} must sort before max {high!r}")
    return [(a, b) for a, b in ranges]


def container_range(container: str) -> tuple[str, str]:
    """The range covering exactly one whole container (as the Azure tools build it)."""
    validate_container_name(container)
    return container, container + "-0"


def parse_point_in_time(value: str, field: str = "pointInTime", *, now: datetime | None = None) -> str:
    """ISO 8601 instant -> ``YYYY-MM-DDTHH:MM:SS.fffffffZ``; must have a timezone and not be in the future.

    ``now`` is the service's clock when known (e.g. the end of the latest restorable range); default: ours.
    """
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(field, "an ISO 8601 timestamp is required")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidRequestError(field, f"{value!r} is not an ISO 8601 timestamp") from exc
    if when.tzinfo is None:
        raise InvalidRequestError(field, "the timestamp needs a timezone (e.g. Z)")
    try:
        when = when.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:30:00-01:00 is past the last representable instant
        raise InvalidRequestError(field, f"{value!r} is outside the representable range") from None
    if when.year < 1970:
        raise InvalidRequestError(field, "the restore point is before 1970")
    if when > (now or datetime.now(UTC)):
        raise InvalidRequestError(field, "the restore point is in the future")
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond:06d}0Z"


def blob_point_in_time_restore(
    *,
    datasource_id: str | ResourceId,
    location: str,
    point_in_time: str,
    ranges: list[tuple[str, str]] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """``AzureBackupRecoveryTimeBasedRestoreRequest`` to the same storage account (original location)."""
    info = dp.datasource_info(
        datasource_id, datasource_type="Microsoft.Storage/storageAccounts/blobServices", location=location
    )
    target: dict[str, Any] = {
        "objectType": "RestoreTargetInfo",
        "recoveryOption": "FailIfExists",
        "restoreLocation": location,
    }
    if ranges:
        checked = validate_ranges(ranges)
        target["objectType"] = "ItemLevelRestoreTargetInfo"
        target["restoreCriteria"] = [
            {"objectType": "RangeBasedItemLevelRestoreCriteria", "minMatchingValue": a, "maxMatchingValue": b}
            for a, b in checked
        ]
    target["datasourceInfo"] = info
    return {
        "objectType": "AzureBackupRecoveryTimeBasedRestoreRequest",
        "restoreTargetInfo": target,
        "sourceDataStoreType": "OperationalStore",
        "recoveryPointTime": parse_point_in_time(point_in_time, now=now),
    }


def _recovery_point_id(value: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,200}", value):
        raise InvalidRequestError(
            "recoveryPointId", "a recovery point id is 1-200 letters, digits, '-', '_' or '.'"
        )
    return value


def restore_as_files(
    *,
    source_datasource_id: str | ResourceId,
    recovery_point_id: str,
    restore_location: str,
    container_url: str,
    file_prefix: str,
    target_container_id: str | None = None,
) -> dict[str, Any]:
    """``AzureBackupRecoveryPointBasedRestoreRequest`` + ``RestoreFilesTargetInfo`` (files in a container)."""
    src = (
        source_datasource_id
        if isinstance(source_datasource_id, ResourceId)
        else parse_resource_id(source_datasource_id)
    )
    parts = urlsplit(container_url) if isinstance(container_url, str) else None
    if (
        parts is None
        or parts.scheme != "https"
        or not parts.hostname
        or parts.path.strip("/").count("/") != 0
    ):
        raise InvalidRequestError("containerUrl", "must be https://{account}.blob.../{container}")
    if parts.query or parts.username:
        raise InvalidRequestError("containerUrl", "must not carry a query (SAS) or credentials")
    validate_container_name(parts.path.strip("/"), "containerUrl")
    if not isinstance(file_prefix, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,200}", file_prefix):
        raise InvalidRequestError("filePrefix", "1-200 letters, digits, '-', '_' or '.'")
    details: dict[str, Any] = {
        "filePrefix": file_prefix,
        "restoreTargetLocationType": "AzureBlobs",
        "url": container_url,
    }
    if target_container_id:
        details["targetResourceArmId"] = parse_resource_id(target_container_id).canonical()
    return {
        "objectType": "AzureBackupRecoveryPointBasedRestoreRequest",
        "recoveryPointId": _recovery_point_id(recovery_point_id),
        "restoreTargetInfo": {
            "objectType": "RestoreFilesTargetInfo",
            "recoveryOption": "FailIfExists",
            "restoreLocation": restore_location,
            "targetDetails": details,
        },
        "sourceDataStoreType": "VaultStore",
        "sourceResourceId": src.canonical(),
    }


def restore_as_database(
    *,
    source_datasource_id: str | ResourceId,
    recovery_point_id: str,
    restore_location: str,
    target_database_id: str | ResourceId,
    secret_uri: str,
) -> dict[str, Any]:
    """Single-server PostgreSQL: restore a recovery point as a (new) database on a server."""
    src = (
        source_datasource_id
        if isinstance(source_datasource_id, ResourceId)
        else parse_resource_id(source_datasource_id)
    )
    target = (
        target_database_id
        if isinstance(target_database_id, ResourceId)
        else parse_resource_id(target_database_id)
    )
    server = target.parent
    if server is None or target.type.lower() != "microsoft.dbforpostgresql/servers/databases":
        raise InvalidRequestError(
            "targetDatabaseId", "must be a Microsoft.DBforPostgreSQL/servers/databases id"
        )
    dtype = "Microsoft.DBforPostgreSQL/servers/databases"
    return {
        "objectType": "AzureBackupRecoveryPointBasedRestoreRequest",
        "recoveryPointId": _recovery_point_id(recovery_point_id),
        "restoreTargetInfo": {
            "objectType": "RestoreTargetInfo",
            "recoveryOption": "FailIfExists",
            "restoreLocation": restore_location,
            "datasourceAuthCredentials": dp.secret_store_credentials(secret_uri),
            "datasourceInfo": dp.datasource_info(target, datasource_type=dtype, location=restore_location),
            "datasourceSetInfo": dp.datasource_info(
                server, datasource_type=dtype, location=restore_location, object_type="DatasourceSet"
            ),
        },
        "sourceDataStoreType": "VaultStore",
        "sourceResourceId": src.canonical(),
    }


def validate_restore_body(restore_request: dict[str, Any]) -> dict[str, Any]:
    """``ValidateRestoreRequestObject``: the restore request wrapped as ``restoreRequestObject``."""
    return {"restoreRequestObject": restore_request}


def find_restorable_time_ranges_body(
    start_time: str | None = None, end_time: str | None = None
) -> dict[str, Any]:
    return {
        "sourceDataStoreType": "OperationalStore",
        "startTime": start_time or "",
        "endTime": end_time or "",
    }
