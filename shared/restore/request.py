"""The restore HTTP API's request: parsing, the checks that need no Azure, and the ARM restore body.

``parse_submission`` turns the JSON body of ``POST /api/restores`` into a :class:`RestoreSubmission` or raises
``InvalidRequestError`` naming the field. The body's structure is checked against ``request.schema.json``
(the schema the OpenAPI document serves: one source of truth); the code checks only what a schema cannot
(ids, names, instants, a URL that agrees with its container id). ``check_scopes`` refuses targets outside
``RESTORE_ALLOWED_SCOPES``. ``check_point_in_time`` refuses a time outside the restorable ranges (listing
them). ``restore_body`` builds the DataProtection request once the backup instance is known. Every refusal
is a :class:`RequestRefusedError` (or ``InvalidRequestError``) that the HTTP layer turns into problem details.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shared import scopes
from shared.arm.ids import parse_resource_id
from shared.errors import InvalidRequestError, NotPossibleError
from shared.parsing import parse_flag
from shared.restore import bodies as restores
from shared.schemas import validated_request
from shared.services import dataprotection as dp
from shared.services import recoveryservices as rs

BLOB_DATASOURCE_TYPE = "Microsoft.Storage/storageAccounts/blobServices"
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
SCHEMA_PATH = Path(__file__).with_name("request.schema.json")


class RestoreKind(StrEnum):
    BLOB_POINT_IN_TIME = "blobPointInTime"
    RECOVERY_POINT_AS_FILES = "recoveryPointAsFiles"
    RECOVERY_POINT_AS_DATABASE = "recoveryPointAsDatabase"
    RECOVERY_POINT_BLOB_CONTAINERS = "recoveryPointBlobContainers"
    FILE_SHARE_FULL = "fileShareFull"
    FILE_SHARE_ITEMS = "fileShareItems"


#: The restores of an Azure file share (Recovery Services): their own checks and flow.
SHARE_KINDS = frozenset({RestoreKind.FILE_SHARE_FULL, RestoreKind.FILE_SHARE_ITEMS})
SHARE_TYPE = "microsoft.storage/storageaccounts/fileservices/shares"


# -- the request ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreSubmission:
    kind: RestoreKind
    resource_id: str | None = None  # the protected datasource, or
    backup_instance_id: str | None = None  # its backup instance
    point_in_time: str | None = None  # normalised ``...fffffffZ`` (blob point in time)
    ranges: list[tuple[str, str]] | None = None  # None: the whole account
    confirm_whole_account: bool = False
    recovery_point_id: str | None = None
    target: dict[str, Any] = field(default_factory=dict)  # normalised, per kind
    items: list[tuple[str, str]] | None = None  # fileShareItems: (path, "file" | "folder")
    dry_run: bool = False
    correlation_id: str | None = None

    @property
    def whole_account(self) -> bool:
        return self.kind is RestoreKind.BLOB_POINT_IN_TIME and not self.ranges

    def target_ids(self, datasource_id: str) -> list[str]:
        """The ARM ids the restore writes to (what the allowed scopes must cover)."""
        if self.kind is RestoreKind.RECOVERY_POINT_AS_FILES:
            return [str(self.target["containerId"])]
        if self.kind is RestoreKind.RECOVERY_POINT_AS_DATABASE:
            return [str(self.target["databaseId"])]
        if self.kind in SHARE_KINDS and self.target.get("restoreTo") == "alternate":
            return [str(self.target["shareId"])]
        return [str(self.target.get("accountId") or datasource_id)]  # in place unless another account

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = self.kind.value
        out["ranges"] = [list(r) for r in self.ranges] if self.ranges else None
        out["items"] = [list(i) for i in self.items] if self.items else None
        return out


def _ranges(raw: list[dict[str, str]]) -> list[tuple[str, str]]:
    return restores.validate_ranges([(item["min"], item["max"]) for item in raw])


_ACCOUNT_HOST = re.compile(r"^([a-z0-9]{3,24})\.blob\.")


def _files_target(target: Mapping[str, Any]) -> dict[str, Any]:
    container_id, url, prefix = target["containerId"], target["containerUrl"], target["filePrefix"]
    cid = parse_resource_id(container_id)
    if cid.type.lower() != "microsoft.storage/storageaccounts/blobservices/containers":
        raise InvalidRequestError(
            "target.containerId",
            "must be a .../storageAccounts/{account}/blobServices/default/containers/{container} id",
        )
    # restore_as_files validates the URL shape, the container name and the prefix.
    restores.restore_as_files(
        source_datasource_id=cid,
        recovery_point_id="check",
        restore_location="check",
        container_url=url,
        file_prefix=prefix,
    )
    parts = urlsplit(url)
    host = _ACCOUNT_HOST.match(parts.hostname or "")
    if parts.path.strip("/") != cid.name or not host or host.group(1) != cid.names[0].lower():
        raise InvalidRequestError(
            "target.containerUrl", "must name the same account and container as containerId"
        )
    return {"containerId": cid.canonical(), "containerUrl": url, "filePrefix": prefix}


def _database_target(target: Mapping[str, Any]) -> dict[str, Any]:
    database_id, secret_uri = target["databaseId"], target["secretUri"]
    did = parse_resource_id(database_id)
    if did.type.lower() != "microsoft.dbforpostgresql/servers/databases":
        raise InvalidRequestError(
            "target.databaseId", "must be a Microsoft.DBforPostgreSQL/servers/databases id"
        )
    parts = urlsplit(secret_uri)
    if parts.scheme != "https" or not parts.hostname or "/secrets/" not in parts.path or parts.query:
        raise InvalidRequestError(
            "target.secretUri", "must be a Key Vault secret URI https://{vault}.../secrets/{name}"
        )
    return {"databaseId": did.canonical(), "secretUri": secret_uri}


def _containers_target(target: Mapping[str, Any]) -> dict[str, Any]:
    names = target["containers"]
    checked = [restores.validate_container_name(n, f"target.containers[{i}]") for i, n in enumerate(names)]
    if len(set(checked)) != len(checked):
        raise InvalidRequestError("target.containers", "names a container twice")
    prefixes: dict[str, list[str]] = {}
    for i, text in enumerate(target.get("prefixes") or []):
        container, _, prefix = str(text).partition("/")
        if container not in checked or not prefix:
            raise InvalidRequestError(
                f"target.prefixes[{i}]", "must be container/prefix for one of target.containers"
            )
        prefixes.setdefault(container, []).append(prefix)
    normalised: dict[str, Any] = {"containers": checked, "prefixes": prefixes}
    if target.get("accountId") is not None:
        account = parse_resource_id(target["accountId"])
        if account.type.lower() != "microsoft.storage/storageaccounts":
            raise InvalidRequestError("target.accountId", "must be a storage account id")
        normalised["accountId"] = account.canonical()
    return normalised


_UNSAFE_PATH = re.compile(r'[\x00-\x1f"\\:|<>*?]')


def _share_target(target: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"restoreTo": target["restoreTo"], "onConflict": target["onConflict"]}
    if target["restoreTo"] == "alternate":
        account = parse_resource_id(target["storageAccountId"])
        if account.type.lower() != "microsoft.storage/storageaccounts":
            raise InvalidRequestError(
                "target.storageAccountId", "must be a Microsoft.Storage/storageAccounts id"
            )
        out["storageAccountId"] = account.canonical()
        out["shareName"] = target["shareName"]
        out["shareId"] = f"{account.canonical()}/fileServices/default/shares/{target['shareName']}"
        if target.get("folder"):
            out["folder"] = _share_path(target["folder"], "target.folder")
    return out


def _share_path(path: str, where: str) -> str:
    """A path inside a share: relative, ``/``-separated, no ``.``/``..`` segment, no character SMB refuses."""
    cleaned = path.strip("/")
    segments = cleaned.split("/")
    if (
        not cleaned
        or any(s in ("", ".", "..") or s != s.strip() for s in segments)
        or _UNSAFE_PATH.search(path)
    ):
        raise InvalidRequestError(where, "must be a relative path in the share (no '.', '..', or \\:*?\"<>|)")
    return cleaned


def _share_items(raw: list[dict[str, str]]) -> list[tuple[str, str]]:
    items = [(_share_path(item["path"], f"items[{i}].path"), item["type"]) for i, item in enumerate(raw)]
    if len({p.lower() for p, _ in items}) != len(items):
        raise InvalidRequestError("items", "names a path twice")
    return items


def parse_submission(body: Any, *, dry_run_query: str | None = None) -> RestoreSubmission:
    """Validate the JSON body (already decoded) of ``POST /api/restores``."""
    data: Mapping[str, Any] = validated_request(SCHEMA_PATH, body, first=("kind",))
    kind = RestoreKind(data["kind"])
    resource_id, instance_id = dp.instance_reference(data)
    dry_run = data.get("dryRun") is True or parse_flag(dry_run_query, "dryRun")
    confirm = data.get("confirmWholeAccountRollback") is True
    common: dict[str, Any] = {
        "kind": kind,
        "resource_id": resource_id,
        "backup_instance_id": instance_id,
        "dry_run": dry_run,
        "correlation_id": data.get("correlationId"),
    }
    if kind is RestoreKind.BLOB_POINT_IN_TIME:
        point = restores.parse_point_in_time(data["pointInTime"], now=_FAR_FUTURE)  # "future": Azure's clock
        ranges = _ranges(data["ranges"]) if data.get("ranges") else None
        if not ranges and not confirm:
            raise InvalidRequestError(
                "confirmWholeAccountRollback",
                "a restore without ranges rolls back every blob in the account: set "
                "confirmWholeAccountRollback to true to confirm, or give ranges",
            )
        return RestoreSubmission(**common, point_in_time=point, ranges=ranges, confirm_whole_account=confirm)
    target = data["target"]
    if kind in SHARE_KINDS:
        if resource_id is not None and parse_resource_id(resource_id).type.lower() != SHARE_TYPE:
            raise InvalidRequestError("resourceId", "must be a .../fileServices/default/shares/{share} id")
        items = _share_items(data["items"]) if kind is RestoreKind.FILE_SHARE_ITEMS else None
        return RestoreSubmission(
            **common, recovery_point_id=data["recoveryPointId"], target=_share_target(target), items=items
        )
    if kind is RestoreKind.RECOVERY_POINT_AS_FILES:
        normalised = _files_target(target)
    elif kind is RestoreKind.RECOVERY_POINT_AS_DATABASE:
        normalised = _database_target(target)
    else:
        normalised = _containers_target(target)
    return RestoreSubmission(**common, recovery_point_id=data["recoveryPointId"], target=normalised)


# -- checks and bodies that need what ARM said -------------------------------------------------------------


def check_scopes(target_ids: Sequence[str], allowed_scopes: Sequence[str]) -> None:
    """Every target must lie within one of ``RESTORE_ALLOWED_SCOPES``; none configured = no restores."""
    scopes.check_within(target_ids, allowed_scopes, setting="RESTORE_ALLOWED_SCOPES", what="restores")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(restores.parse_point_in_time(text, now=_FAR_FUTURE)[:26] + "+00:00")


def check_point_in_time(point_in_time: str, ranges: Sequence[Mapping[str, Any]]) -> datetime:
    """The instant must fall inside one restorable range; returns the latest range end (Azure's "now")."""
    when = _instant(point_in_time)
    spans = [
        (_instant(str(r["startTime"])), _instant(str(r["endTime"])))
        for r in ranges
        if isinstance(r, Mapping) and r.get("startTime") and r.get("endTime")
    ]
    listed = [{"startTime": str(r.get("startTime")), "endTime": str(r.get("endTime"))} for r in ranges]
    if not spans:
        raise NotPossibleError(
            "the backup instance has no restorable time range yet",
            errors=[{"field": "pointInTime", "reason": "no restorable time range"}],
            restorableTimeRanges=[],
        )
    if not any(low <= when <= high for low, high in spans):
        raise NotPossibleError(
            f"{point_in_time} is outside the restorable time ranges",
            errors=[{"field": "pointInTime", "reason": "outside the restorable time ranges"}],
            restorableTimeRanges=listed,
        )
    return max(high for _, high in spans)


def restore_body(
    submission: RestoreSubmission, datasource: Mapping[str, Any], *, service_now: datetime | None = None
) -> dict[str, Any]:
    """The DataProtection restore request for this submission, given the instance's ``dataSourceInfo``."""
    datasource_id = str(datasource.get("resourceID") or "")
    location = str(datasource.get("resourceLocation") or "")
    kind = submission.kind
    if kind is RestoreKind.BLOB_POINT_IN_TIME:
        assert submission.point_in_time is not None
        return restores.blob_point_in_time_restore(
            datasource_id=datasource_id,
            location=location,
            point_in_time=submission.point_in_time,
            ranges=submission.ranges,
            now=service_now or _FAR_FUTURE,
        )
    assert submission.recovery_point_id is not None
    target = submission.target
    if kind is RestoreKind.RECOVERY_POINT_AS_FILES:
        return restores.restore_as_files(
            source_datasource_id=datasource_id,
            recovery_point_id=submission.recovery_point_id,
            restore_location=location,
            container_url=target["containerUrl"],
            file_prefix=target["filePrefix"],
            target_container_id=target["containerId"],
        )
    if kind is RestoreKind.RECOVERY_POINT_AS_DATABASE:
        return restores.restore_as_database(
            source_datasource_id=datasource_id,
            recovery_point_id=submission.recovery_point_id,
            restore_location=location,
            target_database_id=target["databaseId"],
            secret_uri=target["secretUri"],
        )
    return {
        "objectType": "AzureBackupRecoveryPointBasedRestoreRequest",
        "recoveryPointId": submission.recovery_point_id,
        "restoreTargetInfo": {
            "objectType": "ItemLevelRestoreTargetInfo",
            "recoveryOption": "FailIfExists",
            "restoreLocation": location,
            "restoreCriteria": [
                _container_criteria(c, target["prefixes"].get(c)) for c in target["containers"]
            ],
            "datasourceInfo": dp.datasource_info(
                target.get("accountId") or datasource_id,
                datasource_type=BLOB_DATASOURCE_TYPE,
                location=location,
            ),
        },
        "sourceDataStoreType": "VaultStore",
        "sourceResourceId": parse_resource_id(datasource_id).canonical(),
    }


def _container_criteria(container: str, prefixes: list[str] | None) -> dict[str, Any]:
    """One container of a vaulted blob restore, whole or only the blobs under ``prefixes``."""
    criteria: dict[str, Any] = {
        "objectType": "ItemPathBasedRestoreCriteria",
        "itemPath": container,
        "isPathRelativeToBackupItem": True,
    }
    if prefixes:
        criteria["subItemPathPrefix"] = prefixes
    return criteria


def share_restore_body(submission: RestoreSubmission, source_share_id: str) -> dict[str, Any]:
    """The Recovery Services restore request of a file-share submission (the protected share known)."""
    account, _ = rs.share_location(source_share_id)
    target = submission.target
    alternate = target["restoreTo"] == "alternate"
    return rs.share_restore_body(
        source_account_id=account,
        copy_options=rs.COPY_OPTIONS[target["onConflict"]],
        items=[(path, rs.FILE_SPEC_TYPES[kind]) for path, kind in submission.items or []] or None,
        target_account_id=target["storageAccountId"] if alternate else None,
        target_share=target["shareName"] if alternate else None,
        target_folder=target.get("folder"),
    )


def check_kind_fits(submission: RestoreSubmission, datasource_type: str) -> None:
    """A blob restore needs a blob instance; a PostgreSQL restore a PostgreSQL one; a share restore a
    protected share."""
    if (submission.kind in SHARE_KINDS) != (datasource_type.lower() == SHARE_TYPE):
        raise NotPossibleError(
            f"a {submission.kind.value} restore does not apply to a {datasource_type} backup",
            errors=[{"field": "kind", "reason": f"not applicable to {datasource_type}"}],
        )
    is_blob = datasource_type.lower() == BLOB_DATASOURCE_TYPE.lower()
    blob_kinds = {RestoreKind.BLOB_POINT_IN_TIME, RestoreKind.RECOVERY_POINT_BLOB_CONTAINERS}
    if is_blob != (submission.kind in blob_kinds):
        raise NotPossibleError(
            f"a {submission.kind.value} restore does not apply to a {datasource_type} backup instance",
            errors=[{"field": "kind", "reason": f"not applicable to {datasource_type}"}],
        )
    if (
        submission.kind is RestoreKind.RECOVERY_POINT_AS_DATABASE
        and "flexibleservers" in datasource_type.lower()
    ):
        raise NotPossibleError(
            "flexible servers can only be restored as files (recoveryPointAsFiles)",
            errors=[{"field": "kind", "reason": "flexible servers restore as files only"}],
        )
