"""Recovery points (vaulted datasources, one per policy schedule tick, computed lazily from the
emulated clock), restorable time ranges (operational blobs), validateRestore, restore, adhoc backup."""

from __future__ import annotations

import re
import uuid
from typing import Any

from ...core import Cloud, CloudError, RequestContext, Resource, iso, norm, parse_iso
from .checks import vaulted_containers
from .kinds import DatasourceKind
from .operations import create_job, job_id_value
from .state import DataProtectionState, RecoveryPoint
from .vaults import is_vaulted

MAX_POINTS = 500
_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$", re.IGNORECASE)


def iso_duration_seconds(text: str) -> float | None:
    match = _DURATION.match(text.strip())
    if not match or not any(match.groups()):
        return None
    w, d, h, m, s = (int(g) if g else 0 for g in match.groups())
    return float(((w * 7 + d) * 24 + h) * 3600 + m * 60 + s)


def schedule_interval(cloud: Cloud, policy: Resource) -> float:
    for rule in policy.properties.get("policyRules", []):
        schedule = (rule.get("trigger") or {}).get("schedule") or {}
        for interval in schedule.get("repeatingTimeIntervals", []):
            seconds = iso_duration_seconds(str(interval).rsplit("/", 1)[-1])
            if seconds:
                return seconds
    return cloud.config.default_backup_interval_hours * 3600


def start_recovery_points(cloud: Cloud, instance: Resource, policy: Resource, kind: DatasourceKind) -> None:
    vaulted = kind.key != "blob" or is_vaulted(policy)
    instance.extra["vaulted"] = vaulted
    instance.extra["policy_name"] = policy.name
    if vaulted:
        instance.extra["interval"] = schedule_interval(cloud, policy)


def recovery_points(cloud: Cloud, instance: Resource) -> list[RecoveryPoint]:
    """Scheduled points (one at protection time, then one per interval) plus adhoc ones, newest first."""
    if not instance.extra.get("vaulted") or "protected_since" not in instance.extra:
        return []
    since = float(instance.extra["protected_since"])
    interval = max(float(instance.extra.get("interval", 86400.0)), 1.0)
    now = cloud.clock.seconds()
    count = int((now - since) // interval) + 1
    first = max(0, count - MAX_POINTS)
    name = str(instance.extra.get("policy_name", ""))
    points = [
        RecoveryPoint(
            uuid.uuid5(uuid.NAMESPACE_URL, f"{norm(instance.id)}#{k}").hex, since + k * interval, name
        )
        for k in range(first, count)
    ]
    points += cloud.state(DataProtectionState).recovery_points.get(norm(instance.id), [])
    return sorted(points, key=lambda p: p.time, reverse=True)[:MAX_POINTS]


def recovery_point_body(cloud: Cloud, instance: Resource, point: RecoveryPoint) -> dict[str, Any]:
    when = iso(cloud.clock.at(point.time))
    expiry = iso(cloud.clock.at(point.time + 365 * 86400))
    return {
        "id": f"{instance.id}/recoveryPoints/{point.id}",
        "name": point.id,
        "type": "Microsoft.DataProtection/backupVaults/backupInstances/recoveryPoints",
        "properties": {
            "objectType": "AzureBackupDiscreteRecoveryPoint",
            "recoveryPointId": point.id,
            "recoveryPointTime": when,
            "recoveryPointType": "Full",
            "friendlyName": uuid.uuid5(uuid.NAMESPACE_OID, point.id).hex,
            "recoveryPointDataStoresDetails": [
                {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, point.id)),
                    "type": "VaultStore",
                    "creationTime": when,
                    "expiryTime": expiry,
                    "metaData": None,
                    "visible": True,
                    "state": "COMMITTED",
                    "rehydrationExpiryTime": None,
                    "rehydrationStatus": None,
                }
            ],
            "retentionTagName": point.tag,
            "retentionTagVersion": "637212748405148394",
            "policyName": point.policy_name,
            "policyVersion": None,
        },
    }


def restorable_range(cloud: Cloud, instance: Resource) -> tuple[float, float] | None:
    if "protected_since" not in instance.extra:
        return None
    if instance.extra.get("vaulted"):
        points = recovery_points(cloud, instance)
        return (points[-1].time, points[0].time) if points else None
    return float(instance.extra["protected_since"]), cloud.clock.seconds()


def require_protected(instance: Resource) -> None:
    status = (instance.properties.get("protectionStatus") or {}).get("status")
    if status != "ProtectionConfigured":
        # Not captured; nearest real user error for acting on an instance that is not protected.
        raise CloudError(
            400,
            "UserErrorBackupInstanceNotProtected",
            f"The backup instance is in state '{status}'; protection must be configured first.",
        )


