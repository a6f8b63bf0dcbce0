"""The official ``azure-mgmt-recoveryservicesbackup`` SDK runs the Azure Files flow against the emulator over
real HTTPS (uvicorn + a trustme test CA: azure-core refuses bearer tokens over plain http)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from azure.core.credentials import AccessToken
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
