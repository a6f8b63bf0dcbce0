"""Request builders vs the contract fixtures (same structure, same values where given).

The same builders are checked against the seeds' and the official examples' own bodies in
``tests/conformance/test_shared_corpus.py``.
"""

from __future__ import annotations

import pytest

from shared.errors import InvalidRequestError
from shared.protection.kinds import BLOB, POSTGRESQL, POSTGRESQL_FLEXIBLE, ProtectionTarget, kind_for_type
from shared.restore import bodies as restores
from shared.services import dataprotection as dp
from tests.fixtures import dataprotection as fx
from tests.fixtures.restore_shapes import check_restore_as_database, check_restore_as_files

SUB = fx.SUB
SA = fx.STORAGE_ACCOUNT
PG_DB = fx.PG_DATABASE
PG_POLICY = fx.PG_POLICY


def test_blob_validate_for_backup_body_equals_the_contract():
    body = dp.validate_for_backup_body(BLOB.build_request(ProtectionTarget(SA, fx.LOCATION, fx.BLOB_POLICY)))
    assert body == fx.BLOB_VALIDATE_FOR_BACKUP


def test_postgresql_body_matches_the_contract_with_secret_reference():
    expected = fx.PG_VALIDATE_FOR_BACKUP["backupInstance"]
    body = dp.validate_for_backup_body(
        POSTGRESQL.build_request(
            ProtectionTarget(PG_DB, fx.LOCATION, fx.PG_POLICY, secret_uri=fx.PG_SECRET_URI)
        )
    )
    bi = body["backupInstance"]
    assert bi["dataSourceInfo"] == expected["dataSourceInfo"]
    assert bi["dataSourceSetInfo"] == expected["dataSourceSetInfo"]
    assert bi["policyInfo"]["policyId"] == expected["policyInfo"]["policyId"]
    assert set(bi["datasourceAuthCredentials"]) == set(expected["datasourceAuthCredentials"])
    assert bi["datasourceAuthCredentials"]["secretStoreResource"] == {
        "secretStoreType": "AzureKeyVault",
        "uri": fx.PG_SECRET_URI,
    }
    assert bi["objectType"] == "BackupInstance"
    assert body == fx.PG_VALIDATE_FOR_BACKUP


def test_postgresql_requires_secret():
    with pytest.raises(InvalidRequestError):
        POSTGRESQL.build_request(ProtectionTarget(PG_DB, "westus", PG_POLICY))


def test_put_body_shape_matches_the_documented_properties():
    expected_props = fx.PG_BACKUP_INSTANCE_PUT_DOCUMENTED["properties"]
    body = dp.backup_instance_resource_body(
        POSTGRESQL.build_request(
            ProtectionTarget(PG_DB, fx.LOCATION, fx.PG_POLICY, secret_uri="https://k/secrets/s")
        )
    )
    assert set(body) == {"properties"}
    assert set(expected_props) - {"policyInfo"} <= set(body["properties"])
    assert body["properties"]["dataSourceInfo"] == expected_props["dataSourceInfo"]
    assert body["properties"]["policyInfo"]["policyId"] == expected_props["policyInfo"]["policyId"]


def test_flexible_server_matches_the_quickstart_shape():
    template = fx.PG_FLEX_DATASOURCE
    bi = POSTGRESQL_FLEXIBLE.build_request(
        ProtectionTarget(fx.PG_FLEX_SERVER, fx.LOCATION, "/x/backupPolicies/p")
    )
    assert set(bi["dataSourceInfo"]) == set(template)
    assert bi["dataSourceInfo"]["datasourceType"] == fx.PG_FLEX_DATASOURCE_TYPE
    assert bi["dataSourceInfo"]["resourceUri"] == fx.PG_FLEX_SERVER
    assert bi["dataSourceInfo"] == template
    assert "dataSourceSetInfo" not in bi


def test_backup_instance_name_is_stable_unique_and_shaped_like_the_service_names():
    a = dp.backup_instance_name(PG_DB)
    assert a.startswith("pg-shop-orders-") and len(a.split("-", 3)[3]) == 36
    variant = PG_DB.replace("/resourceGroups/", "/RESOURCEGROUPS/").replace(
        "/subscriptions/", "/Subscriptions/"
    )
    assert a == dp.backup_instance_name(variant)
    assert dp.backup_instance_name(PG_DB.upper())[-36:] == a[-36:]  # ids are case-insensitive
    assert dp.backup_instance_name(SA).startswith("stshoporders-")
    assert dp.backup_instance_name(SA) != dp.backup_instance_name(SA + "2")


def test_paths_and_api_version():
    vault = fx.VAULT
    assert dp.API_VERSION == "2025-09-01"
    assert dp.validate_for_backup_path(vault) == vault + "/validateForBackup"
    bi_id = dp.backup_instance_id(vault, "stshoporders-f2df34eb-5628-4570-87b2-0331d797c67d")
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
    assert pg[0].scope_id == fx.PG_SERVER and pg[0].role_name == "Reader"
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


def test_blob_restore_bodies_match_the_contract():
    whole = restores.blob_point_in_time_restore(
        datasource_id=SA, location=fx.LOCATION, point_in_time=fx.POINT_IN_TIME
    )
    assert restores.validate_restore_body(whole) == fx.BLOB_VALIDATE_RESTORE_WHOLE
    items = fx.BLOB_RESTORE_CONTAINERS
    built = restores.blob_point_in_time_restore(
        datasource_id=SA,
        location=fx.LOCATION,
        point_in_time=fx.POINT_IN_TIME,
        ranges=[("invoices", "invoices-2024")],
    )
    assert set(built) == set(items)
    assert set(built["restoreTargetInfo"]) == set(items["restoreTargetInfo"])
    assert built["restoreTargetInfo"]["restoreCriteria"] == [
        {
            "objectType": "RangeBasedItemLevelRestoreCriteria",
            "minMatchingValue": "invoices",
            "maxMatchingValue": "invoices-2024",
        }
    ]
    assert built == items


def test_restore_as_files_matches_the_contract():
    check_restore_as_files(fx.PG_RESTORE_AS_FILES)


def test_restore_as_database_matches_the_documented_structure():
    check_restore_as_database(fx.PG_RESTORE_AS_DATABASE_DOCUMENTED)
