"""Backup-instance actions: findRestorableTimeRanges, recoveryPoints, validateRestore, restore, backup."""

from __future__ import annotations

from typing import Any

from ...core import Cloud, CloudError, RequestContext, Response, iso, norm, parse_iso
from .instances import INSTANCE, require_instance
from .operations import start, vault_id_of
from .recovery import (
    check_restore_request,
    finished_job,
    recovery_point_body,
    recovery_points,
    require_protected,
    restorable_range,
)
from .state import DataProtectionState, RecoveryPoint


def register_action_routes(cloud: Cloud) -> None:
    r = cloud.router

    async def find_ranges(ctx: RequestContext) -> Response:
        instance = require_instance(ctx)
        body = ctx.json_object()
        store = str(body.get("sourceDataStoreType", ""))
        if store not in {"OperationalStore", "VaultStore", "ArchiveStore"}:
            raise CloudError(400, "BadRequest", f"sourceDataStoreType '{store}' is not valid.")
        ranges: list[dict[str, Any]] = []
        span = restorable_range(cloud, instance)
        if span is not None:
            low, high = span
            if body.get("startTime"):
                low = max(low, cloud.clock.to_seconds(parse_iso(str(body["startTime"]))))
            if body.get("endTime"):
                high = min(high, cloud.clock.to_seconds(parse_iso(str(body["endTime"]))))
            if low <= high:
                ranges.append(
                    {
                        "startTime": iso(cloud.clock.at(low)),
                        "endTime": iso(cloud.clock.at(high)),
                        "objectType": "RestorableTimeRange",
                    }
                )
        return Response(
            200,
            {
                "id": instance.name,
                "type": "Microsoft.DataProtection/backupVaults/backupInstances/findRestorableTimeRanges",
                "properties": {
                    "restorableTimeRanges": ranges,
                    "objectType": "AzureBackupFindRestorableTimeRangesResponse",
                },
            },
        )

    async def list_points(ctx: RequestContext) -> Response:
        instance = require_instance(ctx)
        return Response(
            200,
            {"value": [recovery_point_body(cloud, instance, p) for p in recovery_points(cloud, instance)]},
        )

    async def get_point(ctx: RequestContext) -> Response:
        instance = require_instance(ctx)
        for point in recovery_points(cloud, instance):
            if point.id == ctx.params["recoveryPointId"]:
                return Response(200, recovery_point_body(cloud, instance, point))
        raise CloudError(
            404, "ResourceNotFound", f"Recovery point '{ctx.params['recoveryPointId']}' was not found."
        )

    async def validate_restore(ctx: RequestContext) -> Response:
        instance = require_instance(ctx)
        vault = cloud.require(vault_id_of(ctx))
        request = ctx.json_object().get("restoreRequestObject")
        if not isinstance(request, dict):
            raise CloudError(400, "BadRequest", "The request must contain 'restoreRequestObject'.")
        check_restore_request(cloud, instance, request)
        _, headers = start(
            ctx,
            target=instance.id,
            operation_id="BackupInstances_ValidateForRestore",
            location=vault.location or "",
            duration_key="validate_restore",
            complete=lambda: {"jobId": "", "objectType": "OperationJobExtendedInfo"},
            vault_id=vault.id,
        )
        return Response(202, None, headers)

    async def restore(ctx: RequestContext) -> Response:
        instance = require_instance(ctx)
        vault = cloud.require(vault_id_of(ctx))
        request = ctx.json_object()
        facts = check_restore_request(cloud, instance, request)
        target = request.get("restoreTargetInfo") or {}
        facts["recoveryDestination"] = (target.get("datasourceInfo") or {}).get("resourceID") or (
            target.get("targetDetails") or {}
        ).get("url", "")
        complete = finished_job(
            ctx, vault, instance, "Restore", "BackupInstances_TriggerRestore", "restore_job", facts
        )
        _, headers = start(
            ctx,
            target=instance.id,
            operation_id="BackupInstances_TriggerRestore",
            location=vault.location or "",
            duration_key="restore_trigger",
            complete=complete,
            vault_id=vault.id,
        )
        return Response(202, None, headers)

    async def adhoc_backup(ctx: RequestContext) -> Response:
        instance = require_instance(ctx)
        vault = cloud.require(vault_id_of(ctx))
        require_protected(instance)
        if not instance.extra.get("vaulted"):
            # Operational (continuous) blob backup has no on-demand backup; nearest real code, not captured.
            raise CloudError(
                400,
                "UserErrorOperationNotSupported",
                "On-demand backup is not supported for operational backup of blobs.",
            )
        options = ctx.json_object().get("backupRuleOptions") or {}
        tag = str(((options.get("triggerOption") or {}).get("retentionTagOverride")) or "Default")

        def add_point() -> None:
            from uuid import uuid4

            point = RecoveryPoint(
                uuid4().hex, cloud.clock.seconds(), str(instance.extra.get("policy_name", "")), tag
            )
            cloud.state(DataProtectionState).recovery_points.setdefault(norm(instance.id), []).append(point)

        extended = {"additionalDetails": {"PolicyRuleName": options.get("ruleName", ""), "RetentionTag": tag}}
        complete = finished_job(
            ctx,
            vault,
            instance,
            "Backup",
            "BackupInstances_AdhocBackup",
            "backup_job",
            extended,
            on_complete=add_point,
        )
        _, headers = start(
            ctx,
            target=instance.id,
            operation_id="BackupInstances_AdhocBackup",
            location=vault.location or "",
            duration_key="restore_trigger",
            complete=complete,
            vault_id=vault.id,
        )
        return Response(202, None, headers)

    r.add(
        "POST",
        INSTANCE + "/findRestorableTimeRanges",
        "RestorableTimeRanges_Find",
        find_ranges,
        kind="action",
    )
    r.add("GET", INSTANCE + "/recoveryPoints", "RecoveryPoints_List", list_points)
    r.add("GET", INSTANCE + "/recoveryPoints/{recoveryPointId}", "RecoveryPoints_Get", get_point)
    r.add(
        "POST",
        INSTANCE + "/validateRestore",
        "BackupInstances_ValidateForRestore",
        validate_restore,
        kind="action",
    )
    r.add("POST", INSTANCE + "/restore", "BackupInstances_TriggerRestore", restore, kind="action")
    r.add("POST", INSTANCE + "/backup", "BackupInstances_AdhocBackup", adhoc_backup, kind="action")
