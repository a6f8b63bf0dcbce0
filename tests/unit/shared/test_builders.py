# ruff: noqa: E501 - ARM ids and bodies are long by nature
"""Request builders vs the seeds' and examples' bodies (same structure, same values where given)."""

from __future__ import annotations

import pytest

from shared.errors import InvalidRequestError
from shared.protection.kinds import BLOB, POSTGRESQL, POSTGRESQL_FLEXIBLE, ProtectionTarget, kind_for_type
from shared.restore import bodies as restores
from shared.services import dataprotection as dp
from tests.unit.shared.helpers import load_json, seed_json_blocks

SUB = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxxx"
SA = f"/subscriptions/{SUB}/resourceGroups/RG-BlobBackup/providers/Microsoft.Storage/storageAccounts/msblobbackup"
BLOB_POLICY = (
    f"/subscriptions/{SUB}/resourceGroups/TestBkpVaultRG/providers/Microsoft.DataProtection"
    "/backupVaults/testBkpVault/backupPolicies/BlobBackup-Policy"
)
PG_SUB = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
PG_DB = f"/subscriptions/{PG_SUB}/resourceGroups/ossdemoRG/providers/Microsoft.DBforPostgreSQL/servers/testpostgresql/databases/empdb11"
PG_POLICY = (
    f"/subscriptions/{PG_SUB}/resourceGroups/testBkpVaultRG/providers/Microsoft.DataProtection"
    "/backupVaults/testBkpVault/backupPolicies/osspol3"
)


def test_blob_validate_for_backup_body_equals_seed_000():
    expected = seed_json_blocks("000")[0]
    body = dp.validate_for_backup_body(
        BLOB.build_backup_instance(ProtectionTarget(SA, "westUS", BLOB_POLICY))
    )
    assert body == expected


def test_postgresql_body_matches_seed_001_plus_secret_reference():
    expected = seed_json_blocks("001")[0]
    secret = "https://testkeyvaulteus.vault.azure.net/secrets/ossdbkey"
    body = dp.validate_for_backup_body(
        POSTGRESQL.build_backup_instance(ProtectionTarget(PG_DB, "westUS", PG_POLICY, secret_uri=secret))
    )
    bi = body["backupInstance"]
    assert bi["dataSourceInfo"] == expected["backupInstance"]["dataSourceInfo"]
    assert bi["dataSourceSetInfo"] == expected["backupInstance"]["dataSourceSetInfo"]
    assert bi["policyInfo"]["policyId"] == expected["backupInstance"]["policyInfo"]["policyId"]
    # the spec example's credential block (the seed omits it; single server needs it)
    example = load_json("dataprotection/examples/BackupInstanceOperations/ValidateForBackup.json")
    ex_creds = example["parameters"]["parameters"]["backupInstance"]["datasourceAuthCredentials"]
    assert set(bi["datasourceAuthCredentials"]) == set(ex_creds)
    assert bi["datasourceAuthCredentials"]["secretStoreResource"] == {
        "secretStoreType": "AzureKeyVault",
        "uri": secret,
    }
    assert bi["objectType"] == "BackupInstance"


def test_postgresql_requires_secret():
    with pytest.raises(InvalidRequestError):
        POSTGRESQL.build_backup_instance(ProtectionTarget(PG_DB, "westus", PG_POLICY))


def test_put_body_shape_matches_seed_properties():
    doc = load_json("dataprotection/docs-postgresql/pg05_BackupInstances_CreateOrUpdate_201_PostgreSQL.json")
    expected_props = doc["request"]["body"]["properties"]
    body = dp.backup_instance_resource_body(
        POSTGRESQL.build_backup_instance(
            ProtectionTarget(PG_DB, "westUS", PG_POLICY, secret_uri="https://k/secrets/s")
        )
    )
    assert set(expected_props) - {"policyInfo"} <= set(body["properties"])
    assert body["properties"]["dataSourceInfo"] == expected_props["dataSourceInfo"]


def test_flexible_server_matches_quickstart_shape():
    doc = load_json(
        "dataprotection/pgflex/PostgreSQLFlexibleServer_policy_and_backupInstance_from_quickstart.json"
    )
    template = doc["backupInstance"]["properties"]
    flex = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgf1"
    bi = POSTGRESQL_FLEXIBLE.build_backup_instance(
        ProtectionTarget(flex, "westeurope", "/x/backupPolicies/p")
    )
    assert set(bi["dataSourceInfo"]) == set(template["dataSourceInfo"])
    assert bi["dataSourceInfo"]["datasourceType"] == doc["resolved_variables"]["dataSourceType"]
    assert bi["dataSourceInfo"]["resourceUri"] == flex
    assert "dataSourceSetInfo" not in bi


def test_backup_instance_name_is_stable_unique_and_shaped_like_the_seeds():
    a = dp.backup_instance_name(PG_DB)
    assert a.startswith("testpostgresql-empdb11-") and len(a.split("-", 2)[2]) == 36
    variant = PG_DB.replace("/resourceGroups/", "/RESOURCEGROUPS/").replace(
        "/subscriptions/", "/Subscriptions/"
    )
    assert a == dp.backup_instance_name(variant)
    assert dp.backup_instance_name(PG_DB.upper())[-36:] == a[-36:]  # ids are case-insensitive
    assert dp.backup_instance_name(SA).startswith("msblobbackup-")
    assert dp.backup_instance_name(SA) != dp.backup_instance_name(SA + "2")


