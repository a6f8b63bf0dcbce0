"""Backup-instance lifecycle and the DataProtection async-operation state machine."""

from __future__ import annotations

from local.cloud.app import create_app
from local.cloud.providers.authorization.roles import READER, STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR
from local.cloud.testing import client, fast_config

from .dp_fixtures import (
    ACCOUNT,
    PG_SERVER,
    RG,
    SEED,
    SUB,
    VAULT,
    V,
    blob_instance,
    grant,
    pg_instance,
    settle,
    wait_status,
)

G1, G2 = "20000000-0000-0000-0000-000000000001", "20000000-0000-0000-0000-000000000002"


async def _protected_blob(c):
    await grant(c, ACCOUNT, STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR, G1)
    created = await c.put(f"{VAULT}/backupInstances/bi1{V}", json=blob_instance())
    assert created.status_code == 201
    return created


async def test_create_goes_provisioning_then_provisioned() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        created = await _protected_blob(c)
        status_url = created.headers["Azure-AsyncOperation"]
        running = (await c.get(status_url)).json()
        await settle(c)
        done = (await c.get(status_url)).json()
        instance = (await c.get(f"{VAULT}/backupInstances/bi1{V}")).json()
        again = await c.put(f"{VAULT}/backupInstances/bi1{V}", json=blob_instance())
    props = created.json()["properties"]
    assert props["provisioningState"] == "Provisioning"
    assert props["protectionStatus"]["status"] == "ConfiguringProtection"
    assert running["status"] == "Inprogress" and running["endTime"] == "0001-01-01T00:00:00Z"
    assert done["status"] == "Succeeded" and done["endTime"] != "0001-01-01T00:00:00Z"
    assert instance["properties"]["provisioningState"] == "Provisioned"
    assert instance["properties"]["protectionStatus"]["status"] == "ProtectionConfigured"
    assert again.status_code == 200  # idempotent re-PUT of the same instance


async def test_missing_permissions_fail_the_create_operation() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        created = await c.put(f"{VAULT}/backupInstances/bi1{V}", json=blob_instance())
        status = await wait_status(c, created)
        instance = (await c.get(f"{VAULT}/backupInstances/bi1{V}")).json()
    assert status["status"] == "Failed" and status["error"]["code"] == "UserErrorMissingRequiredPermissions"
    assert instance["properties"]["protectionStatus"]["status"] == "ConfiguringProtectionFailed"


async def test_second_instance_for_same_datasource_is_already_protected() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        await _protected_blob(c)
        second = await c.put(f"{VAULT}/backupInstances/bi2{V}", json=blob_instance())
        validate = await c.post(
            f"{VAULT}/validateForBackup{V}", json={"backupInstance": blob_instance()["properties"]}
        )
    for response in (second, validate):
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "UserErrorDppDatasourceAlreadyProtected"
        assert error["message"].startswith("Datasource is already protected under the Backup vault ")
        assert error["additionalInfo"][0]["info"]["code"] == "UserErrorDppDatasourceAlreadyProtected"


async def test_unsupported_accounts_and_region_mismatch() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        premium = await c.put(
            f"{VAULT}/backupInstances/p{V}",
            json=blob_instance(f"{RG}/providers/Microsoft.Storage/storageAccounts/stpremium"),
        )
        hns = await c.put(
            f"{VAULT}/backupInstances/h{V}",
            json=blob_instance(f"{RG}/providers/Microsoft.Storage/storageAccounts/sthns"),
        )
        us = f"/subscriptions/{SUB}/resourceGroups/rg-us/providers/Microsoft.Storage/storageAccounts/stus"
        region = await c.put(f"{VAULT}/backupInstances/u{V}", json=blob_instance(us))
        missing = await c.put(
            f"{VAULT}/backupInstances/m{V}",
            json=blob_instance(f"{RG}/providers/Microsoft.Storage/storageAccounts/nope"),
        )
    assert premium.status_code == 400 and hns.status_code == 400
    assert premium.json()["error"]["code"] == "UserErrorUnsupportedStorageAccountType"
    assert region.status_code == 400 and "region" in region.json()["error"]["message"]
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceNotFound"


async def test_restore_point_in_time_inside_and_outside_range_then_job_completes() -> None:
    app = create_app(fast_config(job_id_style="arm_id"))
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        await wait_status(c, await _protected_blob(c))
        await settle(c, 3600)
        ranges = (
            await c.post(
                f"{VAULT}/backupInstances/bi1/findRestorableTimeRanges{V}",
                json={"sourceDataStoreType": "OperationalStore", "startTime": "", "endTime": ""},
            )
        ).json()
        span = ranges["properties"]["restorableTimeRanges"][0]
        body = {
            "objectType": "AzureBackupRecoveryTimeBasedRestoreRequest",
            "sourceDataStoreType": "OperationalStore",
            "recoveryPointTime": span["endTime"],
            "restoreTargetInfo": {
                "objectType": "RestoreTargetInfo",
                "recoveryOption": "FailIfExists",
                "restoreLocation": "westeurope",
                "datasourceInfo": blob_instance()["properties"]["dataSourceInfo"],
            },
        }
        too_old = await c.post(
            f"{VAULT}/backupInstances/bi1/restore{V}",
            json={**body, "recoveryPointTime": "2000-01-01T00:00:00Z"},
        )
        accepted = await c.post(f"{VAULT}/backupInstances/bi1/restore{V}", json=body)
        result_url = accepted.headers["Location"]
        await settle(c, 1)
        result = (await c.get(result_url)).json()
        job_name = result["jobId"].rsplit("/", 1)[-1]
        job_running = (await c.get(f"{VAULT}/backupJobs/{job_name}{V}")).json()
        await settle(c, 10)
        job_done = (await c.get(f"{VAULT}/backupJobs/{job_name}{V}")).json()
    assert (
        too_old.status_code == 400
        and too_old.json()["error"]["code"] == "UserErrorRestorePointInTimeOutOfRange"
    )
    assert accepted.status_code == 202 and accepted.headers["Retry-After"] == "0"
    assert result["objectType"] == "OperationJobExtendedInfo" and result["jobId"].startswith(VAULT)
    assert job_running["properties"]["status"] in {"Started", "InProgress"}
    assert job_done["properties"]["status"] == "Completed"
    assert job_done["properties"]["operation"] == "Restore"


