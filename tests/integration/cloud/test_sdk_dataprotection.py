"""The official SDK (azure-mgmt-dataprotection) as an independent client of the emulator, over real
HTTPS on loopback.

azure-core's BearerTokenCredentialPolicy refuses to send a token over plain http, so the fixture serves
TLS with a throwaway test CA (``trustme``) and points the SDK's ``connection_verify`` at that CA: the
SDK's pipeline runs unmodified. Retry-After is 0 and operation durations are tenths of a second, and
pollers get ``polling_interval`` 0.05 (azure-core treats a 0 Retry-After as absent).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.mgmt.dataprotection import DataProtectionMgmtClient
from azure.mgmt.dataprotection import models as m

from local.azurite import free_port
from local.cloud.app import create_app
from local.cloud.seeding import apply_seed, parse_seed
from local.cloud.testing import ServerThread, fast_config

pytestmark = pytest.mark.integration

SUB = "5d000000-0000-0000-0000-000000000001"
GROUP = f"/subscriptions/{SUB}/resourceGroups"
VAULT = f"{GROUP}/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv-sdk"
ACCOUNT = f"{GROUP}/rg-data/providers/Microsoft.Storage/storageAccounts/stsdk"
LIFE = f"{GROUP}/rg-data/providers/Microsoft.Storage/storageAccounts/stlife"
DB = f"{GROUP}/rg-data/providers/Microsoft.DBforPostgreSQL/servers/pgsdk/databases/orders"
SEED = f"""
subscriptions:
  - id: {SUB}
    resourceGroups:
      - name: rg-backup
        location: westeurope
        backupVaults:
          - name: bv-sdk
            policies:
              - {{name: blobop, template: blob_operational}}
              - {{name: pg, template: postgresql}}
      - name: rg-data
        location: westeurope
        storageAccounts: [{{name: stsdk, containers: [c1]}}, {{name: stlife}}]
        postgresqlServers: [{{name: pgsdk, databases: [orders]}}]
        keyVaults:
          - {{name: kvsdk, secrets: [conn], enableRbacAuthorization: true}}
roleAssignments:
  - {{scope: "{ACCOUNT}", role: Storage Account Backup Contributor, principalId: "vault:{VAULT}"}}
  - {{scope: "{LIFE}", role: Storage Account Backup Contributor, principalId: "vault:{VAULT}"}}
  - {{scope: "{GROUP}/rg-data/providers/Microsoft.DBforPostgreSQL/servers/pgsdk", role: Reader,
      principalId: "vault:{VAULT}"}}
  - {{scope: "{GROUP}/rg-data/providers/Microsoft.KeyVault/vaults/kvsdk", role: Key Vault Secrets User,
      principalId: "vault:{VAULT}"}}
