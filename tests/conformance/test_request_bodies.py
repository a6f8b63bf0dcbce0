"""Every request body ``shared`` builds validates against the DataProtection 2025-09-01 swagger."""

from __future__ import annotations

from typing import Any

import pytest

from shared.protection.kinds import KINDS, ProtectionTarget
from shared.restore import bodies as restores
from shared.services import dataprotection as dp
from tests.conformance.swagger_schema import schema_errors, subtypes, swagger, unknown_properties

SUB = "00000000-0000-0000-0000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers"
VAULT = f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv"
POLICY = dp.policy_id(VAULT, "p1")
IDS = {
    "blob": f"{RG}/Microsoft.Storage/storageAccounts/acct1",
    "postgresql": f"{RG}/Microsoft.DBforPostgreSQL/servers/pg1/databases/orders",
    "postgresql_flexible": f"{RG}/Microsoft.DBforPostgreSQL/flexibleServers/pgf1",
}
SECRET = "https://kv.vault.azure.net/secrets/pg1-orders"


def _instance(kind_name: str) -> dict[str, Any]:
    kind = next(k for k in KINDS if k.name == kind_name)
    return kind.build_backup_instance(
        ProtectionTarget(IDS[kind_name], "westeurope", POLICY, secret_uri=SECRET)
    )


def _restore_bodies() -> dict[str, dict[str, Any]]:
    pg = IDS["postgresql"]
    return {
        "blob_whole": restores.blob_point_in_time_restore(
            datasource_id=IDS["blob"], location="westeurope", point_in_time="2024-01-01T00:00:00Z"
        ),
        "blob_ranges": restores.blob_point_in_time_restore(
            datasource_id=IDS["blob"],
            location="westeurope",
            point_in_time="2024-01-01T00:00:00Z",
            ranges=[restores.container_range("logs"), ("data/2024/", "data/2025/")],
        ),
        "pg_files": restores.restore_as_files(
            source_datasource_id=pg,
            recovery_point_id="eb006fde78cb47198be5a320fbe45e9b",
            restore_location="westeurope",
            container_url="https://acct1.blob.core.windows.net/restores",
            file_prefix="orders",
            target_container_id=f"{RG}/Microsoft.Storage/storageAccounts/acct1/blobServices/default/containers/restores",
        ),
        "pg_database": restores.restore_as_database(
            source_datasource_id=pg,
            recovery_point_id="eb006fde78cb47198be5a320fbe45e9b",
            restore_location="westeurope",
            target_database_id=f"{RG}/Microsoft.DBforPostgreSQL/servers/pg1/databases/orders_restored",
            secret_uri=SECRET,
        ),
    }


def _check(definition: str, body: Any) -> None:
    errors = schema_errors(definition, body)
    assert not errors, errors
    unknown = unknown_properties(definition, body)
    assert not unknown, unknown


def test_schema_builder_sees_the_discriminated_hierarchies():
    subs = subtypes()
    assert {"RestoreFilesTargetInfo", "ItemLevelRestoreTargetInfo", "RestoreTargetInfo"} <= set(
        subs["RestoreTargetInfoBase"].values()
    )
    assert "SecretStoreBasedAuthCredentials" in subs["AuthCredentials"].values()
    assert swagger()["info"]["version"] == dp.API_VERSION


@pytest.mark.parametrize("kind", sorted(IDS))
def test_validate_for_backup_body(kind):
    _check("ValidateForBackupRequest", dp.validate_for_backup_body(_instance(kind)))


@pytest.mark.parametrize("kind", sorted(IDS))
def test_backup_instance_put_body(kind):
    _check("BackupInstanceResource", dp.backup_instance_resource_body(_instance(kind)))


@pytest.mark.parametrize("name", sorted(_restore_bodies()))
def test_restore_and_validate_restore_bodies(name):
    body = _restore_bodies()[name]
    _check("AzureBackupRestoreRequest", body)
    _check("ValidateRestoreRequestObject", restores.validate_restore_body(body))


def test_find_restorable_time_ranges_body():
    _check("AzureBackupFindRestorableTimeRangesRequest", restores.find_restorable_time_ranges_body())


# The checker itself must catch mistakes, or the tests above prove nothing.
@pytest.mark.parametrize(
    ("definition", "body", "fragment"),
    [
        ("ValidateForBackupRequest", {}, "'backupInstance' is a required property"),
        (
            "BackupInstanceResource",
            {"properties": {"objectType": "BackupInstance", "dataSourceInfo": {}}},
            "'resourceID'",
        ),
        (
            "AzureBackupRestoreRequest",
            {
                "objectType": "AzureBackupRecoveryPointBasedRestoreRequest",
                "sourceDataStoreType": "VaultStore",
                "restoreTargetInfo": {
                    "objectType": "RestoreFilesTargetInfo",
                    "recoveryOption": "FailIfExists",
                },
            },
            "'recoveryPointId' is a required property",
        ),
        (
            "AzureBackupRestoreRequest",
            {
                "objectType": "Bogus",
                "sourceDataStoreType": "VaultStore",
                "restoreTargetInfo": {"objectType": "RestoreTargetInfo", "recoveryOption": "FailIfExists"},
            },
            "is not one of",
        ),
        (
            "AzureBackupRestoreRequest",
            {
                "objectType": "AzureBackupRecoveryTimeBasedRestoreRequest",
                "recoveryPointTime": "t",
                "sourceDataStoreType": "Nowhere",
                "restoreTargetInfo": {
                    "objectType": "RestoreTargetInfo",
                    "recoveryOption": "FailIfExists",
                    "datasourceInfo": {"resourceID": "x"},
                },
            },
            "'Nowhere' is not one of",
        ),
    ],
)
def test_checker_rejects_bad_bodies(definition, body, fragment):
    assert any(fragment in e for e in schema_errors(definition, body)), schema_errors(definition, body)


def test_checker_flags_misspelt_keys():
    body = dp.validate_for_backup_body(_instance("blob"))
    body["backupInstance"]["datasourceinfo"] = body["backupInstance"].pop("dataSourceInfo")
    assert any("datasourceinfo" in p for p in unknown_properties("ValidateForBackupRequest", body))
