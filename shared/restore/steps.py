"""The restore API's read-only ARM steps (GETs, the read-only findRestorableTimeRanges POST), the job read.

Same error policy as :mod:`shared.arm.steps`: a transient ``ArmError`` is raised; every other error is the
result's ``error``. Results are typed records (the job read crosses an activity boundary).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.arm.client import ArmClient
from shared.arm.ids import parse_resource_id
from shared.arm.operations import JobState, PollPolicy, interpret_job, job_name_from
from shared.arm.retry_after import parse_retry_after
from shared.arm.steps import answers_errors, read_resource
from shared.errors import BackupAutopilotError
from shared.records import Record
from shared.restore.bodies import find_restorable_time_ranges_body
from shared.services import dataprotection as dp

MAX_RECOVERY_POINT_PAGES = 5
MAX_JOB_PAGES = 20


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class BackupInstanceFacts(Record):
    """What a restore needs of a backup instance (``found=False``: none; ``error``: reading failed)."""

    found: bool = False
    backup_instance_id: str = ""
    vault_id: str = ""
    datasource_info: dict[str, Any] = field(default_factory=dict)
    datasource_id: str = ""
    datasource_type: str = ""
    protection_status: str | None = None
    reason: str | None = None
    error: BackupAutopilotError | None = None

    @classmethod
    def of(cls, resource: Any) -> BackupInstanceFacts:
        body = _dict(resource)
        info = _dict(_dict(body.get("properties")).get("dataSourceInfo"))
        status, _ = dp.protection_status(body)
        instance_id = parse_resource_id(str(body.get("id"))).canonical()
        return cls(
            found=True,
            backup_instance_id=instance_id,
            vault_id=instance_id.rsplit("/backupInstances/", 1)[0],
            datasource_info=info,
            datasource_id=str(info.get("resourceID") or ""),
            datasource_type=str(info.get("datasourceType") or ""),
            protection_status=status,
        )


@dataclass(frozen=True)
class RestorableRanges(Record):
    ranges: list[dict[str, Any]] = field(default_factory=list)  # [{startTime, endTime}]
    error: BackupAutopilotError | None = None


@dataclass(frozen=True)
class RecoveryPoints(Record):
    points: list[dict[str, Any]] = field(default_factory=list)  # [{id, time, type, dataStores}]
    error: BackupAutopilotError | None = None


@dataclass(frozen=True)
class JobRead(Record):
    """One GET of a backup job; ``retry_after_seconds`` is None when the service gave no Retry-After."""

    job: JobState | None = None
    retry_after_seconds: float | None = None
    percent_complete: float | None = None
    next_delay_seconds: float | None = None
    error: BackupAutopilotError | None = None

    @property
    def done(self) -> bool:
        return self.job is not None and self.job.done


async def read_backup_instance(arm: ArmClient, backup_instance_id: str) -> BackupInstanceFacts:
    read = await read_resource(arm, backup_instance_id, dp.API_VERSION)
    if read.found:
        return BackupInstanceFacts.of(read.resource)
    return BackupInstanceFacts(reason=read.reason, error=read.error)


async def find_backup_instance(
    arm: ArmClient, datasource_id: str, vault_ids: Iterable[str]
) -> BackupInstanceFacts:
    """The datasource's backup instance, looked up by its deterministic name in each candidate vault."""
    name = dp.backup_instance_name(datasource_id)
    for vault_id in vault_ids:
        found = await read_backup_instance(arm, dp.backup_instance_id(vault_id, name))
        if found.error or found.found:
            return found
    return BackupInstanceFacts(reason="no backup instance of this resource in the configured vaults")


@answers_errors(lambda error: RestorableRanges(error=error))
async def find_restorable_time_ranges(arm: ArmClient, backup_instance_id: str) -> RestorableRanges:
    response = await arm.post(
        dp.find_restorable_time_ranges_path(backup_instance_id),
        api_version=dp.API_VERSION,
        json=find_restorable_time_ranges_body(),
    )
    ranges = _list(_dict(_dict(response.body).get("properties")).get("restorableTimeRanges"))
    return RestorableRanges(
        [
            {"startTime": r.get("startTime"), "endTime": r.get("endTime")}
            for r in ranges
            if isinstance(r, dict) and r.get("startTime") and r.get("endTime")
        ]
    )


def _point(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    props = _dict(item.get("properties"))
    point_id = props.get("recoveryPointId") or item.get("name")
    if not isinstance(point_id, str):
        return None
    stores = _list(props.get("recoveryPointDataStoresDetails"))
    return {
        "id": point_id,
        "time": props.get("recoveryPointTime"),
        "type": props.get("recoveryPointType"),
        "dataStores": [s.get("type") for s in stores if isinstance(s, dict) and s.get("type")],
    }


async def _listed(arm: ArmClient, path: str, max_pages: int) -> AsyncIterator[dict[str, Any]]:
    """The items of an ARM list, following ``nextLink`` for at most ``max_pages`` pages."""
    url: str | None = path
    version: str | None = dp.API_VERSION
    for _ in range(max_pages):
        if url is None:
            return
        response = await arm.get(url, api_version=version)
        body = _dict(response.body)
        for item in _list(body.get("value")):
            yield _dict(item)
        next_link = body.get("nextLink")
        url, version = (next_link, None) if isinstance(next_link, str) and next_link else (None, None)


@answers_errors(lambda error: RecoveryPoints(error=error))
async def list_recovery_points(arm: ArmClient, backup_instance_id: str) -> RecoveryPoints:
    path = dp.recovery_points_path(backup_instance_id)
    found = [_point(item) async for item in _listed(arm, path, MAX_RECOVERY_POINT_PAGES)]
    return RecoveryPoints([p for p in found if p is not None])


@answers_errors(lambda error: JobRead(error=error))
async def read_job(arm: ArmClient, vault_id: str, job_id: str, policy: PollPolicy) -> JobRead:
    """GET the backup job once: its state and the Retry-After to honour."""
    name = job_name_from(job_id) or job_id
    response = await arm.get(dp.backup_job_path(vault_id, name), api_version=dp.API_VERSION)
    retry_after = parse_retry_after(response.header("retry-after"))
    pct = _dict(_dict(response.body).get("properties")).get("progressPercentage")
    return JobRead(
        job=interpret_job(response.body),
        retry_after_seconds=policy.clamp(retry_after) if retry_after is not None else None,
        percent_complete=float(pct) if isinstance(pct, int | float) and not isinstance(pct, bool) else None,
    )


@dataclass(frozen=True)
class RestoreJobs(Record):
    """The restore jobs a backup instance has (their names): what tells whether a restore POST took effect."""

    job_ids: list[str] = field(default_factory=list)
    error: BackupAutopilotError | None = None


@answers_errors(lambda error: RestoreJobs(error=error))
async def list_restore_jobs(arm: ArmClient, vault_id: str, backup_instance_id: str) -> RestoreJobs:
    """Every Restore job of the vault that belongs to this backup instance (bounded pages of the list)."""
    wanted = parse_resource_id(backup_instance_id).key()
    found: list[str] = []
    async for item in _listed(arm, dp.backup_jobs_path(vault_id), MAX_JOB_PAGES):
        props = _dict(item.get("properties"))
        instance = str(props.get("backupInstanceId") or "")
        if str(props.get("operationCategory") or "").lower() == "restore" and instance.lower() == wanted:
            found.append(job_name_from(item.get("name") or item.get("id")) or "")
    return RestoreJobs(sorted(j for j in found if j))