def test_paths_and_api_version():
    vault = f"/subscriptions/{SUB}/resourceGroups/TestBkpVaultRG/providers/Microsoft.DataProtection/backupVaults/testBkpVault"
    assert dp.API_VERSION == "2025-09-01"
    assert dp.validate_for_backup_path(vault) == vault + "/validateForBackup"
    bi_id = dp.backup_instance_id(vault, "msblobbackup-f2df34eb-5628-4570-87b2-0331d797c67d")
    assert dp.restore_path(bi_id) == bi_id + "/restore"
    assert dp.validate_restore_path(bi_id) == bi_id + "/validateRestore"
    assert dp.backup_job_path(vault, "c4bd49a1") == vault + "/backupJobs/c4bd49a1"
    with pytest.raises(InvalidRequestError):
        dp.validate_for_backup_path(SA)


def test_kind_lookup_and_roles():
    assert kind_for_type("microsoft.storage/STORAGEACCOUNTS") is BLOB
    assert kind_for_type("Microsoft.Compute/virtualMachines") is None
    blob_roles = BLOB.role_assignments(SA)
    assert [(r.scope_id, r.role_name) for r in blob_roles] == [(SA, "Storage Account Backup Contributor")]
    kv = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
    pg = POSTGRESQL.role_assignments(PG_DB, key_vault_id=kv)
    assert pg[0].scope_id.endswith("/servers/testpostgresql") and pg[0].role_name == "Reader"
    assert pg[1].scope_id == kv and pg[1].role_definition_guid == "4633458b-17de-408a-b874-0445c86b69e6"
    flex = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/f"
    fr = POSTGRESQL_FLEXIBLE.role_assignments(flex)
    assert fr[0].role_definition_guid == "c088a766-074b-43ba-90d4-1fb21feae531" and fr[0].scope_id == flex
    assert fr[1].scope_id == "/subscriptions/s/resourceGroups/rg" and fr[1].role_name == "Reader"


@pytest.mark.parametrize(
    ("resource", "ok"),
    [
        ({"kind": "StorageV2", "sku": {"name": "Standard_LRS", "tier": "Standard"}, "properties": {}}, True),
        ({"kind": "BlockBlobStorage", "sku": {"name": "Premium_LRS", "tier": "Premium"}}, False),
        ({"kind": "FileStorage", "sku": {"name": "Premium_LRS"}}, False),
        ({"kind": "StorageV2", "sku": {"tier": "Standard"}, "properties": {"isHnsEnabled": True}}, False),
        ({"kind": "Storage", "sku": {"tier": "Standard"}}, False),
    ],
)
def test_storage_eligibility(resource, ok):
    reason = BLOB.eligibility(resource)
    assert (reason is None) is ok
    if not ok:
        assert reason


def test_blob_restore_bodies_match_seed_003():
    blocks = seed_json_blocks("003")
    whole_validate = next(
        b
        for b in blocks
        if "restoreRequestObject" in b
        and b["restoreRequestObject"]["restoreTargetInfo"]["objectType"] == "RestoreTargetInfo"
    )
    whole = restores.blob_point_in_time_restore(
        datasource_id=SA, location="westus", point_in_time="2021-07-08T00:00:00Z"
    )
    assert restores.validate_restore_body(whole) == whole_validate
    items = next(
        b for b in blocks if b.get("restoreTargetInfo", {}).get("objectType") == "ItemLevelRestoreTargetInfo"
    )
    built = restores.blob_point_in_time_restore(
        datasource_id=SA,
        location="westus",
        point_in_time="2021-07-08T00:00:00Z",
        ranges=[("container1", "container2")],
    )
    assert set(built) == set(items)
    assert set(built["restoreTargetInfo"]) == set(items["restoreTargetInfo"])
    assert built["restoreTargetInfo"]["restoreCriteria"] == [
        {
            "objectType": "RangeBasedItemLevelRestoreCriteria",
            "minMatchingValue": "container1",
            "maxMatchingValue": "container2",
        }
    ]


def test_restore_as_files_matches_example():
    ex = load_json("dataprotection/examples/BackupInstanceOperations/TriggerRestoreAsFiles.json")[
        "parameters"
    ]["parameters"]
    built = restores.restore_as_files(
        source_datasource_id=ex["sourceResourceId"],
        recovery_point_id=ex["recoveryPointId"],
        restore_location=ex["restoreTargetInfo"]["restoreLocation"],
        container_url=ex["restoreTargetInfo"]["targetDetails"]["url"],
        file_prefix=ex["restoreTargetInfo"]["targetDetails"]["filePrefix"],
    )
    assert built == ex


def test_restore_as_database_matches_example_structure():
    ex = load_json("dataprotection/examples/BackupInstanceOperations/TriggerRestore.json")["parameters"][
        "parameters"
    ]
    target = ex["restoreTargetInfo"]
    built = restores.restore_as_database(
        source_datasource_id=ex["sourceResourceId"],
        recovery_point_id=ex["recoveryPointId"],
        restore_location=target["restoreLocation"],
        target_database_id=target["datasourceInfo"]["resourceID"],
        secret_uri=target["datasourceAuthCredentials"]["secretStoreResource"]["uri"],
    )
    assert set(built) == set(ex) - {"identityDetails"}
    assert set(built["restoreTargetInfo"]) == set(target)
    assert built["restoreTargetInfo"]["datasourceAuthCredentials"] == target["datasourceAuthCredentials"]
    assert (
        built["restoreTargetInfo"]["datasourceInfo"]["resourceID"] == target["datasourceInfo"]["resourceID"]
    )
    assert (
        built["restoreTargetInfo"]["datasourceSetInfo"]["resourceID"]
        == target["datasourceSetInfo"]["resourceID"]
    )
