"""The restore API's read-only ARM steps (GETs, the read-only findRestorableTimeRanges POST).

Same error policy as :mod:`shared.arm.steps`: a transient ``ArmError`` is raised; every other error is the
result's ``error``. Results are typed records (the job read crosses an activity boundary).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.arm.client import ArmClient
from shared.arm.ids import parse_resource_id
from shared.arm.steps import answers_errors, list_pages, read_resource
from shared.errors import BackupAutopilotError
from shared.records import Record
from shared.restore.bodies import find_restorable_time_ranges_body
from shared.services import dataprotection as dp

MAX_RECOVERY_POINT_PAGES = 5


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
    current_state: str | None = None  # currentProtectionState
    policy_id: str = ""
    reason: str | None = None
    error: BackupAutopilotError | None = None

    @classmethod
    def of(cls, resource: Any) -> BackupInstanceFacts:
        body = _dict(resource)
        info = _dict(_dict(body.get("properties")).get("dataSourceInfo"))
        status, _ = dp.protection_status(body)
        state, _, _ = dp.protection_state(body)
        policy = _dict(_dict(body.get("properties")).get("policyInfo")).get("policyId")
        instance_id = parse_resource_id(str(body.get("id"))).canonical()
        return cls(
            found=True,
            backup_instance_id=instance_id,
            vault_id=instance_id.rsplit("/backupInstances/", 1)[0],
            datasource_info=info,
            datasource_id=str(info.get("resourceID") or ""),
            datasource_type=str(info.get("datasourceType") or ""),
            protection_status=status,
            current_state=state,
            policy_id=str(policy or ""),
        )


@dataclass(frozen=True)
class RestorableRanges(Record):
    ranges: list[dict[str, Any]] = field(default_factory=list)  # [{startTime, endTime}]
    error: BackupAutopilotError | None = None


@dataclass(frozen=True)
class RecoveryPoints(Record):
    points: list[dict[str, Any]] = field(default_factory=list)  # [{id, time, type, dataStores}]
    error: BackupAutopilotError | None = None


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


@answers_errors(lambda error: RecoveryPoints(error=error))
async def list_recovery_points(arm: ArmClient, backup_instance_id: str) -> RecoveryPoints:
    path = dp.recovery_points_path(backup_instance_id)
    found = [_point(item) async for item in list_pages(arm, path, dp.API_VERSION, MAX_RECOVERY_POINT_PAGES)]
    return RecoveryPoints([p for p in found if p is not None])