"""
POLL = 0.05


class StaticCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("emulator-token", int(time.time()) + 3600)


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataProtectionMgmtClient]:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder: Path = tmp_path_factory.mktemp("tls")
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    app = create_app(fast_config())
    asyncio.run(apply_seed(app, parse_seed(SEED)))
    server = ServerThread(app, free_port(), certfile=cert_file, keyfile=key_file).start()
    sdk_client = DataProtectionMgmtClient(
        StaticCredential(), SUB, base_url=server.url, connection_verify=str(ca_file)
    )
    try:
        yield sdk_client
    finally:
        sdk_client.close()
        server.stop()


def _datasource(rid: str, ds_type: str, resource_type: str) -> m.Datasource:
    return m.Datasource(
        resource_id=rid,
        datasource_type=ds_type,
        resource_type=resource_type,
        resource_name=rid.rsplit("/", 1)[-1],
        resource_location="westeurope",
        object_type="Datasource",
    )


def test_blob_protection_then_point_in_time_restore(sdk: Any) -> None:
    ds = _datasource(
        ACCOUNT, "Microsoft.Storage/storageAccounts/blobServices", "Microsoft.Storage/storageAccounts"
    )
    instance = sdk.backup_instances.begin_create_or_update(
        "rg-backup",
        "bv-sdk",
        "stsdk-bi",
        m.BackupInstanceResource(
            properties=m.BackupInstance(
                data_source_info=ds,
                policy_info=m.PolicyInfo(policy_id=f"{VAULT}/backupPolicies/blobop"),
                object_type="BackupInstance",
            )
        ),
        polling_interval=POLL,
    ).result()
    assert instance.properties.provisioning_state == "Provisioned"
    assert instance.properties.protection_status.status == "ProtectionConfigured"
    time.sleep(0.2)
    ranges = sdk.restorable_time_ranges.find(
        "rg-backup",
        "bv-sdk",
        "stsdk-bi",
        m.AzureBackupFindRestorableTimeRangesRequest(source_data_store_type="OperationalStore"),
    )
    span = ranges.properties.restorable_time_ranges[0]
    assert span.start_time < span.end_time
    request = m.AzureBackupRecoveryTimeBasedRestoreRequest(
        source_data_store_type="OperationalStore",
        recovery_point_time=span.end_time,
        restore_target_info=m.ItemLevelRestoreTargetInfo(
            recovery_option="FailIfExists",
            restore_location="westeurope",
            datasource_info=ds,
            restore_criteria=[
                m.RangeBasedItemLevelRestoreCriteria(min_matching_value="c1", max_matching_value="c1-0")
            ],
        ),
    )
    result = sdk.backup_instances.begin_trigger_restore(
        "rg-backup", "bv-sdk", "stsdk-bi", request, polling_interval=POLL
    ).result()
    job_name = result.job_id.rsplit("/", 1)[-1]
    deadline = time.monotonic() + 10
    job = sdk.jobs.get("rg-backup", "bv-sdk", job_name)
    while job.properties.status not in {"Completed", "Failed"} and time.monotonic() < deadline:
        time.sleep(0.05)
        job = sdk.jobs.get("rg-backup", "bv-sdk", job_name)
    assert job.properties.status == "Completed"
    assert job.properties.operation == "Restore"


def test_postgresql_protection_with_sdk_poller(sdk: Any) -> None:
    ds = _datasource(
        DB, "Microsoft.DBforPostgreSQL/servers/databases", "Microsoft.DBforPostgreSQL/servers/databases"
    )
    ds_set = m.DatasourceSet(
        resource_id=DB.split("/databases/")[0],
        datasource_type=ds.datasource_type,
        resource_type="Microsoft.DBforPostgreSQL/servers",
        resource_name="pgsdk",
        resource_location="westeurope",
        object_type="DatasourceSet",
    )
    props = m.BackupInstance(
        data_source_info=ds,
        data_source_set_info=ds_set,
        object_type="BackupInstance",
        policy_info=m.PolicyInfo(policy_id=f"{VAULT}/backupPolicies/pg"),
        datasource_auth_credentials=m.SecretStoreBasedAuthCredentials(
            secret_store_resource=m.SecretStoreResource(
                secret_store_type="AzureKeyVault", uri="https://kvsdk.vault.azure.net/secrets/conn"
            )
        ),
    )
    validated = sdk.backup_instances.begin_validate_for_backup(
        "rg-backup", "bv-sdk", m.ValidateForBackupRequest(backup_instance=props), polling_interval=POLL
    ).result()
    assert validated.object_type == "OperationJobExtendedInfo"
    created = sdk.backup_instances.begin_create_or_update(
        "rg-backup", "bv-sdk", "pg-orders", m.BackupInstanceResource(properties=props), polling_interval=POLL
    ).result()
    assert created.properties.protection_status.status == "ProtectionConfigured"
    points = list(sdk.recovery_points.list("rg-backup", "bv-sdk", "pg-orders"))
    assert points and points[0].properties is not None
    assert points[0].properties.object_type == "AzureBackupDiscreteRecoveryPoint"
    listed = [bi.name for bi in sdk.backup_instances.list("rg-backup", "bv-sdk")]
    assert "pg-orders" in listed


def test_stop_suspend_resume_and_soft_delete_through_the_sdk_pollers(sdk: Any) -> None:
    """The lifecycle actions as the SDK's LRO pollers drive them (final state via Location), then a DELETE
    into soft delete (a new vault keeps deleted instances) and a re-protect the service refuses."""
    ds = _datasource(
        LIFE, "Microsoft.Storage/storageAccounts/blobServices", "Microsoft.Storage/storageAccounts"
    )
    body = m.BackupInstanceResource(
        properties=m.BackupInstance(
            data_source_info=ds,
            policy_info=m.PolicyInfo(policy_id=f"{VAULT}/backupPolicies/blobop"),
            object_type="BackupInstance",
        )
    )
    ops = sdk.backup_instances
    ops.begin_create_or_update("rg-backup", "bv-sdk", "stsdk-life", body, polling_interval=POLL).result()

    def state() -> str:
        return str(ops.get("rg-backup", "bv-sdk", "stsdk-life").properties.current_protection_state.value)

    ops.begin_suspend_backups("rg-backup", "bv-sdk", "stsdk-life", polling_interval=POLL).result()
    suspended = state()
    ops.begin_resume_backups("rg-backup", "bv-sdk", "stsdk-life", polling_interval=POLL).result()
    resumed = state()
    ops.begin_stop_protection("rg-backup", "bv-sdk", "stsdk-life", polling_interval=POLL).result()
    stopped = state()
    with pytest.raises(Exception) as refused:  # suspend is not an action of a stopped instance
        ops.begin_suspend_backups("rg-backup", "bv-sdk", "stsdk-life", polling_interval=POLL).result()
    ops.begin_resume_protection("rg-backup", "bv-sdk", "stsdk-life", polling_interval=POLL).result()
    assert (suspended, resumed, stopped, state()) == (
        "BackupSchedulesSuspended",
        "ProtectionConfigured",
        "ProtectionStopped",
        "ProtectionConfigured",
    )
    assert "UserErrorInvalidOperationForCurrentState" in str(refused.value)

    ops.begin_delete("rg-backup", "bv-sdk", "stsdk-life", polling_interval=POLL).result()
    deleted = sdk.deleted_backup_instances.get("rg-backup", "bv-sdk", "stsdk-life")
    assert deleted.properties.deletion_info.scheduled_purge_time is not None
    with pytest.raises(Exception) as again:
        ops.begin_create_or_update("rg-backup", "bv-sdk", "stsdk-new", body, polling_interval=POLL).result()
    assert "UserErrorBackupInstanceSoftDeleted" in str(again.value)
