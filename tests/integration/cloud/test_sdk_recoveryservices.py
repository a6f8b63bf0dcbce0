"""The official ``azure-mgmt-recoveryservicesbackup`` SDK runs the Azure Files flow against the emulator over
real HTTPS (uvicorn + a trustme test CA: azure-core refuses bearer tokens over plain http)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient
from azure.mgmt.recoveryservicesbackup import models as m

from local.azurite import free_port
from local.cloud.app import create_app
from local.cloud.seeding import apply_seed_sync
from local.cloud.testing import ServerThread, fast_config

from .rs_flow import ACCOUNT, RG, SEED, SUB, VAULT

pytestmark = pytest.mark.integration
VAULT_NAME = VAULT.rsplit("/", 1)[1]


class StaticToken:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("emulator-test-token", 4102444800)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    app = create_app(fast_config(durations={"rs.refresh": 0.05, "rs.register": 0.05, "rs.protect": 0.05}))
    apply_seed_sync(app, {k: v for k, v in SEED.items() if k != "config"})
    server = ServerThread(app, free_port(), certfile=cert_file, keyfile=key_file).start()
    try:
        yield server.url, ca_file
    finally:
        server.stop()


def test_sdk_file_share_flow(emulator: tuple[str, Path]) -> None:
    url, ca_file = emulator
    client: Any = RecoveryServicesBackupClient(  # SDK models type every field Optional
        StaticToken(), SUB, base_url=url, connection_verify=str(ca_file), polling_interval=0
    )
    flt = "backupManagementType eq 'AzureStorage'"
    client.protection_containers.refresh(VAULT_NAME, RG, "Azure", filter=flt)
    for _ in range(100):  # refresh is a bare 202 in the SDK: wait until the discovery is visible
        containers = list(client.protectable_containers.list(VAULT_NAME, RG, "Azure", filter=flt))
        if containers:
            break
        time.sleep(0.05)
    assert containers, "refresh should have discovered the storage accounts"
    target = next(c for c in containers if c.properties.friendly_name == "testvault2")
    assert target.properties.container_id == ACCOUNT

    registered = client.protection_containers.begin_register(
        VAULT_NAME, RG, "Azure", target.name,
        m.ProtectionContainerResource(properties=m.AzureStorageContainer(
            source_resource_id=ACCOUNT, friendly_name="testvault2", backup_management_type="AzureStorage")),
    ).result()  # fmt: skip
    assert registered.properties.registration_status == "Registered"

    client.protection_containers.inquire(VAULT_NAME, RG, "Azure", target.name)
    items = list(client.backup_protectable_items.list(VAULT_NAME, RG, filter=flt))
    share = next(i for i in items if i.properties.friendly_name == "testshare")
    assert isinstance(share.properties, m.AzureFileShareProtectableItem)
    container_name, item_name = share.id.split("/protectionContainers/")[1].split("/protectableItems/")

    protected = client.protected_items.begin_create_or_update(
        VAULT_NAME, RG, "Azure", container_name, item_name,
        m.ProtectedItemResource(properties=m.AzureFileshareProtectedItem(
            source_resource_id=ACCOUNT, policy_id=f"{VAULT}/backupPolicies/schedule1")),
    ).result()  # fmt: skip
    assert isinstance(protected.properties, m.AzureFileshareProtectedItem)
    assert protected.properties.friendly_name == "testshare"

    client.backups.trigger(
        VAULT_NAME, RG, "Azure", container_name, item_name,
        m.BackupRequestResource(properties=m.AzureFileShareBackupRequest()),
    )  # fmt: skip
    jobs = list(client.backup_jobs.list(VAULT_NAME, RG))
    backup_job = next(j for j in jobs if j.properties.operation == "Backup")
    assert isinstance(backup_job.properties, m.AzureStorageJob)
    detail = client.job_details.get(VAULT_NAME, RG, backup_job.name)
    assert detail.properties.status in ("InProgress", "Completed")

    for _ in range(100):
        points = list(client.recovery_points.list(VAULT_NAME, RG, "Azure", container_name, item_name))
        if points:
            break
        time.sleep(0.05)
    assert isinstance(points[0].properties, m.AzureFileShareRecoveryPoint)

    client.restores.begin_trigger(
        VAULT_NAME, RG, "Azure", container_name, item_name, points[0].name,
        m.RestoreRequestResource(properties=m.AzureFileShareRestoreRequest(
            recovery_type="OriginalLocation", source_resource_id=ACCOUNT, copy_options="Overwrite",
            restore_request_type="FullShareRestore")),
    ).result()  # fmt: skip
    restore_jobs = [j for j in client.backup_jobs.list(VAULT_NAME, RG) if j.properties.operation == "Restore"]
    assert len(restore_jobs) == 1


LIFE_SHARE = "other"  # a share of testvault2 seeded as protected (the flow above protects testshare)


@pytest.fixture(scope="module")
def protected_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The emulator with ``other`` already protected (``protectedFileShares``), for the lifecycle calls."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder = tmp_path_factory.mktemp("tls-life")
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    app = create_app(fast_config(durations={"rs.protect": 0.05, "rs.delete": 0.05, "backup_job": 0.1}))
    seed = {k: v for k, v in SEED.items() if k != "config"}
    seed["protectedFileShares"] = [
        {"vault": VAULT, "storageAccount": ACCOUNT, "share": LIFE_SHARE, "policy": "schedule1"}
    ]
    apply_seed_sync(app, seed)
    server = ServerThread(app, free_port(), certfile=cert_file, keyfile=key_file).start()
    try:
        yield server.url, ca_file
    finally:
        server.stop()


def _wait_job(client: Any, operation: str) -> Any:
    for _ in range(200):
        jobs = [j for j in client.backup_jobs.list(VAULT_NAME, RG) if j.properties.operation == operation]
        if jobs and jobs[0].properties.status != "InProgress":
            return jobs[0]
        time.sleep(0.05)
    raise AssertionError(f"no finished {operation} job")


def test_sdk_backup_now_stop_suspend_resume_and_soft_delete(protected_emulator: tuple[str, Path]) -> None:
    url, ca_file = protected_emulator
    client: Any = RecoveryServicesBackupClient(
        StaticToken(), SUB, base_url=url, connection_verify=str(ca_file), polling_interval=0
    )
    container = "StorageContainer;Storage;azurefiles;testvault2"
    item = f"AzureFileShare;{LIFE_SHARE}"
    policy = f"{VAULT}/backupPolicies/schedule1"

    def put(**props: Any) -> Any:
        body = m.ProtectedItemResource(
            properties=m.AzureFileshareProtectedItem(source_resource_id=ACCOUNT, **props)
        )
        return client.protected_items.begin_create_or_update(
            VAULT_NAME, RG, "Azure", container, item, body
        ).result()

    expiry = datetime.now(UTC) + timedelta(days=30)
    request = m.BackupRequestResource(
        properties=m.AzureFileShareBackupRequest(recovery_point_expiry_time_in_utc=expiry)
    )
    client.backups.trigger(VAULT_NAME, RG, "Azure", container, item, request)
    assert _wait_job(client, "Backup").properties.status == "Completed"
    (point,) = client.recovery_points.list(VAULT_NAME, RG, "Azure", container, item)
    assert point.properties.recovery_point_properties.expiry_time.startswith(
        expiry.strftime("%Y-%m-%dT%H:%M:%S")
    )
    past = m.BackupRequestResource(
        properties=m.AzureFileShareBackupRequest(
            recovery_point_expiry_time_in_utc=datetime(2020, 3, 7, tzinfo=UTC)
        )
    )
    with pytest.raises(HttpResponseError) as refused:
        client.backups.trigger(VAULT_NAME, RG, "Azure", container, item, past)
    assert refused.value.error is not None and refused.value.error.code == "BMSUserErrorInvalidInput"

    stopped = put(policy_id="", protection_state="ProtectionStopped")
    assert (stopped.properties.protection_state, stopped.properties.policy_id) == ("ProtectionStopped", "")
    resumed = put(policy_id=policy)
    assert (resumed.properties.protection_state, resumed.properties.policy_id) == ("Protected", policy)
    suspended = put(policy_id=policy, protection_state="BackupsSuspended")
    assert suspended.properties.protection_state == "BackupsSuspended"
    assert {"DisableBackup", "ConfigureBackup"} <= {
        j.properties.operation for j in client.backup_jobs.list(VAULT_NAME, RG)
    }

    client.protected_items.delete(VAULT_NAME, RG, "Azure", container, item)
    for _ in range(200):  # the SDK's delete returns at the 202: wait for the item to be soft-deleted
        kept = client.protected_items.get(VAULT_NAME, RG, "Azure", container, item)
        if kept.properties.is_scheduled_for_deferred_delete:
            break
        time.sleep(0.05)
    assert kept.properties.is_scheduled_for_deferred_delete is True
    assert (
        kept.properties.protection_state == "ProtectionStopped"
        and kept.properties.deferred_delete_time_in_utc
    )
    assert kept.properties.soft_delete_retention_period_in_days == 14
    assert len(list(client.recovery_points.list(VAULT_NAME, RG, "Azure", container, item))) == 1  # kept
    with pytest.raises(HttpResponseError):
        put(policy_id=policy)  # a soft-deleted item is undeleted first
    undeleted = put(is_rehydrate=True)
    assert undeleted.properties.protection_state == "ProtectionStopped"
    assert not undeleted.properties.is_scheduled_for_deferred_delete
