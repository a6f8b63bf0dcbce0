"""Every request body ``shared`` builds validates against the DataProtection 2025-09-01 swagger (when the
corpus is present) and against the official SDK's models (always): no missing required property, no
property either does not define, discriminators and enums from the known values."""

from __future__ import annotations

from typing import Any

import pytest

from shared.protection.kinds import KINDS, ProtectionTarget
from shared.restore import bodies as restores
from shared.services import dataprotection as dp
from tests.conformance import sdk_schema
from tests.conformance.body_checkers import CHECKERS, Checker
from tests.conformance.sdk_schema import sdk_problems
from tests.conformance.swagger_schema import subtypes, swagger
from tests.fixtures import dataprotection as fx

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
    return kind.build_request(ProtectionTarget(IDS[kind_name], "westeurope", POLICY, secret_uri=SECRET))


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


@pytest.mark.corpus
def test_schema_builder_sees_the_discriminated_hierarchies():
    subs = subtypes()
    assert {"RestoreFilesTargetInfo", "ItemLevelRestoreTargetInfo", "RestoreTargetInfo"} <= set(
        subs["RestoreTargetInfoBase"].values()
    )
    assert "SecretStoreBasedAuthCredentials" in subs["AuthCredentials"].values()
    assert swagger()["info"]["version"] == dp.API_VERSION


def test_sdk_models_see_the_discriminated_hierarchies():
    targets = sdk_schema.subtypes(sdk_schema.models.RestoreTargetInfoBase)
    assert {"RestoreFilesTargetInfo", "ItemLevelRestoreTargetInfo", "RestoreTargetInfo"} <= set(targets)
    assert "SecretStoreBasedAuthCredentials" in sdk_schema.subtypes(sdk_schema.models.AuthCredentials)
    restore = sdk_schema.fields(sdk_schema.models.AzureBackupRecoveryPointBasedRestoreRequest)
    assert not restore["recoveryPointId"].optional and restore["objectType"].discriminator


@pytest.mark.parametrize("checker", CHECKERS)
@pytest.mark.parametrize("kind", sorted(IDS))
def test_validate_for_backup_body(kind: str, checker: Checker) -> None:
    assert checker("ValidateForBackupRequest", dp.validate_for_backup_body(_instance(kind))) == []


@pytest.mark.parametrize("checker", CHECKERS)
@pytest.mark.parametrize("kind", sorted(IDS))
def test_backup_instance_put_body(kind: str, checker: Checker) -> None:
    assert checker("BackupInstanceResource", dp.backup_instance_resource_body(_instance(kind))) == []


@pytest.mark.parametrize("checker", CHECKERS)
@pytest.mark.parametrize("name", sorted(_restore_bodies()))
def test_restore_and_validate_restore_bodies(name: str, checker: Checker) -> None:
    body = _restore_bodies()[name]
    assert checker("AzureBackupRestoreRequest", body) == []
    assert checker("ValidateRestoreRequestObject", restores.validate_restore_body(body)) == []


@pytest.mark.parametrize("checker", CHECKERS)
def test_find_restorable_time_ranges_body(checker: Checker) -> None:
    body = restores.find_restorable_time_ranges_body()
    assert checker("AzureBackupFindRestorableTimeRangesRequest", body) == []


# The contract fixtures the unit tests compare our builders with are valid requests themselves.
@pytest.mark.parametrize("checker", CHECKERS)
@pytest.mark.parametrize(
    ("definition", "body"),
    [
        ("ValidateForBackupRequest", fx.BLOB_VALIDATE_FOR_BACKUP),
        ("ValidateForBackupRequest", fx.PG_VALIDATE_FOR_BACKUP),
        ("ValidateRestoreRequestObject", fx.BLOB_VALIDATE_RESTORE_WHOLE),
        ("AzureBackupRestoreRequest", fx.BLOB_RESTORE_CONTAINERS),
        ("AzureBackupRestoreRequest", fx.PG_RESTORE_AS_FILES),
        ("AzureBackupRestoreRequest", fx.PG_RESTORE_AS_DATABASE_DOCUMENTED),
        (
            "BackupInstance",
            fx.PG_BACKUP_INSTANCE_PUT_DOCUMENTED["properties"] | {"policyInfo": {"policyId": fx.PG_POLICY}},
        ),
        ("AzureBackupFindRestorableTimeRangesRequest", restores.find_restorable_time_ranges_body()),
    ],
    ids=[
        "blob-validate",
        "pg-validate",
        "blob-validate-restore",
        "blob-containers",
        "pg-files",
        "pg-database",
        "pg-instance",
        "time-ranges",
    ],
)
def test_contract_fixture_requests_are_valid(definition: str, body: Any, checker: Checker) -> None:
    assert checker(definition, body) == []


def test_the_documented_put_body_carries_what_the_sdk_marks_read_only() -> None:
    """Why the builder sends only ``properties`` and no ``policyVersion`` though the docs capture does."""
    problems = sdk_problems("BackupInstanceResource", fx.PG_BACKUP_INSTANCE_PUT_DOCUMENTED)
    assert sorted(p.split(":")[0] for p in problems) == [
        "/name",
        "/properties/policyInfo/policyVersion",
        "/type",
    ]


# The checkers themselves must catch mistakes, or the tests above prove nothing.
@pytest.mark.parametrize("checker", CHECKERS)
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
def test_checker_rejects_bad_bodies(definition: str, body: Any, fragment: str, checker: Checker) -> None:
    problems = checker(definition, body)
    assert any(fragment in e for e in problems), problems


@pytest.mark.parametrize("checker", CHECKERS)
def test_checker_flags_misspelt_keys(checker: Checker) -> None:
    body = dp.validate_for_backup_body(_instance("blob"))
    body["backupInstance"]["datasourceinfo"] = body["backupInstance"].pop("dataSourceInfo")
    assert any("datasourceinfo" in p for p in checker("ValidateForBackupRequest", body))


def test_sdk_checker_flags_read_only_and_mistyped_values() -> None:
    body = dp.backup_instance_resource_body(_instance("blob"))
    body["properties"]["provisioningState"] = "Succeeded"
    body["properties"]["dataSourceInfo"]["resourceName"] = 7
    problems = sdk_problems("BackupInstanceResource", body)
    assert any("provisioningState: read-only" in p for p in problems), problems
    assert any("resourceName: 7 is not of type 'str'" in p for p in problems), problems