def _check_vaulted_blob_target(
    cloud: Cloud, instance: Resource, target: dict[str, Any], criteria: list[dict[str, Any]]
) -> None:
    """A vaulted blob restore names backed-up containers and restores into an account that exists."""
    backed_up = vaulted_containers(instance.properties)
    paths = [
        str(c.get("itemPath", "")) for c in criteria if c.get("objectType") == "ItemPathBasedRestoreCriteria"
    ]
    if backed_up is None or not paths:
        return
    unknown = [p for p in paths if p not in backed_up]
    if unknown:
        raise CloudError(
            400,
            "UserErrorContainerNotFound",  # nearest; not captured
            f"Containers {', '.join(unknown)} are not in the backup (backed up: {', '.join(backed_up)}).",
        )
    account = str((target.get("datasourceInfo") or {}).get("resourceID") or "")
    if account and cloud.store.get(account) is None:
        raise CloudError(404, "ResourceNotFound", f"The target storage account '{account}' was not found.")


def check_restore_request(cloud: Cloud, instance: Resource, request: dict[str, Any]) -> dict[str, Any]:
    """Validate every restore shape; returns facts for the job (point in time / recovery point)."""
    require_protected(instance)
    kind = request.get("objectType")
    target = request.get("restoreTargetInfo") or {}
    target_kind = target.get("objectType")
    if target_kind not in {"RestoreTargetInfo", "ItemLevelRestoreTargetInfo", "RestoreFilesTargetInfo"}:
        raise CloudError(400, "BadRequest", f"restoreTargetInfo.objectType '{target_kind}' is not valid.")
    if target_kind == "ItemLevelRestoreTargetInfo":
        criteria = target.get("restoreCriteria") or []
        if not criteria or len(criteria) > 10:
            raise CloudError(
                400, "BadRequest", "Between 1 and 10 restore criteria (prefix ranges) are allowed."
            )
        for c in criteria:
            if c.get("objectType") == "RangeBasedItemLevelRestoreCriteria":
                low, high = str(c.get("minMatchingValue", "")), str(c.get("maxMatchingValue", ""))
                if not low or not high or low > high:
                    raise CloudError(400, "BadRequest", f"Invalid prefix range '{low}'..'{high}'.")
            elif c.get("objectType") != "ItemPathBasedRestoreCriteria":
                raise CloudError(400, "BadRequest", f"Unsupported restore criteria '{c.get('objectType')}'.")
        _check_vaulted_blob_target(cloud, instance, target, criteria)
    if target_kind == "RestoreFilesTargetInfo" and not (target.get("targetDetails") or {}).get("url"):
        raise CloudError(400, "BadRequest", "targetDetails.url is required to restore as files.")
    if kind == "AzureBackupRecoveryTimeBasedRestoreRequest":
        text = request.get("recoveryPointTime")
        if not text:
            raise CloudError(400, "BadRequest", "recoveryPointTime is required.")
        try:
            when = cloud.clock.to_seconds(parse_iso(str(text)))
        except ValueError as exc:
            raise CloudError(400, "BadRequest", f"recoveryPointTime '{text}' is not a valid time.") from exc
        span = restorable_range(cloud, instance)
        if span is None or not span[0] <= when <= span[1] + 1e-3:
            # Not captured; nearest real code for a point in time outside the restorable ranges.
            raise CloudError(
                400,
                "UserErrorRestorePointInTimeOutOfRange",
                f"The restore point in time '{text}' is outside the restorable time ranges.",
            )
        return {"sourceRecoverPoint": {"recoveryPointTime": text}}
    if kind == "AzureBackupRecoveryPointBasedRestoreRequest":
        rp_id = str(request.get("recoveryPointId", ""))
        if not any(p.id == rp_id for p in recovery_points(cloud, instance)):
            raise CloudError(
                404,
                "UserErrorRecoveryPointNotFound",  # nearest real code; not captured
                f"Recovery point '{rp_id}' was not found for this backup instance.",
            )
        return {"sourceRecoverPoint": {"recoveryPointID": rp_id}}
    raise CloudError(400, "BadRequest", f"Restore request objectType '{kind}' is not supported.")


def finished_job(
    ctx: RequestContext,
    vault: Resource,
    instance: Resource,
    operation: str,
    op_id: str,
    duration_key: str,
    extended: dict[str, Any],
    on_complete: Any = None,
) -> Any:
    cloud = ctx.cloud

    def complete() -> dict[str, Any]:
        job = create_job(
            cloud,
            vault=vault,
            instance=instance,
            operation=operation,
            duration_key=duration_key,
            operation_id=op_id,
            extended=extended,
            on_complete=on_complete,
        )
        return {"jobId": job_id_value(cloud, vault.id, job), "objectType": "OperationJobExtendedInfo"}

    return complete