async def test_postgresql_recovery_points_and_restore_as_files() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        await grant(c, PG_SERVER, READER, G1)
        await grant(
            c, f"{RG}/providers/Microsoft.KeyVault/vaults/kvpg", "4633458b-17de-408a-b874-0445c86b69e6", G2
        )
        created = await c.put(f"{VAULT}/backupInstances/pg{V}", json=pg_instance())
        assert (await wait_status(c, created))["status"] == "Succeeded"
        await settle(c, 3 * 7 * 86400)  # three weekly schedule ticks
        points = (await c.get(f"{VAULT}/backupInstances/pg/recoveryPoints{V}")).json()["value"]
        rp = points[0]["properties"]["recoveryPointId"]
        restore = {
            "objectType": "AzureBackupRecoveryPointBasedRestoreRequest",
            "recoveryPointId": rp,
            "sourceDataStoreType": "VaultStore",
            "restoreTargetInfo": {
                "objectType": "RestoreFilesTargetInfo",
                "recoveryOption": "FailIfExists",
                "restoreLocation": "westeurope",
                "targetDetails": {
                    "url": "https://st.blob.core.windows.net/restores",
                    "filePrefix": "orders",
                    "restoreTargetLocationType": "AzureBlobs",
                },
            },
        }
        accepted = await c.post(f"{VAULT}/backupInstances/pg/restore{V}", json=restore)
        bad = await c.post(
            f"{VAULT}/backupInstances/pg/restore{V}", json={**restore, "recoveryPointId": "nope"}
        )
        status = await wait_status(c, accepted)
    assert len(points) == 4
    assert points[0]["properties"]["objectType"] == "AzureBackupDiscreteRecoveryPoint"
    assert accepted.status_code == 202
    assert bad.status_code == 404
    assert (
        status["status"] == "Succeeded" and status["properties"]["objectType"] == "OperationJobExtendedInfo"
    )


async def test_delete_is_async_and_keeps_a_soft_deleted_instance_that_blocks_protecting_again() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        await wait_status(c, await _protected_blob(c))
        deleted = await c.delete(f"{VAULT}/backupInstances/bi1{V}")
        status = await wait_status(c, deleted)
        gone = await c.get(f"{VAULT}/backupInstances/bi1{V}")
        kept = await c.get(f"{VAULT}/deletedBackupInstances/bi1{V}")
        listed = await c.get(f"{VAULT}/deletedBackupInstances{V}")
        again = await c.put(f"{VAULT}/backupInstances/bi2{V}", json=blob_instance())
    assert deleted.status_code == 202 and status["status"] == "Succeeded"
    assert gone.status_code == 404
    assert kept.status_code == 200 and kept.json()["properties"]["deletionInfo"]["scheduledPurgeTime"]
    assert [i["name"] for i in listed.json()["value"]] == ["bi1"]
    assert again.status_code == 409 and again.json()["error"]["code"] == "UserErrorBackupInstanceSoftDeleted"


async def test_with_soft_delete_off_a_deleted_instance_is_gone_and_the_datasource_protectable_again() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        off = {"securitySettings": {"softDeleteSettings": {"state": "Off", "retentionDurationInDays": 14}}}
        vault = await c.put(f"{VAULT}{V}", json={"location": "westeurope", "properties": off})
        await wait_status(c, await _protected_blob(c))
        status = await wait_status(c, await c.delete(f"{VAULT}/backupInstances/bi1{V}"))
        kept = await c.get(f"{VAULT}/deletedBackupInstances/bi1{V}")
        again = await c.put(f"{VAULT}/backupInstances/bi2{V}", json=blob_instance())
    assert vault.status_code in (200, 201), vault.text
    assert status["status"] == "Succeeded"
    assert kept.status_code == 404
    assert again.status_code == 201


async def test_fail_operation_and_fail_job_faults() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        await c.post(
            "/_admin/faults",
            json={
                "kind": "fail_operation",
                "operation": "BackupInstances_CreateOrUpdate",
                "count": 1,
                "status": 500,
                "code": "InternalError",
            },
        )
        await grant(c, ACCOUNT, STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR, G1)
        first = await wait_status(c, await c.put(f"{VAULT}/backupInstances/bi1{V}", json=blob_instance()))
    assert first["status"] == "Failed" and first["error"]["code"] == "InternalError"
